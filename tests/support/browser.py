"""Headless Chromium for the browser tests: Debian's `chromium` package driven by Playwright's Python API.

Playwright's own browser download cannot run here (nothing outside is reached), so the installed
browser is launched by path; .ci/run installs it. Without it the tests skip, saying why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> Path | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    found = shutil.which("chromium")
    return Path(found) if found else None


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright is not installed ({error}); pip install -r requirements-web.txt"
    if chromium_path() is None:
        return "no Chromium at /usr/bin/chromium: apt-get install -y chromium (.ci/run does this)"
    return None
