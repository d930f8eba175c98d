"""JupyterHub configuration of `jupyterhub-fpga demo` (and of the end-to-end tests).

Everything runs on loopback: the hub, the proxy, the Kubernetes API emulator
(which stands in for a cluster, never in production) and the single-user
servers it starts as local processes. FPGAs are EMULATED. Settings that vary
per run come from FPGA_DEMO_* environment variables set by the demo launcher.
"""

import os
import shutil
from pathlib import Path

from kubespawner.slugs import safe_slug

from fpga_spawner import check_config
from fpga_spawner.admin_page import admin_handlers
from fpga_spawner.hub_metrics import install as install_fpga_metrics
from fpga_spawner.hub_setup import configure_hub

c = get_config()  # noqa: F821 - provided by JupyterHub

here = Path(__file__).resolve().parent
state = Path(os.environ["FPGA_DEMO_DIR"])


def port(name):
    return int(os.environ[f"FPGA_DEMO_{name}_PORT"])


c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = port("HUB_PUBLIC")
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port("HUB_API")
c.JupyterHub.hub_connect_url = f"http://127.0.0.1:{port('HUB_API')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port('PROXY_API')}"
c.ConfigurableHTTPProxy.command = [
    os.environ.get("FPGA_DEMO_PROXY_COMMAND", "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = os.environ.get("FPGA_DEMO_CLEANUP", "1") == "1"
c.JupyterHub.cleanup_proxy = True

# A login that takes any name (demo only), and the login page says so.
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.template_vars = {
    "announcement_login": "Demo: log in with any name; the password is not checked "
    "(leave it empty). Every FPGA here is emulated.",
}
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {"admin"}

admin_token = os.environ.get("FPGA_DEMO_ADMIN_TOKEN")
if admin_token:  # the tests drive the REST API with it
    c.JupyterHub.services = [{"name": "fpga-demo-admin", "api_token": admin_token}]
    c.JupyterHub.load_roles = [{"name": "admin", "services": ["fpga-demo-admin"]}]


def env_seconds(name, default):
    """A number of seconds from the environment, or one line naming the variable."""
    value = os.environ.get(name, default)
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number of seconds") from None


# Idle reclaim: an FPGA server whose boards go unused for an hour is stopped,
# with a warning on the home page 10 minutes before. The tests shorten it.
configure_hub(
    c,
    idle_timeout=env_seconds("FPGA_DEMO_IDLE_TIMEOUT", "3600"),
    warning=env_seconds("FPGA_DEMO_IDLE_WARNING", "600"),
    max_age=env_seconds("FPGA_DEMO_MAX_AGE", "0"),
    interval=env_seconds("FPGA_DEMO_RECLAIM_INTERVAL", "30"),
)

c.JupyterHub.spawner_class = "fpga"

# The FPGA admin page (/hub/fpga/admin), for users with JupyterHub's admin-ui scope.
c.JupyterHub.extra_handlers = admin_handlers()
# DEMO ONLY: /hub/metrics without a token, as a local Prometheus would scrape it.
# A real deployment keeps JupyterHub's default (a token with the read:metrics scope).
c.JupyterHub.authenticate_prometheus = False
c.FPGASpawner.catalog_file = str(here / "catalog.yaml")
c.FPGASpawner.fpga_emulation = True
c.FPGASpawner.xclbin_path = [str(state / "xclbin")]
c.KubeSpawner.namespace = os.environ.get("FPGA_DEMO_NAMESPACE", "jhub")
c.KubeSpawner.image = "emulated/jupyterhub-fpga-notebook:demo"
c.KubeSpawner.cmd = ["jupyterhub-singleuser"]
c.KubeSpawner.start_timeout = int(os.environ.get("FPGA_DEMO_START_TIMEOUT", "120"))
c.KubeSpawner.http_timeout = 60
c.KubeSpawner.cpu_guarantee = 0.5
c.KubeSpawner.mem_guarantee = "1G"
c.Spawner.default_url = os.environ.get("FPGA_DEMO_DEFAULT_URL", "/lab")

# Home directories: a hostPath volume per user, seeded with the example notebooks.
# The directory is named by kubespawner's safe slug of the user name, the same
# string its `{username}` expands to (`Jane.Doe@x` -> `jane-doe-x---<hash>`),
# and the hook below writes that one path into both the volume and the seed,
# so the notebooks always land in the directory the pod mounts.
c.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"}]
c.KubeSpawner.working_dir = "/home/jovyan"
c.KubeSpawner.environment = {
    "IPYTHONDIR": str(state / "ipython"),  # loads %fpga in every kernel
    "PYTHONUNBUFFERED": "1",
}


def home_dir(username):
    """The user's home on this machine, named like kubespawner's `{username}`."""
    return state / "home" / safe_slug(username, max_length=48)


def seed_home(spawner):
    """Give each user the example notebooks, never overwriting their own files."""
    home = home_dir(spawner.user.name)
    spawner.volumes = [
        {"name": "home", "hostPath": {"path": str(home), "type": "DirectoryOrCreate"}}
    ]
    notebooks = Path(os.environ.get("FPGA_DEMO_NOTEBOOKS", here / "notebooks"))
    for source in notebooks.rglob("*") if notebooks.is_dir() else []:
        target = home / source.relative_to(notebooks)
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    home.mkdir(parents=True, exist_ok=True)


c.Spawner.pre_spawn_hook = seed_home

c.KubeSpawner.profile_list = [
    {
        "display_name": "CPU only",
        "slug": "cpu",
        "description": "No FPGA: library functions run in emulation",
        "default": True,
    }
]

# A deployment's own additions (the tests use it for a BinderHub-style spawner).
if os.environ.get("FPGA_DEMO_EXTRA_CONFIG"):
    load_subconfig(os.environ["FPGA_DEMO_EXTRA_CONFIG"])  # noqa: F821 - provided by traitlets

# Check the FPGA configuration now (a bad one stops the hub with one clear message),
# and create the FPGA metrics' label values before the first spawn.
install_fpga_metrics([check_config(c)])
