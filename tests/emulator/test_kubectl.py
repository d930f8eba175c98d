"""kubectl itself against the emulator: apply with validation, get, exec, patch, server-side apply.

kubectl is the client an admin uses, and the strictest reader of the API's
discovery, OpenAPI, Table and exec protocols. Debian's `kubernetes-client`
package provides it; these tests are skipped where it is not installed.
"""

from __future__ import annotations

import asyncio
import shutil
import sys

import pytest

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl (Debian: kubernetes-client) not installed"
)

POD = """
apiVersion: v1
kind: Pod
metadata: {name: shell, namespace: jhub, labels: {app: shell}}
spec:
  containers:
    - name: main
      image: busybox
      command: [PYTHON, -c, "import time; time.sleep(600)"]
""".replace("PYTHON", sys.executable)


@pytest.fixture
async def kubectl(make_cluster, small_cluster_spec, tmp_path):
    spec = dict(small_cluster_spec)
    spec["kubelet"] = {"runProcesses": True}
    cluster = await make_cluster(spec)
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")

    async def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            KUBECTL, f"--kubeconfig={kubeconfig}", f"--cache-dir={tmp_path / 'cache'}", *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
        return proc.returncode, out.decode(), err.decode()

    run.cluster = cluster  # type: ignore[attr-defined]
    return run


async def test_apply_get_exec_and_delete_dry_run(kubectl):
    code, out, err = await kubectl("apply", "-f", "-", stdin=POD)
    assert code == 0 and "pod/shell created" in out, err
    await kubectl.cluster.wait_for(
        lambda: (
            kubectl.cluster.store.get("pods", "jhub", "shell")["status"].get("phase") == "Running"
        ),
        timeout=20,
    )
    code, out, _ = await kubectl("get", "pods", "-o", "wide")
    header, row = out.splitlines()[:2]
    assert header.split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:3] == ["shell", "1/1", "Running"]

    code, out, err = await kubectl("exec", "shell", "--", "sh", "-c", "echo from $HOSTNAME; exit 3")
    assert out == "from shell\n" and code == 3 and "exit code 3" in err

    code, out, _ = await kubectl("delete", "pod", "shell", "--dry-run=server")
    assert code == 0 and "(server dry run)" in out
    assert kubectl.cluster.store.get("pods", "jhub", "shell") is not None


async def test_apply_validates_and_patches_by_merge_key(kubectl):
    code, _, err = await kubectl("apply", "-f", "-", stdin=POD.replace("containers:", "contaners:"))
    assert code != 0 and 'strict decoding error: unknown field "spec.contaners"' in err
    service = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: jhub}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: metrics, port: 9090}]
"""
    assert (await kubectl("apply", "-f", "-", stdin=service))[0] == 0
    assert (await kubectl("apply", "-f", "-", stdin=service.replace("9090", "9091")))[0] == 0
    code, out, err = await kubectl("get", "svc", "web", "-o", "jsonpath={.spec.ports[*].port}")
    assert out == "80 9091", err

    config = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: jhub}\ndata: {a: '1'}\n"
    )
    assert (await kubectl("apply", "--server-side", "-f", "-", stdin=config))[0] == 0
    assert (await kubectl("patch", "cm", "cfg", "-p", '{"data":{"a":"2"}}'))[0] == 0
    code, _, err = await kubectl("apply", "--server-side", "-f", "-", stdin=config)
    assert code != 0 and 'conflict with "kubectl-patch"' in err
    code, _, err = await kubectl(
        "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=config
    )
    assert code == 0, err
