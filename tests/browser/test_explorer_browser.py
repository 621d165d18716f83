"""A real browser moves the latent explorer: JupyterLab, headless system Chromium, Playwright.

Starts JupyterLab on 127.0.0.1 (a free port, a token, temporary config, runtime and settings
folders, and a temporary copy of the notebook, so the repository is never written), opens
notebook 06 in Debian's Chromium, runs every cell from the Run menu and finds the explorer by
the widgets' DOM contract (`.vae-widget[data-widget="latent-explorer"]`). It moves z₁ (the
range input with aria-label "z₁") with the keyboard and checks that the slider's value,
`data-frame` and the pixels of the decoded digit and of the map changed; that the digit the
browser decoded (the Float32Array the widget keeps on its root, `root.__vaeLastDecoded`, at
`root.__vaeLastZ`) is, to 1e-3, what torch's `decode_image` gives at that z with the same
shipped weights (vae2, loaded here); that the kernel heard of the move (a new cell prints
`explorer.z`); and that typing 3 into "jump to test digit #" moves z to the encoder mean of
test digit 3 and shows that digit. No error in the page or the console. Then presenter mode,
as the README describes it: a new cell builds the explorer with size="presenter", its output
goes to a view of its own (right-click, "Create New View for Cell Output") dragged to fill the
window, with JupyterLab's presentation mode on; z₁ moves there by keyboard too, and the digit
is again torch's. Screenshots, the console log and the server log are written to
`test-artifacts/browser/`.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser      (what .ci/browser.sh runs)

The server, the Chromium page and the Run All are tests/browser/_jupyter.py's, shared with the
other browser tests and benchmarks/bench_widgets_browser.py. `find_slider` and `move_slider`
find and move an ipywidgets slider, for the tests of widgets not yet on anywidget;
`widget_root`, `move_range` and `last_decoded` do the same for the anywidget ones.

Settings (environment variables): VAE_TEACH_BROWSER_SERVER (lab4, the default; lab3 or nb6 for
JupyterLab 3 or the classic Notebook 6 with ipywidgets 7, .ci/browser7.sh; the new cells and
presenter mode are checked in lab4 only), VAE_TEACH_BROWSER_NOTEBOOK (a notebook to test
instead of notebooks/06_vae.ipynb), VAE_TEACH_CHROMIUM (default /usr/bin/chromium),
VAE_TEACH_SLIDER_LABEL (a regular expression for an ipywidgets slider's label, default z₁),
VAE_TEACH_PRESENTER_CODE (the presenter cell; empty to skip), VAE_TEACH_UPDATE_DOCS=1 (also
write the screenshots, trimmed and palette-compressed, to docs/ for the README).
"""

import ast
import contextlib
import os
import re
import time
from pathlib import Path

import numpy as np
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
    "ARTIFACTS", "CANVAS_HASH_JS", "EXPLORER_BOX_JS", "IMAGE_DIGESTS_JS", "ROOT", "add_cell",
    "check_console", "find_slider", "free_port", "last_decoded", "move_range", "move_slider",
    "raise_interrupt", "run_all_cells", "save_picture", "screenshot_on_failure", "settle",
    "wait_for_change", "widget_root",
]  # fmt: skip


NOTEBOOK = Path(os.environ.get("VAE_TEACH_BROWSER_NOTEBOOK", ROOT / "notebooks" / "06_vae.ipynb"))
# The cell the presenter check types into a new cell at the end ("" skips that check).
PRESENTER_CODE = os.environ.get(
    "VAE_TEACH_PRESENTER_CODE",
    'LatentExplorer(vae, labels=test_y[:5000], test_images=test_x[:5000], size="presenter")',
)
SLIDER_LABEL = re.compile(os.environ.get("VAE_TEACH_SLIDER_LABEL", r"^\s*z\s*(₁|1|_1|_\{1\})\b"))
Z1 = "z₁"  # the aria-label of the explorer's first slider
# the browser's decoded probabilities against torch's, at the same z and weights
DECODED_ATOL = 1e-3
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

# A short hash of the pixels of every canvas.vae-picture in a widget, in page order.
CANVAS_HASH_JS = """(root) => [...root.querySelectorAll('canvas.vae-picture')].map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 3) h = (Math.imul(h, 31) + d[i]) | 0;
  return h;
})"""

# The digit the widget decoded last (probabilities) and the z it decoded, kept on its root.
LAST_DECODED_JS = """(root) => root.__vaeLastDecoded
  ? {pixels: Array.from(root.__vaeLastDecoded), z: Array.from(root.__vaeLastZ)} : null"""

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


def widget_root(page, name="latent-explorer", within=None):
    """The first widget `name` (data-widget) in the notebook's outputs, or inside `within`."""
    where = within if within is not None else page.locator(server_kind().output)
    root = where.locator(f'.vae-widget[data-widget="{name}"]').first
    root.wait_for(timeout=60_000)
    return root


def move_range(page, root, label=Z1, presses=8):
    """Focus the range input `label` of the widget `root`, press ArrowRight `presses` times;
    return the (value, data-frame, canvas hashes) before and after, once they have settled."""
    slider = root.locator(f'input[type="range"][aria-label="{label}"]')
    state = lambda: (  # noqa: E731
        slider.input_value(),
        int(root.get_attribute("data-frame")),
        root.evaluate(CANVAS_HASH_JS),
    )
    before = settle(state, state())
    slider.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    after = settle(state, wait_for_change(state, before))
    assert after[0] != before[0], f"the slider {label} did not move from {before[0]}"
    assert after[1] > before[1], "data-frame did not increase: no redraw"
    # the widget's pictures, in page order: the decoded digit, the map (then the input digit)
    assert after[2][0] != before[2][0], "the decoded digit did not change"
    assert after[2][1] != before[2][1], "the map's marker did not move"
    return before, after


def last_decoded(root):
    """(z, pixels) the widget decoded last in the browser, as NumPy arrays."""
    shown = root.evaluate(LAST_DECODED_JS)
    assert shown is not None, "the widget kept no decoded digit (root.__vaeLastDecoded)"
    return np.asarray(shown["z"], np.float32), np.asarray(shown["pixels"], np.float32)


def torch_model():
    """The model notebook 06 explores (vae2, shipped), loaded in the test process."""
    from vae_teach.pretrained import load_pretrained

    return load_pretrained("vae2")


def check_decoded_is_torchs(root, model) -> np.ndarray:
    """The browser's digit is decode_image at the browser's z, to DECODED_ATOL; returns z."""
    import torch

    z, pixels = last_decoded(root)
    with torch.no_grad():
        expected = model.decode_image(torch.from_numpy(z).reshape(1, -1)).flatten().numpy()
    assert pixels.shape == expected.shape, f"{pixels.shape} pixels, torch gives {expected.shape}"
    error = float(np.abs(pixels - expected).max())
    assert error <= DECODED_ATOL, f"browser vs torch at z={z}: max |difference| {error:.2e}"
    return z


def add_cell(page, code: str):
    """Type `code` into a new cell at the end of the notebook and run it (JupyterLab 4)."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    count = cells.count()
    cells.last.click()  # select the last cell (a rendered Markdown cell: command mode)
    page.keyboard.press("Escape")  # command mode, whatever the cell
    page.keyboard.press("b")  # a new cell below
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    return cells.nth(count)


def cell_output(cell) -> str:
    """The text a cell printed, once it has printed something."""
    stream = cell.locator(".jp-OutputArea-output")
    stream.first.wait_for(timeout=60_000)
    return stream.first.inner_text()


def check_explorer(lab, page):
    """Open, run, move z₁ with the keyboard: pictures, the browser's digit against torch's,
    the kernel's z, a jump; then the same in presenter size, in an output view of its own,
    in JupyterLab's presentation mode."""
    base, token, path = lab
    # /doc/ opens JupyterLab's single-document (simple) interface, as a lecturer would.
    page.goto(notebook_url(base, token, path), timeout=60_000)
    run_all_cells(page)

    root = widget_root(page)
    root.scroll_into_view_if_needed()
    assert root.get_attribute("data-render") == "browser"
    root.screenshot(path=ARTIFACTS / "explorer-before.png")
    model = torch_model()
    move_range(page, root)
    z = check_decoded_is_torchs(root, model)
    save_picture(root, "explorer.png")
    if server_kind() is SERVERS["lab4"]:
        check_kernel_heard(page, z)
    check_jump(page, root, model)
    check_console(page)

    # Presenter mode uses JupyterLab 4's menus (output views, View > Appearance).
    if PRESENTER_CODE and server_kind() is SERVERS["lab4"]:
        check_presenter(page, model)
        check_console(page)


def check_kernel_heard(page, z) -> None:
    """The kernel's explorer.z is the browser's z (the values arrive within 100 ms)."""
    time.sleep(0.5)  # the browser sends the values at most every 100 ms
    cell = add_cell(page, "print(explorer.z.tolist())")
    kernel_z = np.asarray(ast.literal_eval(cell_output(cell).strip()), np.float32)
    np.testing.assert_allclose(
        kernel_z, z, atol=1e-6, err_msg="the kernel's z is not the browser's"
    )


def check_jump(page, root, model, index=3) -> None:
    """Typing a test digit's number jumps: z is its encoder mean, its picture shows."""
    import torch

    from vae_teach.data import load_mnist

    frame = root.get_attribute("data-frame")
    box = root.locator('input[type="number"][aria-label="jump to test digit #"]')
    box.fill(str(index))
    box.press("Enter")
    wait_for_change(lambda: root.get_attribute("data-frame"), frame, timeout_s=20)
    settle(lambda: root.get_attribute("data-frame"), None)
    with torch.no_grad():
        mu, _ = model.encode(load_mnist("test")[0][index : index + 1])
    z = check_decoded_is_torchs(root, model)
    np.testing.assert_allclose(z, mu[0].numpy(), atol=1e-5, err_msg="z is not the encoder mean")
    thumb = root.locator(".vae-thumb")
    assert thumb.is_visible() and f"test #{index}" in thumb.inner_text()


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


def check_console(page) -> None:
    """No widget error shown in the page or logged in the browser console."""
    shown = page.locator("body").inner_text()
    assert "Error displaying widget" not in shown
    errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
    widget_errors = [m for m in errors if WIDGET_ERROR.search(m)]
    assert widget_errors == [], "widget errors in the console:\n" + "\n".join(widget_errors)


def check_presenter(page, model) -> None:
    """Presenter size on a projector: a new cell builds the explorer with size="presenter",
    its output opens in a view of its own, presentation mode on, and z₁ moves by keyboard."""
    new_cell = add_cell(page, PRESENTER_CODE)
    widget_root(page, within=new_cell)
    # One action: right-click the output, "Create New View for Cell Output".
    new_cell.locator(".jp-OutputArea-output").first.click(button="right", position={"x": 4, "y": 4})
    page.locator(
        ".lm-Menu-itemLabel", has_text=re.compile(r"^Create New View for (Cell )?Output$")
    ).click()
    view = page.locator(".jp-LinkedOutputView")
    root = widget_root(page, within=view)
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
    font = root.evaluate("el => getComputedStyle(el).fontSize")
    digit = root.locator("canvas.vae-picture").first.evaluate("c => c.width")
    assert (font, digit) == ("28px", 28 * 16), f"presenter font {font}, digit {digit} px wide"
    move_range(page, root, presses=20)
    check_decoded_is_torchs(root, model)
    save_picture(page, "presenter.png")
