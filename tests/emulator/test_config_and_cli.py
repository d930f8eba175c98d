"""The cluster file, the command line, and the background-thread runner."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
import urllib.request

import pytest
import yaml

from fpga_demo.emulator import (
    ClusterConfigError,
    EmulatedCluster,
    load_cluster_file,
    parse_cluster,
    run_in_thread,
)
from tests.support.emulator import DEMO_YAML, U250, VU47P, pod_body


def test_demo_cluster_describes_a_hybrid_fpga_cluster():
    spec = load_cluster_file(DEMO_YAML)
    nodes = {n.name: n.template for n in spec.nodes}
    assert set(nodes) == {"onprem-u250-1", "onprem-u280-1", "onprem-u55c-1", "onprem-cpu-1"}
    assert nodes["onprem-u250-1"].allocatable[U250] == "1"
    assert nodes["onprem-u250-1"].taints == [
        {"key": "fpga.jupyterhub.io/fpga", "value": "present", "effect": "NoSchedule"}
    ]
    assert not nodes["onprem-cpu-1"].taints
    assert all(t.labels["fpga.jupyterhub.io/location"] == "on-premises" for t in nodes.values())
    (group,) = spec.node_groups
    assert (group.name, group.max_size) == ("f2-cloud", 4)
    template = group.template
    assert template.allocatable[VU47P] == "2" and template.allocatable["cpu"] == "48"
    assert template.labels["fpga.jupyterhub.io/location"] == "cloud"
    assert template.labels["node.kubernetes.io/instance-type"] == "f2.12xlarge"
    assert template.taints == [
        {"key": "fpga.jupyterhub.io/fpga", "value": "present", "effect": "NoSchedule"}
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"nodes": [{"name": "n", "allocatable": {"cpu": "lots"}}]},
            "nodes[0].allocatable['cpu']: 'lots' is not a Kubernetes quantity",
        ),
        (
            {"nodes": [{"name": "n", "allocatable": {U250: "0.5"}}]},
            "extended resources must be whole numbers",
        ),
        ({"nodes": [{"name": "n", "colour": "red"}]}, "nodes[0]: unknown key(s) ['colour']"),
        ({"nodes": [{"name": "N_1"}]}, "nodes[0].name: 'N_1' is not a valid node name"),
        (
            {"nodes": [{"name": "n", "taints": [{"key": "k", "effect": "Sometimes"}]}]},
            "nodes[0].taints[0].effect: 'Sometimes'; allowed: ['NoSchedule', 'PreferNoSchedule', 'NoExecute']",
        ),
        (
            {"nodeGroups": [{"name": "g", "maxSize": -1}]},
            "nodeGroups[0].maxSize: must be a whole number >= 0",
        ),
        (
            {"nodeGroups": [{"name": "g", "maxSize": 1, "template": {"instanceType": "f9.huge"}}]},
            "nodeGroups[0].template.instanceType: 'f9.huge'; known:",
        ),
        (
            {
                "nodeGroups": [
                    {"name": "g", "maxSize": 1, "template": {"asgTags": {"resources/x": "1"}}}
                ]
            },
            "tag must start with 'k8s.io/cluster-autoscaler/node-template/'",
        ),
        (
            {"kubelet": {"defaultCommand": "jupyter"}},
            "kubelet.defaultCommand: must be a list of strings",
        ),
    ],
)
def test_bad_cluster_files_name_the_field(data, expected):
    with pytest.raises(ClusterConfigError) as info:
        parse_cluster(data, "my.yaml")
    assert str(info.value).startswith("my.yaml: ") and expected in str(info.value)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ClusterConfigError, match="cannot read the cluster file"):
        load_cluster_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: [unclosed")
    with pytest.raises(ClusterConfigError, match=r"bad\.yaml: not valid YAML"):
        load_cluster_file(bad)


async def test_command_line_serves_and_writes_a_kubeconfig(tmp_path):
    kubeconfig = tmp_path / "kc.yaml"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fpga_demo.emulator", "--cluster", str(DEMO_YAML), "--port", "0", "--kubeconfig", str(kubeconfig), "--no-processes",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line.startswith("EMULATED Kubernetes API server listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] == url and config["current-context"]
        assert (kubeconfig.stat().st_mode & 0o777) == 0o600
        body = await asyncio.to_thread(
            lambda: json.loads(urllib.request.urlopen(f"{url}/api/v1/nodes").read())
        )
        assert sorted(n["metadata"]["name"] for n in body["items"]) == [
            "onprem-cpu-1",
            "onprem-u250-1",
            "onprem-u280-1",
            "onprem-u55c-1",
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0


async def test_command_line_reports_a_bad_file_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes:\n  - name: n\n    allocatable: {cpu: lots}\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fpga_demo.emulator",
        "--cluster",
        str(bad),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert (
        err.decode().strip()
        == f"error: {bad}: nodes[0].allocatable['cpu']: 'lots' is not a Kubernetes quantity (e.g. 16, 500m, 64Gi)"
    )


def test_background_thread_runner_for_sync_callers(tmp_path):
    cluster = EmulatedCluster.from_yaml(DEMO_YAML, run_processes=False, state_dir=tmp_path)
    with run_in_thread(cluster, kubeconfig=tmp_path / "kc") as handle:
        assert handle.kubeconfig_path == tmp_path / "kc"
        handle.call(
            cluster.api.create,
            "pods",
            "jhub",
            pod_body("from-thread", {U250: 1}, tolerations=[{"operator": "Exists"}]),
        )

        def scheduled():
            pod = json.loads(
                urllib.request.urlopen(
                    f"{handle.url}/api/v1/namespaces/jhub/pods/from-thread"
                ).read()
            )
            return pod["spec"].get("nodeName")

        for _ in range(100):
            if scheduled():
                break
            time.sleep(0.05)
        assert scheduled() == "onprem-u250-1"
    assert not handle.thread.is_alive()
