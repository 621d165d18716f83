"""A real browser moves the latent explorer: JupyterLab, headless system Chromium, Playwright.

Starts JupyterLab on 127.0.0.1 (a free port, a token, temporary config, runtime and settings
folders, and a temporary copy of the notebook, so the repository is never written), opens
notebook 06 in Debian's Chromium, runs every cell from the Run menu, moves the explorer's z₁
slider with the keyboard and checks that the slider's value and the decoded image changed and
that neither the page nor the console shows a widget error. Then presenter mode, as the README
describes it: a new cell builds the explorer with size="presenter", its output goes to a view
of its own (right-click, "Create New View for Cell Output") dragged to fill the window, with
JupyterLab's presentation mode on; z₁ moves there by keyboard too. Screenshots, the console
log and the server log are written to `test-artifacts/browser/`.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser      (what .ci/browser.sh runs)

The server, the Chromium page and the Run All are tests/browser/_jupyter.py's, shared with the
other browser tests and benchmarks/bench_widgets_browser.py.

Settings (environment variables): VAE_TEACH_BROWSER_SERVER (lab4, the default; lab3 or nb6 for
JupyterLab 3 or the classic Notebook 6 with ipywidgets 7, .ci/browser7.sh; presenter mode is
checked in lab4 only), VAE_TEACH_BROWSER_NOTEBOOK (a notebook to test instead of
notebooks/06_vae.ipynb), VAE_TEACH_CHROMIUM (default /usr/bin/chromium),
VAE_TEACH_SLIDER_LABEL (a regular expression for the slider's label, default z₁),
VAE_TEACH_PRESENTER_CODE (the presenter cell; empty to skip), VAE_TEACH_UPDATE_DOCS=1 (also
write the screenshots, trimmed and palette-compressed, to docs/ for the README).
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from _jupyter import (
    ARTIFACTS,
    CHROMIUM,
    ROOT,
    SERVERS,
    free_port,
    jupyter_server,
    launch_chromium,
    notebook_url,
    raise_interrupt,
    record_console,
    run_all_cells,
    server_kind,
    settle,
    wait_for_change,
)

sync_api = pytest.importorskip("playwright.sync_api")

# What test_conditional_browser and test_present_browser import from here.
__all__ = [
    "ARTIFACTS", "EXPLORER_BOX_JS", "IMAGE_DIGESTS_JS", "ROOT", "check_console", "find_slider",
    "free_port", "move_slider", "raise_interrupt", "run_all_cells", "save_picture",
    "screenshot_on_failure", "settle", "wait_for_change",
]  # fmt: skip


NOTEBOOK = Path(os.environ.get("VAE_TEACH_BROWSER_NOTEBOOK", ROOT / "notebooks" / "06_vae.ipynb"))
# The cell the presenter check types into a new cell at the end ("" skips that check).
PRESENTER_CODE = os.environ.get(
    "VAE_TEACH_PRESENTER_CODE",
    'LatentExplorer(vae, labels=test_y[:5000], test_images=test_x[:5000], size="presenter")',
)
SLIDER_LABEL = re.compile(os.environ.get("VAE_TEACH_SLIDER_LABEL", r"^\s*z\s*(₁|1|_1|_\{1\})\b"))
WIDGET_ERROR = re.compile(r"widget|ipywidgets|jupyter-widgets", re.IGNORECASE)
ACTION_MS = 20_000

# SHA-256 of the bytes behind every <img> in an element (the widget's blob: or data: URLs).
IMAGE_DIGESTS_JS = """async (box) => Promise.all([...box.querySelectorAll('img')]
  .filter(img => /^(blob|data):/.test(img.src))
  .map(async img => {
    const data = await (await fetch(img.src)).arrayBuffer();
    const hash = [...new Uint8Array(await crypto.subtle.digest('SHA-256', data))];
    return [img.src.slice(0, 30), hash.slice(0, 8).map(b => b.toString(16)).join('')];
  }))"""

# The nearest ancestor of the slider that also holds an image: the explorer's own box.
EXPLORER_BOX_JS = """(el) => {
  let node = el;
  while (node && !node.querySelector('img')) node = node.parentElement;
  return node;
}"""


@pytest.fixture
def lab(tmp_path, request):
    """A Jupyter server (VAE_TEACH_BROWSER_SERVER, default JupyterLab 4) on 127.0.0.1 serving
    a copy of the notebook; yields (url, token, path). The notebook is NOTEBOOK unless a test
    parametrises this fixture indirectly with a path."""
    notebook = Path(getattr(request, "param", NOTEBOOK))
    if not notebook.is_file():
        pytest.fail(f"notebook not found: {notebook}")
    with jupyter_server(notebook, tmp_path) as served:
        yield served


@pytest.fixture
def page():
    """Headless Chromium; `page.messages` (console) and `page.requests` (every URL asked)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            tab = context.new_page()
            tab.set_default_timeout(ACTION_MS)
            record_console(tab)
            yield tab
        finally:
            with contextlib.suppress(Exception):
                (ARTIFACTS / "console.log").write_text("\n".join(tab.messages) + "\n")
            browser.close()


def find_slider(page, within=None, label_pattern=SLIDER_LABEL):
    """The explorer's z₁ slider: the first slider labelled by `label_pattern` (SLIDER_LABEL),
    either through its own description or through a label widget just before it (as in
    HBox([label, slider]))."""
    sliders = (within or page).locator(f"{server_kind().output} .widget-slider")
    sliders.first.wait_for()
    for i in range(sliders.count()):
        label = " ".join(sliders.nth(i).locator(".widget-label").all_inner_texts())
        before = sliders.nth(i).evaluate(
            "el => el.previousElementSibling ? el.previousElementSibling.innerText : ''"
        )
        if label_pattern.search(label) or (not label.strip() and label_pattern.search(before)):
            return sliders.nth(i)
    labels = [sliders.nth(i).inner_text() for i in range(sliders.count())]
    raise AssertionError(f"no slider labelled {label_pattern.pattern!r} among {labels}")


@contextlib.contextmanager
def screenshot_on_failure(page, name: str = "failure.png"):
    """If the block raises, screenshot the page into test-artifacts/browser/`name`."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=ARTIFACTS / name)
        raise


def test_explorer_moves_in_a_real_browser(lab, page):
    with screenshot_on_failure(page):
        check_explorer(lab, page)


def move_slider(page, slider, box, presses=8):
    """Focus the slider's handle and press the right arrow key; return (before, after) pairs
    of the slider's readout and of the digests of every image in `box`."""
    readout = slider.locator(".widget-readout")
    value_before, images_before = readout.inner_text(), box.evaluate(IMAGE_DIGESTS_JS)
    assert images_before, "the explorer shows no image"
    slider.locator(".noUi-handle, .ui-slider-handle").first.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    value_after = settle(readout.inner_text, wait_for_change(readout.inner_text, value_before))
    images = lambda: box.evaluate(IMAGE_DIGESTS_JS)  # noqa: E731
    images_after = settle(images, wait_for_change(images, images_before))
    assert value_after != value_before, f"the slider did not move from {value_before!r}"
    # The first image of the explorer is the decoded digit.
    assert images_after[0][1] != images_before[0][1], "the decoded image did not change"
    return (value_before, value_after), (images_before, images_after)


def menu(page, menu_name: str, *items: str) -> None:
    """Click through the menu bar's `menu_name`, then `items` (submenus, then the command)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu_name}$")).click()
    for item in items:
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def save_picture(element_or_page, name: str) -> None:
    """Screenshot into test-artifacts/browser/; also into docs/ if VAE_TEACH_UPDATE_DOCS=1."""
    path = ARTIFACTS / name
    element_or_page.screenshot(path=path)
    if os.environ.get("VAE_TEACH_UPDATE_DOCS") == "1":
        from PIL import Image, ImageChops

        image = Image.open(path).convert("RGB")
        # Trim the white margin around the content, keep 8 px of it.
        ink = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
        if ink:
            left, top, right, bottom = ink
            image = image.crop(
                (
                    max(left - 8, 0),
                    max(top - 8, 0),
                    min(right + 8, image.width),
                    min(bottom + 8, image.height),
                )
            )
        # A 256-colour palette keeps the README's pictures small.
        image.quantize(256).save(ROOT / "docs" / name, optimize=True)


def check_explorer(lab, page):
    """Open, run, move z₁ with the keyboard, check the image and the console; then the same in
    presenter size, in an output view of its own, in JupyterLab's presentation mode."""
    base, token, path = lab
    # /doc/ opens JupyterLab's single-document (simple) interface, as a lecturer would.
    page.goto(notebook_url(base, token, path), timeout=60_000)
    run_all_cells(page)

    slider = find_slider(page)
    box = slider.evaluate_handle(EXPLORER_BOX_JS).as_element()
    assert box is not None, "no image next to the slider"
    box.scroll_into_view_if_needed()
    box.screenshot(path=ARTIFACTS / "explorer-before.png")
    move_slider(page, slider, box)
    save_picture(box, "explorer.png")
    check_console(page)

    # Presenter mode uses JupyterLab 4's menus (output views, View > Appearance).
    if PRESENTER_CODE and server_kind() is SERVERS["lab4"]:
        check_presenter(page)
        check_console(page)


def check_console(page) -> None:
    """No widget error shown in the page or logged in the browser console."""
    shown = page.locator("body").inner_text()
    assert "Error displaying widget" not in shown
    errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
    widget_errors = [m for m in errors if WIDGET_ERROR.search(m)]
    assert widget_errors == [], "widget errors in the console:\n" + "\n".join(widget_errors)


def check_presenter(page) -> None:
    """Presenter size on a projector: a new cell builds the explorer with size="presenter",
    its output opens in a view of its own, presentation mode on, and z₁ moves by keyboard."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    count = cells.count()
    cells.last.click()  # select the last cell (a rendered Markdown cell: command mode)
    page.keyboard.press("Escape")  # command mode, whatever the cell
    page.keyboard.press("b")  # a new cell below
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type(PRESENTER_CODE)
    page.keyboard.press("Shift+Enter")
    new_cell = cells.nth(count)
    new_cell.locator(".jp-OutputArea .widget-slider").first.wait_for(timeout=60_000)
    # One action: right-click the output, "Create New View for Cell Output".
    new_cell.locator(".jp-OutputArea-output").first.click(button="right", position={"x": 4, "y": 4})
    page.locator(
        ".lm-Menu-itemLabel", has_text=re.compile(r"^Create New View for (Cell )?Output$")
    ).click()
    view = page.locator(".jp-LinkedOutputView")
    view.locator(".widget-slider").first.wait_for()
    # Drag the divider between notebook and output view to the top: the explorer alone.
    handles = page.locator(".lm-SplitPanel-handle:not(.lm-mod-hidden)").all()
    boxes = [b for b in (h.bounding_box() for h in handles) if b and b["width"] > 100]
    assert boxes, "no divider above the output view"
    box = max(boxes, key=lambda b: b["y"])  # the lowest: notebook above, output view below
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, 0, steps=5)
    page.mouse.up()
    menu(page, "View", "Appearance", "Presentation Mode")
    slider = find_slider(page, within=view)
    box = slider.evaluate_handle(EXPLORER_BOX_JS).as_element()
    move_slider(page, slider, box, presses=20)
    save_picture(page, "presenter.png")
