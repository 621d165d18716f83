"""A Jupyter server and a headless Chromium for real-browser tests and benchmarks.

Shared by tests/browser/ (through the fixtures of test_explorer_browser.py) and
benchmarks/bench_widgets_browser.py; nothing here imports pytest, so a benchmark can use it.

The server runs on 127.0.0.1 with a token and temporary config, runtime, settings and IPython
folders, serving a temporary copy of one notebook (the repository is never written). Three
kinds of server, chosen by VAE_TEACH_BROWSER_SERVER (default lab4):

    lab4   JupyterLab 4 (ipywidgets 8), opened in its single-document interface (/doc)
    lab3   JupyterLab 3 (e.g. Colab's ipywidgets 7.7.1, .ci/browser7.sh), opened in /lab
    nb6    the classic Notebook 6 (`jupyter notebook`), opened in /notebooks

`SERVERS[kind]` holds what differs between them: the address of a notebook, the selector of
an output area, and how to run every cell.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("VAE_TEACH_CHROMIUM", "/usr/bin/chromium")
SERVER_KIND = os.environ.get("VAE_TEACH_BROWSER_SERVER", "lab4")
# Headless, as root, and without the background requests a closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Time limits, in seconds.
SERVER_START_S = 60
RUN_ALL_S = 150

# User settings for a temporary JupyterLab: never save the notebook, no news pop-up, and
# every cell in the page (no virtual scrolling, JupyterLab 4), so a test sees all of them;
# start the notebook's own kernel without asking.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
}
# JupyterLab 3 validates settings against its own, older schemas: only keys it knows.
LAB3_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

# JupyterLab: how many code cells there are, how many have run, and the tracebacks shown.
LAB_CELL_STATE_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
  const errors = [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                 && /Error|Traceback/.test(o.textContent))
    .map(o => o.textContent.slice(0, 2000));
  return {total: prompts.length,
          done: prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length,
          errors};
}"""
# The same for the classic Notebook's page.
NB6_CELL_STATE_JS = """() => {
  const prompts = [...document.querySelectorAll('#notebook .code_cell .input_prompt')];
  const errors = [...document.querySelectorAll('.output_area .output_error')]
    .map(o => o.textContent.slice(0, 2000));
  return {total: prompts.length,
          done: prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length,
          errors};
}"""


# JupyterLab 3 and Notebook 6 typeset with MathJax 2, whose web-font probe and .otf fonts fail
# in this setup (a font at about:blank refused, 404s for fonts the servers do not ship). These
# console errors are the servers' own, not a widget's: record_console keeps them apart.
# Matched against "<message> @ <the URL the console names>".
MATHJAX2_NOISE = (
    re.compile(r"^Access to font at 'about:blank' from origin .* blocked by CORS policy"),
    re.compile(r"^Failed to load resource: net::ERR_FAILED @ about:blank$"),
    re.compile(r"^Failed to load resource: .* status of 404 .* @ \S+/MathJax/fonts/"),
)


@dataclass(frozen=True)
class Server:
    """What differs between the kinds of server: command, notebook address, page selectors."""

    module: str  # python -m <module> starts it
    app: str  # the traitlets class that takes --<app>.token etc.
    url: str  # a notebook's address: format(path=..., token=...)
    output: str  # selector of one cell's output area
    cell_state_js: str  # JS returning {total, done, errors} for the code cells
    settings: dict  # JupyterLab user settings (none for the classic Notebook)
    extra: tuple = ()  # more command-line options
    console_noise: tuple = ()  # regexes of the server's own console errors (MATHJAX2_NOISE)


SERVERS = {
    "lab4": Server(
        "jupyterlab",
        "ServerApp",
        "/doc/tree/{path}?reset&token={token}",
        ".jp-OutputArea",
        LAB_CELL_STATE_JS,
        LAB_SETTINGS,
        ("--LabApp.extension_manager=readonly",),
    ),
    "lab3": Server(
        "jupyterlab",
        "ServerApp",
        "/lab/tree/{path}?reset&token={token}",
        ".jp-OutputArea",
        LAB_CELL_STATE_JS,
        LAB3_SETTINGS,
        console_noise=MATHJAX2_NOISE,
    ),
    "nb6": Server(
        "notebook",
        "NotebookApp",
        "/notebooks/{path}?token={token}",
        ".output_area",
        NB6_CELL_STATE_JS,
        {},
        console_noise=MATHJAX2_NOISE,
    ),
}


def server_kind(kind: str | None = None) -> Server:
    """SERVERS[kind or VAE_TEACH_BROWSER_SERVER]; ValueError naming the choices otherwise."""
    kind = kind or SERVER_KIND
    if kind not in SERVERS:
        raise ValueError(f"VAE_TEACH_BROWSER_SERVER must be one of {list(SERVERS)}, got {kind!r}")
    return SERVERS[kind]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_lab_settings(folder: Path, settings: dict) -> None:
    """Write `settings` (plugin -> values) as JupyterLab user settings under `folder`."""
    for plugin, values in settings.items():
        path = folder / f"{plugin.replace(':', '/')}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def api(url: str, token: str, method: str = "GET", timeout: float = 5) -> bytes:
    """One authenticated request to the Jupyter server's REST API."""
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def stop_server(process: subprocess.Popen, base: str, token: str) -> None:
    """Shut the server and its kernels down politely, then by force; never raises."""
    if process.poll() is None:
        with contextlib.suppress(Exception):
            api(f"{base}/api/shutdown", token, method="POST")
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
                try:
                    process.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue


def raise_interrupt(signum, frame):
    """Turn SIGTERM (e.g. from `timeout`) into KeyboardInterrupt so cleanups still run."""
    raise KeyboardInterrupt(f"signal {signum}")


def server_env(tmp: Path, server: Server, package_root: Path = ROOT) -> dict:
    """The server's environment: temporary Jupyter folders, `package_root` (the checkout whose
    vae_teach the kernels import, this one unless told) first on PYTHONPATH."""
    env = dict(os.environ)
    for name in ("config", "runtime", "workspaces", "ipython"):
        (tmp / name).mkdir(exist_ok=True)
    write_lab_settings(tmp / "settings", server.settings)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
        # The package comes from this checkout even though the notebook is served from a copy.
        PYTHONPATH=os.pathsep.join(filter(None, [str(package_root), env.get("PYTHONPATH")])),
    )
    return env


def server_command(server: Server, port: int, token: str, served: Path) -> list[str]:
    """The command line that starts `server` on 127.0.0.1:port serving `served`."""
    app = server.app
    command = [
        sys.executable, "-m", server.module, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--{app}.port_retries=0", f"--{app}.token={token}",
        f"--{app}.terminals_enabled=False",
    ]  # fmt: skip
    if app == "ServerApp":
        command.append(f"--ServerApp.root_dir={served}")
    else:
        command.append(f"--NotebookApp.notebook_dir={served}")
    if os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    return command + list(server.extra)


def wait_until_up(process: subprocess.Popen, base: str, token: str, log: Path) -> None:
    """Return once the server answers /api/status; RuntimeError if it exits or is too slow."""
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Jupyter server exited with {process.returncode}; see {log}")
        with contextlib.suppress(OSError):
            api(f"{base}/api/status", token, timeout=2)
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Jupyter server did not answer within {SERVER_START_S} s")
        time.sleep(0.5)


@contextlib.contextmanager
def jupyter_server(
    notebook: Path, tmp: Path, kind: str | None = None, log_name="jupyterlab.log", package_root=ROOT
):
    """A Jupyter server on 127.0.0.1 serving a copy of `notebook`; yields (base, token, path).

    `tmp` is an empty folder for the copy and the server's folders; the log goes to
    test-artifacts/browser/`log_name`; the kernels import vae_teach from `package_root`.
    SIGTERM inside the block still shuts the server down.
    """
    server, notebook = server_kind(kind), Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook not found: {notebook}")
    served = tmp / "root"
    (served / "notebooks").mkdir(parents=True)
    shutil.copy(notebook, served / "notebooks" / notebook.name)
    env = server_env(tmp, server, package_root)
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / log_name
    log = open(log_path, "w")  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(
        server_command(server, port, token, served),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        wait_until_up(process, base, token, log_path)
        yield base, token, f"notebooks/{notebook.name}"
    finally:
        stop_server(process, base, token)
        signal.signal(signal.SIGTERM, previous)
        log.close()


def notebook_url(base: str, token: str, path: str, kind: str | None = None) -> str:
    """The address that opens notebook `path` in the server's interface."""
    return base + server_kind(kind).url.format(path=path, token=token)


def launch_chromium(playwright, **options):
    """Debian's headless Chromium through Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, timeout=60_000, **options
    )


def record_console(page, noise: tuple | None = None) -> None:
    """Keep the console in `page.messages` and every URL asked in `page.requests`; known
    errors that are not ours (`noise`, by default the server's Server.console_noise) go to
    `page.noise` instead."""
    page.messages, page.requests, page.noise = [], [], []
    noise = server_kind().console_noise if noise is None else noise

    def on_console(message) -> None:
        where = f"{message.text} @ {message.location.get('url', '')}"
        known = message.type == "error" and any(p.search(where) for p in noise)
        (page.noise if known else page.messages).append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: page.messages.append(f"pageerror: {e}"))
    page.on("request", lambda r: page.requests.append(r.url))


def kernel_idle(page, kind: str | None = None) -> bool:
    """Whether the page says the notebook's kernel is connected and idle."""
    if server_kind(kind).module == "notebook":
        return page.locator("#kernel_indicator_icon.kernel_idle_icon").count() > 0
    # JupyterLab 3's status items have generated class names: the bar's text, "… | Idle"
    bar = page.locator("#jp-main-statusbar", has_text=re.compile(r"\|\s*Idle"))
    return bar.count() > 0


def click_run_all(page, kind: str | None = None) -> None:
    """Run every cell from the menu: Run > Run All Cells (JupyterLab), Cell > Run All."""
    if server_kind(kind).module == "notebook":
        page.locator("#celllink").click()
        page.locator("#run_all_cells").click()
        return
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def run_all_cells(page, kind: str | None = None, timeout_s: float = RUN_ALL_S) -> None:
    """Run every cell once the kernel is idle; wait until every code cell has run.
    AssertionError on a traceback in the page or when time runs out."""
    server = server_kind(kind)
    first_cell = "#notebook .code_cell" if server.module == "notebook" else ".jp-CodeCell"
    page.locator(first_cell).first.wait_for(timeout=60_000)
    deadline = time.monotonic() + timeout_s
    while not kernel_idle(page, kind):
        assert time.monotonic() < deadline, f"the kernel was not idle after {timeout_s} s"
        time.sleep(0.5)
    click_run_all(page, kind)
    while True:
        state = page.evaluate(server.cell_state_js)
        assert not state["errors"], "a cell failed in the browser:\n" + state["errors"][0]
        if state["total"] and state["done"] == state["total"]:
            return
        assert time.monotonic() < deadline, f"cells not done after {timeout_s} s: {state}"
        time.sleep(0.5)


def settle(read, now, quiet_s: float = 1.0, timeout_s: float = 15.0):
    """Call `read()` until it returns the same value for `quiet_s` seconds; return it."""
    deadline, since = time.monotonic() + timeout_s, time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        time.sleep(0.2)
        latest = read()
        if latest != now:
            now, since = latest, time.monotonic()
    return now


def wait_for_change(read, before, timeout_s: float = 10.0):
    """Call `read()` until its value differs from `before` (or time runs out); return it."""
    deadline = time.monotonic() + timeout_s
    now = read()
    while now == before and time.monotonic() < deadline:
        time.sleep(0.2)
        now = read()
    return now
