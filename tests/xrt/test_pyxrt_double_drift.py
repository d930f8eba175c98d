"""The double's surface against XRT's own pyxrt: any drift fails, and is counted.

``tests/support/pyxrt_double/surface.json`` was read from this module by
``generate.py``; here it is read again and compared leaf by leaf: names,
classes, overloads (parameter names and types, return types, docstrings),
enum values, exported enum members and every probed refusal. The drift count
must be 0. The freshly read surface is left in ``$TMPDIR/pyxrt_surface.json``
(``/var/cache/jupyterhub-fpga/xrt-trixie/tmp/`` on the host) to review and
commit after an XRT upgrade, or regenerate directly::

    chroot /var/cache/jupyterhub-fpga/xrt-trixie python3 - \\
        < tests/support/pyxrt_double/generate.py > tests/support/pyxrt_double/surface.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pyxrt_double import HOOKS, SURFACE, generate, load
from tests.support.pyxrt_double.drift import differences

REGENERATE = ("chroot /var/cache/jupyterhub-fpga/xrt-trixie python3 - < "
              "tests/support/pyxrt_double/generate.py > tests/support/pyxrt_double/surface.json")  # fmt: skip


@pytest.fixture(scope="module")
def fresh(pyxrt):
    """The surface read now, by ``generate.py`` in a fresh interpreter (as the command above).

    Fresh, because probes fork: a child forked from a process where XRT has
    started threads (this one, after other tier tests) can block on their locks.
    """
    run = subprocess.run([sys.executable, generate.__file__], capture_output=True, text=True,
                         timeout=600, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "pyxrt_surface.json"
    out.write_text(run.stdout)
    return json.loads(run.stdout)


def test_the_committed_surface_is_the_real_module(fresh):
    committed = json.loads(SURFACE.read_text())
    drift = differences(committed, fresh)
    print(f"\npyxrt surface drift: {len(drift)} (module names, overloads, enums, "
          f"{len(fresh['probes'])} probed refusals)")  # fmt: skip
    assert drift == [], (
        f"{len(drift)} differences between surface.json and XRT's pyxrt, first:\n  "
        + "\n  ".join(drift[:25]) + f"\nregenerate (as root): {REGENERATE}"
    )  # fmt: skip


def test_the_double_is_the_real_module(fresh):
    """Walk and probe the double as the real module was walked: the same data, 0 drift."""
    px = load(compute=False)
    for hook in HOOKS:
        delattr(px, hook)
    tree = generate.walk(px, "pyxrt")
    got = {"module": tree, "probes": generate.probe_all(px, tree, isolate=False)}
    drift = differences({"module": fresh["module"], "probes": fresh["probes"]}, got)
    assert drift == [], f"{len(drift)} differences, first: {drift[:25]}"


def _names(obj, prefix=""):
    out = set()
    for name in dir(obj):
        if name.startswith("_") and name != "__init__":
            continue
        out.add(prefix + name)
        value = getattr(obj, name)
        if isinstance(value, type) and prefix.count(".") < 2 and "__members__" not in vars(value):
            out |= _names(value, f"{prefix}{name}.")
    return out


def test_every_public_name_of_the_real_module_is_in_the_double(pyxrt):
    px = load(compute=False)
    missing = _names(pyxrt) - _names(px)
    assert missing == set(), sorted(missing)
