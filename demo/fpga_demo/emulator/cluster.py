"""EmulatedCluster: the API server, scheduler, kubelets and autoscaler together.

For tests and the demo only (never imported by FPGASpawner). Typical use:

    cluster = EmulatedCluster.from_yaml("clusters/demo.yaml")
    url = await cluster.start()               # http://127.0.0.1:<port>
    cluster.write_kubeconfig("/tmp/kubeconfig")  # KUBECONFIG for a JupyterHub process
    ...
    await cluster.stop()                      # kills every pod process

or, from synchronous code, `with run_in_thread(cluster) as handle: handle.url`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .apiserver.api import SYSTEM_NAMESPACES, Api
from .apiserver.http_api import make_app
from .apiserver.store import Store
from .autoscaler import GROUP_LABEL, Autoscaler
from .config import ClusterSpec, NodeGroupSpec, NodeTemplate, load_cluster_file, parse_cluster
from .controllers.endpoints import EndpointsController
from .controllers.garbage_collector import GarbageCollector
from .controllers.resourceclaims import ResourceClaimController
from .controllers.taint_eviction import TaintEviction
from .events import EventRecorder
from .kubeconfig import client_configuration, write_kubeconfig
from .kubelet.kubelet import Kubelet
from .scheduler.scheduler import Scheduler

log = logging.getLogger("fpga_demo.emulator")


def node_manifest(
    name: str, template: NodeTemplate, extra_labels: Mapping[str, str] | None = None
) -> dict:
    """A Node object as its kubelet would register it, from a template."""
    labels = {"kubernetes.io/hostname": name, **template.labels, **(extra_labels or {})}
    allocatable = dict(template.allocatable)
    allocatable.setdefault("pods", "110")
    capacity = {**allocatable, **template.capacity}
    spec: dict[str, Any] = {}
    if template.taints:
        spec["taints"] = [dict(t) for t in template.taints]
    if template.unschedulable:
        spec["unschedulable"] = True
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"capacity": capacity, "allocatable": allocatable},
    }


class EmulatedCluster:
    def __init__(
        self,
        spec: ClusterSpec | None = None,
        *,
        run_processes: bool | None = None,
        state_dir: str | os.PathLike | None = None,
    ) -> None:
        self.spec = spec or ClusterSpec()
        if run_processes is not None:
            self.spec.kubelet.run_processes = run_processes
        if state_dir is not None:
            self.spec.kubelet.state_dir = str(state_dir)
        self.store = Store(self.spec.history_size)
        self.api = Api(self.store)
        self.recorder = EventRecorder(self.store)
        self.scheduler = Scheduler(
            self.store, self.recorder, self.spec.scheduler.unschedulable_retry_seconds
        )
        self.kubelet = Kubelet(self.store, self.recorder, self.spec.kubelet)
        self.autoscaler = Autoscaler(
            self.store,
            self.recorder,
            self.spec.node_groups,
            self.spec.autoscaler,
            self._group_node,
            self.add_node_object,
        )
        self.gc = GarbageCollector(
            self.store, lambda plural, ns, name: self.api.delete(plural, ns, name, {})
        )
        self.api.gc = self.gc
        self.endpoints = EndpointsController(self.store)
        self.taint_eviction = TaintEviction(
            self.store, self.recorder, lambda ns, name: self.api.delete_pod(ns, name, None)
        )
        self.resource_claims = ResourceClaimController(self.store, self.recorder)
        self.store.add_listener(self._bind_claims)
        self.url = ""
        self.port = 0
        self.kubeconfig_path: Path | None = None
        self._server: HTTPServer | None = None
        self._tasks: list[asyncio.Task] = []

    @classmethod
    def from_yaml(cls, path: str | os.PathLike, **overrides: Any) -> EmulatedCluster:
        return cls(load_cluster_file(path), **overrides)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **overrides: Any) -> EmulatedCluster:
        return cls(parse_cluster(data, "<dict>"), **overrides)

    # -- life ------------------------------------------------------------------------
    async def start(
        self, host: str = "127.0.0.1", port: int = 0, kubeconfig: str | os.PathLike | None = None
    ) -> str:
        """Populate the cluster, start the controllers and serve the API; returns its URL."""
        for name in SYSTEM_NAMESPACES + tuple(self.spec.namespaces):
            self.api.ensure_namespace(name)
        for secret in self.spec.secrets:
            body = {k: v for k, v in secret.items() if k not in ("namespace", "labels")}
            body["metadata"] = {"name": body.pop("name"), "labels": secret.get("labels") or {}}
            self.api.ensure_namespace(secret["namespace"])
            self.api.create("secrets", secret["namespace"], body)
        self.kubelet.start()
        for device_class in self.spec.device_classes:
            self.api.create("deviceclasses", None, device_class)
        for node in self.spec.nodes:
            self.kubelet.devices.set_layout(node.name, node.template.slots_per_board)
            self.add_node_object(node_manifest(node.name, node.template))
            self.publish_devices(node.name, node.template)
        self.scheduler.start()
        self.autoscaler.start()
        self.gc.start()
        self.endpoints.start()
        self._tasks.append(asyncio.get_running_loop().create_task(self.recorder.run_expiry()))
        sockets = bind_sockets(port, host, family=socket.AF_INET)
        self._server = HTTPServer(make_app(self.api, self.kubelet))
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        if kubeconfig is not None:
            self.write_kubeconfig(kubeconfig)
        log.info("emulated Kubernetes API server listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Stop serving, kill every pod process, stop the controllers."""
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.close_all_connections(), 5)
            self._server = None
        await self.kubelet.stop()
        await self.scheduler.stop()
        await self.autoscaler.stop()
        self.taint_eviction.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- configuration for clients -------------------------------------------------------
    def write_kubeconfig(self, path: str | os.PathLike, namespace: str = "default") -> Path:
        self.kubeconfig_path = write_kubeconfig(path, self.url, namespace)
        return self.kubeconfig_path

    def client_configuration(self) -> Any:
        return client_configuration(self.url)

    # -- nodes -------------------------------------------------------------------------------
    def _group_node(self, name: str, group: NodeGroupSpec) -> dict:
        self.kubelet.devices.set_layout(name, group.template.slots_per_board)
        return node_manifest(name, group.template, {GROUP_LABEL: group.name})

    def add_node_object(self, manifest: Mapping[str, Any]) -> dict:
        return self.api.create("nodes", None, manifest)

    def add_node(
        self,
        name: str,
        allocatable: Mapping[str, str],
        labels: Mapping[str, str] | None = None,
        taints: list[dict[str, str]] | None = None,
    ) -> dict:
        template = NodeTemplate(
            labels=dict(labels or {}), taints=list(taints or []), allocatable=dict(allocatable)
        )
        return self.add_node_object(node_manifest(name, template))

    def publish_devices(self, node: str, template: NodeTemplate) -> None:
        """What a DRA driver's kubelet plugin does: one ResourceSlice per driver on the node.

        The pool is named after the node; the devices' CDI environment stays
        with the emulated kubelet, which gives it to containers that hold them.
        """
        drivers: dict[str, list] = {}
        for device in template.dra:
            drivers.setdefault(device.driver, []).append(device)
        for driver, devices in drivers.items():
            self.api.create(
                "resourceslices",
                None,
                {
                    "metadata": {"name": f"{node}-{driver}"},
                    "spec": {
                        "driver": driver,
                        "nodeName": node,
                        "pool": {"name": node, "generation": 1, "resourceSliceCount": 1},
                        "devices": [{"name": d.name, "attributes": d.attributes} for d in devices],
                    },
                },
            )
            for d in devices:
                self.kubelet.device_env[(driver, node, d.name)] = dict(d.env)

    def _bind_claims(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        """The emulated-local storage class binds every new claim at once."""
        if plural != "persistentvolumeclaims" or kind != "ADDED":
            return

        def bind(pvc: dict) -> None:
            pvc["spec"]["volumeName"] = f"pvc-{pvc['metadata']['uid']}"
            pvc["status"] = {
                "phase": "Bound",
                "accessModes": pvc["spec"].get("accessModes", []),
                "capacity": {"storage": pvc["spec"]["resources"]["requests"]["storage"]},
            }

        meta = obj["metadata"]
        asyncio.get_running_loop().call_soon(
            lambda: self.store.mutate(
                "persistentvolumeclaims", meta["namespace"], meta["name"], bind
            )
        )

    # -- reading state (tests, demo) -------------------------------------------------------------
    def pods(self, namespace: str | None = None) -> list[dict]:
        return self.store.list(
            "pods", lambda p: namespace is None or p["metadata"]["namespace"] == namespace
        )

    def nodes(self) -> list[dict]:
        return self.store.list("nodes")

    def events(
        self,
        namespace: str | None = None,
        involved_name: str | None = None,
        reason: str | None = None,
    ) -> list[dict]:
        def match(e: Mapping[str, Any]) -> bool:
            return (
                (namespace is None or e["metadata"]["namespace"] == namespace)
                and (involved_name is None or e["involvedObject"].get("name") == involved_name)
                and (reason is None or e.get("reason") == reason)
            )

        return self.store.list("events", match)

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05
    ) -> Any:
        """Poll `predicate` on the loop until it returns something truthy; TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if loop.time() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)


class ThreadedCluster:
    """An EmulatedCluster on its own event loop in a background thread, for sync callers."""

    def __init__(self, cluster: EmulatedCluster) -> None:
        self.cluster = cluster
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="k8s-emulator", daemon=True
        )
        self.url = ""

    def start(
        self, host: str = "127.0.0.1", port: int = 0, kubeconfig: str | os.PathLike | None = None
    ) -> str:
        self.thread.start()
        self.url = self.run(self.cluster.start(host, port, kubeconfig))
        return self.url

    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        """Run a coroutine on the cluster's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a plain function on the cluster's loop (the store is not thread-safe)."""

        async def wrapper() -> Any:
            return fn(*args, **kwargs)

        return self.run(wrapper())

    @property
    def kubeconfig_path(self) -> Path | None:
        return self.cluster.kubeconfig_path

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        try:
            self.run(self.cluster.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def __enter__(self) -> ThreadedCluster:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def run_in_thread(
    cluster: EmulatedCluster,
    host: str = "127.0.0.1",
    port: int = 0,
    kubeconfig: str | os.PathLike | None = None,
) -> ThreadedCluster:
    """Start `cluster` in a background thread; use as a context manager or call .stop()."""
    handle = ThreadedCluster(cluster)
    handle.start(host, port, kubeconfig)
    return handle
