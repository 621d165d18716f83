#!/usr/bin/env bash
# Colab's widgets: every notebook under nbval and the widget unit tests, in a second virtual
# environment with ipywidgets 7.7.1 (the version Colab ships). Called by .ci/run; by hand:
#   bash .ci/widgets7.sh                              # every notebook + the widget unit tests
#   bash .ci/widgets7.sh notebooks/06_vae.ipynb       # some notebooks + the widget unit tests
# Needs VAE_TEACH_DATA (a folder holding mnist/) or network access for the MNIST download.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VAE_TEACH_WIDGETS7_VENV:-.venv-widgets7}
export PIP_DISABLE_PIP_VERSION_CHECK=1
SECONDS=0

python3 -m venv "$VENV"
# torch first, pinned: an unpinned torch would pull the default wheel with GB of CUDA.
"$VENV/bin/pip" install -q torch==2.13.0
"$VENV/bin/pip" install -q -e ".[test]" "ipywidgets==7.7.1"

# The kernels that nbval starts must see ipywidgets 7.7.1 too, not only this script's Python.
"$VENV/bin/python" - <<'PY'
import nbformat
from nbclient import NotebookClient

nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("import ipywidgets, torch\nprint(ipywidgets.__version__, torch.__version__)")]
NotebookClient(nb, kernel_name="python3", timeout=120).execute()
versions = nb.cells[0].outputs[0]["text"].split()
print(f"kernel: ipywidgets {versions[0]}, torch {versions[1]}")
assert versions[0] == "7.7.1", f"the kernel runs ipywidgets {versions[0]}, not 7.7.1"
PY
echo "set up in ${SECONDS}s"

# The unit tests that build or drive widgets: every test file that imports ipywidgets or the
# package's widget modules (vae_teach.widgets).
pattern='^\s*(import ipywidgets|from ipywidgets|import vae_teach\.widgets|from vae_teach(\.widgets| import .*\bwidgets\b))'
mapfile -t widget_tests < <(grep -l -E "$pattern" tests/test_*.py || true)
echo "widget unit tests: ${widget_tests[*]:-(none)}"
# ipywidgets 7 creates comms through ipykernel.comm.Comm, which ipykernel >= 6.18 deprecates
# (Colab's older ipykernel does not): a warning about the pair, not about this project.
"$VENV/bin/pytest" -q -W "ignore:The \`ipykernel.comm.Comm\` class:DeprecationWarning" \
    "${@:-notebooks}" "${widget_tests[@]}"
echo "widgets7 done in ${SECONDS}s"
