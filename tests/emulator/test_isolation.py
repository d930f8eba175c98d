"""Emulators side by side on one machine, and emulators that die badly.

Several engineers' test runs, a demo and the e2e tests share one machine and
its 127.0.0.0/8. Each emulator must give its pods addresses no other emulator
uses, and nothing it started may outlive it, not even after a `kill -9`.
"""

from __future__ import annotations

import asyncio
import copy
import signal
import socket
from pathlib import Path

import aiohttp
from kubernetes_asyncio import client, config

from fpga_demo.emulator import EmulatedCluster
from fpga_demo.emulator.kubelet.addresses import AddressLeases
from fpga_demo.emulator.kubelet.runtime import marked_processes
from tests.support.emulator import SMALL, U250, identity_pod, start_emulator_process

PROCESS_CLUSTER = {**copy.deepcopy(SMALL), "kubelet": {"runProcesses": True}}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def get_text(url: str) -> str:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                    return await response.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered")


async def wait_running(v1: client.CoreV1Api, name: str, timeout: float = 30) -> client.V1Pod:
    for _ in range(int(timeout * 10)):
        pod = await v1.read_namespaced_pod(name, "jhub")
        if pod.status.phase == "Running" and pod.status.pod_ip:
            return pod
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} not running: {pod.status}")


async def test_two_emulators_each_user_reaches_their_own_server(make_cluster, tmp_path):
    """The first U250 pod of two emulators: two addresses, each answering for its own user."""
    other, url, kubeconfig = await start_emulator_process(PROCESS_CLUSTER, tmp_path)
    try:
        mine = await make_cluster(PROCESS_CLUSTER)
        await config.load_kube_config(str(kubeconfig))
        async with (
            client.ApiClient() as theirs_api,
            client.ApiClient(mine.client_configuration()) as mine_api,
        ):
            theirs_v1, mine_v1 = client.CoreV1Api(theirs_api), client.CoreV1Api(mine_api)
            await theirs_v1.create_namespaced_pod("jhub", identity_pod("jupyter-alice", "alice"))
            await mine_v1.create_namespaced_pod("jhub", identity_pod("jupyter-bob", "bob"))
            alice = await wait_running(theirs_v1, "jupyter-alice")
            bob = await wait_running(mine_v1, "jupyter-bob")
        assert alice.status.pod_ip != bob.status.pod_ip
        assert await get_text(f"http://{alice.status.pod_ip}:8888/") == "alice"
        assert await get_text(f"http://{bob.status.pod_ip}:8888/") == "bob"
    finally:
        other.send_signal(signal.SIGTERM)
        await asyncio.wait_for(other.wait(), 30)


async def test_sigkill_of_the_emulator_leaves_no_user_process(tmp_path):
    other, url, kubeconfig = await start_emulator_process(PROCESS_CLUSTER, tmp_path)
    pids_file = tmp_path / "pids"
    try:
        await config.load_kube_config(str(kubeconfig))
        async with client.ApiClient() as api:
            v1 = client.CoreV1Api(api)
            created = await v1.create_namespaced_pod(
                "jhub", identity_pod("jupyter-carol", "carol", str(pids_file))
            )
            pod = await wait_running(v1, "jupyter-carol")
        for _ in range(100):
            if pids_file.exists() and pids_file.read_text():
                break
            await asyncio.sleep(0.1)
        server, kernel = (int(p) for p in pids_file.read_text().split())
        assert alive(server) and alive(kernel)
    finally:
        other.send_signal(signal.SIGKILL)
        await other.wait()
    marker = f"{created.metadata.uid}/notebook"
    for _ in range(100):
        if not alive(server) and not alive(kernel) and not marked_processes(marker):
            break
        await asyncio.sleep(0.1)
    assert not alive(server), "the user's server outlived the emulator"
    assert not alive(kernel), "the user's kernel outlived the emulator"
    assert not marked_processes(marker)
    # and its address is free again for the next emulator
    leases = AddressLeases()
    assert leases.acquire(pod.status.pod_ip)
    leases.release_all()


async def test_an_address_held_elsewhere_is_never_handed_out(make_cluster, tmp_path):
    """Held by another emulator's lease, or listened on by a process left behind."""
    leases = AddressLeases()
    held = [ip for ip in (f"127.0.4.{n}" for n in range(2, 6)) if leases.acquire(ip)]
    squatter = socket.socket()
    squatter.bind(("127.0.4.6", 0))
    squatter.listen()
    try:
        spec = copy.deepcopy(SMALL)
        spec["nodes"][0]["allocatable"][U250] = 8
        cluster = await make_cluster(spec)
        for name in ("a", "b", "c"):
            cluster.api.create("pods", "jhub", identity_pod(name, name))
        await cluster.wait_for(
            lambda: all(
                (cluster.store.get("pods", "jhub", n)["status"].get("podIP")) for n in "abc"
            )
        )
        ips = {cluster.store.get("pods", "jhub", n)["status"]["podIP"] for n in "abc"}
        assert len(ips) == 3
        assert not ips & {*held, "127.0.4.6"}
    finally:
        squatter.close()
        leases.release_all()


async def test_a_relative_state_dir_is_resolved_at_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cluster = EmulatedCluster.from_dict(copy.deepcopy(SMALL), state_dir="relative/state")
    assert cluster.kubelet.state_dir == tmp_path / "relative" / "state"
    await cluster.start()
    try:
        cluster.api.create("pods", "jhub", identity_pod("nb", "x"))
        await cluster.wait_for(
            lambda: cluster.store.get("pods", "jhub", "nb")["status"].get("podIP")
        )
        monkeypatch.chdir("/")  # the paths it hands out do not depend on the cwd
        assert cluster.kubelet.pods_dir.is_absolute()
    finally:
        await cluster.stop()


def test_lock_files_live_in_one_machine_wide_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBERNETES_EMULATOR_ADDRESS_DIR", str(tmp_path / "locks"))
    first, second = AddressLeases(), AddressLeases()
    assert first.acquire("127.0.99.2")
    assert not second.acquire("127.0.99.2"), "two holders of one address"
    first.release("127.0.99.2")
    assert second.acquire("127.0.99.2")
    second.release_all()
    assert Path(tmp_path / "locks" / "127.0.99.2").exists()
