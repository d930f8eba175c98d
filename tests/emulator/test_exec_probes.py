"""`pods/exec` and readiness probes, through the clients that use them.

Exec goes over the WebSocket channel protocol, as kubernetes_asyncio's
`WsApiClient` (and kubectl, and kubespawner's own tests) speak it; readiness
is what a hub waits for before it talks to a server.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiException
from kubernetes_asyncio.stream import WsApiClient

from tests.support.emulator import pod_body

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
SERVER = [sys.executable, "-m", "http.server", "--bind", "0.0.0.0", "8080"]


@pytest.fixture
def process_spec(small_cluster_spec):
    spec = dict(small_cluster_spec)
    spec["kubelet"] = {"runProcesses": True, "restartBackoffSeconds": 0.2}
    return spec


def phase_ready(cluster, name):
    pod = cluster.store.get("pods", "jhub", name)
    if not pod:
        return None
    ready = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}.get("Ready")
    return pod["status"].get("phase"), ready


async def running_pod(cluster, name, **container):
    container.setdefault("command", SLEEPER)
    env = container.pop("env", [{"name": "GREETING", "value": "hello from the pod"}])
    cluster.api.create("pods", "jhub", pod_body(name, container={**container, "env": env}))
    await cluster.wait_for(lambda: (phase_ready(cluster, name) or ("",))[0] == "Running", 20)


async def exec_channels(cluster, name, command, **kwargs):
    """Run `command`; returns {channel: bytes} as the raw WebSocket frames carried them."""
    async with WsApiClient(cluster.client_configuration()) as ws_api:
        v1 = client.CoreV1Api(ws_api)
        channels: dict[int, bytes] = {}
        async with await v1.connect_get_namespaced_pod_exec(
            name, "jhub", command=command, stdout=True, stderr=True, _preload_content=False,
            **kwargs,
        ) as ws:  # fmt: skip
            async for message in ws:
                data = message.data if isinstance(message.data, bytes) else message.data.encode()
                channels[data[0]] = channels.get(data[0], b"") + data[1:]
        return channels


async def test_exec_runs_in_the_container_context_and_reports_exit_codes(
    make_cluster, process_spec
):
    cluster = await make_cluster(process_spec)
    await running_pod(cluster, "nb")
    script = "import os, sys; print(os.environ['GREETING']); print('oops', file=sys.stderr)"
    out = await exec_channels(cluster, "nb", ["python3", "-c", script])
    assert out[1] == b"hello from the pod\n" and out[2] == b"oops\n"
    assert json.loads(out[3]) == {"metadata": {}, "status": "Success"}
    assert WsApiClient.parse_error_data(out[3]) == 0

    out = await exec_channels(cluster, "nb", ["sh", "-c", "exit 3"])
    status = json.loads(out[3])
    assert status["reason"] == "NonZeroExitCode" and WsApiClient.parse_error_data(out[3]) == 3

    # the preloaded form: stdout and stderr together, as kubernetes_asyncio returns them
    async with WsApiClient(cluster.client_configuration()) as ws_api:
        text = await client.CoreV1Api(ws_api).connect_get_namespaced_pod_exec(
            "nb", "jhub", command=["echo", "preloaded"], stdout=True, stderr=True
        )
    assert text == "preloaded\n"


async def test_exec_stdin_and_missing_programs(make_cluster, process_spec):
    cluster = await make_cluster(process_spec)
    await running_pod(cluster, "nb")
    async with WsApiClient(cluster.client_configuration()) as ws_api:
        v1 = client.CoreV1Api(ws_api)
        async with await v1.connect_get_namespaced_pod_exec(
            "nb", "jhub", command=["cat"], stdin=True, stdout=True, _preload_content=False,
            _request_timeout=10,
        ) as ws:  # fmt: skip
            await ws.send_bytes(b"\x00piped in")
            got = b""
            while not got.endswith(b"piped in"):
                message = await asyncio.wait_for(ws.receive(), 10)
                got += message.data[1:]
            await ws.close()
    out = await exec_channels(cluster, "nb", ["no-such-program"])
    status = json.loads(out[3])
    assert status["status"] == "Failure" and "executable file not found" in status["message"]


async def test_exec_refusals_are_api_errors(make_cluster, process_spec):
    cluster = await make_cluster(process_spec)
    cluster.api.create("pods", "jhub", pod_body("two", container={"command": SLEEPER}))
    async with WsApiClient(cluster.client_configuration()) as ws_api:
        v1 = client.CoreV1Api(ws_api)
        with pytest.raises((ApiException, Exception)) as missing:
            await v1.connect_get_namespaced_pod_exec("ghost", "jhub", command=["true"], stdout=True)
        assert "404" in str(missing.value)
    # a plain request, no upgrade: the API server's 400 Status
    query = "command=true&stdout=true&container=nope"
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{cluster.url}/api/v1/namespaces/jhub/pods/two/exec?{query}") as response,
    ):
        body = await response.json()
    assert response.status == 400 and body["kind"] == "Status"
    assert body["message"] == "container nope is not valid for pod two"


async def test_readiness_probes_gate_ready(make_cluster, process_spec, tmp_path):
    cluster = await make_cluster(process_spec)
    never = {"tcpSocket": {"port": 9}, "periodSeconds": 1}
    await running_pod(cluster, "never", readinessProbe=never)
    http = {"httpGet": {"path": "/", "port": "web"}, "periodSeconds": 1}
    await running_pod(
        cluster, "web", command=SERVER, ports=[{"name": "web", "containerPort": 8080}],
        readinessProbe=http, workingDir="/srv",
    )  # fmt: skip
    flag = tmp_path / "ready-flag"
    by_exec = {"exec": {"command": ["test", "-e", str(flag)]}, "periodSeconds": 1}
    await running_pod(cluster, "by-exec", readinessProbe=by_exec)

    await cluster.wait_for(lambda: phase_ready(cluster, "web") == ("Running", "True"), 20)
    assert phase_ready(cluster, "never") == ("Running", "False")
    assert phase_ready(cluster, "by-exec") == ("Running", "False")
    flag.touch()
    await cluster.wait_for(lambda: phase_ready(cluster, "by-exec") == ("Running", "True"), 10)
    flag.unlink()  # three failures in a row make it unready again
    await cluster.wait_for(lambda: phase_ready(cluster, "by-exec") == ("Running", "False"), 10)

    unhealthy = cluster.events(involved_name="never", reason="Unhealthy")
    assert unhealthy and unhealthy[0]["message"].startswith("Readiness probe failed: dial tcp ")
    assert "connect: connection refused" in unhealthy[0]["message"]
    pod = cluster.store.get("pods", "jhub", "never")
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "ContainersNotReady"
