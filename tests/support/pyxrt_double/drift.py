"""Differences between two surfaces, one line per differing leaf: the drift count.

Used both ways: the committed ``surface.json`` against XRT's own pyxrt (the
real-XRT tier: did XRT change?) and against the double built from it (the
host tests: does the double still have the surface it was built from?).
"""

from __future__ import annotations

from typing import Any


def differences(want: Any, got: Any, path: str = "") -> list[str]:
    """Every leaf where ``got`` differs from ``want``, missing from it, or extra in it."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got)):
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{where}: missing")
            elif key not in want:
                out.append(f"{where}: extra")
            else:
                out.extend(differences(want[key], got[key], where))
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        pairs = enumerate(zip(want, got, strict=True))
        return [d for i, (w, g) in pairs for d in differences(w, g, f"{path}[{i}]")]
    return [] if want == got else [f"{path}: {want!r} -> {got!r}"]
