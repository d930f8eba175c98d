"""The tier really runs against XRT 2.25 from Debian, with no device."""

import subprocess


def test_pyxrt_is_the_real_module_and_sees_no_board(pyxrt):
    assert pyxrt.__file__.startswith("/usr/lib/python3/dist-packages/pyxrt")
    assert pyxrt.enumerate_devices() == 0


def test_xclbinutil_is_xrt_2_25(xclbinutil):
    out = subprocess.run([xclbinutil, "--version"], capture_output=True, text=True).stdout
    assert "XRT Build Version: 2.25" in out
