"""One pod's life on its emulated node: volumes, containers, restarts, termination.

The states and events follow the real kubelet's: ContainerCreating while
volumes and configuration are not ready (FailedMount, CreateContainerConfigError
retried until the Secret appears), Running and Ready once the processes are up,
CrashLoopBackOff with growing back-off under restartPolicy OnFailure/Always,
Succeeded or Failed at the end, and on deletion a SIGTERM, a SIGKILL after the
grace period, and only then the removal of the pod object.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
from typing import TYPE_CHECKING, Any

from ..clock import now_rfc3339
from .devices import Assignment, allocated_status
from .exec import ExecContext
from .podenv import (
    ContainerConfigError,
    MountError,
    claimed_device_env,
    container_argv,
    image_env,
    materialize_volumes,
    mount_table,
    resolve_env,
    rewrite,
)
from .probes import ReadinessProber
from .reaper import INSTANCE_ENV
from .runtime import MARKER_ENV, ContainerProcess, StartError, kill_marked

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger("fpga_demo.emulator.kubelet")
RETRY_SECONDS = 1.0


class PodWorker:
    def __init__(self, kubelet: Kubelet, pod: dict, devices: Assignment | None = None) -> None:
        self.k = kubelet
        meta = pod["metadata"]
        self.namespace, self.name, self.uid = meta["namespace"], meta["name"], meta["uid"]
        self.node = pod["spec"]["nodeName"]
        self.pod_dir = kubelet.pods_dir / f"{self.namespace}_{self.name}_{self.uid[:8]}"
        self.log_dir = kubelet.logs_dir / f"{self.namespace}_{self.name}_{self.uid[:8]}"
        self.pod_ip = ""
        self.host_ip = kubelet.host_ip(self.node)
        self.start_time = ""
        self.volumes_ready = False
        self.terminating = False
        self.processes: dict[str, ContainerProcess] = {}
        self.contexts: dict[str, ExecContext] = {}
        self.probers: dict[str, ReadinessProber] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.init_states: dict[str, dict[str, Any]] = {}
        spec = pod["spec"]
        for c in spec.get("initContainers") or []:
            self.init_states[c["name"]] = _waiting(c, "PodInitializing")
        for c in spec["containers"]:
            self.states[c["name"]] = _waiting(
                c, "PodInitializing" if spec.get("initContainers") else "ContainerCreating"
            )
            if (devices or {}).get(c["name"]):
                self.states[c["name"]]["allocatedResourcesStatus"] = allocated_status(
                    devices[c["name"]]  # type: ignore[index]
                )
        self.restart_policy = spec.get("restartPolicy", "Always")
        self.task: asyncio.Task | None = None

    # -- status --------------------------------------------------------------
    def pod(self) -> dict | None:
        pod = self.k.store.get("pods", self.namespace, self.name)
        return pod if pod is not None and pod["metadata"]["uid"] == self.uid else None

    def _phase(self) -> str:
        states = list(self.states.values())
        if all("terminated" in s["state"] for s in states) and not any(
            s.get("_restarting") for s in states
        ):
            return (
                "Succeeded"
                if all(s["state"]["terminated"]["exitCode"] == 0 for s in states)
                else "Failed"
            )
        if any(s.get("_ever_started") for s in states):
            return "Running"
        if (
            any(s["state"].get("terminated", {}).get("exitCode") for s in self.init_states.values())
            and self.restart_policy == "Never"
        ):
            return "Failed"
        return "Pending"

    def write_status(self) -> None:
        pod = self.pod()
        if pod is None:
            return
        now = now_rfc3339()
        ready = all(s["ready"] for s in self.states.values())
        initialized = all(
            "terminated" in s["state"] and s["state"]["terminated"]["exitCode"] == 0
            for s in self.init_states.values()
        )
        old = {c["type"]: c for c in pod.get("status", {}).get("conditions", [])}

        def condition(kind: str, ok: bool, reason: str = "") -> dict:
            status = "True" if ok else "False"
            previous = old.get(kind)
            since = (
                previous["lastTransitionTime"] if previous and previous["status"] == status else now
            )
            entry = {
                "type": kind,
                "status": status,
                "lastProbeTime": None,
                "lastTransitionTime": since,
            }
            if reason and not ok:
                entry["reason"] = reason
            return entry

        not_ready = [n for n, s in self.states.items() if not s["ready"]]
        reason = (
            "PodCompleted" if self._phase() in ("Succeeded", "Failed") else "ContainersNotReady"
        )
        conditions = [
            condition("PodReadyToStartContainers", self.volumes_ready),
            condition("Initialized", initialized, "ContainersNotInitialized"),
            condition("Ready", ready, reason),
            condition("ContainersReady", ready, reason),
            old.get("PodScheduled") or condition("PodScheduled", True),
        ]
        kept = {c["type"] for c in conditions}
        conditions += [c for kind, c in old.items() if kind not in kept]  # DisruptionTarget...
        for entry in conditions[2:4]:
            if not ready and reason == "ContainersNotReady":
                entry["message"] = f"containers with unready status: [{' '.join(not_ready)}]"

        def apply(p: dict) -> None:
            status = p.setdefault("status", {})
            status["phase"] = self._phase()
            status["conditions"] = conditions
            status["hostIP"] = self.host_ip
            status["hostIPs"] = [{"ip": self.host_ip}]
            if self.pod_ip:
                status["podIP"] = self.pod_ip
                status["podIPs"] = [{"ip": self.pod_ip}]
            if self.start_time:
                status["startTime"] = self.start_time
            status["containerStatuses"] = [_public(s) for s in self.states.values()]
            if self.init_states:
                status["initContainerStatuses"] = [_public(s) for s in self.init_states.values()]

        self.k.store.mutate("pods", self.namespace, self.name, apply)

    def event(self, type_: str, reason: str, message: str) -> None:
        pod = self.pod()
        if pod is not None:
            self.k.recorder.record(pod, "Pod", type_, reason, message, "kubelet", host=self.node)

    # -- life ------------------------------------------------------------------
    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        pod = self.pod()
        if pod is None:
            return
        self.pod_ip = self.k.allocate_ip(self.node, self.uid)
        self.start_time = now_rfc3339()
        self.write_status()
        volumes = None
        while volumes is None:
            try:
                volumes = materialize_volumes(pod, self.k.store, self.pod_dir, self.k.claims_dir)
            except MountError as exc:
                self.event("Warning", "FailedMount", str(exc))
                await asyncio.sleep(RETRY_SECONDS)
                pod = self.pod() or pod
        self.volumes_ready = True
        self.write_status()
        if self.k.options.container_start_delay_seconds:
            await asyncio.sleep(self.k.options.container_start_delay_seconds)
        for container in pod["spec"].get("initContainers") or []:
            if not await self._container_loop(container, volumes, self.init_states, init=True):
                self.write_status()
                return
        await asyncio.gather(
            *(self._container_loop(c, volumes, self.states) for c in pod["spec"]["containers"])
        )
        self.write_status()

    async def _container_loop(
        self, container: dict, volumes: dict, states: dict, init: bool = False
    ) -> bool:
        """Run one container until it is done for good; True if it ended successfully."""
        name, backoff = container["name"], self.k.restart_backoff_seconds
        state = states[name]
        self.event(
            "Normal",
            "Pulled",
            f'Container image "{container["image"]}" not pulled: the emulated kubelet runs containers in the local Python environment ({sys.prefix})',
        )
        while True:
            pod = self.pod()
            if pod is None or self.terminating:
                return False
            try:
                base = image_env(self.pod_dir / "home", self.name)
                base.update(claimed_device_env(self.k.store, pod, container, self.k.device_env))
                env = resolve_env(container, pod, self.k.store, base)
            except ContainerConfigError as exc:
                state["state"] = {
                    "waiting": {"reason": "CreateContainerConfigError", "message": str(exc)}
                }
                self.write_status()
                self.event("Warning", "Failed", f"Error: {exc}")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            mounts = mount_table(container, volumes)
            env = {k: rewrite(v, mounts, self.pod_ip) for k, v in env.items()}
            argv = [
                rewrite(a, mounts, self.pod_ip)
                for a in container_argv(container, self.k.options.default_command, env)
            ]
            workdir = container.get("workingDir")
            cwd = self.pod_dir / "home"
            if workdir:
                mapped = rewrite(workdir, mounts, self.pod_ip)
                cwd = (
                    self.pod_dir / "rootfs" / workdir.lstrip("/")
                    if mapped == workdir
                    else type(cwd)(mapped)
                )
            context_env = {**env, MARKER_ENV: f"{self.uid}/{container['name']}"}
            if self.k.options.run_processes:
                context_env[INSTANCE_ENV] = self.k.reaper.instance
            self.contexts[container["name"]] = ExecContext(context_env, cwd, mounts, self.pod_ip)
            code = await self._run_once(container, state, argv, env, cwd, init)
            if code is None:
                return False
            restart = not self.terminating and (
                (self.restart_policy == "Always" and not init)
                or (self.restart_policy != "Never" and code != 0)
            )
            if not restart:
                return code == 0
            state["restartCount"] += 1
            state["lastState"] = {"terminated": state["state"]["terminated"]}
            state["_restarting"] = True
            ident = f"{self.name}_{self.namespace}({self.uid})"
            state["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {int(backoff)}s restarting failed container={name} pod={ident}",
                }
            }
            self.write_status()
            self.event(
                "Warning", "BackOff", f"Back-off restarting failed container {name} in pod {ident}"
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 300.0)

    async def _run_once(
        self, container: dict, state: dict, argv: list[str], env: dict, cwd: Any, init: bool
    ) -> int | None:
        name = container["name"]
        started = now_rfc3339()
        if not self.k.options.run_processes:
            state.update(
                state={"running": {"startedAt": started}},
                ready=not init and not container.get("readinessProbe"),
                started=True,
                containerID=f"emulated://{self.uid[:8]}-{name}",
                _ever_started=True,
                _restarting=False,
            )
            self.event("Normal", "Created", f"Created container {name}")
            self.event("Normal", "Started", f"Started container {name}")
            self.write_status()
            if not init:
                self._start_prober(container, state)
            if init:
                state.update(
                    state={
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": started,
                            "finishedAt": now_rfc3339(),
                        }
                    },
                    ready=False,
                    started=False,
                )
                return 0
            await asyncio.Event().wait()  # runs until the pod is deleted
        process = ContainerProcess(
            argv,
            env,
            cwd,
            self.log_dir / f"{name}.log",
            f"{self.uid}/{name}",
            self.k.reaper.instance,
        )
        self.processes[name] = process
        try:
            pid = await process.start()
        except StartError as exc:
            message = f"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {exc}: unknown"
            state.update(
                state={
                    "terminated": {
                        "exitCode": 128,
                        "reason": "StartError",
                        "message": message,
                        "startedAt": started,
                        "finishedAt": now_rfc3339(),
                    }
                },
                ready=False,
                started=False,
                _restarting=False,
            )
            self.event("Warning", "Failed", f"Error: {message}")
            self.write_status()
            return 128
        container_id = f"emulated://{pid}"
        state.update(
            state={"running": {"startedAt": started}},
            ready=not init and not container.get("readinessProbe"),
            started=True,
            containerID=container_id,
            _ever_started=True,
            _restarting=False,
        )
        self.event("Normal", "Created", f"Created container {name}")
        self.event("Normal", "Started", f"Started container {name}")
        self.write_status()
        if not init:
            self._start_prober(container, state)
        code = await process.wait()
        self._stop_prober(name)
        terminated = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": started,
            "finishedAt": now_rfc3339(),
            "containerID": container_id,
        }
        state.update(state={"terminated": terminated}, ready=False, started=False)
        self.write_status()
        return code

    def _start_prober(self, container: dict, state: dict) -> None:
        """Readiness from the container's readinessProbe, if it has one (else ready at start)."""
        if container.get("readinessProbe"):
            self._stop_prober(container["name"])
            prober = ReadinessProber(self, container, state)
            self.probers[container["name"]] = prober
            prober.start()

    def _stop_prober(self, name: str) -> None:
        prober = self.probers.pop(name, None)
        if prober is not None:
            prober.stop()

    # -- the end ---------------------------------------------------------------
    async def terminate(self, grace: float) -> None:
        """Graceful deletion: stop containers within `grace`, then remove the pod object."""
        if self.terminating:
            return
        self.terminating = True
        for name, state in self.states.items():
            if "running" in state["state"]:
                self.event("Normal", "Killing", f"Stopping container {name}")
        await self._stop_processes(grace)
        self.write_status()
        if self.pod() is not None:
            self.k.store.remove("pods", self.namespace, self.name)
        self.cleanup()

    async def kill_now(self) -> None:
        """The pod object is already gone (forced deletion, node gone): just stop everything."""
        self.terminating = True
        await self._stop_processes(0)
        self.cleanup()

    async def _stop_processes(self, grace: float) -> None:
        for name in list(self.probers):
            self._stop_prober(name)
        if self.task and not self.task.done():
            self.task.cancel()
        results = await asyncio.gather(
            *(p.stop(grace) for p in self.processes.values()), return_exceptions=True
        )
        for (name, _), code in zip(self.processes.items(), results, strict=True):
            state = self.states.get(name) or self.init_states.get(name)
            if state is not None and isinstance(code, int) and "running" in state["state"]:
                state.update(
                    state={
                        "terminated": {
                            "exitCode": code,
                            "reason": "Error" if code else "Completed",
                            "startedAt": state["state"]["running"]["startedAt"],
                            "finishedAt": now_rfc3339(),
                        }
                    },
                    ready=False,
                    started=False,
                )
        if self.task:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        if self.k.options.run_processes:
            for name in [*self.init_states, *self.states]:
                kill_marked(f"{self.uid}/{name}")

    def finished(self) -> bool:
        """Every container has ended for good: the pod's devices are free again."""
        return self._phase() in ("Succeeded", "Failed")

    def cleanup(self) -> None:
        self.k.release_ip(self.node, self.uid)
        self.k.devices.release(self.node, self.uid)
        shutil.rmtree(self.pod_dir / "volumes", ignore_errors=True)  # secret files must not linger


def _waiting(container: dict, reason: str) -> dict[str, Any]:
    return {
        "name": container["name"],
        "state": {"waiting": {"reason": reason}},
        "lastState": {},
        "ready": False,
        "restartCount": 0,
        "image": container.get("image", ""),
        "imageID": "",
        "started": False,
    }


def _public(state: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in state.items() if not k.startswith("_")}
    if shown.get("containerID") is None:
        shown.pop("containerID", None)
    else:
        shown["imageID"] = f"emulated://{shown['image']}"
    return shown
