"""A real browser drives notebook 07's traversal widget: JupyterLab, headless Chromium.

Opens notebooks/07_beta_vae.ipynb (a temporary copy), runs every cell and finds the widget by
the DOM contract (`.vae-widget[data-widget="traversal"]`). After the run it shows the model the
notebook switched to last (β=1 s1). Moves each of its active latents' sliders (range inputs
labelled z₁ … z₁₀; a label shows the latent's KL) with ArrowRight: the value, `data-frame` and
the decoded picture change, the input image does not; the decoded picture is, to 1e-3, what
torch's decode_image gives at the browser's z with the same shipped weights. Then clicks the
"β=4 s0" radio button: the kernel sends the new model's decoder and codes, the slider labels
show its KLs, and the picture is that model's. Then types another base image number (both
pictures change and every slider jumps to that image's code, in the browser) and clicks "back
to the base image" after a move (the picture returns to the base's). No widget error in the
page or the console. Screenshot: test-artifacts/browser/traversal.png.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_traversal_browser.py

Fixtures and helpers are test_explorer_browser's (`lab`, `page`, `widget_root`, ...);
`open_widget`, `picture_state` and `press_keys` are imported by test_conditional_browser.
"""

import pytest
import test_explorer_browser as explorer
from _jupyter import notebook_url
from test_explorer_browser import (
    ARTIFACTS,
    CANVAS_HASH_JS,
    ROOT,
    check_console,
    check_decoded_is_torchs,
    run_all_cells,
    screenshot_on_failure,
    settle,
    wait_for_change,
    widget_root,
)

# pytest finds fixtures among a module's names: the explorer test's JupyterLab and page.
lab, page = explorer.lab, explorer.page

NOTEBOOK = ROOT / "notebooks" / "07_beta_vae.ipynb"


def picture_state(root, control=None):
    """(control's value, data-frame, hashes of the widget's canvases) as they are now."""
    value = control.input_value() if control is not None else None
    return value, int(root.get_attribute("data-frame")), root.evaluate(CANVAS_HASH_JS)


def press_keys(page, root, control, *keys):
    """Focus `control`, press `keys`; the (before, after) picture states once settled."""
    before = settle(lambda: picture_state(root, control), picture_state(root, control))
    control.focus()
    for key in keys:
        page.keyboard.press(key)
    state = lambda: picture_state(root, control)  # noqa: E731
    after = settle(state, wait_for_change(state, before))
    assert after[1] > before[1], "data-frame did not increase: no redraw"
    return before, after


def open_widget(lab, page, name: str, run_all_s: float = 150):
    """Open the served notebook, run all its cells (within `run_all_s` seconds); the root of
    widget `name`, drawn in the browser."""
    base, token, path = lab
    page.goto(notebook_url(base, token, path), timeout=60_000)
    run_all_cells(page, timeout_s=run_all_s)
    root = widget_root(page, name)
    root.scroll_into_view_if_needed()
    assert root.get_attribute("data-render") == "browser"
    return root


def sliders(root) -> list:
    return root.locator('input[type="range"]').all()


@pytest.mark.parametrize("lab", [NOTEBOOK], ids=["07"], indirect=True)
def test_traversal_explorer_in_a_real_browser(lab, page):
    with screenshot_on_failure(page, "failure-traversal.png"):
        check_traversal(lab, page)


def check_traversal(lab, page) -> None:
    """Open, run; every active slider by keyboard; a switch of model; another base; reset."""
    from vae_teach.pretrained import load_pretrained

    # 07 trains its collapse runs: about 25 s alone, minutes on a busy 2-core machine
    root = open_widget(lab, page, "traversal", run_all_s=480)
    labels = [s.get_attribute("aria-label") for s in sliders(root)]
    assert labels == [f"z{''.join(chr(0x2080 + int(d)) for d in str(j))}" for j in range(1, 11)]
    assert checked_model(root) == "β=1 s1"
    for slider in active_sliders(root):
        before, after = press_keys(page, root, slider, *["ArrowRight"] * 6)
        assert after[0] != before[0], f"{slider.get_attribute('aria-label')} did not move"
        assert after[2][0] == before[2][0], "the input image changed with a slider"
        assert after[2][1] != before[2][1], "the decoded image did not change"
    check_decoded_is_torchs(root, load_pretrained("betavae_b1_s1"))
    check_switch(root, load_pretrained("betavae_b4_s0"))
    check_base_and_reset(page, root)
    root.screenshot(path=ARTIFACTS / "traversal.png")
    check_console(page)


def checked_model(root) -> str:
    return root.locator('[role="radio"][aria-checked="true"]').inner_text()


def slider_labels(root) -> list:
    """The visible label of every slider, e.g. "z₄ (KL 2.0)"."""
    return root.locator(".vae-slider .vae-label").all_inner_texts()


def active_sliders(root) -> list:
    """The sliders whose label shows a KL of at least 0.1 nats (the latents in use)."""
    kls = [float(text.split("KL ")[1].rstrip(")")) for text in slider_labels(root)]
    return [s for s, kl in zip(sliders(root), kls, strict=True) if kl >= 0.1]


def check_switch(root, model) -> None:
    """Click the model's radio button: new labels and the new model's picture, from the kernel."""
    state = lambda: (slider_labels(root), picture_state(root))  # noqa: E731
    before = settle(state, state())
    root.locator('[role="radio"]', has_text="β=4 s0").click()
    after = settle(state, wait_for_change(state, before, timeout_s=20))
    assert checked_model(root) == "β=4 s0"
    assert after[0] != before[0], "the slider labels did not change with the model"
    assert after[1][2][1] != before[1][2][1], "the decoded image did not change with the model"
    assert "z₇ (KL 2.7)" in after[0], after[0]
    check_decoded_is_torchs(root, model)


def check_base_and_reset(page, root) -> None:
    """Base image 3 typed in: both pictures and the sliders change; a move, then the reset."""
    box = root.locator('input[type="number"][aria-label="base image #"]')
    values = lambda: [s.input_value() for s in sliders(root)]  # noqa: E731
    moved = values()
    box.fill("3")
    before, after = press_keys(page, root, box, "Enter")
    assert after[2][0] != before[2][0] and after[2][1] != before[2][1], "base 3: same pictures"
    at_base = settle(values, values())
    assert at_base != moved, "the sliders did not jump to base image 3's code"
    press_keys(page, root, sliders(root)[0], *["ArrowLeft"] * 10)
    state = lambda: picture_state(root)  # noqa: E731
    before_reset = state()
    root.locator("button", has_text="back to the base image").click()
    back = settle(state, wait_for_change(state, before_reset))
    assert back[1] > before_reset[1], "the reset did not redraw"
    assert back[2] == after[2], "'back to the base image' did not restore base 3's picture"
    assert settle(values, values()) == at_base, "the sliders are not back at the base code"
