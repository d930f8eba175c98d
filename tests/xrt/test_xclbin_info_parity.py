"""``jupyter-fpga xclbin-info`` against the real ``xclbinutil --info``, on xclbins it wrote.

The corpus (xclbin_corpus.py) is built by XRT 2.25's xclbinutil from JSON and
XML written here; for every file the two reports must agree line for line
after their banners.
"""

from __future__ import annotations

import pytest

from jupyter_ext.xclbin import XclbinError, parse_xclbin
from jupyter_ext.xclbin.info import info_text

from .xclbin_report import cli, diff, report_body, xclbinutil_info


@pytest.fixture()
def corpus(xclbin_corpus):
    return xclbin_corpus


def test_info_is_xclbinutils_line_for_line(corpus, xclbinutil):
    identical, failures = 0, []
    for name, path in corpus.items():
        theirs = report_body(xclbinutil_info(xclbinutil, path))
        try:
            ours = report_body(info_text(parse_xclbin(path)))
        except XclbinError as e:
            ours = [f"XclbinError: {e}\n"]
        if ours == theirs:
            identical += 1
        else:
            failures.append(diff(theirs, ours, name))
    print(f"\nxclbin-info parity with xclbinutil --info: {identical}/{len(corpus)} identical")
    assert len(corpus) >= 25
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ["vadd_ddr4", "no_build_metadata", "user_signature"])
def test_the_command_line_prints_the_same(corpus, xclbinutil, name):
    r = cli("xclbin-info", str(corpus[name]))
    assert r.returncode == 0 and r.stderr == ""
    assert report_body(r.stdout) == report_body(xclbinutil_info(xclbinutil, corpus[name]))
