"""`vae-teach present` in a real browser: the command, Voilà, headless system Chromium.

For each view (notebook 06's latent explorer, notebook 07's traversal widget) the test starts
the console script as an instructor would (`vae-teach present VIEW --no-browser --port P`),
opens the address it prints, and checks: the widget shows alone (no code, no notebook around
it); the first slider moves with the keyboard and the decoded picture changes; the console has
no error at all; every request the page made went to the local server (nothing downloaded);
Ctrl+C (SIGINT) stops the command with status 0 within seconds, with its Voilà server and
kernel gone. Screenshots: test-artifacts/browser/present-VIEW.png (and docs/ with
VAE_TEACH_UPDATE_DOCS=1).

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_present_browser.py
"""

import contextlib
import re
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
    EXPLORER_BOX_JS,
    IMAGE_DIGESTS_JS,
    free_port,
    raise_interrupt,
    save_picture,
    settle,
    wait_for_change,
)

sync_api = pytest.importorskip("playwright.sync_api")

SCRIPT = Path(sys.executable).with_name("vae-teach")
START_S = 90  # the command prints its address (Voilà listening)
WIDGET_MS = 120_000  # the page shows the widget (the kernel ran the notebook)
STOP_S = 30  # Ctrl+C -> the command has exited
PRESSES = 20
# view -> (the widget's text that must show, the first slider's label)
VIEWS = {
    "explorer": ("jump to test digit", r"^\s*z\s*₁"),
    "traversal": ("base image #", r"^\s*z\s*\S+\s*\(KL \d"),
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
    text, label = VIEWS[view]
    page.goto(url, timeout=WIDGET_MS)
    page.locator(".widget-slider").first.wait_for(timeout=WIDGET_MS)
    body = page.locator("body").inner_text()
    assert text in body, f"the {view} widget is not on the page:\n{body[:2000]}"
    # the widget alone: no code cell, no traceback
    assert page.locator(".jp-InputArea, .jp-CodeMirrorEditor").count() == 0
    assert "Traceback" not in body and "Error" not in body, body[:2000]

    slider = page.locator(".widget-slider").first
    assert re.search(label, slider.inner_text()), f"first slider: {slider.inner_text()!r}"
    box = slider.evaluate_handle(EXPLORER_BOX_JS).as_element()
    # the explorer's own box holds its images; the traversal's sliders sit below the pictures
    while box is not None and box.evaluate("el => el.querySelectorAll('img').length") < 2:
        box = box.evaluate_handle("el => el.parentElement").as_element()
    assert box is not None, "no picture next to the slider"
    readout = slider.locator(".widget-readout")
    images = lambda: box.evaluate(IMAGE_DIGESTS_JS)  # noqa: E731
    value_before, images_before = readout.inner_text(), settle(images, images())
    slider.locator(".noUi-handle, .ui-slider-handle").first.focus()
    for _ in range(PRESSES):
        page.keyboard.press("ArrowRight")
    value_after = settle(readout.inner_text, wait_for_change(readout.inner_text, value_before))
    images_after = settle(images, wait_for_change(images, images_before))
    assert value_after != value_before, f"the slider did not move from {value_before!r}"
    changed = [a[1] != b[1] for a, b in zip(images_after, images_before, strict=False)]
    assert any(changed), "no picture changed when the slider moved"
    save_picture(page, f"present-{view}.png")

    errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
    assert errors == [], "console errors:\n" + "\n".join(errors)
    local = (url.rstrip("/"), "data:", "blob:", url.replace("http", "ws").rstrip("/"))
    outside = [r for r in page.requests if not r.startswith(local)]
    assert outside == [], f"the page asked for files from elsewhere: {outside}"
