"""A client for the demo stack's hub and emulated cluster, as the tests use them."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from fpga_demo.launcher import CLUSTER_FILE, DemoStack, free_port


@dataclass
class Hub:
    stack: DemoStack

    @property
    def api(self) -> str:
        return f"{self.stack.url}/hub/api"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.stack.admin_token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.api + path, headers=self.headers, timeout=60, **kwargs)

    def ensure_user(self, name: str) -> None:
        response = self.request("POST", f"/users/{name}")
        assert response.status_code in (201, 409), response.text

    def spawn(self, name: str, options: dict) -> requests.Response:
        self.ensure_user(name)
        return self.request("POST", f"/users/{name}/server", json=options)

    def server(self, name: str) -> dict | None:
        return self.request("GET", f"/users/{name}").json()["servers"].get("")

    def wait_ready(self, name: str, timeout: float = 60) -> dict:
        """Poll: a slow spawn's first answer can be a 500 while the spawn goes on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.server(name)
            if server and server["ready"]:
                return server
            time.sleep(0.5)
        raise AssertionError(f"{name}'s server was not ready within {timeout} s")

    def wait_stopped(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server(name) is None:
                return
            time.sleep(0.5)
        raise AssertionError(f"{name}'s server did not stop within {timeout} s")

    def stop(self, name: str) -> None:
        response = self.request("DELETE", f"/users/{name}/server")
        assert response.status_code in (202, 204), response.text
        self.wait_stopped(name)

    def progress(self, name: str, until: str, timeout: float = 60) -> list[str]:
        """Progress messages of a pending spawn, read until one contains `until`."""
        messages: list[str] = []
        deadline = time.monotonic() + timeout
        with requests.get(
            f"{self.api}/users/{name}/server/progress",
            headers=self.headers,
            stream=True,
            timeout=timeout,
        ) as response:
            for line in response.iter_lines(chunk_size=1, decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    messages.append(event.get("message", ""))
                    if until in messages[-1]:
                        return messages
                if time.monotonic() > deadline:
                    break
        raise AssertionError(f"no progress message with {until!r}; got {messages}")

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """/hub/metrics as Prometheus reads it: (sample name, sorted labels) -> value."""
        response = requests.get(f"{self.stack.url}/hub/metrics", timeout=30)
        response.raise_for_status()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics()[(name, tuple(sorted(labels.items())))]

    # -- the emulated cluster, read the way kubectl would ----------------------

    def k8s(self, path: str) -> dict:
        response = requests.get(self.stack.api_url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def pods(self) -> list[dict]:
        return self.k8s(f"/api/v1/namespaces/{self.stack.namespace}/pods")["items"]

    def pod(self, user: str) -> dict | None:
        return next((p for p in self.pods() if p["metadata"]["name"] == f"jupyter-{user}"), None)

    def nodes(self) -> list[dict]:
        return self.k8s("/api/v1/nodes")["items"]

    def login(self, name: str) -> requests.Session:
        """A browser-like session: the login form, with its xsrf token, as a user fills it."""
        session = requests.Session()
        page = session.get(f"{self.stack.url}/hub/login", timeout=30).text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        response = session.post(
            f"{self.stack.url}/hub/login?next=",
            data={"username": name, "password": "", "_xsrf": xsrf},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text
        return session

    def spawn_page(self, name: str) -> str:
        """The spawn form as `name` sees it in the browser."""
        response = self.login(name).get(f"{self.stack.url}/hub/spawn/{name}", timeout=30)
        response.raise_for_status()
        return response.text


def fast_cluster(tmp: Path) -> Path:
    """The demo cluster with a quick autoscaler and scheduler retry, for tests."""
    cluster = yaml.safe_load(CLUSTER_FILE.read_text())
    for group in cluster["nodeGroups"]:
        # longer than JupyterHub's slow_spawn_timeout (10 s): a burst spawn is still
        # pending when its POST answers, so its progress can be read, as on a real cloud
        group["startupDelaySeconds"] = 12
    cluster["scheduler"] = {"unschedulableRetrySeconds": 1}
    cluster["autoscaler"] = {"scanIntervalSeconds": 0.5}
    path = tmp / "cluster.yaml"
    path.write_text(yaml.safe_dump(cluster))
    return path


def container(pod: dict) -> dict:
    """The notebook container of a pod (as the API returns it)."""
    return next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")


@contextlib.contextmanager
def running_demo(
    state: Path,
    *,
    start_timeout: float = 60,
    cluster_file: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Hub]:
    """The demo stack (emulator, hub, proxy) in `state`, on the quickened cluster unless
    `cluster_file` replaces it; stopped, with everything it started, on exit."""
    stack = DemoStack(
        state_dir=state,
        port=free_port(),
        start_timeout=start_timeout,
        cluster_file=cluster_file or fast_cluster(state),
        extra_env=extra_env or {},
        log=lambda message: None,
    )
    stack.start()
    try:
        yield Hub(stack)
    finally:
        stack.stop()


@contextlib.contextmanager
def hub_with_config(
    state: Path, extra_config: str, repo: Path, cluster_file: Path | None = None
) -> Iterator[Hub]:
    """The demo stack with `extra_config` appended to the hub's configuration.

    The hub process gets the checkout on PYTHONPATH so a config can import
    test-only code (``tests.support.binder_mixin``). `cluster_file` replaces
    the demo's (quickened) cluster.
    """
    extra = state / "extra_config.py"
    extra.write_text(extra_config)
    env = {"FPGA_DEMO_EXTRA_CONFIG": str(extra), "PYTHONPATH": str(repo)}
    with running_demo(state, cluster_file=cluster_file, extra_env=env) as hub:
        yield hub
