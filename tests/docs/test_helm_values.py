"""docs/*.yaml: the helm values deployers copy, loaded as the charts' hub config would load them.

zero-to-jupyterhub's ``jupyterhub_config.py`` maps ``singleuser.image`` and
``singleuser.profileList`` to KubeSpawner traits, ``hub.config`` to
``c[Class].update(...)``, mounts ``hub.extraFiles``, then ``exec``s every
``hub.extraConfig`` snippet in key order in one namespace. That is emulated
here for the values that matter, then the configured spawner renders a pod for
every FPGA profile (as a spawn would: ``load_user_options`` then
``get_pod_manifest``) and the pod is checked against Kubernetes' own schema.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jupyterhub.objects import Server
from kubespawner import KubeSpawner
from tornado import web
from traitlets.config import Config

from fpga_spawner import FPGASpawner
from fpga_spawner.catalog import CatalogError
from fpga_spawner.render import make_spawner, spawner_class_from
from tests.support.paths import DOCS
from tests.support.spawner import to_dict

K8S = "1.34.0"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((DOCS / name).read_text())


def hub_config(hub: dict, singleuser: dict, tmp_path: Path) -> tuple[Config, dict]:
    """What the chart's jupyterhub_config.py makes of these values (the parts that matter)."""
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"  # the chart's default
    image = singleuser.get("image", {})
    if image.get("name"):
        c.KubeSpawner.image = (
            f"{image['name']}:{image['tag']}" if image.get("tag") else image["name"]
        )
    if "profileList" in singleuser:
        c.KubeSpawner.profile_list = copy.deepcopy(singleuser["profileList"])
    mounted = {}
    for name, f in hub.get("extraFiles", {}).items():
        local = tmp_path / "extraFiles" / name / Path(f["mountPath"]).name
        local.parent.mkdir(parents=True)
        if "data" in f:  # the chart serialises structured data by the file's extension
            assert f["mountPath"].endswith((".yaml", ".yml")), f["mountPath"]
            local.write_text(yaml.safe_dump(f["data"]))
        else:
            local.write_text(f["stringData"])
        mounted[f["mountPath"]] = str(local)
    for app, cfg in copy.deepcopy(hub.get("config", {})).items():
        # the pod's paths become this machine's copies of the mounted files
        c[app].update({k: mounted.get(v, v) if isinstance(v, str) else v for k, v in cfg.items()})
    namespace: dict[str, Any] = {"c": c, "get_config": lambda: c, "__name__": "jupyterhub_config"}
    for _key, snippet in sorted(hub.get("extraConfig", {}).items()):
        exec(compile(snippet, f"hub.extraConfig.{_key}", "exec"), namespace)
    return c, namespace


def env_of(pod: dict) -> dict[str, Any]:
    return {
        e["name"]: e.get("value", e.get("valueFrom")) for e in pod["spec"]["containers"][0]["env"]
    }


async def render(config: Config, user_options: dict, groups=(), cls=None) -> tuple[dict, Any]:
    spawner = make_spawner(config, "alice", list(groups), cls=cls or spawner_class_from(config))
    spawner.user_options = user_options
    await spawner.load_user_options()
    pod = to_dict(await spawner.get_pod_manifest())
    kubernetes_validate.validate(pod, K8S, strict=True)
    return pod, spawner


# -- zero-to-jupyterhub ------------------------------------------------------------


@pytest.fixture
def z2jh(tmp_path) -> tuple[Config, dict]:
    values = load("zero-to-jupyterhub-values.yaml")
    config, _ = hub_config(values["hub"], values["singleuser"], tmp_path)
    return config, values


async def test_z2jh_values_configure_fpga_spawner(z2jh):
    config, values = z2jh
    assert spawner_class_from(config) is FPGASpawner
    catalog_path = Path(config.FPGASpawner.catalog_file)
    assert catalog_path.is_file() and catalog_path != Path("/etc/jupyterhub/fpga/catalog.yaml")
    spawner = make_spawner(config, "alice", ["fpga-cloud"])
    assert [b.slug for b in spawner.catalog.boards] == ["u250", "u280", "f2"]
    slugs = [p["slug"] for p in await spawner.initialized_profile_list()]
    # the hand-written profiles first, then one per board and one per accelerator
    assert slugs == [
        "cpu", "u250-vision", "stereo-x2", "u250", "u280", "f2",
        "accel-vision-stereo-bm", "accel-finance-black-scholes",
    ]  # fmt: skip


async def test_z2jh_every_fpga_profile_renders_a_valid_pod(z2jh):
    config, values = z2jh
    catalog = make_spawner(config, "alice").catalog
    spawner = make_spawner(config, "alice", ["fpga-cloud"])
    rendered = {}
    for profile in await spawner.initialized_profile_list():
        pod, _ = await render(config, {"profile": profile["slug"]}, ["fpga-cloud"])
        rendered[profile["slug"]] = pod
    assert "FPGA_BOARD" not in env_of(rendered.pop("cpu"))
    for slug, pod in rendered.items():
        env, container = env_of(pod), pod["spec"]["containers"][0]
        board = catalog.board(env["FPGA_BOARD"])
        count = env["FPGA_COUNT"]
        assert container["resources"]["limits"][board.resource] == count, slug
        assert container["resources"]["requests"][board.resource] == count, slug
        assert pod["spec"]["nodeSelector"]["fpga.jupyterhub.io/board"] == board.slug, slug
        # the license is a reference to the Secret, never its value
        assert env["XILINXD_LICENSE_FILE"] == {
            "secretKeyRef": {"name": "fpga-licenses", "key": "xilinx-license"}
        }
    vision = rendered["u250-vision"]
    assert (
        vision["spec"]["containers"][0]["image"]
        == "registry.example.org/vitis-vision-notebook:2024.2"
    )
    assert (env_of(vision)["FPGA_BOARD"], env_of(vision)["FPGA_COUNT"]) == ("u250", "1")
    # two stereo replicas, one per U250 (the catalog's first choice): two U250s
    stereo = env_of(rendered["stereo-x2"])
    assert (stereo["FPGA_ACCELERATOR"], stereo["FPGA_BOARD"], stereo["FPGA_COUNT"]) == (
        "vision.stereo_bm", "u250", "2",
    )  # fmt: skip
    assert rendered["u280"]["spec"]["containers"][0]["image"] == (
        "registry.example.org/fpga-notebook:2024-12-02"  # singleuser.image
    )
    assert env_of(rendered["f2"])["FPGA_BOARD"] == "f2"


async def test_z2jh_count_option_and_group_only_board(z2jh):
    config, _ = z2jh
    pod, _ = await render(config, {"profile": "u250", "count": "2"})
    assert env_of(pod)["FPGA_COUNT"] == "2"
    with pytest.raises(web.HTTPError) as info:  # f2 is for the fpga-cloud group only
        await render(config, {"profile": "f2"})
    assert info.value.status_code == 400 and "f2" in info.value.log_message


def test_z2jh_extra_config_stops_a_wrong_profile(tmp_path):
    values = load("zero-to-jupyterhub-values.yaml")
    values["singleuser"]["profileList"][1]["kubespawner_override"]["fpga_board"] = "u999"
    with pytest.raises(CatalogError) as info:
        hub_config(values["hub"], values["singleuser"], tmp_path)
    message = str(info.value)
    assert "KubeSpawner.profile_list" in message and "'u999'" in message
    assert "u250, u280, f2" in message


def test_node_reader_rbac_is_valid_and_covers_the_capacity_watch():
    docs = list(yaml.safe_load_all((DOCS / "hub-node-reader-rbac.yaml").read_text()))
    for doc in docs:
        kubernetes_validate.validate(doc, K8S, strict=True)
    role, binding, dra_role, dra_binding = docs
    assert role["kind"] == "ClusterRole" and binding["kind"] == "ClusterRoleBinding"
    rules = {r: set(rule["verbs"]) for rule in role["rules"] for r in rule["resources"]}
    # what the hub's capacity watch calls: list_node / list_pod_for_all_namespaces, then watch
    assert {"list", "watch"} <= rules["nodes"] and {"list", "watch"} <= rules["pods"]
    # DRA boards: list_resource_slice / list_resource_claim_for_all_namespaces, then watch
    assert {"list", "watch"} <= rules["resourceslices"] and {"list", "watch"} <= rules[
        "resourceclaims"
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0] == {"kind": "ServiceAccount", "name": "hub", "namespace": "jhub"}
    # the spawner deletes a stale template, then creates the server's (fpga_spawner.dra_objects)
    assert (dra_role["kind"], dra_binding["kind"]) == ("Role", "RoleBinding")
    [rule] = dra_role["rules"]
    assert rule["apiGroups"] == ["resource.k8s.io"] and rule["resources"] == [
        "resourceclaimtemplates"
    ]
    assert {"create", "delete"} <= set(rule["verbs"])
    assert dra_binding["roleRef"]["name"] == dra_role["metadata"]["name"]
    assert dra_binding["subjects"] == binding["subjects"]


def test_hub_image_dockerfile():
    text = (DOCS / "hub-image.Dockerfile").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "ARG K8S_HUB_VERSION=4.2.0"
    assert lines[1] == "FROM quay.io/jupyterhub/k8s-hub:${K8S_HUB_VERSION}"
    install = " ".join(
        line.rstrip("\\").strip() for line in lines if line.lstrip().startswith(("RUN", "&&"))
    )
    # the image's own pins constrain the install: pip adds jupyterhub-fpga, replaces nothing
    assert install == (
        "RUN pip list --format=freeze > /tmp/k8s-hub-pins.txt "
        "&& pip install --no-cache-dir --constraint /tmp/k8s-hub-pins.txt "
        '"jupyterhub-fpga[hub]" && rm /tmp/k8s-hub-pins.txt'
    )
    assert lines[-1] == "USER 1000"  # back to the chart's unprivileged hub user
    tag = load("zero-to-jupyterhub-values.yaml")["hub"]["image"]["tag"]
    assert tag.startswith("4.2.0")


#: What quay.io/jupyterhub/k8s-hub:4.2.0 pins (zero-to-jupyterhub-k8s 4.2.0,
#: images/hub/requirements.txt) of what the `hub` extra and the core require.
K8S_HUB_4_2_0_PINS = {
    "jupyterhub": "5.3.0",
    "jupyterhub-kubespawner": "7.0.0",
    "kubernetes-asyncio": "32.3.0",
    "traitlets": "5.14.3",
    "pyyaml": "6.0.2",
    "tornado": "6.4.2",
}


def test_hub_extra_installs_into_the_hub_image_without_replacing_its_pins():
    tomllib = pytest.importorskip("tomllib")
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    wanted += [Requirement(r) for r in project["optional-dependencies"]["hub"]]
    replaced = [
        f"{req} (the image has {K8S_HUB_4_2_0_PINS[canonicalize_name(req.name)]})"
        for req in wanted
        if canonicalize_name(req.name) in K8S_HUB_4_2_0_PINS
        and not req.specifier.contains(K8S_HUB_4_2_0_PINS[canonicalize_name(req.name)])
    ]
    assert replaced == []


# -- BinderHub ---------------------------------------------------------------------


def binder_options(repo: str) -> dict[str, str]:
    org_repo = repo.split("github.com/")[1]
    return {
        "image": f"registry.example.org/binder-fpga/{org_repo.replace('/', '-')}:5e1f00d",
        "repo_url": repo,
        "token": "launch-token",
        "binder_ref_url": f"{repo}/tree/5e1f00d",
        "binder_launch_host": "https://binder.example.org/",
        "binder_request": f"v2/gh/{org_repo}/HEAD",
        "binder_persistent_request": f"v2/gh/{org_repo}/5e1f00d",
        "binder_client_ip": "10.0.0.7",
    }


@pytest.fixture
def binderhub(tmp_path) -> tuple[Config, type]:
    values = load("binderhub-values.yaml")["jupyterhub"]
    config, namespace = hub_config(values["hub"], values.get("singleuser", {}), tmp_path)
    assert "BinderSpawnerMixin" in namespace
    return config, config.JupyterHub.spawner_class


async def test_binderhub_extra_config_builds_the_spawner(binderhub):
    config, cls = binderhub
    assert isinstance(cls, type) and cls.__name__ == "BinderSpawner"
    assert issubclass(cls, FPGASpawner) and issubclass(cls, KubeSpawner)
    assert [k.__name__ for k in cls.__mro__[:3]] == [
        "BinderSpawner",
        "BinderSpawnerMixin",
        "FPGASpawner",
    ]
    spawner = make_spawner(config, "binder-user", cls=cls)
    assert spawner.binder_launches is True  # found BinderHub's mixin by itself
    assert spawner.auth_enabled is False  # jupyterhub.hub.config.BinderSpawner


async def launch(config: Config, cls: type, options: dict) -> tuple[dict, Any]:
    """A Binder launch through the mixin's real start(); only the cluster calls are left out."""
    spawner = make_spawner(config, "binder-user", cls=cls)
    spawner.server = Server(base_url="/user/binder-user/")
    spawner.user_options = options

    async def _start():  # kubespawner's _start, up to the point where it would create the pod
        await spawner.load_user_options()
        return await spawner.get_pod_manifest()

    spawner._start = _start
    pod = to_dict(await spawner.start())
    kubernetes_validate.validate(pod, K8S, strict=True)
    return pod, spawner


async def test_binderhub_rule_gives_the_accelerator_and_keeps_the_built_image(binderhub):
    config, cls = binderhub
    options = binder_options("https://github.com/vision-lab/stereo-demo")
    pod, spawner = await launch(config, cls, options)
    container, env = pod["spec"]["containers"][0], env_of(pod)
    assert container["image"] == options["image"]  # BinderHub's build, not a profile's image
    assert (env["FPGA_ACCELERATOR"], env["FPGA_BOARD"], env["FPGA_COUNT"]) == (
        "vision.stereo_bm", "u250", "1",
    )  # fmt: skip
    assert container["resources"]["limits"]["amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"] == "1"
    assert env["BINDER_REPO_URL"] == options["repo_url"]
    assert env["BINDER_REQUEST"] == "v2/gh/vision-lab/stereo-demo/HEAD"
    assert env["BINDER_CLIENT_IP"] == "10.0.0.7"
    # the mixin's own arguments: token-authenticated server at the user's URL
    assert "--ServerApp.base_url=/user/binder-user/" in spawner.get_args()


async def test_binderhub_request_path_rule_and_default(binderhub):
    config, cls = binderhub
    pod, _ = await launch(config, cls, binder_options("https://github.com/quant-team/options"))
    assert (env_of(pod)["FPGA_BOARD"], env_of(pod)["FPGA_COUNT"]) == ("u250", "1")
    options = binder_options("https://github.com/someone/else")
    pod, _ = await launch(config, cls, options)
    assert "FPGA_BOARD" not in env_of(pod)  # binder_default {}: no FPGA, runs emulated
    assert pod["spec"]["containers"][0]["image"] == options["image"]


async def test_binderhub_launch_without_image_is_refused(binderhub):
    config, cls = binderhub
    options = binder_options("https://github.com/vision-lab/x")
    del options["image"]
    with pytest.raises(web.HTTPError) as info:
        await launch(config, cls, options)
    assert info.value.status_code == 400 and info.value.log_message == "image required"
