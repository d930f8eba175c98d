"""JupyterHub configuration for FPGA notebooks on Kubernetes.

`jupyterhub-fpga render --config examples/jupyterhub_config.py --user alice --profile u250`
prints the pod FPGASpawner would submit for alice, without a cluster.
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

c.JupyterHub.spawner_class = "fpga"
c.FPGASpawner.catalog_file = str(Path(__file__).with_name("catalog.yaml"))
c.KubeSpawner.image = "quay.io/jupyter/scipy-notebook:2024-12-02"
c.KubeSpawner.cpu_guarantee = 1.0
c.KubeSpawner.mem_guarantee = "2G"

# Hand-written profiles merge with the catalog's: a CPU-only default first,
# and an FPGA profile written the way zero-to-jupyterhub GPU profiles are.
c.KubeSpawner.profile_list = [
    {
        "display_name": "CPU only",
        "slug": "cpu",
        "description": "No FPGA; for editing notebooks and emulated runs",
        "default": True,
    },
    {
        "display_name": "U250 with the Vitis Vision image",
        "slug": "u250-vision",
        "description": "One Alveo U250 and a larger image",
        "kubespawner_override": {
            "image": "quay.io/jupyter/scipy-notebook:2024-12-02",
            "fpga_board": "u250",
            "fpga_count": 1,
        },
    },
]

# Stop the hub at start-up, with one clear message, if the catalog is wrong.
from fpga_spawner import check_config  # noqa: E402

check_config(c)
