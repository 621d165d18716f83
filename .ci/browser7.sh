#!/usr/bin/env bash
# Colab's widgets in a real browser: the browser tests with ipywidgets 7.7.1 (the version Colab
# ships) against JupyterLab 3 and, by default, the classic Notebook 6 too, in a virtual
# environment of their own (.venv-browser7). Headless Debian Chromium through Playwright, as in
# .ci/browser.sh; the server kind reaches the tests as VAE_TEACH_BROWSER_SERVER (lab3, nb6).
# By hand:
#   bash .ci/browser7.sh                                   # every widget (lab3), 06 (nb6)
#   VAE_TEACH_BROWSER7_SERVERS=lab3 bash .ci/browser7.sh   # JupyterLab 3 only
#   bash .ci/browser7.sh tests/browser/test_conditional_browser.py   # other tests (lab3 only)
# Needs VAE_TEACH_DATA (a folder holding mnist/) or network access for the MNIST download.
# Screenshots, the console log and the server log land in test-artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VAE_TEACH_BROWSER7_VENV:-.venv-browser7}
CHROMIUM=${VAE_TEACH_CHROMIUM:-/usr/bin/chromium}
SERVERS=${VAE_TEACH_BROWSER7_SERVERS:-lab3 nb6}
export PIP_DISABLE_PIP_VERSION_CHECK=1
SECONDS=0

[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM: apt-get install -y chromium" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first, pinned: an unpinned torch would pull the default wheel with GB of CUDA.
"$VENV/bin/python" -c "import torch" 2>/dev/null || "$VENV/bin/pip" install -q torch==2.13.0
# Playwright's Python client only: it drives the system Chromium (never `playwright install`).
# ipywidgets 7.7.1 asks for jupyterlab_widgets>=1 with no upper bound, so a fresh environment
# would get 3.x, the JupyterLab front end of ipywidgets 8: pinned to 1.x, the one that came
# with 7.7.1 (widgetsnbextension ~=3.6, the Notebook 6 front end, is pinned by ipywidgets).
"$VENV/bin/pip" install -q -e ".[test]" "ipywidgets==7.7.1" "jupyterlab_widgets<2" \
    "jupyterlab>=3.6,<4" "notebook<7" anywidget playwright

# What pip resolved, checked: ipywidgets stayed at 7.7.1 and JupyterLab at 3; the kernel the
# servers start (python3, this environment's Python) sees the same ipywidgets.
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version

import nbformat
from nbclient import NotebookClient

names = ["ipywidgets", "jupyterlab_widgets", "widgetsnbextension", "jupyterlab", "notebook",
         "jupyter_server", "anywidget", "ipykernel", "torch", "playwright"]
print("versions: " + ", ".join(f"{n} {version(n)}" for n in names))
assert version("ipywidgets") == "7.7.1", f"pip moved ipywidgets to {version('ipywidgets')}"
assert version("jupyterlab").startswith("3."), f"JupyterLab {version('jupyterlab')}, not 3"
assert version("notebook").startswith("6."), f"Notebook {version('notebook')}, not 6"
assert version("jupyterlab_widgets").startswith("1."), "JupyterLab's widget manager is not 7's"
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("import ipywidgets\nprint(ipywidgets.__version__)")]
NotebookClient(nb, kernel_name="python3", timeout=120).execute()
kernel = nb.cells[0].outputs[0]["text"].strip()
print(f"kernel: ipywidgets {kernel}")
assert kernel == "7.7.1", f"the kernel runs ipywidgets {kernel}, not 7.7.1"
PY
# Classic Notebook 6 loads widgets through nbextensions (ipywidgets' and anywidget's); they
# are installed into the environment by pip, this only lists what is enabled.
"$VENV/bin/jupyter" nbextension list 2>&1 | grep -E "enabled|disabled" || true
echo "set up in ${SECONDS}s"

# By default every widget under JupyterLab 3 (02-05, 06, 07, 09: about 4 minutes) and
# notebook 06's explorer under Notebook 6; tests named on the command line run under lab3.
lab3_tests=(tests/browser/test_explorer_browser.py tests/browser/test_widgets_browser.py
    tests/browser/test_conditional_browser.py tests/browser/test_traversal_browser.py)
nb6_tests=(tests/browser/test_explorer_browser.py)
[ $# -gt 0 ] && SERVERS=${VAE_TEACH_BROWSER7_SERVERS:-lab3}
for server in $SERVERS; do
    if [ $# -gt 0 ]; then
        tests=("$@")
    elif [ "$server" = nb6 ]; then
        tests=("${nb6_tests[@]}")
    else
        tests=("${lab3_tests[@]}")
    fi
    echo "== $server: ${tests[*]}"
    # Bounded: `timeout` is the backstop; SIGTERM becomes KeyboardInterrupt in the tests, so
    # the server is still shut down.
    VAE_TEACH_BROWSER_TEST=1 VAE_TEACH_BROWSER_SERVER="$server" VAE_TEACH_CHROMIUM="$CHROMIUM" \
        timeout -k 30 600 "$VENV/bin/pytest" -q -p no:cacheprovider \
        -W "ignore:The \`ipykernel.comm.Comm\` class:DeprecationWarning" "${tests[@]}"
done
echo "browser7 done in ${SECONDS}s"
