"""Catalogs the hub tests and benchmarks share: on-premises U250s and a cloud F2 node group.

Most hub-side tests need the same two-location shape (boards on the hub's own
nodes, a node group a cluster autoscaler can add), and only a few fields differ
between them; building it here keeps the resource names and the node group's
wiring in one place.
"""

from __future__ import annotations

from typing import Any

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
U55C = "amd.com/xilinx_u55c_gen3x16_xdma_base_3-0"
F2 = "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"
F2_INSTANCE = {"node.kubernetes.io/instance-type": "f2.12xlarge"}


def onprem_and_cloud(
    *,
    u250: dict[str, Any] | None = None,
    more_boards: tuple[dict[str, Any], ...] = (),
    max_nodes: int = 3,
    node_labels: dict[str, str] | None = None,
    accelerators: bool = True,
) -> dict[str, Any]:
    """Catalog keyword arguments: a U250 on premises (``u250`` adds fields), ``more_boards``,
    and F2 boards in the cloud node group ``f2-cloud`` of ``max_nodes`` nodes."""
    group: dict[str, Any] = {
        "name": "f2-cloud",
        "board": "f2",
        "boards_per_node": 2,
        "max_nodes": max_nodes,
    }
    if node_labels:
        group["node_labels"] = node_labels
    config: dict[str, Any] = {
        "boards": [
            {"slug": "u250", "plugin": "amd", "resource": U250, **(u250 or {})},
            *more_boards,
            {
                "slug": "f2",
                "plugin": "amd",
                "resource": F2,
                "location": "cloud",
                "node_group": "f2-cloud",
                "max_per_user": 2,
            },  # fmt: skip
        ],
        "node_groups": [group],
    }
    if accelerators:
        config["accelerators"] = [{"name": "vision.stereo_bm", "boards": {"u250": 4, "f2": 2}}]
    return config
