"""The real-browser test runs only when asked for (`.ci/browser.sh` sets VAE_TEACH_BROWSER_TEST=1):
it needs Chromium from the system and Playwright, and takes about a minute."""

import os

if os.environ.get("VAE_TEACH_BROWSER_TEST") != "1":
    collect_ignore_glob = ["test_*.py"]
