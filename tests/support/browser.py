"""Debian's Chromium, started the way it works on these machines.

Playwright's own browser download fails here, so the tests drive the system
Chromium; the flags keep it from reaching for Google's services, which this
machine's closed network refuses.
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
