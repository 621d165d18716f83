"""A real browser drives notebook 09's conditional-VAE widget: JupyterLab, headless Chromium.

Opens notebooks/09_conditional_vae.ipynb (a temporary copy), runs every cell and finds the
ConditionalExplorer by the DOM contract (`.vae-widget[data-widget="conditional"]`: the
radiogroup "digit", the range inputs z₁ and z₂, two canvases: the chosen digit, then the row
of ten digits at this z). Clicks another digit button: it becomes the checked one,
`data-frame` increases, the large picture changes and the row does not (it depends on z
only). Then moves z₂ with the keyboard: its value, the large picture and the row change. No
widget error in the page or the console. Screenshot: test-artifacts/browser/conditional.png.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_conditional_browser.py

Fixtures and helpers are test_explorer_browser's (`lab`, `page`, `widget_root`, ...) and
test_traversal_browser's (`open_widget`, `picture_state`, `press_keys`).
"""

import pytest
import test_explorer_browser as explorer
from test_explorer_browser import (
    ARTIFACTS,
    ROOT,
    check_console,
    screenshot_on_failure,
    settle,
    wait_for_change,
)
from test_traversal_browser import open_widget, picture_state, press_keys

# pytest finds fixtures among a module's names: the explorer test's JupyterLab and page.
lab, page = explorer.lab, explorer.page

NOTEBOOK = ROOT / "notebooks" / "09_conditional_vae.ipynb"


@pytest.mark.parametrize("lab", [NOTEBOOK], ids=["09"], indirect=True)
def test_conditional_explorer_in_a_real_browser(lab, page):
    with screenshot_on_failure(page, "failure-conditional.png"):
        check_conditional(lab, page)


def check_conditional(lab, page) -> None:
    """Open, run, click another digit, move z₂ by keyboard; the pictures and the console."""
    root = open_widget(lab, page, "conditional")
    group = root.locator('[role="radiogroup"][aria-label="digit"]')
    checked = lambda: group.locator('[aria-checked="true"]').inner_text().strip()  # noqa: E731
    digit = checked()
    other = "2" if digit != "2" else "5"
    state = lambda: picture_state(root)  # noqa: E731
    before = settle(state, state())
    group.get_by_role("radio", name=other, exact=True).click()
    after = settle(state, wait_for_change(state, before))
    assert checked() == other, f"clicked {other}, the checked digit is {checked()}"
    assert after[1] > before[1], "data-frame did not increase: no redraw"
    assert after[2][0] != before[2][0], f"digit {digit} -> {other}: the image did not change"
    assert after[2][1] == before[2][1], "the row of ten digits depends on z only"

    z2 = root.locator('input[type="range"][aria-label="z₂"]')
    moved_before, moved_after = press_keys(page, root, z2, *["ArrowRight"] * 8)
    assert moved_after[0] != moved_before[0], "z₂ did not move"
    assert moved_after[2][0] != moved_before[2][0], "z₂ moved: the digit did not change"
    assert moved_after[2][1] != moved_before[2][1], "z₂ moved: the row did not change"
    root.screenshot(path=ARTIFACTS / "conditional.png")
    check_console(page)
