"""The state behind one double: its fake devices, their memory, and what tests read back.

Why a separate object: the double's *surface* is generated; the *board* is
what makes it a device. It holds the knobs tests turn (:class:`Behaviour`),
the call log tests assert on (``CALLS``, ``COPIES``), the device memory the
kernels in ``tests/support/fake_pyxrt/kernels.py`` compute on, and -- for the
real-XRT tier -- an optional trace of every call with its raw arguments, so
the same calls can be replayed against XRT's own pyxrt.

The kernel functions register through the names they always used
(``FakeKernel``, ``KERNELS``, ``device_memory``, ``buffer_at``), which this
class provides; ``kernels.py`` does not know it is talking to a board object
rather than a module.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PLATFORM = "xilinx_u250_gen3x16_xdma_shell_4_1"
BDF = "0000:65:00.1"
PAGE = 4096


@dataclass
class FakeKernel:
    """Device behaviour of one kernel: argument kinds and what it computes."""

    args: list[tuple[str, str]]  # (name, "buffer" | "int" | "uint" | "float")
    impl: Callable[..., None]  # impl(*args): buffers as bo objects, scalars decoded
    groups: dict[int, int] = field(default_factory=dict)  # arg index -> memory group


@dataclass
class Behaviour:
    """Knobs tests turn: how many devices, what they report, and how the next runs end.

    ``end_states`` are consumed one per started run: an ``ert_cmd_state``
    member name ends that run in that state, ``"hang"`` makes it never
    finish (``wait(ms)`` answers ``ERT_CMD_STATE_TIMEOUT``).
    """

    devices: int = 1
    name: str = PLATFORM
    bdf: str = BDF
    end_states: list[str] = field(default_factory=list)


class BoardHang(BaseException):
    """``run.wait()`` without a timeout on a run that never finishes: a real call would block forever.

    A ``BaseException`` so that code under test that catches ``Exception``
    cannot swallow it: the test fails where the board would have hung.
    """


class Board:
    """Devices, memory and logs of one double (one ``load()``)."""

    def __init__(self, behaviour: Behaviour, *, compute: bool, warn_deprecated: bool) -> None:
        self.behaviour = behaviour
        self.compute = compute  # False: kernels only check their contracts (no scipy/OpenCV)
        self.warn_deprecated = warn_deprecated
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.copies = {"write": 0, "read": 0, "bytes": 0}
        self.KERNELS: dict[str, FakeKernel] = {}
        self.FakeKernel = FakeKernel
        self.trace: list[tuple[str, tuple[Any, ...], dict[str, Any]]] | None = None
        self.hangs: list[tuple[str, str]] = []  # (kernel, why it cannot complete)
        self.errors: list[tuple[str, str]] = []  # (kernel, why it ended in ERROR)
        self.next_address = 0x4000000000
        self.by_address: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self.module: Any = None  # the double, set once built

    # --- what kernels.py uses --------------------------------------------------------

    def device_memory(self, bo: Any) -> np.ndarray:
        """The device side of a buffer (what a kernel reads and writes)."""
        return bo._s.dev  # type: ignore[no-any-return]

    def buffer_at(self, address: int) -> Any:
        """The buffer at a device address (blasKernel follows addresses)."""
        return self.by_address[address]

    # --- logging ------------------------------------------------------------------------

    def record(self, call: str, /, **details: Any) -> None:
        self.calls.append((call, details))

    def tracer(self, path: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.trace is not None:
            self.trace.append((path, args, dict(kwargs)))

    def allocate(self, bo: Any, size: int) -> int:
        """A page-aligned device address for ``size`` bytes, as XRT hands them out."""
        address = self.next_address
        self.next_address += -(-size // PAGE) * PAGE
        self.by_address[address] = bo
        return address

    def reset(self, devices: int) -> None:
        self.calls.clear()
        self.copies.update(write=0, read=0, bytes=0)
        self.behaviour.devices = devices
        self.behaviour.end_states.clear()
        self.hangs.clear()
        self.errors.clear()
