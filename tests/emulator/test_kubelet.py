"""The emulated kubelet runs real processes, with the environment a real kubelet gives.

Containers here are small Python programs (the "image" is ignored) that report
what they see over HTTP on their pod IP, so the tests check what a notebook
server in the pod would actually get.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from kubernetes_asyncio import client

from fpga_demo.emulator.kubelet.podenv import rewrite
from tests.support.emulator import pod_body

REPORTER = textwrap.dedent(
    """
    import json, os, sys, urllib.parse
    from http.server import BaseHTTPRequestHandler, HTTPServer
    url = urllib.parse.urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    report = {
        "env": dict(os.environ),
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "license_file": open(os.environ["LICENSE_FILE"]).read(),
        "license_mode": oct(os.stat(os.environ["LICENSE_FILE"]).st_mode & 0o777),
    }
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(report).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    print("serving on", url.hostname, url.port, flush=True)
    HTTPServer((url.hostname, url.port), Handler).serve_forever()
    """
)

TREE = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a stubborn main process: needs SIGKILL
    kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    child = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"])
    time.sleep(0.5)
    with open(sys.argv[1], "w") as f:
        f.write(" ".join(str(p) for p in (os.getpid(), kernel.pid, child.pid)))
    time.sleep(600)
    """
)


@pytest.fixture
def process_spec(small_cluster_spec):
    spec = dict(small_cluster_spec)
    spec["kubelet"] = {"runProcesses": True, "restartBackoffSeconds": 0.2}
    return spec


def alive(pid: int) -> bool:
    """Running and not a zombie (orphans may wait for PID 1 to reap them)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def running(cluster, name):
    pod = cluster.store.get("pods", "jhub", name)
    return (
        pod
        and pod["status"].get("phase") == "Running"
        and all(c["ready"] for c in pod["status"].get("containerStatuses", []))
    )


def reporter_pod(name: str, script: Path) -> dict:
    env = [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "GREETING", "value": "hello $(POD_NAME) $$(NOT_EXPANDED)"},
        {
            "name": "LICENSE_KEY",
            "valueFrom": {"secretKeyRef": {"name": "fpga-license", "key": "license"}},
        },
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "JUPYTERHUB_SERVICE_URL", "value": "http://0.0.0.0:8888/user/someone/"},
        {"name": "LICENSE_FILE", "value": "/etc/fpga/license/license.txt"},
    ]
    container = {
        "command": [sys.executable, str(script)],
        "env": env,
        "volumeMounts": [{"name": "lic", "mountPath": "/etc/fpga/license"}],
    }
    volumes = [
        {
            "name": "lic",
            "secret": {
                "secretName": "fpga-license",
                "items": [{"key": "license", "path": "license.txt"}],
            },
        }
    ]
    return pod_body(name, container=container, volumes=volumes)


async def fetch(url: str) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp,
    ):
        return json.loads(await resp.read())


async def test_real_processes_with_env_secrets_volumes_and_own_ip(
    make_cluster, process_spec, tmp_path
):
    cluster = await make_cluster(process_spec)
    script = tmp_path / "reporter.py"
    script.write_text(REPORTER)
    cluster.api.create(
        "secrets",
        "jhub",
        {"metadata": {"name": "fpga-license"}, "stringData": {"license": "LICENSE-abc123"}},
    )
    for name in ("nb-one", "nb-two"):
        cluster.api.create("pods", "jhub", reporter_pod(name, script))
    await cluster.wait_for(
        lambda: running(cluster, "nb-one") and running(cluster, "nb-two"), timeout=15
    )
    pods = {n: cluster.store.get("pods", "jhub", n) for n in ("nb-one", "nb-two")}
    ips = {n: p["status"]["podIP"] for n, p in pods.items()}
    assert len(set(ips.values())) == 2 and all(
        ip.startswith("127.") and ip != "127.0.0.1" for ip in ips.values()
    )
    assert "LICENSE-abc123" not in json.dumps(pods), "the pod object carries only the reference"
    reports = {}
    for name, ip in ips.items():
        # Both servers listen on port 8888, each on its own pod IP.
        reports[name] = await fetch_when_up(f"http://{ip}:8888/")
    for name, report in reports.items():
        env = report["env"]
        assert env["LICENSE_KEY"] == "LICENSE-abc123"
        assert env["POD_IP"] == ips[name]
        assert env["GREETING"] == f"hello {name} $(NOT_EXPANDED)"
        assert env["JUPYTERHUB_SERVICE_URL"] == f"http://{ips[name]}:8888/user/someone/"
        assert env["HOSTNAME"] == name
        # No container filesystem: the mount path is mapped to the pod's own directory.
        assert report["license_file"] == "LICENSE-abc123" and report["license_mode"] == "0o644"
        assert env["LICENSE_FILE"].endswith("/volumes/lic/license.txt")
        assert report["cwd"] == env["HOME"]
    assert reports["nb-one"]["env"]["LICENSE_FILE"] != reports["nb-two"]["env"]["LICENSE_FILE"]
    reasons = [e["reason"] for e in cluster.events("jhub", "nb-one")]
    assert reasons[:1] == ["Scheduled"] and {"Pulled", "Created", "Started"} <= set(reasons)
    pulled = cluster.events("jhub", "nb-one", "Pulled")[0]["message"]
    assert "not pulled" in pulled and "local Python environment" in pulled
    volume_file = Path(reports["nb-one"]["env"]["LICENSE_FILE"])
    cluster.api.delete("pods", "jhub", "nb-one", {"gracePeriodSeconds": 2})
    await cluster.wait_for(lambda: cluster.store.get("pods", "jhub", "nb-one") is None, timeout=10)
    assert not volume_file.exists(), "secret files are removed with the pod"


async def fetch_when_up(url: str, timeout: float = 10.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await fetch(url)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_missing_secret_is_create_container_config_error_until_it_exists(
    make_cluster, process_spec, tmp_path
):
    cluster = await make_cluster(process_spec)
    container = {
        "command": [
            sys.executable,
            "-c",
            "import os, time; print(os.environ['TOKEN'], flush=True); time.sleep(600)",
        ],
        "env": [
            {
                "name": "TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "late-secret", "key": "token"}},
            }
        ],
    }
    cluster.api.create("pods", "jhub", pod_body("waits", container=container))

    def waiting_reason():
        pod = cluster.store.get("pods", "jhub", "waits")
        statuses = pod["status"].get("containerStatuses") or [{}]
        return statuses[0].get("state", {}).get("waiting", {}).get("reason")

    await cluster.wait_for(lambda: waiting_reason() == "CreateContainerConfigError", timeout=10)
    pod = cluster.store.get("pods", "jhub", "waits")
    assert pod["status"]["phase"] == "Pending"
    assert (
        pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        == 'secret "late-secret" not found'
    )
    (event,) = cluster.events("jhub", "waits", "Failed")
    assert (
        event["type"] == "Warning" and event["message"] == 'Error: secret "late-secret" not found'
    )
    assert event["source"] == {"component": "kubelet", "host": pod["spec"]["nodeName"]}
    cluster.api.create(
        "secrets", "jhub", {"metadata": {"name": "late-secret"}, "stringData": {"other": "x"}}
    )
    await cluster.wait_for(
        lambda: (
            "couldn't find key token in Secret jhub/late-secret"
            in json.dumps(cluster.store.get("pods", "jhub", "waits")["status"])
        ),
        timeout=10,
    )
    cluster.api.patch(
        "secrets",
        "jhub",
        "late-secret",
        "application/merge-patch+json",
        {"stringData": {"token": "tok-1"}},
    )
    await cluster.wait_for(lambda: running(cluster, "waits"), timeout=10)
    await cluster.wait_for(lambda: "tok-1" in _log(cluster, "waits"), timeout=10)


def _log(cluster, name):
    try:
        return cluster.kubelet.read_log(cluster.store.get("pods", "jhub", name), None, None)
    except Exception:
        return ""


async def test_missing_secret_volume_is_failed_mount(make_cluster, process_spec):
    cluster = await make_cluster(process_spec)
    container = {
        "command": [sys.executable, "-c", "import time; time.sleep(600)"],
        "volumeMounts": [{"name": "cred", "mountPath": "/etc/accelize"}],
    }
    cluster.api.create(
        "pods",
        "jhub",
        pod_body(
            "mounts",
            container=container,
            volumes=[{"name": "cred", "secret": {"secretName": "accelize-cred"}}],
        ),
    )
    await cluster.wait_for(lambda: cluster.events("jhub", "mounts", "FailedMount"), timeout=10)
    event = cluster.events("jhub", "mounts", "FailedMount")[0]
    assert (
        event["message"]
        == 'MountVolume.SetUp failed for volume "cred" : secret "accelize-cred" not found'
    )
    assert (
        cluster.store.get("pods", "jhub", "mounts")["status"]["containerStatuses"][0]["state"][
            "waiting"
        ]["reason"]
        == "ContainerCreating"
    )
    cluster.api.create(
        "secrets",
        "jhub",
        {"metadata": {"name": "accelize-cred"}, "stringData": {"cred.json": '{"client_id": "a"}'}},
    )
    await cluster.wait_for(lambda: running(cluster, "mounts"), timeout=10)


async def test_deletion_kills_the_whole_process_tree(make_cluster, process_spec, tmp_path):
    cluster = await make_cluster(process_spec)
    script, pid_file = tmp_path / "tree.py", tmp_path / "pids"
    script.write_text(TREE)
    cluster.api.create(
        "pods",
        "jhub",
        pod_body("tree", container={"command": [sys.executable, str(script), str(pid_file)]}),
    )
    await cluster.wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout=10)
    main, kernel, child = (int(p) for p in pid_file.read_text().split())
    assert all(alive(pid) for pid in (main, kernel, child))
    assert os.getpgid(kernel) != os.getpgid(main), "the 'kernel' runs in a session of its own"
    loop = asyncio.get_running_loop()
    start = loop.time()
    deleted = cluster.api.delete("pods", "jhub", "tree", {"gracePeriodSeconds": 1})
    assert deleted["metadata"]["deletionTimestamp"]
    await cluster.wait_for(lambda: cluster.store.get("pods", "jhub", "tree") is None, timeout=10)
    assert loop.time() - start >= 0.9, "SIGTERM was ignored: the pod lives out its grace period"
    await asyncio.sleep(0.2)
    assert [pid for pid in (main, kernel, child) if alive(pid)] == []
    assert cluster.events("jhub", "tree", "Killing")[0]["message"] == "Stopping container notebook"


async def test_exit_codes_phases_and_crash_loop(make_cluster, process_spec):
    cluster = await make_cluster(process_spec)
    cluster.api.create(
        "pods",
        "jhub",
        pod_body(
            "ok",
            container={"command": [sys.executable, "-c", "print('done')"]},
            restartPolicy="Never",
        ),
    )
    cluster.api.create(
        "pods",
        "jhub",
        pod_body(
            "bad",
            container={"command": [sys.executable, "-c", "raise SystemExit(3)"]},
            restartPolicy="Never",
        ),
    )
    cluster.api.create(
        "pods",
        "jhub",
        pod_body(
            "crashy",
            container={"command": [sys.executable, "-c", "raise SystemExit(1)"]},
            restartPolicy="OnFailure",
        ),
    )

    def phase(name):
        return cluster.store.get("pods", "jhub", name)["status"].get("phase")

    await cluster.wait_for(
        lambda: phase("ok") == "Succeeded" and phase("bad") == "Failed", timeout=10
    )
    terminated = cluster.store.get("pods", "jhub", "bad")["status"]["containerStatuses"][0][
        "state"
    ]["terminated"]
    assert terminated["exitCode"] == 3 and terminated["reason"] == "Error"
    await cluster.wait_for(
        lambda: (
            cluster.store.get("pods", "jhub", "crashy")["status"]["containerStatuses"][0][
                "restartCount"
            ]
            >= 2
        ),
        timeout=10,
    )
    status = cluster.store.get("pods", "jhub", "crashy")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert cluster.events("jhub", "crashy", "BackOff")[0]["message"].startswith(
        "Back-off restarting failed container notebook in pod crashy_jhub("
    )
    # Finished pods no longer hold resources.
    assert (
        cluster.store.get("pods", "jhub", "ok")["status"]["containerStatuses"][0]["state"][
            "terminated"
        ]["reason"]
        == "Completed"
    )


async def test_jupyter_commands_get_allow_root_and_pod_ip_binds(
    make_cluster, process_spec, tmp_path
):
    """A command named jupyterhub-singleuser gets --allow-root when run as root; 0.0.0.0 becomes the pod IP."""
    cluster = await make_cluster(process_spec)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "jupyterhub-singleuser"
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\nprint(json.dumps({{'argv': sys.argv[1:], 'url': os.environ['JUPYTERHUB_SERVICE_URL']}}), flush=True)\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = [
        {"name": "PATH", "value": f"{bin_dir}:{os.environ['PATH']}"},
        {"name": "JUPYTERHUB_SERVICE_URL", "value": "http://0.0.0.0:8888/user/a/"},
    ]
    cluster.api.create(
        "pods",
        "jhub",
        pod_body(
            "singleuser",
            container={"args": ["jupyterhub-singleuser", "--ip=0.0.0.0"], "env": env},
            restartPolicy="Never",
        ),
    )
    await cluster.wait_for(
        lambda: (
            cluster.store.get("pods", "jhub", "singleuser")["status"].get("phase") == "Succeeded"
        ),
        timeout=10,
    )
    pod = cluster.store.get("pods", "jhub", "singleuser")
    printed = json.loads(_log(cluster, "singleuser").strip().splitlines()[-1])
    ip = pod["status"]["podIP"]
    expected = [f"--ip={ip}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    assert printed == {"argv": expected, "url": f"http://{ip}:8888/user/a/"}


async def test_unknown_executable_is_a_start_error(make_cluster, process_spec, v1):
    cluster = await make_cluster(process_spec)
    cluster.api.create(
        "pods",
        "jhub",
        pod_body("nope", container={"command": ["no-such-binary-xyz"]}, restartPolicy="Never"),
    )
    await cluster.wait_for(
        lambda: cluster.store.get("pods", "jhub", "nope")["status"].get("phase") == "Failed",
        timeout=10,
    )
    terminated = cluster.store.get("pods", "jhub", "nope")["status"]["containerStatuses"][0][
        "state"
    ]["terminated"]
    assert terminated["reason"] == "StartError" and terminated["exitCode"] == 128
    assert 'exec: "no-such-binary-xyz": executable file not found in $PATH' in terminated["message"]


async def test_pod_log_subresource(make_cluster, process_spec):
    cluster = await make_cluster(process_spec)
    cluster.api.create(
        "pods",
        "jhub",
        pod_body(
            "talker",
            container={"command": [sys.executable, "-c", "print('line one'); print('line two')"]},
            restartPolicy="Never",
        ),
    )
    await cluster.wait_for(
        lambda: cluster.store.get("pods", "jhub", "talker")["status"].get("phase") == "Succeeded",
        timeout=10,
    )
    async with client.ApiClient(cluster.client_configuration()) as api_client:
        api = client.CoreV1Api(api_client)
        assert await api.read_namespaced_pod_log("talker", "jhub") == "line one\nline two\n"
        assert await api.read_namespaced_pod_log("talker", "jhub", tail_lines=1) == "line two\n"


def test_rewrite_maps_mount_paths_and_all_interface_binds():
    mounts = [("/etc/fpga/license", "/pod/volumes/lic"), ("/home/jovyan", "/claims/jhub/claim-a")]
    assert (
        rewrite("/etc/fpga/license/cred.json", mounts, "127.4.0.9") == "/pod/volumes/lic/cred.json"
    )
    assert rewrite("/etc/fpga/licenses/other", mounts, "127.4.0.9") == "/etc/fpga/licenses/other"
    assert (
        rewrite("/opt/xclbin:/home/jovyan/xclbin", mounts, "127.4.0.9")
        == "/opt/xclbin:/claims/jhub/claim-a/xclbin"
    )
    assert (
        rewrite("--notebook-dir=/home/jovyan", mounts, "127.4.0.9")
        == "--notebook-dir=/claims/jhub/claim-a"
    )
    for url in ("http://0.0.0.0:8888/user/a/", "http://:8888/user/a/", "http://[::]:8888/user/a/"):
        assert rewrite(url, mounts, "127.4.0.9") == "http://127.4.0.9:8888/user/a/"
