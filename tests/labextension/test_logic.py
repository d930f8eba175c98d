"""The extension's pure TypeScript modules (format, polling), by `node --test`.

The unit tests themselves are in labextension/test/*.test.ts; this runs them
so pytest (and CI) fails when they fail.
"""

from __future__ import annotations

import re

from tests.support.labextension import ensure_node_modules, npm


def test_the_typescript_unit_tests_pass():
    ensure_node_modules()
    done = npm("test", timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    passed = re.search(r"^# pass (\d+)$", out, re.M)
    failed = re.search(r"^# fail (\d+)$", out, re.M)
    assert passed and failed, out[-2000:]
    assert int(failed.group(1)) == 0
    # both files ran: the formatting and the polling tests
    assert "an emulated U250 with a loaded xclbin reads as the issue shows it" in out
    assert "404 (no server extension) hides the item and stops polling for good" in out
