"""`vae-teach present` in a real browser: the command, Voilà, headless system Chromium.

For each view (notebook 06's latent explorer, notebook 07's traversal widget) the test starts
the console script as an instructor would (`vae-teach present VIEW --no-browser --port P`),
opens the address it prints, and checks, by the widgets' DOM contract
(`.vae-widget[data-widget=...]`): the widget shows alone (no code, no notebook, no other
widget around it), drawn in the browser, at presenter size (every `.vae-label` at 24 px or
more, the decoded picture 400 px wide or more on screen); its first slider (a range input),
focused and moved with ArrowRight, raises `data-frame` and changes the decoded picture's pixels
(the explorer's map ring too), and the digit the browser decoded is torch's `decode_image` at
the browser's z (the served model, loaded here); the console has no error at all; every
request the page made went to the local server (nothing downloaded); Ctrl+C (SIGINT) stops
the command with status 0 within seconds, with its Voilà server and kernel gone. Screenshots:
test-artifacts/browser/present-VIEW.png (and docs/ with VAE_TEACH_UPDATE_DOCS=1).

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_present_browser.py
"""

import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import test_explorer_browser as explorer
from test_explorer_browser import (
    ARTIFACTS,
    check_decoded_is_torchs,
    free_port,
    move_range,
    raise_interrupt,
    save_picture,
    widget_root,
)
from test_traversal_browser import press_keys

from vae_teach.pretrained import load_pretrained

sync_api = pytest.importorskip("playwright.sync_api")

SCRIPT = Path(sys.executable).with_name("vae-teach")
START_S = 90  # the command prints its address (Voilà listening)
WIDGET_MS = 120_000  # the page shows the widget (the kernel ran the notebook)
STOP_S = 30  # Ctrl+C -> the command has exited
PRESSES = 20
LABEL_PX = 24  # presenter size: the smallest label font, and decoded picture width, on screen
PICTURE_PX = 400
# view -> (data-widget, the widget's text that must show, the model the command serves)
VIEWS = {
    "explorer": ("latent-explorer", "jump to test digit", "vae2"),
    "traversal": ("traversal", "base image #", "betavae_b4_s0"),
}


def listening(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def processes_with(text: str) -> list[str]:
    """Command lines of running processes that contain `text`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if text in line:
                found.append(line)
    return found


@pytest.fixture(params=list(VIEWS))
def presenter(request):
    """`vae-teach present VIEW` running; yields (view, url, process, log path)."""
    view, port = request.param, free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"present-{view}.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed in finally)
    command = [str(SCRIPT), "present", view, "--no-browser", f"--port={port}"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_S
        while url not in log_path.read_text():
            assert process.poll() is None, f"the command exited: {log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no address printed within {START_S} s"
            time.sleep(0.3)
        yield view, url, process, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_S)
        if process.poll() is None:
            process.kill()
        signal.signal(signal.SIGTERM, previous)
        log.close()


# the same headless Chromium page as the notebook tests (it records requests too)
page = explorer.page


def test_present_shows_moves_and_stops(presenter, page):
    view, url, process, log_path = presenter
    try:
        check_view(view, url, page)
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=ARTIFACTS / f"present-{view}-failure.png")
        raise
    finally:
        (ARTIFACTS / f"present-{view}-console.log").write_text("\n".join(page.messages) + "\n")
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    # Ctrl+C, as in the terminal: the command stops its server and exits cleanly.
    page.close()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=STOP_S) == 0, log_path.read_text()[-3000:]
    assert not listening(port), f"port {port} still open after the command exited"
    assert processes_with(f"--port={port}") == [], "Voilà still running after Ctrl+C"
    assert "Kernel shutdown" in log_path.read_text()


def check_view(view: str, url: str, page) -> None:
    """The widget alone at presenter size; its first slider by keyboard; console, requests."""
    name, text, model = VIEWS[view]
    page.goto(url, timeout=WIDGET_MS)
    page.locator(".vae-widget").first.wait_for(timeout=WIDGET_MS)
    root = widget_root(page, name, within=page)
    body = page.locator("body").inner_text()
    assert text in body, f"the {view} widget is not on the page:\n{body[:2000]}"
    # the widget alone: no code cell, no traceback, no other widget
    assert page.locator(".jp-InputArea, .jp-CodeMirrorEditor").count() == 0
    assert page.locator(".vae-widget").count() == 1, "more than one widget on the page"
    assert "Traceback" not in body and "Error" not in body, body[:2000]
    assert root.get_attribute("data-render") == "browser"
    check_presenter_size(root)

    if view == "explorer":
        move_range(page, root, presses=PRESSES)  # z₁: the digit and the map's ring move
    else:
        slider = root.locator('input[type="range"]').first
        before, after = press_keys(page, root, slider, *["ArrowRight"] * PRESSES)
        assert after[0] != before[0], f"the first slider did not move from {before[0]}"
        # the canvases: the base image, then the decoded one
        assert after[2][1] != before[2][1], "the decoded picture did not change"
    check_decoded_is_torchs(root, load_pretrained(model))
    save_picture(page, f"present-{view}.png")

    errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
    assert errors == [], "console errors:\n" + "\n".join(errors)
    local = (url.rstrip("/"), "data:", "blob:", url.replace("http", "ws").rstrip("/"))
    outside = [r for r in page.requests if not r.startswith(local)]
    assert outside == [], f"the page asked for files from elsewhere: {outside}"


def check_presenter_size(root) -> None:
    """Legible from the back of a room: labels of LABEL_PX or more, a decoded picture of
    PICTURE_PX or more on screen."""
    # [text, font size in px] of every label
    labels = root.evaluate(
        """r => [...r.querySelectorAll('.vae-label')]
          .map(l => [l.textContent, parseFloat(getComputedStyle(l).fontSize)])"""
    )
    small = [label for label in labels if label[1] < LABEL_PX]
    assert labels and not small, f"labels under {LABEL_PX} px: {small or 'no label at all'}"
    decoded = root.locator('canvas.vae-picture[aria-label^="decoded"]').first
    width = decoded.evaluate("c => c.getBoundingClientRect().width")
    assert width >= PICTURE_PX, f"the decoded picture is {width} px wide on screen"
