"""numpy arrays that *are* XRT buffers: zero-copy views of ``bo.map()``.

``bo.map()`` is a memoryview of the buffer's host mapping, and
``np.frombuffer`` over it is a writable view with no copy. The catch: pyxrt's
memoryview does not keep the ``bo`` alive, so a bare view would point into
unmapped memory once the ``bo`` is collected. :class:`DeviceArray` carries the
``bo`` along (and so does every view sliced from it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class DeviceArray(np.ndarray):
    """An ndarray backed by an XRT buffer object's host mapping.

    Results of the XRT backend are returned as DeviceArrays (no copy after the
    FROM_DEVICE sync), and one passed back in as an input of a kernel whose
    argument lives in the same memory group is used in place (no copy before
    the TO_DEVICE sync).
    """

    bo: Any
    group: int
    owner: Any  # the backend that allocated it (buffers are per device)
    whole: bool  # True only for the array the backend mapped: the bo's start, not a slice
    capacity: int  # bytes of the bo (at least the array's: a kernel may read past the data)

    def __array_finalize__(self, obj: Any) -> None:
        # Views (slices, reshapes) share the buffer: keep the bo alive through them,
        # but they no longer cover the whole bo, so they are never passed in place.
        # Arrays numpy creates fresh (ufunc results) have no base: no bo for them.
        if isinstance(obj, DeviceArray) and self.base is not None:
            self.bo, self.group, self.owner = obj.bo, obj.group, obj.owner
        else:
            self.bo, self.group, self.owner = None, -1, None
        self.whole = False
        self.capacity = 0

    def __array_wrap__(self, arr: Any, context: Any = None, return_scalar: bool = False) -> Any:
        # A ufunc result is new memory: hand back a plain ndarray, not a fake buffer.
        if isinstance(arr, DeviceArray) and arr.bo is None:
            arr = arr.view(np.ndarray)
        if return_scalar and isinstance(arr, np.ndarray) and arr.ndim == 0:
            return arr[()]
        return arr


def map_array(
    bo: Any, shape: tuple[int, ...], dtype: Any, group: int, owner: Any, capacity: int
) -> DeviceArray:
    """A DeviceArray of ``shape``/``dtype`` over the start of ``bo.map()`` (no copy).

    ``capacity`` is the bo's size in bytes, which may exceed the array's when
    the kernel reading it needs padding (see ``contracts.device_bytes``).
    """
    dt = np.dtype(dtype)
    count = math.prod(shape)
    flat = np.frombuffer(bo.map(), dtype=dt, count=count)
    arr = flat.reshape(shape).view(DeviceArray)
    arr.bo, arr.group, arr.owner, arr.whole, arr.capacity = bo, group, owner, True, capacity
    return arr


def usable_in_place(array: Any, group: int, owner: Any, need: int = 0) -> bool:
    """True when ``array`` can be handed to the kernel as-is: same device, same memory group,
    and a buffer of at least ``need`` bytes (the kernel's padding included)."""
    return (
        isinstance(array, DeviceArray)
        and array.whole
        and array.owner is owner
        and array.group == group
        and array.bo is not None
        and array.capacity >= max(need, array.nbytes)
    )
