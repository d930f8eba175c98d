"""Ask XRT itself, through ``pyxrt``, when it is installed.

``pyxrt`` ships with XRT, not on PyPI, so it is imported lazily and its
absence is an ordinary answer ("not installed"), not an error. Each
``get_info`` call is guarded separately: a board that answers ``name`` but
fails on ``thermal`` still reports what it could.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

INFO_KEYS = ("bdf", "name", "platform", "dynamic_regions", "thermal", "electrical")
MAX_DEVICES = 64


def _find_key(obj: Any, key: str) -> Any:
    """First value under ``key`` anywhere in a JSON tree (XRT's layouts vary by version)."""
    stack = [obj]
    while stack:
        cur = stack.pop(0)
        if isinstance(cur, dict):
            if key in cur and not isinstance(cur[key], (dict, list)):
                return cur[key]
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return None


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _fpga_temperature(thermal: Any) -> float | None:
    rows = thermal.get("thermals", []) if isinstance(thermal, dict) else []
    rows = [r for r in rows if isinstance(r, dict)]
    fpga = [r for r in rows if "fpga" in str(r.get("description", "")).lower()] or rows
    for r in fpga:
        try:
            return float(r.get("temp_C"))
        except (TypeError, ValueError):
            continue
    return None


def probe(module: Any = None) -> dict[str, Any]:
    """``{"available": bool, "reason"?, "error"?, "devices": [...]}``; never raises."""
    if module is None:
        try:
            module = importlib.import_module("pyxrt")
        except ImportError as e:
            return {"available": False, "reason": f"pyxrt is not installed ({e})", "devices": []}
        except Exception as e:  # a broken XRT install must not take the pod down
            return {"available": False, "reason": f"pyxrt failed to import: {e!r}", "devices": []}
    # XRT 2022.1 to 2023.1 have no enumerate_devices: there, devices are opened by
    # index until one is missing.
    counted = hasattr(module, "enumerate_devices")
    count = MAX_DEVICES
    if counted:
        try:
            count = int(module.enumerate_devices())
        except Exception as e:
            return {"available": True, "error": f"enumerate_devices() failed: {e!r}", "devices": []}
    devices = []
    for index in range(min(max(count, 0), MAX_DEVICES)):
        entry: dict[str, Any] = {"index": index, "errors": {}}
        try:
            dev = module.device(index)
        except Exception as e:
            if not counted:
                break  # no device at this index: the end of the list
            entry["errors"]["device"] = repr(e)
            devices.append(entry)
            continue
        raw: dict[str, Any] = {}
        for key in INFO_KEYS:
            try:
                raw[key] = dev.get_info(getattr(module.xrt_info_device, key))
            except Exception as e:
                entry["errors"][key] = repr(e)
        platform, regions = _json(raw.get("platform")), _json(raw.get("dynamic_regions"))
        electrical = _json(raw.get("electrical"))
        uuid = _find_key(regions, "xclbin_uuid") if regions is not None else None
        power = _find_key(electrical, "power_consumption_watts") if electrical else None
        entry.update(
            bdf=str(raw.get("bdf", "")).lower(),
            name=str(raw.get("name", "")),
            platform=str(_find_key(platform, "vbnv") or "") if platform is not None else "",
            xclbin_uuid=str(uuid).lower() if uuid and str(uuid).strip("0-") else "",
            temperature_c=_fpga_temperature(_json(raw.get("thermal"))),
            power_w=float(power) if _is_number(power) else None,
        )
        devices.append(entry)
    return {"available": True, "count": count, "devices": devices}


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
