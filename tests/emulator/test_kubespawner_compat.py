"""Unmodified kubespawner 7.1 against the emulator: reflectors, a whole spawn, the recipe.

These are the code paths FPGASpawner inherits; if they work here they are
exercising the emulator exactly the way a JupyterHub would.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap

import pytest
from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config import kube_config
from kubespawner import KubeSpawner
from kubespawner.spawner import EventReflector, PodReflector

from fpga_demo.emulator import use_in_this_process
from fpga_spawner.kubespawner_internals import (
    create_pod_request,
    make_offline_spawner,
    stop_all_reflectors,
    wrap_reflector_list,
)
from tests.support.emulator import pod_body


@pytest.fixture
def in_process_client(cluster, tmp_path, monkeypatch):
    """Point kubespawner's global client configuration at `cluster`, restore it afterwards."""
    monkeypatch.setenv("KUBECONFIG", os.environ.get("KUBECONFIG", ""))
    monkeypatch.setattr(
        kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    )
    previous = Configuration.get_default_copy()
    path = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    use_in_this_process(path, cluster.url)
    yield cluster
    Configuration.set_default(previous)


async def test_pod_and_event_reflectors_follow_the_cluster(in_process_client):
    cluster = in_process_client
    pods = PodReflector(
        namespace="jhub", labels={"component": "singleuser-server"}, timeout_seconds=1
    )
    events = EventReflector(
        namespace="jhub", fields={"involvedObject.kind": "Pod"}, timeout_seconds=1
    )
    await pods.start()
    await events.start()
    try:
        cluster.api.create("pods", "jhub", pod_body("nb-a"))
        cluster.api.create("pods", "jhub", pod_body("not-mine", labels={"component": "other"}))
        await cluster.wait_for(
            lambda: pods.pods.get("jhub/nb-a", {}).get("status", {}).get("phase") == "Running"
        )
        assert "jhub/not-mine" not in pods.pods
        await asyncio.sleep(
            1.5
        )  # the watch ends at timeoutSeconds and resumes from its resourceVersion
        cluster.api.create("pods", "jhub", pod_body("nb-b"))
        await cluster.wait_for(lambda: "jhub/nb-b" in pods.pods)

        # An etcd compaction racing between the reflector's list and its watch:
        # the watch gets an ERROR 410 and the reflector must relist from "0".
        calls = []

        async def list_then_compact(original, resource_version):
            calls.append(resource_version)
            result = await original(resource_version)
            if len(calls) == 1:
                cluster.api.create("pods", "jhub", pod_body("nb-c"))
                cluster.store.compact()
            return result

        wrap_reflector_list(pods, list_then_compact)
        await cluster.wait_for(lambda: len(calls) >= 2, timeout=10)
        assert calls[1] == "0", "after a 410 the reflector relists from resourceVersion 0"
        cluster.api.delete("pods", "jhub", "nb-a", {"gracePeriodSeconds": 0})
        await cluster.wait_for(
            lambda: "jhub/nb-c" in pods.pods and "jhub/nb-a" not in pods.pods, timeout=10
        )
        assert pods.watch_task is not None and not pods.watch_task.done()

        reasons = [e["reason"] for e in events.events if e["involvedObject"]["name"] == "nb-b"]
        assert reasons[0] == "Scheduled" and "Started" in reasons
    finally:
        await pods.stop()
        await events.stop()


async def test_multi_namespace_reflector(in_process_client):
    cluster = in_process_client
    cluster.api.ensure_namespace("user-1")
    reflector = PodReflector(
        omit_namespace=True, labels={"component": "singleuser-server"}, timeout_seconds=1
    )
    await reflector.start()
    try:
        cluster.api.create("pods", "user-1", pod_body("x"))
        cluster.api.create("pods", "jhub", pod_body("y"))
        await cluster.wait_for(lambda: {"user-1/x", "jhub/y"} <= set(reflector.pods))
    finally:
        await reflector.stop()


async def test_kubespawner_start_poll_progress_stop(in_process_client):
    cluster = in_process_client
    spawner = make_offline_spawner(KubeSpawner, namespace="jhub", start_timeout=20)
    try:
        url = await spawner.start()
        pod = cluster.store.get("pods", "jhub", spawner.pod_name)
        assert url == f"http://{pod['status']['podIP']}:8888"
        assert pod["status"]["podIP"].startswith("127.") and pod["status"]["podIP"] != "127.0.0.1"
        assert await spawner.poll() is None
        # The event watch may deliver the scheduler's event after the pod watch
        # has seen the pod running (seen under CPU load), so wait for it.
        await cluster.wait_for(
            lambda: any("Successfully assigned jhub/" in e["message"] for e in spawner.events),
            timeout=10,
        )
        # 409 on create: kubespawner deletes the existing pod and asks to retry.
        manifest = await spawner.get_pod_manifest()
        assert await create_pod_request(spawner, manifest, 3) is False
        await cluster.wait_for(
            lambda: cluster.store.get("pods", "jhub", spawner.pod_name) is None, timeout=10
        )
        await spawner.stop()
        assert await spawner.poll() == 1
    finally:
        await stop_all_reflectors()


async def test_separate_process_recipe_kubeconfig_env(cluster, tmp_path):
    """The documented recipe: KUBECONFIG=<file> in a separate process and kubespawner finds us."""
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kc.yaml")
    cluster.api.create("pods", "jhub", pod_body("visible"))
    script = textwrap.dedent(
        """
        import asyncio
        from kubespawner.clients import load_config, shared_client
        async def main():
            load_config()
            api = shared_client("CoreV1Api")
            pods = await api.list_namespaced_pod("jhub", label_selector="component=singleuser-server")
            print(",".join(p.metadata.name for p in pods.items))
            await api.api_client.close()
        asyncio.run(main())
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_SERVICE")}
    env["KUBECONFIG"] = str(kubeconfig)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "visible"
