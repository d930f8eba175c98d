"""DRA boards on the hub side: the catalog's dra section, the objects the spawner writes, capacity.

The ResourceClaimTemplate and the pod are validated against Kubernetes 1.34's
own schemas (kubernetes-validate), where resource.k8s.io/v1 became GA.
"""

from __future__ import annotations

import kubernetes_validate
import pytest

from fpga_spawner.capacity import CapacityLedger
from fpga_spawner.capacity_watch import claim_facts
from fpga_spawner.catalog import CatalogError, parse_catalog
from fpga_spawner.cel import CelError, compile_selector, device_view
from fpga_spawner.dra import claim_template, slice_devices
from tests.support.spawner import catalog_config, manifest_for

K8S_VERSION = "1.34.0"
DRIVER = "fpga.amd.com"
U250 = {
    "slug": "u250-dra",
    "display_name": "AMD Alveo U250 (DRA)",
    "plugin": "dra",
    "platform": "xilinx_u250_gen3x16_xdma_shell_4_1",
    "max_per_user": 2,
    "dra": {
        "device_class": "u250.fpga.amd.com",
        "driver": DRIVER,
        "board": "u250",
        "shell": "xilinx_u250_gen3x16_xdma_shell_4_1",
        "selectors": ['device.attributes["fpga.amd.com"].memoryGiB >= 64'],
    },
}
U250_RESOURCE = "deviceclass.resource.kubernetes.io/u250.fpga.amd.com"


def board(**dra) -> dict:
    return {**U250, "dra": {**U250["dra"], **dra}}


def u250_device(name: str, memory: int = 64, board: str = "u250") -> dict:
    return {
        "name": name,
        "attributes": {
            "board": {"string": board},
            "vbnv": {"string": f"xilinx_{board}_gen3x16_xdma_shell_4_1"},
            "memoryGiB": {"int": memory},
        },
    }


def test_a_dra_board_is_named_by_its_device_class_and_selects_on_board_and_shell():
    [parsed] = parse_catalog(boards=[U250]).boards
    assert parsed.resource == U250_RESOURCE
    assert parsed.dra.selectors == (
        'device.attributes["fpga.amd.com"].board == "u250"',
        'device.attributes["fpga.amd.com"].vbnv == "xilinx_u250_gen3x16_xdma_shell_4_1"',
        'device.attributes["fpga.amd.com"].memoryGiB >= 64',
    )
    assert parsed.dra.spawner_writes_template


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (
            board(selectors=['device.attributes["fpga.amd.com"].board = "u250"']),
            "entry #0 ('u250-dra'): dra.selectors[0] 'device.attributes[\"fpga.amd.com\"].board = \"u250\"': column 41: unexpected '='",
        ),  # fmt: skip
        (board(selectors=["device.vendor == 'amd'"]), "device has no field 'vendor'"),
        (board(selectors=["size(device.driver) > 0"]), "unknown name 'size'"),
        (board(device_class="Fpga_AMD"), "dra.device_class='Fpga_AMD' must be a lowercase DNS"),
        (board(xclbin_uuid="not-a-uuid"), "dra.xclbin_uuid='not-a-uuid' is not a UUID"),
        (board(claim="lab", claim_template="t"), "at most one of dra.claim_template and dra.claim"),
        (board(claim="lab"), "max_per_user must be 1 with dra.claim_template or dra.claim"),
        (board(request_as="plugin"), "dra.request_as='plugin'; allowed: claim, extended-resource"),
        (board(colour="red"), "dra: unknown key 'colour'"),
        ({**U250, "resource": "amd.com/x-0"}, "must be 'deviceclass.resource.kubernetes.io/u250"),
        ({k: v for k, v in U250.items() if k != "dra"}, "plugin 'dra' needs a dra section"),
        ({**U250, "plugin": "amd", "resource": "amd.com/x-0"}, "dra is only for plugin 'dra'"),
    ],
)
def test_bad_dra_sections_are_refused_naming_the_entry(entry, said):
    with pytest.raises(CatalogError) as refused:
        parse_catalog(boards=[entry])
    assert said in str(refused.value)
    assert str(refused.value).startswith("FPGASpawner.boards: entry #0")


def test_two_dra_boards_may_not_share_a_device_class():
    other = {**board(board="u280"), "slug": "u280-dra"}
    with pytest.raises(CatalogError, match="give each DRA board type a DeviceClass of its own"):
        parse_catalog(boards=[U250, other])


def test_the_cel_subset_evaluates_like_kubernetes_on_a_slice_device():
    view = device_view(DRIVER, u250_device("d0", memory=64))
    assert compile_selector(
        'device.attributes["fpga.amd.com"]["board"] in ["u250", "u280"]'
    ).matches(view)
    assert compile_selector(
        'device.attributes["fpga.amd.com"].vbnv.startsWith("xilinx_u250")'
    ).matches(view)
    assert not compile_selector('device.attributes["fpga.amd.com"].memoryGiB > 64').matches(view)
    # a missing attribute is a runtime error: the device does not qualify, nothing raises
    assert not compile_selector('device.attributes["other.io"].x == 1').matches(view)
    assert compile_selector('!("x" in device.attributes["fpga.amd.com"])').matches(view)
    with pytest.raises(CelError, match="must yield a bool"):
        compile_selector('"u250"')


def test_the_spawners_template_and_pod_are_valid_kubernetes_1_34_objects():
    [parsed] = parse_catalog(boards=[U250]).boards
    template = claim_template(
        "jupyter-ann-fpga", "jhub", parsed.dra, 2, {"app.kubernetes.io/managed-by": "jupyterhub-fpga"},
        {"hub.jupyter.org/username": "ann"},
    )  # fmt: skip
    kubernetes_validate.validate(template, K8S_VERSION, strict=True)
    request = template["spec"]["spec"]["devices"]["requests"][0]
    assert request["exactly"]["deviceClassName"] == "u250.fpga.amd.com"
    assert request["exactly"]["count"] == 2
    assert [s["cel"]["expression"] for s in request["exactly"]["selectors"]] == list(
        parsed.dra.selectors
    )
    assert template["spec"]["metadata"]["annotations"] == {"hub.jupyter.org/username": "ann"}


async def test_a_pod_for_a_dra_board_names_its_claim_and_asks_for_no_extended_resource():
    pod, spawner = await manifest_for(
        catalog_config(boards=[{**board(claim_template="lab-u250"), "max_per_user": 1}]),
        {"profile": "u250-dra"},
    )
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    assert pod["spec"]["resourceClaims"] == [
        {"name": "fpga", "resourceClaimTemplateName": "lab-u250"}
    ]
    notebook = next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")
    assert notebook["resources"]["claims"] == [{"name": "fpga"}]
    assert U250_RESOURCE not in (notebook["resources"].get("limits") or {})
    env = {e["name"]: e.get("value") for e in notebook["env"]}
    assert (env["FPGA_DEVICE_PLUGIN"], env["FPGA_RESOURCE"]) == ("dra", U250_RESOURCE)
    assert spawner.fpga_claim_template == ""  # the admin's template: nothing written


async def test_a_shared_claim_and_the_extended_resource_form():
    pod, _ = await manifest_for(
        catalog_config(boards=[{**board(claim="lab-u250"), "max_per_user": 1}]),
        {"profile": "u250-dra"},
    )
    assert pod["spec"]["resourceClaims"] == [{"name": "fpga", "resourceClaimName": "lab-u250"}]
    pod, _ = await manifest_for(
        catalog_config(boards=[board(request_as="extended-resource")]), {"profile": "u250-dra"}
    )
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    notebook = next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")
    assert notebook["resources"]["limits"][U250_RESOURCE] == "1"
    assert "resourceClaims" not in pod["spec"]


def test_capacity_counts_slice_devices_and_allocated_claims_once():
    catalog = parse_catalog(boards=[U250])
    ledger = CapacityLedger.for_catalog(catalog)
    ledger.set_node("dra-a", {"cpu": "8"}, {})
    resource_slice = {
        "metadata": {"name": "dra-a-fpga"},
        "spec": {
            "driver": DRIVER,
            "nodeName": "dra-a",
            "pool": {"name": "dra-a", "generation": 1, "resourceSliceCount": 1},
            "devices": [
                u250_device("fpga-0"),
                u250_device("fpga-1"),
                u250_device("fpga-2", memory=32),  # the catalog's selector leaves it out
                u250_device("fpga-3", board="u280"),
            ],
        },
    }
    node, counts, devices = slice_devices(resource_slice, ledger.dra_boards)
    assert (node, counts) == ("dra-a", {U250_RESOURCE: 2})
    ledger.set_slice("dra-a-fpga", node, counts, devices)
    assert (ledger.board(U250_RESOURCE).total, ledger.board(U250_RESOURCE).free) == (2, 2)

    claim = {
        "metadata": {"uid": "c1", "namespace": "jhub", "name": "jupyter-ann-fpga-x",
                     "annotations": {"hub.jupyter.org/username": "ann"}},
        "status": {
            "allocation": {
                "devices": {"results": [{"request": "fpga", "driver": DRIVER, "pool": "dra-a", "device": "fpga-1"}]},
                "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": ["dra-a"]}]}]},
            },
            "reservedFor": [{"resource": "pods", "name": "p1", "uid": "u1"}, {"resource": "pods", "name": "p2", "uid": "u2"}],
        },
    }  # fmt: skip
    uid, node, held = claim_facts(claim)
    from fpga_spawner.capacity_watch import pod_owner

    ledger.set_claim(uid, node, held, pod_owner(claim["metadata"]))
    capacity = ledger.board(U250_RESOURCE)
    assert (capacity.in_use, capacity.free, capacity.largest_free_on_one_node) == (1, 1, 1)
    assert ledger.held_by("ann") == {U250_RESOURCE: 1}  # a claim shared by two pods holds one
    assert ledger.pod_uids() == set()  # a relist of pods must not forget claims

    ledger.set_node("dra-a", {"cpu": "8"}, {"new": "label"})  # a node update keeps its devices
    assert ledger.board(U250_RESOURCE).total == 2
    ledger.delete_claim("c1")
    ledger.delete_slice("dra-a-fpga")
    assert (ledger.board(U250_RESOURCE).total, ledger.board(U250_RESOURCE).in_use) == (0, 0)


async def test_the_dry_run_builds_the_pod_of_a_spawner_written_template_without_a_cluster():
    pod, spawner = await manifest_for(catalog_config(boards=[U250]), {"profile": "u250-dra"})
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    assert pod["spec"]["resourceClaims"] == [
        {"name": "fpga", "resourceClaimTemplateName": f"{spawner.pod_name}-fpga"}
    ]
    assert spawner.fpga_claim_template == ""  # nothing was written: there is no cluster


def test_render_prints_the_claim_template_before_the_pod(tmp_path, repo_root):
    """The admin's dry run shows every object a DRA spawn writes, in the order it writes them."""
    import subprocess
    import sys

    import yaml

    config = tmp_path / "jupyterhub_config.py"
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"boards": [U250]}))
    config.write_text(
        f"c.JupyterHub.spawner_class = 'fpga'\nc.FPGASpawner.catalog_file = {str(catalog)!r}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "fpga_spawner.cli", "render", "--config", str(config),
         "--user", "alice", "--profile", "u250-dra"],
        capture_output=True, text=True, timeout=120, cwd=repo_root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    template, pod = yaml.safe_load_all(result.stdout)
    assert template["kind"] == "ResourceClaimTemplate"
    assert pod["kind"] == "Pod"
    assert pod["spec"]["resourceClaims"] == [
        {"name": "fpga", "resourceClaimTemplateName": template["metadata"]["name"]}
    ]
    kubernetes_validate.validate(template, K8S_VERSION, strict=True)
    selectors = [s["cel"]["expression"] for s in
                 template["spec"]["spec"]["devices"]["requests"][0]["exactly"]["selectors"]]  # fmt: skip
    assert any("memoryGiB >= 64" in s for s in selectors), selectors
