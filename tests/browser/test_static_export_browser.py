"""The static HTML export of notebook 06 in a real browser: no server, no kernel.

scripts/export_html.py executes a copy of notebooks/06_vae.ipynb and writes one HTML page with
the widget state embedded; headless Chromium opens that file (file://). The page asks the
widget CDN for @jupyter-widgets/html-manager (embed-amd.js, with require.js) and the
`anywidget` AMD module; the test answers those requests from the npm packages themselves
(`npm pack @jupyter-widgets/html-manager@1 anywidget@<pip's anywidget version> requirejs@2`,
cached in test-artifacts/npm/; skipped, with the reason, where npm cannot fetch them) through
Playwright's routing, and answers MathJax and Mermaid with an empty script (the page's maths is
not under test). Any other request is refused and fails the test.

Checks: the latent explorer renders (its root by the widget contract, `data-render` =
"browser"), ArrowRight on the focused z₁ slider redraws it (`data-frame` increases, the value
moves, the decoded digit's canvas pixels change), no error in the console or the page, and
nothing was asked for but the page itself, data:/blob: URLs and the routed CDN files.
Screenshot: test-artifacts/browser/static-export.png.

    VAE_TEACH_BROWSER_TEST=1 pytest tests/browser/test_static_export_browser.py

Settings: VAE_TEACH_EXPORT_NOTEBOOK and VAE_TEACH_EXPORT_WIDGET (another notebook and the
data-widget name of its widget, e.g. notebooks/07_beta_vae.ipynb and traversal).
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

import pytest
from _jupyter import ARTIFACTS, ROOT, launch_chromium, record_console, settle, wait_for_change

sync_api = pytest.importorskip("playwright.sync_api")

NOTEBOOK = Path(os.environ.get("VAE_TEACH_EXPORT_NOTEBOOK", ROOT / "notebooks" / "06_vae.ipynb"))
WIDGET = os.environ.get("VAE_TEACH_EXPORT_WIDGET", "latent-explorer")
SLIDER_LABEL = re.compile(r"^\s*z\s*(₁|1|_1)")
NPM_CACHE = ARTIFACTS.parent / "npm"
EXPORT_S = 400
NPM_S = 180
# CDNs the page may use: the export's widget CDN (jsDelivr) and nbconvert's defaults.
CDNS = ("https://cdn.jsdelivr.net/npm/", "https://unpkg.com/", "https://cdnjs.cloudflare.com/")
# URL pattern -> (npm package, path inside it); group 1 of the pattern is a path in the package.
FILES = [
    (re.compile(r"/@jupyter-widgets/html-manager@[^/]+/(dist/[^?#]+)"), "html-manager"),
    (re.compile(r"/anywidget@[^/]+/(dist/[^?#]+)"), "anywidget"),
    (re.compile(r"/require\.js/[^/]+/(require)(?:\.min)?\.js"), "requirejs"),
]
STUBS = re.compile(r"/ajax/libs/(mathjax|mermaid|mermaid-layout-elk)/")

# A short hash of each canvas.vae-picture's pixels, in page order.
CANVAS_HASHES_JS = """(root) => [...root.querySelectorAll('canvas.vae-picture')].map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i++) h = (Math.imul(h, 31) + d[i]) | 0;
  return h;
})"""


def npm_pack(folder: Path, specs: list[str]) -> None:
    """`npm pack` the packages into `folder` and unpack each; pytest.skip if npm cannot."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the CDN files come from `npm pack`")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "pack", *specs, "--pack-destination", str(folder)],
            capture_output=True, text=True, timeout=NPM_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm pack took more than {NPM_S} s (no registry?)")
    if done.returncode != 0:
        pytest.skip(f"npm pack failed (no registry?): {done.stderr.strip()[-500:]}")
    for tgz in folder.glob("*.tgz"):
        with tarfile.open(tgz) as archive:
            archive.extractall(folder / tgz.name.removesuffix(".tgz"), filter="data")


@pytest.fixture(scope="module")
def packages() -> dict:
    """{"html-manager" | "anywidget" | "requirejs": the unpacked package folder}."""
    anywidget = version("anywidget")
    folder = NPM_CACHE / f"anywidget-{anywidget}"
    specs = ["@jupyter-widgets/html-manager@1", f"anywidget@{anywidget}", "requirejs@2"]
    if not (folder / "unpacked").exists():
        shutil.rmtree(folder, ignore_errors=True)
        npm_pack(folder, specs)
        (folder / "unpacked").write_text(" ".join(specs) + "\n")
    found = {
        "html-manager": next(folder.glob("jupyter-widgets-html-manager-*/package")),
        "anywidget": folder / f"anywidget-{anywidget}" / "package",
        "requirejs": next(folder.glob("requirejs-*/package")),
    }
    missing = [name for name, path in found.items() if not path.is_dir()]
    assert not missing, f"not unpacked: {missing} in {folder}"
    return found


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The notebook exported by scripts/export_html.py (its default CDN options)."""
    page = tmp_path_factory.mktemp("export") / NOTEBOOK.with_suffix(".html").name
    command = [sys.executable, str(ROOT / "scripts" / "export_html.py"), str(NOTEBOOK)]
    done = subprocess.run(
        [*command, "-o", str(page)], capture_output=True, text=True, timeout=EXPORT_S
    )
    assert done.returncode == 0, f"export failed:\n{done.stderr[-3000:]}"
    return page


def cdn_file(url: str, packages: dict) -> Path | None:
    """The local file that answers a CDN URL, or None."""
    if not url.startswith(CDNS):
        return None
    for pattern, package in FILES:
        match = pattern.search(url)
        if match:
            suffix = ".js" if package == "requirejs" else ""
            path = packages[package] / (match.group(1) + suffix)
            return path if path.is_file() else None
    return None


@pytest.fixture
def page(packages):
    """Headless Chromium whose requests to the web are answered locally or refused; the page
    has `.messages`, `.requests` (every URL), `.served` and `.refused` (URLs)."""
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            tab = context.new_page()
            record_console(tab, noise=())  # no server here: every console error counts
            tab.served, tab.refused = [], []
            context.route("**/*", lambda route: answer(route, packages, tab))
            yield tab
        finally:
            (ARTIFACTS / "static-export-console.log").write_text("\n".join(tab.messages) + "\n")
            browser.close()


def answer(route, packages: dict, tab) -> None:
    """Serve a CDN file from the npm packages, an empty script for MathJax / Mermaid; refuse
    anything else (the page's own file:// URL never reaches here)."""
    url = route.request.url
    path = cdn_file(url, packages)
    if path is not None:
        tab.served.append(url)
        route.fulfill(path=path, headers={"Access-Control-Allow-Origin": "*"})
    elif url.startswith(CDNS) and STUBS.search(url):
        tab.served.append(url)
        route.fulfill(body="", content_type="text/javascript")
    elif url.startswith(("http:", "https:", "ws:", "wss:")):
        tab.refused.append(url)
        route.abort()
    else:
        route.continue_()


def test_static_export_moves_without_a_kernel(exported, page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        check_export(exported, page)
    except BaseException:
        page.screenshot(path=ARTIFACTS / "failure-static-export.png", full_page=False)
        raise


def check_export(exported: Path, page) -> None:
    """Open the file, find the widget, move z₁ by keyboard; the picture, console, requests."""
    page.goto(exported.as_uri(), timeout=60_000)
    root = page.locator(f'.vae-widget[data-widget="{WIDGET}"]').first
    root.wait_for(timeout=60_000)
    page.wait_for_function("el => Number(el.dataset.frame) >= 1", arg=root.element_handle())
    assert root.get_attribute("data-render") == "browser", "the picture needs a kernel"
    root.scroll_into_view_if_needed()

    sliders = root.locator("input[type=range]")
    labels = [sliders.nth(i).get_attribute("aria-label") or "" for i in range(sliders.count())]
    assert labels, "the widget has no slider"
    slider = sliders.nth(next((i for i, a in enumerate(labels) if SLIDER_LABEL.search(a)), 0))
    frame = lambda: int(root.get_attribute("data-frame"))  # noqa: E731
    pixels = lambda: root.evaluate(CANVAS_HASHES_JS)  # noqa: E731
    frame_before, value_before, pixels_before = frame(), slider.input_value(), pixels()
    assert pixels_before, "the widget has no canvas.vae-picture"

    slider.focus()
    page.keyboard.press("ArrowRight")
    frame_after = wait_for_change(frame, frame_before)
    pixels_after = settle(pixels, wait_for_change(pixels, pixels_before), quiet_s=0.5)
    assert frame_after > frame_before, f"data-frame stayed at {frame_before}"
    assert slider.input_value() != value_before, f"the slider stayed at {value_before}"
    # the first picture is the decoded digit
    assert pixels_after[0] != pixels_before[0], "the decoded picture did not change"
    root.screenshot(path=ARTIFACTS / "static-export.png")

    errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
    assert errors == [], "console errors:\n" + "\n".join(errors)
    assert page.refused == [], f"the page asked the web for {page.refused}"
    local = ("file:", "data:", "blob:")
    outside = [u for u in page.requests if not u.startswith(local) and u not in page.served]
    assert outside == [], f"requests not answered locally: {outside}"
    assert any("anywidget@" in u for u in page.served), "anywidget did not come from the CDN"
