"""Placement rules beyond resources: pod (anti-)affinity, NoExecute taints, kubelet admission.

Each rule is checked the way a real cluster shows it: where pods end up,
the FailedScheduling wording, pods evicted by a taint, and a pod bound by
`spec.nodeName` to a node without its device rejected by the kubelet.
"""

from __future__ import annotations

import copy

from tests.support.emulator import FPGA_TOLERATION, SMALL, U250, U280, pod_body

ZONE = "topology.kubernetes.io/zone"


def node_of(cluster, name):
    pod = cluster.store.get("pods", "jhub", name)
    return pod and pod["spec"].get("nodeName")


def spread_cluster_spec():
    spec = copy.deepcopy(SMALL)
    spec["nodes"] = [
        {"name": f"n{i}", "labels": {ZONE: zone}, "allocatable": {"cpu": "8", "memory": "16Gi"}}
        for i, zone in enumerate(["a", "a", "b"])
    ]
    return spec


def anti_affinity(app: str, required: bool = True) -> dict:
    term = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": ZONE}
    if required:
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    weighted = [{"weight": 100, "podAffinityTerm": term}]
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": weighted}}


async def test_required_anti_affinity_spreads_pods_across_zones(make_cluster):
    cluster = await make_cluster(spread_cluster_spec())
    for name in ("web-1", "web-2", "web-3"):
        body = pod_body(name, labels={"app": "web"}, affinity=anti_affinity("web"))
        cluster.api.create("pods", "jhub", body)
    await cluster.wait_for(lambda: node_of(cluster, "web-1") and node_of(cluster, "web-2"))
    zones = {"n0": "a", "n1": "a", "n2": "b"}
    assert {zones[node_of(cluster, "web-1")], zones[node_of(cluster, "web-2")]} == {"a", "b"}
    await cluster.wait_for(lambda: cluster.events(involved_name="web-3", reason="FailedScheduling"))
    assert node_of(cluster, "web-3") is None
    message = cluster.events(involved_name="web-3", reason="FailedScheduling")[0]["message"]
    assert message.startswith(
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    )


async def test_existing_pods_anti_affinity_and_required_affinity(make_cluster):
    cluster = await make_cluster(spread_cluster_spec())
    # a loner that wants no "noisy" pod in its zone
    loner = pod_body("loner", labels={"app": "loner"}, affinity=anti_affinity("noisy"))
    loner["spec"]["nodeName"] = "n2"
    cluster.api.create("pods", "jhub", loner)
    together = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "loner"}}, "topologyKey": ZONE}
            ]
        }
    }
    cluster.api.create("pods", "jhub", pod_body("friend", labels={"app": "f"}, affinity=together))
    cluster.api.create("pods", "jhub", pod_body("noisy", labels={"app": "noisy"}))
    await cluster.wait_for(lambda: node_of(cluster, "friend") and node_of(cluster, "noisy"))
    assert node_of(cluster, "friend") == "n2", "affinity: the loner's zone"
    assert node_of(cluster, "noisy") in ("n0", "n1"), "symmetry: not the loner's zone"

    # affinity to pods that exist nowhere: unschedulable (unless it matches itself)
    lost = pod_body(
        "lost", labels={"app": "x"}, affinity={"podAffinity": together["podAffinity"] | {}}
    )
    lost["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0][
        "labelSelector"
    ] = {"matchLabels": {"app": "nobody"}}
    cluster.api.create("pods", "jhub", lost)
    first = pod_body(
        "first", labels={"app": "group"}, affinity=copy.deepcopy(lost["spec"]["affinity"])
    )
    first["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0][
        "labelSelector"
    ] = {"matchLabels": {"app": "group"}}
    cluster.api.create("pods", "jhub", first)
    await cluster.wait_for(lambda: cluster.events(involved_name="lost", reason="FailedScheduling"))
    assert "didn't match pod affinity rules" in cluster.events(involved_name="lost")[-1]["message"]
    await cluster.wait_for(lambda: node_of(cluster, "first"))


async def test_preferred_anti_affinity_only_ranks(make_cluster):
    cluster = await make_cluster(spread_cluster_spec())
    for name in ("a", "b", "c"):
        body = pod_body(name, labels={"app": "p"}, affinity=anti_affinity("p", required=False))
        cluster.api.create("pods", "jhub", body)
        await cluster.wait_for(lambda name=name: node_of(cluster, name))
    zones = {"n0": "a", "n1": "a", "n2": "b"}
    placed = [zones[node_of(cluster, n)] for n in "abc"]
    assert sorted(placed[:2]) == ["a", "b"], "the second pod avoids the first one's zone"
    assert placed[2] in "ab", "a preference never leaves a pod pending"


async def test_no_execute_taints_evict_now_or_after_toleration_seconds(cluster):
    patient = {
        "key": "maintenance",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 1,
    }
    forever = {"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}
    for name, tolerations in (("plain", []), ("patient", [patient]), ("forever", [forever])):
        body = pod_body(name, tolerations=tolerations, nodeName="cpu-a")
        cluster.api.create("pods", "jhub", body)
    await cluster.wait_for(lambda: all(
        (cluster.store.get("pods", "jhub", n)["status"].get("phase") == "Running")
        for n in ("plain", "patient", "forever")
    ))  # fmt: skip

    def taint(node):
        node["spec"]["taints"] = [{"key": "maintenance", "effect": "NoExecute"}]

    cluster.store.mutate("nodes", None, "cpu-a", taint)
    await cluster.wait_for(lambda: cluster.store.get("pods", "jhub", "plain") is None, timeout=5)
    assert cluster.store.get("pods", "jhub", "patient") is not None, "tolerated for 1 s"
    await cluster.wait_for(lambda: cluster.store.get("pods", "jhub", "patient") is None, timeout=5)
    assert cluster.store.get("pods", "jhub", "forever") is not None
    events = cluster.events(involved_name="plain", reason="TaintManagerEviction")
    assert events[0]["message"] == "Marking for deletion Pod jhub/plain"
    # a new pod that does not tolerate the taint is not scheduled there either
    cluster.api.create("pods", "jhub", pod_body("late"))
    await cluster.wait_for(lambda: cluster.events(involved_name="late", reason="FailedScheduling"))
    message = cluster.events(involved_name="late", reason="FailedScheduling")[0]["message"]
    assert "1 node(s) had untolerated taint {maintenance: }" in message


async def test_kubelet_rejects_a_pod_bound_to_a_node_without_its_device(make_cluster):
    spec = copy.deepcopy(SMALL)
    spec["nodes"][1]["allocatable"] = {"cpu": "8", "memory": "16Gi", U280: 1}
    cluster = await make_cluster(spec)
    wrong = pod_body("wrong-board", {U250: 1}, tolerations=[FPGA_TOLERATION], nodeName="fpga-b")
    cluster.api.create("pods", "jhub", wrong)
    selector = pod_body("wrong-label", nodeName="cpu-a", nodeSelector={"disk": "ssd"})
    cluster.api.create("pods", "jhub", selector)
    right = pod_body("right-board", {U250: 1}, tolerations=[FPGA_TOLERATION], nodeName="fpga-a")
    cluster.api.create("pods", "jhub", right)
    second = pod_body("second-u250", {U250: 1}, tolerations=[FPGA_TOLERATION], nodeName="fpga-a")
    cluster.api.create("pods", "jhub", second)

    def status(name):
        return cluster.store.get("pods", "jhub", name)["status"]

    await cluster.wait_for(lambda: status("wrong-board").get("phase") == "Failed")
    assert status("wrong-board")["reason"] == f"OutOf{U250}"
    assert status("wrong-board")["message"] == (
        f"Pod was rejected: Node didn't have enough resource: {U250}, requested: 1, used: 0, "
        "capacity: 0"
    )
    await cluster.wait_for(lambda: status("wrong-label").get("phase") == "Failed")
    assert status("wrong-label")["reason"] == "NodeAffinity"
    await cluster.wait_for(lambda: status("right-board").get("phase") == "Running")
    await cluster.wait_for(lambda: status("second-u250").get("phase") == "Failed")
    assert "used: 1, capacity: 1" in status("second-u250")["message"]
    events = cluster.events(involved_name="wrong-board", reason=f"OutOf{U250}")
    assert events and events[0]["type"] == "Warning"
