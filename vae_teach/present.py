"""Presenter: one widget alone in a browser window, served by Voilà on this computer.

    vae-teach present explorer                 # notebook 06's latent explorer, vae2
    vae-teach present traversal --model betavae_b8_s1  # notebook 07's traversal widget

Writes a two-cell notebook into a temporary folder (page style, then the widget built with its
public constructor at presenter size), serves it with Voilà on 127.0.0.1 (only the outputs are
shown, no code) and opens it in the default browser. Everything the page needs comes from the
local Voilà, ipywidgets and anywidget installation (the widget's own JavaScript ships inside
vae_teach): nothing is downloaded. Ctrl+C stops the server.
Needs the `present` extra (`pip install -e ".[present]"`).
"""

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import webbrowser
from pathlib import Path

import nbformat

VIEWS = {
    # view -> default model, and which models it takes
    "explorer": "vae2",
    "traversal": "betavae_b4_s0",
}
MNIST_MODELS = ("vae2", "vae20", "ae2", "dae2")

# The page: no margins, the widget in the middle of the window, on white. The traversal's
# pictures (sprites are 24 px: 384 px at presenter scale) grow with the window, to 40 % of its
# width or 55 % of its height, whichever is smaller, blocks kept sharp (base.css: pixelated).
# A range input does not inherit the font size (Chromium's form controls are 13.33 px), so
# base.css's 18em-wide slider would stay 240 px: inherited here, it is 504 px at presenter size.
PAGE_STYLE = """\
<style>
  body { margin: 0; background: white; }
  .jp-OutputPrompt, .jp-OutputArea-prompt, .jp-InputPrompt { display: none; }
  .jp-Cell { padding: 0; }
  .vae-widget { width: fit-content; margin: 1vh auto 0 auto; }
  .vae-widget input[type="range"] { font-size: inherit; }
  .vae-widget[data-widget="traversal"] canvas.vae-picture { width: min(40vw, 55vh); height: auto; }
</style>"""

EXPLORER_CODE = """\
from vae_teach.data import load_mnist
from vae_teach.pretrained import load_pretrained
from vae_teach.widgets import LatentExplorer

model = load_pretrained({model!r})
test_x, test_y = load_mnist("test")
LatentExplorer(model, labels=test_y[:{digits}], test_images=test_x[:{digits}], size={size!r})
"""

TRAVERSAL_MNIST_CODE = """\
import torch

from vae_teach.data import load_mnist
from vae_teach.disentanglement import kl_per_dimension
from vae_teach.widgets import TraversalExplorer
from vae_teach.pretrained import load_pretrained

model = load_pretrained({model!r})
test_x, _ = load_mnist("test")
images = test_x[:{digits}]
with torch.no_grad():
    kl = kl_per_dimension(*model.encode(images))
dims = {dims}
TraversalExplorer(model, images[:100], dims=dims, kl=kl, size={size!r})
"""

TRAVERSAL_SPRITES_CODE = """\
import torch

from vae_teach.disentanglement import kl_per_dimension
from vae_teach.widgets import TraversalExplorer
from vae_teach.pretrained import load_pretrained
from vae_teach.sprites import grid_for

model = load_pretrained({model!r})
x = grid_for(model.image_shape[-1]).images  # every factor combination of its sprites
with torch.no_grad():
    kl = kl_per_dimension(*model.encode(x))
dims = {dims}
TraversalExplorer(model, x[::97], dims=dims, kl=kl, size={size!r})
"""


# the traversal's sliders: the active latents only (KL above 0.1 nats, as in notebook 07)
ACTIVE_DIMS = "[j for j in range(len(kl)) if kl[j] > 0.1] or None"


def widget_code(
    view: str, model: str, size: str = "presenter", digits: int = 5000, all_latents=False
) -> str:
    """The code cell that builds the view's widget (notebook 06 or 07's constructor call)."""
    from vae_teach.pretrained import available, pretrained_config
    from vae_teach.widgets.base import check_size

    if view not in VIEWS:
        raise ValueError(f"view must be one of {list(VIEWS)}, got {view!r}")
    check_size(size)
    if model not in available():
        raise ValueError(f"model must be one of the shipped models {available()}, got {model!r}")
    config = pretrained_config(model)
    if view == "explorer":
        if model not in MNIST_MODELS or config["latent_dim"] < 2:
            raise ValueError(f"the explorer takes an MNIST model {MNIST_MODELS}, got {model!r}")
        return EXPLORER_CODE.format(model=model, size=size, digits=digits)
    if "Autoencoder" == config.get("model"):
        raise ValueError(f"the traversal widget takes a VAE, got the autoencoder {model!r}")
    code = TRAVERSAL_MNIST_CODE if model in MNIST_MODELS else TRAVERSAL_SPRITES_CODE
    dims = "None" if all_latents else ACTIVE_DIMS
    return code.format(model=model, size=size, digits=digits, dims=dims)


# A Voilà template: the lab template without its two stylesheet links to a CDN (Font Awesome,
# which Voilà's own bundle already contains) and without Mermaid, so the page loads offline.
TEMPLATE_CONF = '{"base_template": "lab"}'
TEMPLATE_INDEX = """\
{%- extends 'voila/templates/lab/index.html.j2' -%}
{%- block notebook_css -%}
{%- for line in super().split('\\n') if 'https://' not in line %}
{{ line }}
{%- endfor %}
{%- endblock notebook_css -%}
{%- block html_head_js_mermaidjs -%}
{%- endblock html_head_js_mermaidjs -%}
"""
TEMPLATE = "vae-teach-presenter"
# Of the JupyterLab extensions installed, the page loads the widget manager and anywidget's
# front end only (without anywidget the page cannot build the vae_teach widgets' models).
KEEP_EXTENSIONS = {"@jupyter-widgets/jupyterlab-manager", "anywidget"}


def other_lab_extensions() -> list[str]:
    """Installed JupyterLab extensions other than KEEP_EXTENSIONS (nbgrader's, Notebook 7's,
    ...): Voilà would load them into the page, where they fail for want of JupyterLab."""
    from jupyter_core.paths import jupyter_path

    names = set()
    for folder in map(Path, jupyter_path("labextensions")):
        for package in folder.glob("**/package.json"):
            name = package.parent.relative_to(folder).as_posix()
            if name.count("/") <= 1 and "node_modules" not in name and "static" not in name:
                names.add(name)
    return sorted(names - KEEP_EXTENSIONS)


def write_template(folder: Path) -> Path:
    """Write the Voilà template under folder/share/jupyter (for JUPYTER_PATH); return that."""
    data = folder / "share" / "jupyter"
    template = data / "voila" / "templates" / TEMPLATE
    template.mkdir(parents=True)
    (template / "conf.json").write_text(TEMPLATE_CONF)
    (template / "index.html.j2").write_text(TEMPLATE_INDEX)
    return data


def write_notebook(folder: Path, view: str, code: str) -> Path:
    """The two-cell notebook Voilà serves: the page style, then the widget."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    style = f"from IPython.display import HTML\n\nHTML({PAGE_STYLE!r})"
    nb.cells = [nbformat.v4.new_code_cell(style), nbformat.v4.new_code_cell(code)]
    path = folder / f"vae-teach {view}.ipynb"
    nbformat.write(nb, path)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def voila_command(notebook: Path, port: int) -> list[str]:
    """Voilà on 127.0.0.1 only, sources stripped, tracebacks shown, no browser of its own."""
    return [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", "--strip_sources=True", "--theme=light",
        "--show_tracebacks=True", "--ServerApp.port_retries=0", f"--template={TEMPLATE}",
        *[f"--VoilaConfiguration.extension_denylist={name}" for name in other_lab_extensions()],
    ]  # fmt: skip


def wait_until_serving(process, url: str, timeout_s: float = 60) -> None:
    """Wait until the server listens at `url`; RuntimeError if it exits or stays silent."""
    host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"Voilà exited with {process.returncode} before serving {url}")
        # a TCP connection only: a GET of the page would start (and run) a kernel
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"Voilà did not answer at {url} within {timeout_s:.0f} s")
        time.sleep(0.3)


def stop(process) -> None:
    """Stop Voilà and its kernel: SIGINT twice (as Ctrl+C), then SIGTERM, then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, 5), (signal.SIGINT, 5), (signal.SIGTERM, 5)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait_s)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def serve(
    view, model, size="presenter", port=None, browser=True, digits=5000, all_latents=False
) -> int:
    """Serve one view until Ctrl+C (or SIGTERM); return 0 after a clean stop."""
    code = widget_code(view, model, size, digits, all_latents)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="vae-teach-present-") as folder:
        notebook = write_notebook(Path(folder), view, code)
        data = write_template(Path(folder))
        paths = os.pathsep.join(filter(None, [str(data), os.environ.get("JUPYTER_PATH")]))
        process = subprocess.Popen(
            voila_command(notebook, port),
            env=dict(os.environ, JUPYTER_PATH=paths),
            start_new_session=True,
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            wait_until_serving(process, url)
            print(f"vae-teach present {view} ({model}, {size}): {url}", flush=True)
            print("Full screen: F11 in the browser. Stop: Ctrl+C here.", flush=True)
            if browser:
                webbrowser.open(url)
            process.wait()
            return process.returncode or 0
        except KeyboardInterrupt:
            print("\nstopping the presenter server", flush=True)
            return 0
        finally:
            stop(process)
            signal.signal(signal.SIGTERM, previous)


def main(argv=None) -> int:
    """`vae-teach present VIEW [options]`."""
    parser = argparse.ArgumentParser(
        prog="vae-teach present",
        description=textwrap.dedent(
            """\
            Show one widget alone in a browser window, sized for a projector: the latent
            explorer of notebook 06 or the traversal widget of notebook 07, served by Voilà
            on 127.0.0.1. Ctrl+C stops it."""
        ),
    )
    parser.add_argument("view", choices=list(VIEWS), help="explorer (06) or traversal (07)")
    parser.add_argument(
        "--model",
        help=f"a shipped model (default: explorer {VIEWS['explorer']}, traversal "
        f"{VIEWS['traversal']}); explorer: {', '.join(MNIST_MODELS)}; traversal: a VAE, "
        "e.g. betavae_b8_s1 or vae20",
    )
    parser.add_argument("--size", default="presenter", choices=["presenter", "normal"])
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--no-browser", action="store_true", help="only print the address")
    parser.add_argument(
        "--digits", type=int, default=5000, help="test digits on the map (MNIST models)"
    )
    parser.add_argument(
        "--all-latents",
        action="store_true",
        help="traversal: a slider for every latent (default: the active ones, KL > 0.1)",
    )
    args = parser.parse_args(argv)
    model = args.model or VIEWS[args.view]
    try:
        widget_code(args.view, model, args.size, args.digits, args.all_latents)
    except ValueError as error:
        parser.error(str(error))
    browser = not args.no_browser
    return serve(args.view, model, args.size, args.port, browser, args.digits, args.all_latents)
