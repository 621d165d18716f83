"""A real browser drives every widget of notebooks 02, 03, 04 and 05: JupyterLab, Chromium.

One generic test, parametrised over the notebooks (06, 07 and 09 have tests of their own). It
reuses test_explorer_browser's fixtures (`lab`, parametrised here by notebook, and `page`) and
helpers: opens the notebook, runs every cell, then, for every `.vae-widget` on the page
(the DOM contract of issue 15):

- every control has a name: a range input or button its aria-label, a radio its own text
  inside a radiogroup with an aria-label;
- Tab, from the first control, reaches every control in order (one stop per radiogroup);
- every range input, focused, moves one step with ArrowRight (ArrowLeft at its maximum), and
  every radio not chosen and every button is clicked; after each, `data-frame` must increase
  and the pixels of the widget's `canvas.vae-picture`s must change (a kernel-rendered widget:
  once the kernel's pixels have arrived);
- notebook 03: the numbers the browser computes for the ELBO lab (its readout) are, digit for
  digit, a digest the kernel printed for the same q (the closed forms agree);

and no error in the page or the browser console. Screenshots: test-artifacts/browser/.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_widgets_browser.py
"""

import pytest
import test_explorer_browser as explorer
from _jupyter import notebook_url, server_kind
from test_explorer_browser import (
    ARTIFACTS,
    ROOT,
    run_all_cells,
    screenshot_on_failure,
    settle,
    wait_for_change,
)

# pytest finds fixtures among a module's names: the explorer test's JupyterLab and page.
lab, page = explorer.lab, explorer.page

NOTEBOOKS = {
    "02": "02_denoising_autoencoder.ipynb",
    "03": "03_elbo.ipynb",
    "04": "04_reparameterisation.ipynb",
    "05": "05_kl_closed_form.ipynb",
}
# the widgets each notebook shows (data-widget of the root)
WIDGETS = {"02": ["denoising"], "03": ["elbo-lab"], "04": ["estimators"], "05": ["kl"]}
# Run All's time limit, s: 02 trains two autoencoders (about 35 s alone, minutes on a busy CPU)
RUN_ALL_S = {"02": 480}
CONTROLS = "input[type=range], input[type=number], button"

# A short hash of every canvas.vae-picture's pixels in a widget: changes when a picture does.
CANVAS_HASH_JS = """(root) => [...root.querySelectorAll('canvas.vae-picture')].map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 3) h = (Math.imul(h, 31) + d[i]) | 0;
  return h;
}).join(',')"""

# Every control's name as a screen reader gets it, and whether it is a tab stop.
CONTROL_NAMES_JS = """(root, selector) => [...root.querySelectorAll(selector)].map((c, i) => {
  c.dataset.testIndex = String(i);
  const group = c.closest('[role=radiogroup]');
  return {index: i, tag: c.tagName, type: c.type || '', role: c.getAttribute('role') || '',
          label: c.getAttribute('aria-label') || '', text: c.textContent.trim(),
          group: group ? group.getAttribute('aria-label') || '' : null,
          tabStop: c.tabIndex >= 0};
})"""


@pytest.mark.parametrize(
    "lab",
    [ROOT / "notebooks" / name for name in NOTEBOOKS.values()],
    ids=list(NOTEBOOKS),
    indirect=True,
)
def test_widgets_in_a_real_browser(lab, page, request):
    number = request.node.callspec.id
    with screenshot_on_failure(page, f"failure-widgets-{number}.png"):
        check_notebook(lab, page, number)


def check_notebook(lab, page, number: str) -> None:
    """Open and run the notebook, then check every widget on the page and the console."""
    base, token, path = lab
    page.goto(notebook_url(base, token, path), timeout=60_000)
    run_all_cells(page, timeout_s=RUN_ALL_S.get(number, 150))
    roots = page.locator(f"{server_kind().output} .vae-widget")
    roots.first.wait_for()
    names = [roots.nth(i).get_attribute("data-widget") for i in range(roots.count())]
    assert names == WIDGETS[number], f"widgets on the page: {names}"
    for i, name in enumerate(names):
        check_widget(page, roots.nth(i), name)
    errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
    assert errors == [], "errors in the console:\n" + "\n".join(errors)


def check_widget(page, root, name: str) -> None:
    """Names, Tab order, every control redraws; 03: the browser's numbers are the kernel's."""
    root.scroll_into_view_if_needed()
    settle(lambda: root.get_attribute("data-frame"), None)  # the kernel's last word
    if name == "elbo-lab":
        check_browser_numbers(page, root)
    check_names_and_tab_order(page, root)
    check_every_control_redraws(page, root)
    root.screenshot(path=ARTIFACTS / f"widget-{name}.png")


def check_browser_numbers(page, root) -> None:
    """ELBO lab: the browser's closed-form numbers equal a digest the kernel printed."""
    shown = root.locator("output.vae-readout", has_text="ELBO").inner_text().strip()
    printed = page.locator(f"{server_kind().output}").all_inner_texts()
    assert any(shown in text for text in printed), f"the browser shows {shown!r}, not printed"


def check_names_and_tab_order(page, root) -> None:
    """Every control is named, and Tab visits every tab stop in order (one per radiogroup)."""
    controls = root.evaluate(CONTROL_NAMES_JS, CONTROLS)
    assert controls, "a widget with no controls"
    for c in controls:
        if c["role"] == "radio":
            assert c["group"] and c["text"], f"a radio without a name or group label: {c}"
        else:
            assert c["label"], f"a control without an aria-label: {c}"
    stops = [c["index"] for c in controls if c["tabStop"]]
    radios_in = {c["group"] for c in controls if c["role"] == "radio"}
    assert len(stops) == len(controls) - sum(c["role"] == "radio" for c in controls) + len(
        radios_in
    ), f"not one tab stop per control and per radiogroup: {controls}"
    root.locator(f"[data-test-index='{stops[0]}']").focus()
    visited = [stops[0]]
    for _ in stops[1:]:
        page.keyboard.press("Tab")
        visited.append(int(page.evaluate("document.activeElement.dataset.testIndex ?? -1")))
    assert visited == stops, f"Tab visits {visited}, the controls are {stops}"


def check_every_control_redraws(page, root) -> None:
    """Each range input (by keyboard), radio not chosen and button: a new frame and picture."""
    controls = root.locator(CONTROLS)
    for i in range(controls.count()):
        control = controls.nth(i)
        if control.get_attribute("aria-checked") == "true":
            continue  # the radio already chosen: clicking it changes nothing
        frame = root.get_attribute("data-frame")
        pixels = root.evaluate(CANVAS_HASH_JS)
        label = control.get_attribute("aria-label") or control.inner_text()
        act(page, control)
        read_frame = lambda: root.get_attribute("data-frame")  # noqa: E731
        after = settle(read_frame, wait_for_change(read_frame, frame), quiet_s=0.5)
        assert int(after) > int(frame), f"{label}: no new frame ({frame} -> {after})"
        assert root.evaluate(CANVAS_HASH_JS) != pixels, f"{label}: the picture did not change"


def act(page, control) -> None:
    """Move a range input one step by keyboard (right, or left at its maximum); else click."""
    if control.get_attribute("type") != "range":
        control.click()
        return
    at_max = control.evaluate("el => Number(el.value) >= Number(el.max)")
    control.focus()
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
