"""FPGA activity in the pod: what the kernels did with the board, for the server to report.

Kernels record (``recorder``: every runtime run and load, every ``%fpga``
cell), one small file per kernel process in :func:`activity_dir`; the server
extension reads and merges them (``store``, ``model``) into the ``activity``
object of ``fpga/api/devices`` and into ``fpga/metrics``. The hub's reclaimer
reads that object to stop servers whose boards have been idle too long, so
HTTP calls to ``fpga/api/*`` are never activity.

Record file (JSON, ``<pid>-<token>.json``, schema version 1): ``pid``,
``started``, ``backend`` (``xrt`` or ``emulation``), ``runs``, ``loads``,
``cells``, ``last_run``, ``last_load``, ``last_cell`` (Unix seconds or
null), ``busy``, ``xclbins`` (``name``, ``uuid``, ``at``; newest first, at
most eight), ``processes``. docs/pod-activity.md describes the API answer.
"""

from .model import Idle, Limits, ProcessRecord, activity_answer, idle_status, limits_from_env, merge
from .recorder import Recorder, board_call, note_cell, recorder, set_recorder
from .store import ActivityDirectory, activity_dir

__all__ = [
    "ActivityDirectory",
    "Idle",
    "Limits",
    "ProcessRecord",
    "Recorder",
    "activity_answer",
    "activity_dir",
    "board_call",
    "idle_status",
    "limits_from_env",
    "merge",
    "note_cell",
    "recorder",
    "set_recorder",
]
