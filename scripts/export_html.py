"""Export a notebook to one static HTML page whose widgets still move, with no kernel.

    python scripts/export_html.py notebooks/06_vae.ipynb [-o site/06_vae.html]
        [--widget-cdn https://example.org/npm/] [--require-js-url URL] [--mathjax-url URL]

The basis for a course website. A copy of the notebook is executed (nbclient, in the
notebook's folder, store_widget_state=True: every widget's last state, binary traits
included, goes into the notebook's metadata), then converted by nbconvert's HTML exporter
(lab template), which embeds that state. In the page, @jupyter-widgets/html-manager
(embed-amd.js, loaded with require.js) builds the widgets from the state and loads the
`anywidget` AMD module from the widget CDN; anywidget then runs each widget's own ES module,
which is in the state. The vae_teach widgets compute their picture in the browser, so sliders
keep redrawing without a kernel; anything that needs the kernel stays as it was saved.

What the page fetches, all from --widget-cdn (default jsDelivr's npm mirror) except require.js
and MathJax (their own options, cdnjs by default):

    <cdn>@jupyter-widgets/html-manager@<--html-manager-version>/dist/embed-amd.js
    <cdn>anywidget@<anywidget's module version, e.g. ~0.11.*>/dist/index.js

so a site can self-host by unpacking `npm pack @jupyter-widgets/html-manager@1 anywidget@X`
into folders of those names. The page loads widget modules from the CDN only
(data-jupyter-widgets-cdn-only), without first asking for them next to itself.
"""

import argparse
import copy
import html
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

DEFAULT_CDN = "https://cdn.jsdelivr.net/npm/"


def execute(notebook: nbformat.NotebookNode, folder: Path, timeout: int) -> None:
    """Run every cell of `notebook` in place, in `folder`, keeping the widgets' state."""
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        store_widget_state=True,
    )
    client.execute()


def cdn_tag(widget_cdn: str) -> str:
    """A script tag that html-manager reads when it starts: where widget modules come from."""
    cdn = html.escape(widget_cdn)
    return f'<script data-jupyter-widgets-cdn="{cdn}" data-jupyter-widgets-cdn-only></script>'


def to_html(notebook, widget_cdn: str, html_manager_version: str, require_js: str, mathjax: str):
    """The executed notebook as one HTML page (str) with the widget state embedded."""
    exporter = HTMLExporter(template_name="lab")
    exporter.jupyter_widgets_base_url = widget_cdn
    exporter.html_manager_semver_range = html_manager_version
    if require_js:
        exporter.require_js_url = require_js
    if mathjax:
        exporter.mathjax_url = mathjax
    body, _ = exporter.from_notebook_node(notebook)
    # before any other script, so it is in the page when embed-amd.js looks for it
    return body.replace("<head>", "<head>\n" + cdn_tag(widget_cdn), 1)


def widget_count(notebook) -> int:
    """How many widget models the executed notebook saved."""
    widgets = notebook.metadata.get("widgets", {})
    state = widgets.get("application/vnd.jupyter.widget-state+json", {})
    return len(state.get("state", {}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="default: NOTEBOOK with .html")
    parser.add_argument("--widget-cdn", default=DEFAULT_CDN, help="base URL of npm packages")
    parser.add_argument("--html-manager-version", default="1", help="semver of html-manager")
    parser.add_argument("--require-js-url", default="", help="default: nbconvert's (cdnjs)")
    parser.add_argument("--mathjax-url", default="", help="default: nbconvert's (cdnjs)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    cdn = args.widget_cdn if args.widget_cdn.endswith("/") else args.widget_cdn + "/"
    output = args.output or args.notebook.with_suffix(".html")

    notebook = copy.deepcopy(nbformat.read(args.notebook, as_version=4))
    execute(notebook, args.notebook.resolve().parent, args.timeout)
    page = to_html(notebook, cdn, args.html_manager_version, args.require_js_url, args.mathjax_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    size = output.stat().st_size / 1e6
    print(f"{output}: {size:.1f} MB, {widget_count(notebook)} widget models", file=sys.stderr)


if __name__ == "__main__":
    main()
