"""Pod manifests for every device-plugin flavour, validated against Kubernetes' schema."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest
from kubespawner import KubeSpawner
from traitlets.config import Config

from fpga_spawner.flavours import amd_resource_name
from fpga_spawner.render import load_config, make_spawner
from jupyter_ext.contract import FPGARequest
from tests.support.spawner import catalog_config, manifest_for

K8S_VERSION = "1.34.0"

FLAVOUR_BOARDS = {
    "amd": {
        "slug": "u250",
        "plugin": "amd",
        "resource": "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0",
        "platform": "xilinx_u250_gen3x16_xdma_shell_4_1",
    },
    "xilinx-legacy-u200": {
        "slug": "u200",
        "plugin": "xilinx-legacy",
        "resource": "xilinx.com/fpga-xilinx_u200_xdma_201830_1-1542252769",
    },
    "xilinx-legacy-f1": {
        "slug": "f1",
        "plugin": "xilinx-legacy",
        "resource": "xilinx.com/fpga-xilinx_aws-vu9p-f1_dynamic_5_0-43981",
        "location": "cloud",
        "node_group": "aws-f1",
    },
    "inaccel": {
        "slug": "u250",
        "plugin": "inaccel",
        "resource": "xilinx/u250",
        "node_selector": {"inaccel/fpga-shell": "xilinx_u250_gen3x16_xdma_shell_3_1"},
    },
    "intel": {
        "slug": "pac-a10",
        "plugin": "intel",
        "resource": "fpga.intel.com/region-ce48969398f05f33946d560708be108a",
    },
    "intel-alias": {  # the plugin's admission webhook maps it to an af- resource
        "slug": "nlb0",
        "plugin": "intel",
        "resource": "fpga.intel.com/arria10.dcp1.2-nlb0-preprogrammed",
    },
    "bcom": {
        "slug": "accel",
        "plugin": "bcom",
        "resource": "b-com.com/accelerator",
        "max_per_user": 4,
    },
}


def notebook_container(pod):
    return next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")


def env_of(pod) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in notebook_container(pod)["env"]}


@pytest.mark.parametrize("flavour", sorted(FLAVOUR_BOARDS))
async def test_every_flavour_gives_a_valid_fpga_pod(flavour):
    board = FLAVOUR_BOARDS[flavour]
    count = board.get("max_per_user", 1)
    pod, _ = await manifest_for(
        catalog_config(boards=[board]), {"profile": board["slug"], "count": str(count)}
    )
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)

    resources = notebook_container(pod)["resources"]
    assert resources["limits"][board["resource"]] == str(count)
    assert resources["requests"][board["resource"]] == str(count)
    for key, value in board.get("node_selector", {}).items():
        assert pod["spec"]["nodeSelector"][key] == value
    preferred = pod["spec"]["affinity"]["nodeAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert preferred[0]["preference"]["matchExpressions"][0]["values"] == ["on-premises"]
    if board["plugin"] == "inaccel":
        assert pod["metadata"]["labels"]["inaccel/fpga"] == "enabled"

    request = FPGARequest.from_env(env_of(pod))
    assert (request.board, request.count, request.resource) == (
        board["slug"],
        count,
        board["resource"],
    )
    assert request.plugin == board["plugin"]


async def test_an_f2_entry_asks_for_exactly_what_the_plugin_advertises():
    # the user function's rom*/VBNV and rom*/timestamp, as XRT's driver writes them
    # for an F2 with the Small Shell (0x10212415), named as the AMD plugin names them
    advertised = amd_resource_name("xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1", "43981")
    assert advertised == "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"
    board = {"slug": "f2", "plugin": "amd", "resource": advertised, "max_per_user": 2}
    pod, _ = await manifest_for(catalog_config(boards=[board]), {"profile": "f2", "count": "2"})
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    resources = notebook_container(pod)["resources"]
    assert resources["limits"] == resources["requests"] == {advertised: "2"}
    assert env_of(pod)["FPGA_RESOURCE"] == advertised


async def test_example_config_renders_every_profile(repo_root):
    config = load_config(repo_root / "examples" / "jupyterhub_config.py")
    for user_options, groups in [
        ({"profile": "cpu"}, []),
        ({"profile": "u250", "count": "2"}, []),
        ({"profile": "u250-vision"}, []),
        ({"profile": "f2", "count": "1"}, ["fpga-cloud"]),
        ({"profile": "accel-vision-stereo-bm", "replicas": "2"}, []),
        ({"profile": "accel-finance-black-scholes", "replicas": "3"}, ["fpga-cloud"]),
    ]:
        pod, _ = await manifest_for(copy.deepcopy(config), user_options, groups=groups)
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


async def test_license_references_never_values(repo_root):
    config = load_config(repo_root / "examples" / "jupyterhub_config.py")
    pod, _ = await manifest_for(config, {"profile": "u250"})
    container = notebook_container(pod)
    lic = next(e for e in container["env"] if e["name"] == "XILINXD_LICENSE_FILE")
    assert "value" not in lic
    assert lic["valueFrom"] == {"secretKeyRef": {"name": "fpga-licenses", "key": "xilinx-license"}}
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "fpga-license-accelize")
    assert volume["secret"]["secretName"] == "accelize-drm"
    assert {i["path"] for i in volume["secret"]["items"]} == {"cred.json", "conf.json"}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "fpga-license-accelize")
    assert mount == {
        "name": "fpga-license-accelize",
        "mountPath": "/etc/accelize",
        "readOnly": True,
    }


async def test_accelerator_becomes_boards_on_premises_first(repo_root):
    config = load_config(repo_root / "examples" / "jupyterhub_config.py")
    pod, spawner = await manifest_for(
        config, {"profile": "accel-vision-stereo-bm", "replicas": "2"}, groups=["fpga-cloud"]
    )
    env = env_of(pod)
    # u250 runs 1 replica per board and is on premises: 2 replicas -> 2 x U250
    assert env["FPGA_BOARD"] == "u250" and env["FPGA_COUNT"] == "2"
    assert env["FPGA_ACCELERATOR"] == "vision.stereo_bm"
    assert env["FPGA_ACCELERATOR_REPLICAS"] == "2"
    assert pod["metadata"]["labels"]["fpga.jupyterhub.io/accelerator"] == "vision.stereo_bm"
    assert "2 x AMD Alveo U250" in spawner.fpga_placement.reason


def _no_catalog_config() -> Config:
    c = Config()
    c.KubeSpawner.image = "quay.io/jupyter/base-notebook:2024-12-02"
    c.KubeSpawner.cpu_limit = 2.0
    c.KubeSpawner.extra_resource_limits = {"nvidia.com/gpu": "1"}
    c.KubeSpawner.tolerations = [{"key": "gpu", "operator": "Exists"}]
    c.KubeSpawner.profile_list = [
        {"display_name": "small", "slug": "small", "default": True},
        {
            "display_name": "big",
            "slug": "big",
            "kubespawner_override": {"mem_limit": "8G"},
            "profile_options": {
                "image": {
                    "display_name": "Image",
                    "choices": {
                        "a": {"display_name": "A", "kubespawner_override": {"image": "a:1"}},
                        "b": {"display_name": "B", "kubespawner_override": {"image": "b:1"}},
                    },
                }
            },
        },
    ]
    return c


@pytest.mark.parametrize(
    "user_options", [{}, {"profile": "small"}, {"profile": "big", "image": "b"}]
)
async def test_without_catalog_manifests_equal_kubespawners(user_options):
    ours, _ = await manifest_for(_no_catalog_config(), dict(user_options))
    theirs, _ = await manifest_for(_no_catalog_config(), dict(user_options), cls=KubeSpawner)
    assert ours == theirs
    assert "FPGA_BOARD" not in env_of(ours)


CATALOG_FILES = ["examples/catalog.yaml", "demo/fpga_demo/catalog.yaml"]


@pytest.mark.parametrize("catalog_file", CATALOG_FILES)
async def test_every_profile_of_every_example_catalog_is_a_valid_pod(repo_root, catalog_file):
    config = catalog_config(catalog_file=str(repo_root / catalog_file))
    spawner = make_spawner(config, "alice", ["fpga-cloud"])
    profiles = await spawner.initialized_profile_list()
    assert profiles
    for profile in profiles:
        for option, spec in (profile.get("profile_options") or {}).items():
            for choice in spec["choices"]:
                pod, _ = await manifest_for(
                    config, {"profile": profile["slug"], option: choice}, groups=["fpga-cloud"]
                )
                kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
                assert FPGARequest.from_env(env_of(pod)) is not None
