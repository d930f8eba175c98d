"""What the real ``pyxrt.xclbin`` reports for a file, in the shape of our ``--json`` ``xrt`` block."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyxrt_view(pyxrt: Any, path: Path) -> dict[str, Any]:
    xb = pyxrt.xclbin(str(path))
    return {
        "uuid": xb.get_uuid().to_string(),
        "xsa_name": xb.get_xsa_name(),
        "kernels": [{"name": k.get_name(), "num_args": k.get_num_args()} for k in xb.get_kernels()],
        "mems": [
            {
                "tag": m.get_tag(),
                "index": m.get_index(),
                "used": m.get_used(),
                "base_address": m.get_base_address(),
                "size_kb": m.get_size_kb(),
            }
            for m in xb.get_mems()
        ],
    }


def pyxrt_refuses(pyxrt: Any, path: Path) -> str | None:
    """XRT's error message when ``pyxrt.xclbin(path)`` refuses the file, else None."""
    try:
        pyxrt.xclbin(str(path))
    except RuntimeError as e:
        return str(e)
    return None
