"""The emulated kubelet of every node: runs bound pods as local processes.

It watches the store like a real kubelet watches its pods: a pod bound to a
node gets a PodWorker; a deletionTimestamp starts graceful termination; a pod
removed outright (grace 0, its node deleted) is killed at once. It also plays
the node IPAM controller: each node gets a /22 of 127.0.0.0/8 as its podCIDR and
each pod its own loopback address from it, so pod servers can all use 8888.
Addresses are leased machine-wide (addresses.py), so emulators running side
by side never give two pods the same address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import tempfile
from pathlib import Path

from ..apiserver.store import Store
from ..clock import now_rfc3339
from ..config import KubeletOptions
from ..events import EventRecorder
from ..scheduler.fit import is_terminal
from .addresses import AddressLeases, listening_addresses
from .admission import admit
from .devices import Assignment, DeviceManager
from .exec import ExecContext
from .pod_worker import PodWorker
from .reaper import Reaper

log = logging.getLogger("fpga_demo.emulator.kubelet")


LOOPBACK = ipaddress.ip_address("127.0.0.0")


class Kubelet:
    def __init__(self, store: Store, recorder: EventRecorder, options: KubeletOptions) -> None:
        self.store = store
        self.recorder = recorder
        self.options = options
        self.restart_backoff_seconds = options.restart_backoff_seconds
        self.device_env: dict[tuple[str, str, str], dict[str, str]] = {}
        """(driver, pool, device) -> the environment its DRA driver's CDI spec injects."""
        self._tmp = None
        if options.state_dir:
            self.state_dir = Path(options.state_dir).resolve()
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="k8s-emulator-")
            self.state_dir = Path(self._tmp.name)
        self.pods_dir = self.state_dir / "pods"
        self.logs_dir = self.state_dir / "logs"
        self.claims_dir = self.state_dir / "claims"
        self.workers: dict[str, PodWorker] = {}
        # the same workers by node: admission looks at one node's pods, not every pod's
        self._on_node: dict[str, dict[str, PodWorker]] = {}
        self._node_index: dict[str, int] = {}
        self._used_index: set[int] = set()
        self._next_index = 1
        self._ips: dict[str, dict[str, str]] = {}  # node -> pod uid -> ip
        self._next_ip: dict[str, int] = {}
        self.leases = AddressLeases()
        self.reaper = Reaper()
        self.devices = DeviceManager()
        self._tasks: set[asyncio.Task] = set()
        self.running = False
        store.add_listener(self._on_change)

    # -- node IPAM ----------------------------------------------------------------
    # All of 127.0.0.0/8 is loopback. Each node gets a /22 of it (1,022 pod
    # addresses, far above Kubernetes' default of 110 pods per node), so 16,383
    # nodes fit: node n owns 127.0.0.0 + n * 1024.
    BLOCK = 1024
    PREFIX = 22
    MAX_NODES = (1 << 24) // BLOCK - 1

    def _register_node(self, node: dict) -> None:
        name = node["metadata"]["name"]
        if name in self._node_index:
            return
        cidr = (node.get("spec") or {}).get("podCIDR")
        if cidr:
            index = int(ipaddress.ip_network(cidr).network_address) - int(LOOPBACK)
            index //= self.BLOCK
        else:
            index = self._free_index()
        self._node_index[name] = index
        self._used_index.add(index)
        block = ipaddress.ip_network(f"{LOOPBACK + index * self.BLOCK}/{self.PREFIX}")

        def assign(n: dict) -> None:
            n.setdefault("spec", {})["podCIDR"] = str(block)
            n["spec"]["podCIDRs"] = [n["spec"]["podCIDR"]]
            n.setdefault("status", {})["addresses"] = [
                {"type": "InternalIP", "address": self.host_ip(name)},
                {"type": "Hostname", "address": name},
            ]

        if not cidr or not (node.get("status") or {}).get("addresses"):
            self.store.mutate("nodes", None, name, assign)

    def _free_index(self) -> int:
        while self._next_index in self._used_index:
            self._next_index += 1
        if self._next_index > self.MAX_NODES:
            raise RuntimeError(f"the emulator has pod addresses for {self.MAX_NODES} nodes")
        return self._next_index

    def host_ip(self, node: str) -> str:
        return str(LOOPBACK + self._node_index.get(node, 0) * self.BLOCK + 1)

    def allocate_ip(self, node: str, uid: str) -> str:
        """The pod's own loopback address from its node's podCIDR, leased machine-wide."""
        base = LOOPBACK + self._node_index[node] * self.BLOCK
        self._ips.setdefault(node, {})
        # kubelet.machineWideAddresses: false keeps addresses unique within this
        # emulator only, for clusters of 100,000 pods whose containers never run
        # (a lease is an open file and a scan of the host's sockets per pod).
        leased = self.options.machine_wide_addresses
        busy = listening_addresses() if leased else set()
        taken = set() if leased else set(self._ips[node].values())
        offset = self._next_ip.get(node, 1)
        for _ in range(self.BLOCK):
            offset = offset + 1 if offset < self.BLOCK - 2 else 2
            ip = str(base + offset)
            free = self.leases.acquire(ip, busy) if leased else ip not in taken
            if free:
                self._next_ip[node] = offset
                self._ips[node][uid] = ip
                return ip
        raise RuntimeError(f"node {node} has no free pod IPs")

    def release_ip(self, node: str, uid: str) -> None:
        ip = self._ips.get(node, {}).pop(uid, None)
        if ip is not None:
            self.leases.release(ip)

    # -- pods -----------------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_change(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        if not self.running:
            return
        if plural == "nodes":
            if kind == "DELETED":
                self._used_index.discard(self._node_index.pop(obj["metadata"]["name"], -1))
                self.devices.forget_node(obj["metadata"]["name"])
                self._spawn(self._node_gone(obj["metadata"]["name"]))
            elif obj["metadata"]["name"] not in self._node_index:
                self._register_node(obj)
                name = obj["metadata"]["name"]
                for pod in self.store.list(
                    "pods", lambda p: (p.get("spec") or {}).get("nodeName") == name
                ):
                    self._on_change("pods", "MODIFIED", pod, None)
            return
        if plural != "pods":
            return
        uid = obj["metadata"]["uid"]
        worker = self.workers.get(uid)
        if kind == "DELETED":
            if worker is not None:
                self.workers.pop(uid, None)
                self._on_node.get(worker.node, {}).pop(uid, None)
                if not worker.terminating:
                    self._spawn(worker.kill_now())
            return
        node = (obj.get("spec") or {}).get("nodeName")
        if worker is None and node and node in self._node_index and not is_terminal(obj):
            if "deletionTimestamp" in obj["metadata"]:
                self._spawn(self._remove(obj))
                return
            rejection = self._admit(obj, node)
            if rejection is not None:
                self._reject(obj, node, *rejection)
                return
            devices = self._allocate_devices(obj, node)
            if devices is None:
                return
            worker = PodWorker(self, obj, devices)
            self.workers[uid] = worker
            self._on_node.setdefault(node, {})[uid] = worker
            worker.start()
        elif (
            worker is not None and "deletionTimestamp" in obj["metadata"] and not worker.terminating
        ):
            grace = float(obj["metadata"].get("deletionGracePeriodSeconds") or 0)
            self._spawn(worker.terminate(grace))

    def _admit(self, pod: dict, node_name: str) -> tuple[str, str] | None:
        node = self.store.get("nodes", None, node_name)
        if node is None:
            return None
        running = (
            self.store.get("pods", w.namespace, w.name)
            for w in self._on_node.get(node_name, {}).values()
        )
        return admit(pod, node, [p for p in running if p is not None])

    def _allocate_devices(self, pod: dict, node_name: str) -> Assignment | None:
        """The device plugin's units for the pod's containers (None: the pod was rejected)."""
        node = self.store.get("nodes", None, node_name) or {}
        status = node.get("status") or {}
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        live = {
            w.uid
            for w in self._on_node.get(node_name, {}).values()
            if not w.terminating and not w.finished()
        }
        devices = self.devices.allocate(node_name, pod, allocatable, live)
        if devices is None:  # the kubelet's words when a device plugin has too few units
            self._reject(
                pod,
                node_name,
                "UnexpectedAdmissionError",
                "Allocate failed due to requested number of devices unavailable",
            )
        return devices

    def _reject(self, pod: dict, node: str, reason: str, message: str) -> None:
        """The kubelet's rejectPod: phase Failed with its reason, and a Warning event."""

        def fail(p: dict) -> None:
            p["status"] = {
                **(p.get("status") or {}),
                "phase": "Failed",
                "reason": reason,
                "message": message,
                "startTime": now_rfc3339(),
            }

        updated = self.store.mutate(
            "pods", pod["metadata"]["namespace"], pod["metadata"]["name"], fail
        )
        if updated is not None:
            self.recorder.record(updated, "Pod", "Warning", reason, message, "kubelet", host=node)

    async def _remove(self, pod: dict) -> None:
        with contextlib.suppress(Exception):
            self.store.remove("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])

    async def _node_gone(self, node: str) -> None:
        """Pod garbage collection: pods bound to a node that no longer exists are deleted."""
        for pod in self.store.list("pods", lambda p: (p.get("spec") or {}).get("nodeName") == node):
            with contextlib.suppress(Exception):
                self.store.remove("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])

    def start(self) -> None:
        self.running = True
        if self.options.run_processes:
            self.reaper.start()
        for node in self.store.list("nodes"):
            self._register_node(node)
        for pod in self.store.list("pods"):
            self._on_change("pods", "ADDED", pod, None)

    async def stop(self) -> None:
        """Kill every container (used when the emulator shuts down)."""
        self.running = False
        workers = list(self.workers.values())
        self.workers.clear()
        self._on_node.clear()
        await asyncio.gather(*(w.kill_now() for w in workers), return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.leases.release_all()
        self.reaper.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def exec_context(self, pod: dict, container: str | None) -> ExecContext:
        """Where `kubectl exec` runs: a running container of this pod (the API's 400s if not)."""
        from ..apiserver import errors

        spec, name = pod["spec"], pod["metadata"]["name"]
        names = [c["name"] for c in spec["containers"]]
        every = names + [c["name"] for c in spec.get("initContainers") or []]
        if not container:
            if len(names) > 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {name}, "
                    f"choose one of: [{' '.join(names)}]"
                )
            container = names[0]
        elif container not in every:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        worker = self.workers.get(pod["metadata"]["uid"])
        if worker is not None:
            state = worker.states.get(container) or worker.init_states.get(container) or {}
            context = worker.contexts.get(container)
            if context is not None and "running" in state.get("state", {}):
                return context
        raise errors.bad_request(
            f'unable to upgrade connection: container not found ("{container}")'
        )

    def read_log(self, pod: dict, container: str | None, tail_lines: str | None) -> str:
        from ..apiserver import errors

        names = [c["name"] for c in pod["spec"]["containers"]]
        if container is None:
            if len(names) > 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {pod['metadata']['name']}, choose one of: [{' '.join(names)}]"
                )
            container = names[0]
        elif container not in names + [c["name"] for c in pod["spec"].get("initContainers") or []]:
            raise errors.bad_request(
                f"container {container} is not valid for pod {pod['metadata']['name']}"
            )
        meta = pod["metadata"]
        path = (
            self.logs_dir
            / f"{meta['namespace']}_{meta['name']}_{meta['uid'][:8]}"
            / f"{container}.log"
        )
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            raise errors.bad_request(
                f'container "{container}" in pod "{meta["name"]}" is waiting to start: ContainerCreating'
            ) from None
        if tail_lines:
            text = "".join(text.splitlines(keepends=True)[-int(tail_lines) :])
        return text
