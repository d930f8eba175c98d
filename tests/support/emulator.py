"""Resource names, node shapes and pod bodies shared by the emulator tests."""

from __future__ import annotations

from typing import Any

from fpga_demo.launcher import CLUSTER_FILE as DEMO_YAML

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
VU47P = "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"  # F2, Small Shell
FPGA_TAINT = {"key": "fpga.jupyterhub.io/fpga", "value": "present", "effect": "NoSchedule"}
FPGA_TOLERATION = {"key": "fpga.jupyterhub.io/fpga", "operator": "Exists", "effect": "NoSchedule"}

SMALL: dict[str, Any] = {
    "namespaces": ["jhub"],
    "nodes": [
        {
            "name": "fpga-a",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "taints": [FPGA_TAINT],
            "allocatable": {"cpu": "8", "memory": "16Gi", U250: 1},
        },
        {
            "name": "fpga-b",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "taints": [FPGA_TAINT],
            "allocatable": {"cpu": "8", "memory": "16Gi", U250: 1},
        },
        {
            "name": "cpu-a",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "allocatable": {"cpu": "4", "memory": "8Gi"},
        },
    ],
    "kubelet": {"runProcesses": False},
    "scheduler": {"unschedulableRetrySeconds": 0.2},
    "autoscaler": {"scanIntervalSeconds": 0.1},
}


def pod_body(name: str, limits: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    """A minimal pod manifest (dict), as kubespawner would send one, with overrides."""
    labels = spec.pop("labels", {"component": "singleuser-server"})
    container = {"name": "notebook", "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.1.0"}
    if limits:
        container["resources"] = {"limits": dict(limits)}
    container.update(spec.pop("container", {}))
    body = {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container], **spec},
    }
    return body


__all__ = ["DEMO_YAML"]
