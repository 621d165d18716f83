#!/usr/bin/env bash
# Real-browser widget test: JupyterLab on 127.0.0.1 + Debian's Chromium driven by Playwright.
# Opens notebooks/06_vae.ipynb, runs it, moves the explorer's z1 slider with the keyboard,
# checks the image changes and the console has no widget errors (tests/browser/); opens
# notebooks/09_conditional_vae.ipynb, runs it, clicks another digit button of the
# conditional-VAE widget and moves its z2 slider by keyboard: the pictures change, no
# widget error (test_conditional_browser.py, about 40 s); opens notebooks/07_beta_vae.ipynb,
# moves every slider of the traversal widget, types another base image, clicks its reset:
# the pictures change, the decoded one is torch's to 1e-3 (test_traversal_browser.py, about
# 70 s on an idle 2-core machine); then
# `vae-teach present explorer` and `present traversal` (Voilà): the widget alone, moved by
# keyboard, no console error, nothing fetched from outside, Ctrl+C stops the server; the
# widgets of notebooks 02-05, every control moved or clicked (test_widgets_browser.py); and
# notebook 06 exported to static HTML and opened with no server or kernel, its explorer still
# decoding (test_static_export_browser.py; npm fetches the two widget libraries it loads).
# Called by .ci/run after the README's test command (which made .venv); by hand:
#   apt-get install -y chromium && bash .ci/browser.sh
# Screenshots, the console log and the server log land in test-artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VAE_TEACH_VENV:-.venv}
CHROMIUM=${VAE_TEACH_CHROMIUM:-/usr/bin/chromium}
export PIP_DISABLE_PIP_VERSION_CHECK=1
SECONDS=0

[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM: apt-get install -y chromium" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first if this venv has none (an unpinned torch would pull GB of CUDA packages).
"$VENV/bin/python" -c "import torch" 2>/dev/null || "$VENV/bin/pip" install -q torch==2.13.0
# JupyterLab (the lab extra), Voilà (the present extra) and Playwright's Python client.
# Playwright drives the system Chromium through executable_path; never run
# `playwright install` (it downloads a browser).
"$VENV/bin/pip" install -q -e ".[lab,test,present]" playwright
echo "set up in ${SECONDS}s"

# Bounded: the test limits each step itself; `timeout` is the backstop. SIGTERM becomes a
# KeyboardInterrupt in the test, so the JupyterLab server is still shut down.
VAE_TEACH_BROWSER_TEST=1 VAE_TEACH_CHROMIUM="$CHROMIUM" \
    timeout -k 30 1500 "$VENV/bin/pytest" -q tests/browser
echo "browser test done in ${SECONDS}s"
