"""A real browser drives notebook 09's conditional-VAE widget: JupyterLab, headless Chromium.

Reuses test_explorer_browser's fixtures (`lab`, parametrised here with notebook 09, and
`page`) and helpers: opens notebooks/09_conditional_vae.ipynb, runs every cell, finds the
ConditionalExplorer (digit buttons, the z₁ and z₂ sliders, the decoded image, the row of ten
digits at that z), clicks another digit button and checks that the decoded image changed,
then moves z₂ with the keyboard and checks that the slider's value, the decoded image and the
row of ten digits changed; no widget error in the page or the console. Screenshot:
test-artifacts/browser/conditional.png.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_conditional_browser.py
"""

import re

import pytest
import test_explorer_browser as explorer
from test_explorer_browser import (
    ARTIFACTS,
    EXPLORER_BOX_JS,
    IMAGE_DIGESTS_JS,
    ROOT,
    check_console,
    find_slider,
    move_slider,
    run_all_cells,
    screenshot_on_failure,
    settle,
    wait_for_change,
)

# pytest finds fixtures among a module's names: the explorer test's JupyterLab and page.
lab, page = explorer.lab, explorer.page

NOTEBOOK = ROOT / "notebooks" / "09_conditional_vae.ipynb"
Z2_LABEL = re.compile(r"^\s*z\s*(₂|2|_2|_\{2\})\b")


@pytest.mark.parametrize("lab", [NOTEBOOK], ids=["09"], indirect=True)
def test_conditional_explorer_in_a_real_browser(lab, page):
    with screenshot_on_failure(page, "failure-conditional.png"):
        check_conditional(lab, page)


def check_conditional(lab, page) -> None:
    """Open, run, click another digit, move z₂ by keyboard; the pictures and the console."""
    base, token, path = lab
    page.goto(f"{base}/doc/tree/{path}?reset&token={token}", timeout=60_000)
    run_all_cells(page)

    buttons = page.locator(".jp-OutputArea .widget-toggle-buttons").filter(has_text="digit")
    buttons.first.wait_for()
    # The whole widget: the nearest ancestor of the digit buttons that holds an image. Its
    # images, in page order: the decoded digit, then the row of ten digits at this z.
    widget = buttons.first.evaluate_handle(EXPLORER_BOX_JS).as_element()
    assert widget is not None, "no image next to the digit buttons"
    widget.scroll_into_view_if_needed()
    images = lambda: widget.evaluate(IMAGE_DIGESTS_JS)  # noqa: E731
    before = images()
    assert len(before) == 2, f"expected the decoded digit and the row of ten, got {before}"

    active = buttons.first.locator("button.mod-active")
    digit = active.inner_text().strip()
    other = "2" if digit != "2" else "5"
    buttons.first.locator("button", has_text=re.compile(f"^\\s*{other}\\s*$")).click()
    assert wait_for_change(lambda: active.inner_text().strip(), digit) == other
    after = settle(images, wait_for_change(images, before))
    assert after[0][1] != before[0][1], f"digit {digit} -> {other}: the image did not change"
    assert after[1][1] == before[1][1], "the row of ten digits depends on z only"

    cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has=buttons)
    slider = find_slider(page, within=cell, label_pattern=Z2_LABEL)
    _, (moved_before, moved_after) = move_slider(page, slider, widget)
    assert moved_after[1][1] != moved_before[1][1], "z₂ moved: the row did not change"
    widget.screenshot(path=ARTIFACTS / "conditional.png")
    check_console(page)
