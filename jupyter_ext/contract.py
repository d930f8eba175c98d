"""The one contract between the hub and the pod.

FPGASpawner writes these environment variables and labels into every FPGA pod;
the pod side (device discovery, the runtime, `%fpga`) reads them to know what
was *asked for*, so it can compare that with what it actually *sees*. Both
sides import this module and nothing else defines these names, so they cannot
drift apart. Standard library only: the hub must not need numpy, the pod must
not need JupyterHub.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_BOARD = "FPGA_BOARD"
"""Board slug from the admin's catalog, e.g. ``u250``."""
ENV_BOARD_NAME = "FPGA_BOARD_NAME"
"""Human display name of the board, e.g. ``AMD Alveo U250``."""
ENV_COUNT = "FPGA_COUNT"
"""How many boards the pod requested (a decimal integer)."""
ENV_RESOURCE = "FPGA_RESOURCE"
"""The Kubernetes extended resource requested, e.g. ``amd.com/xilinx_u250_...``."""
ENV_PLUGIN = "FPGA_DEVICE_PLUGIN"
"""The device-plugin flavour: ``amd``, ``xilinx-legacy``, ``inaccel``, ``intel``, ``bcom``."""
ENV_PLATFORM = "FPGA_PLATFORM"
"""The shell / platform VBNV the board runs, e.g. ``xilinx_u250_gen3x16_xdma_shell_4_1``."""
ENV_ACCELERATOR = "FPGA_ACCELERATOR"
"""The accelerator function the user asked for, e.g. ``vision.stereo_bm`` (may be empty)."""
ENV_ACCELERATOR_REPLICAS = "FPGA_ACCELERATOR_REPLICAS"
"""How many replicas of the accelerator the user asked for (empty without one)."""
ENV_XCLBIN_PATH = "FPGA_XCLBIN_PATH"
"""Directories searched for xclbin files, ``os.pathsep``-separated."""
ENV_EMULATION = "FPGA_EMULATION"
"""``1`` when the pod has no real board by design (demo, emulated cluster)."""

ENV_SLOTS_PER_BOARD = "FPGA_SLOTS_PER_BOARD"
"""How many slots each board is offered as (``1`` or absent: the pod has whole boards).

Above 1 the board is shared: other servers may hold the board's other slots."""
ENV_IDLE_TIMEOUT = "FPGA_IDLE_TIMEOUT"
"""Seconds without FPGA activity after which the hub stops this server (absent: never)."""
ENV_IDLE_WARNING = "FPGA_IDLE_WARNING"
"""Seconds before that stop at which the user is warned."""
ENV_MAX_AGE = "FPGA_MAX_AGE"
"""Seconds after its start at which the hub stops this server whatever it does (absent: never)."""
ENV_ACTIVITY_DIR = "FPGA_ACTIVITY_DIR"
"""Directory where the pod's kernels record FPGA activity for the server extension.

Default: ``fpga-activity`` in Jupyter's runtime directory. The devices API reports what
is recorded there under ``activity`` (the schema is in ``jupyter_ext.activity``)."""

ALL_ENV = (
    ENV_BOARD,
    ENV_BOARD_NAME,
    ENV_COUNT,
    ENV_RESOURCE,
    ENV_PLUGIN,
    ENV_PLATFORM,
    ENV_ACCELERATOR,
    ENV_ACCELERATOR_REPLICAS,
    ENV_XCLBIN_PATH,
    ENV_EMULATION,
    ENV_SLOTS_PER_BOARD,
    ENV_IDLE_TIMEOUT,
    ENV_IDLE_WARNING,
    ENV_MAX_AGE,
)

LABEL_PREFIX = "fpga.jupyterhub.io/"
LABEL_BOARD = LABEL_PREFIX + "board"
LABEL_COUNT = LABEL_PREFIX + "count"
LABEL_ACCELERATOR = LABEL_PREFIX + "accelerator"

DEFAULT_XCLBIN_PATH = ("/opt/xilinx/xclbin", "/usr/share/jupyterhub-fpga/xclbin")


@dataclass(frozen=True)
class FPGARequest:
    """What the hub asked the cluster to give this pod."""

    board: str
    count: int
    resource: str
    plugin: str = ""
    board_name: str = ""
    platform: str = ""
    accelerator: str = ""
    accelerator_replicas: int = 0
    xclbin_path: tuple[str, ...] = DEFAULT_XCLBIN_PATH
    emulation: bool = False
    slots_per_board: int = 1
    """Above 1 the pod holds ``count`` slots of a board shared with other servers."""

    @property
    def shared(self) -> bool:
        return self.slots_per_board > 1

    def to_env(self) -> dict[str, str]:
        env = {
            ENV_BOARD: self.board,
            ENV_BOARD_NAME: self.board_name or self.board,
            ENV_COUNT: str(self.count),
            ENV_RESOURCE: self.resource,
            ENV_PLUGIN: self.plugin,
            ENV_PLATFORM: self.platform,
            ENV_ACCELERATOR: self.accelerator,
            ENV_ACCELERATOR_REPLICAS: str(self.accelerator_replicas) if self.accelerator else "",
            ENV_XCLBIN_PATH: os.pathsep.join(self.xclbin_path),
        }
        if self.emulation:
            env[ENV_EMULATION] = "1"
        if self.slots_per_board > 1:  # absent means whole boards
            env[ENV_SLOTS_PER_BOARD] = str(self.slots_per_board)
        # Unset facts are left out rather than written empty: absent means unknown.
        return {k: v for k, v in env.items() if v}

    def to_labels(self) -> dict[str, str]:
        labels = {LABEL_BOARD: self.board, LABEL_COUNT: str(self.count)}
        if self.accelerator:
            # label values may not contain '/'; function names use dots only
            labels[LABEL_ACCELERATOR] = self.accelerator.replace("/", "-")[:63]
        return labels

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FPGARequest | None:
        """Read the request back in the pod; None when the hub asked for no FPGA.

        Never raises: a pod with a garbled environment still starts, and the
        discovery answer reports the garbled value instead.
        """
        env = os.environ if environ is None else environ
        board = env.get(ENV_BOARD, "").strip()
        if not board:
            return None
        try:
            count = int(env.get(ENV_COUNT, "1"))
        except ValueError:
            count = 0
        try:
            replicas = int(env.get(ENV_ACCELERATOR_REPLICAS) or 0)
        except ValueError:
            replicas = 0
        path = tuple(p for p in env.get(ENV_XCLBIN_PATH, "").split(os.pathsep) if p)
        try:
            slots = max(1, int(env.get(ENV_SLOTS_PER_BOARD) or 1))
        except ValueError:
            slots = 1  # garbled: read as whole boards, as an absent value is
        return cls(
            board=board,
            count=count,
            resource=env.get(ENV_RESOURCE, ""),
            plugin=env.get(ENV_PLUGIN, ""),
            board_name=env.get(ENV_BOARD_NAME, "") or board,
            platform=env.get(ENV_PLATFORM, ""),
            accelerator=env.get(ENV_ACCELERATOR, ""),
            accelerator_replicas=replicas,
            xclbin_path=path or DEFAULT_XCLBIN_PATH,
            emulation=env.get(ENV_EMULATION, "") == "1",
            slots_per_board=slots,
        )


def xclbin_search_path(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The directories the pod side searches for xclbins, hub setting first."""
    env = os.environ if environ is None else environ
    path = tuple(p for p in env.get(ENV_XCLBIN_PATH, "").split(os.pathsep) if p)
    return path or DEFAULT_XCLBIN_PATH
