"""What a container sees: its environment, its volumes, its command line.

The emulated kubelet resolves `env` (values, `$(VAR)` references, secretKeyRef,
configMapKeyRef, fieldRef, resourceFieldRef) and `envFrom` exactly when a real
one would, failing with its messages when a Secret or key is missing.

Emulation-specific, and documented: there is no container filesystem, so each
volume is a directory under the pod's directory, and every mount path that
appears in the environment, the command line or workingDir is rewritten to
that directory. Binds to 0.0.0.0 are rewritten to the pod's own loopback IP, so
that many pods can listen on port 8888 at once, as they do in a real cluster.
"""

from __future__ import annotations

import base64
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..apiserver.store import Store
from ..quantity import parse_quantity

JUPYTER_COMMANDS = {
    "jupyterhub-singleuser",
    "jupyter",
    "jupyter-lab",
    "jupyter-server",
    "jupyter-notebook",
    "jupyter-labhub",
}
JUPYTER_SUBCOMMANDS = {"lab", "server", "notebook", "labhub", "singleuser"}
_VAR_REF = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


class ContainerConfigError(Exception):
    """CreateContainerConfigError: the container cannot be configured (yet)."""


class MountError(Exception):
    """FailedMount: a volume cannot be set up (yet)."""


def expand_refs(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known names replaced, `$$` escapes, unknown left as is."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _VAR_REF.sub(sub, text)


def _secret_value(store: Store, namespace: str, ref: Mapping[str, Any], kind: str) -> str | None:
    plural = "secrets" if kind == "Secret" else "configmaps"
    obj = store.get(plural, namespace, ref.get("name", ""))
    if obj is None:
        if ref.get("optional"):
            return None
        raise ContainerConfigError(f'{kind.lower()} "{ref.get("name")}" not found')
    key = ref.get("key", "")
    if kind == "Secret":
        data = obj.get("data") or {}
        if key in data:
            return base64.b64decode(data[key]).decode(errors="replace")
    else:
        if key in (obj.get("data") or {}):
            return obj["data"][key]
    if ref.get("optional"):
        return None
    raise ContainerConfigError(f"couldn't find key {key} in {kind} {namespace}/{ref.get('name')}")


def _field_ref(pod: Mapping[str, Any], path: str) -> str:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    match = re.match(r"^metadata\.(labels|annotations)\['(.+)'\]$", path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": status.get("podIP"),
        "status.podIPs": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
        "status.hostIPs": status.get("hostIP"),
    }
    return str(simple.get(path) or "")


def _resource_ref(container: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    section, _, name = ref.get("resource", "").partition(".")
    amount = ((container.get("resources") or {}).get(section) or {}).get(name)
    if amount is None:
        return "0"
    divisor = parse_quantity(ref.get("divisor", "1") or "1")
    return str(math.ceil(parse_quantity(amount) / divisor))


def resolve_env(
    container: Mapping[str, Any], pod: Mapping[str, Any], store: Store, base: Mapping[str, str]
) -> dict[str, str]:
    """The container's environment on top of `base` (the emulated image's own env)."""
    namespace = pod["metadata"]["namespace"]
    env = dict(base)
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
            ref = source.get(field)
            if not ref:
                continue
            plural = "secrets" if kind == "Secret" else "configmaps"
            obj = store.get(plural, namespace, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ContainerConfigError(f'{kind.lower()} "{ref.get("name")}" not found')
            for key, value in (obj.get("data") or {}).items():
                env[prefix + key] = (
                    base64.b64decode(value).decode(errors="replace") if kind == "Secret" else value
                )
    for var in container.get("env") or []:
        name, source = var["name"], var.get("valueFrom")
        if source is None:
            env[name] = expand_refs(str(var.get("value", "")), env)
        elif source.get("secretKeyRef"):
            value = _secret_value(store, namespace, source["secretKeyRef"], "Secret")
            if value is not None:
                env[name] = value
        elif source.get("configMapKeyRef"):
            value = _secret_value(store, namespace, source["configMapKeyRef"], "ConfigMap")
            if value is not None:
                env[name] = value
        elif source.get("fieldRef"):
            env[name] = _field_ref(pod, source["fieldRef"].get("fieldPath", ""))
        elif source.get("resourceFieldRef"):
            env[name] = _resource_ref(container, source["resourceFieldRef"])
    return env


def claimed_device_env(
    store: Store,
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    device_env: Mapping[tuple[str, str, str], Mapping[str, str]],
) -> dict[str, str]:
    """The CDI environment of the DRA devices the container's claims were allocated.

    A variable that several devices set gets their values joined with commas,
    in allocation order (how a driver lists several devices in one variable).
    """
    wanted = {c.get("name") for c in ((container.get("resources") or {}).get("claims") or [])}
    statuses = {
        s.get("name"): s.get("resourceClaimName")
        for s in (pod.get("status") or {}).get("resourceClaimStatuses") or []
    }
    env: dict[str, str] = {}
    for entry in (pod.get("spec") or {}).get("resourceClaims") or []:
        if entry.get("name") not in wanted:
            continue
        name = entry.get("resourceClaimName") or statuses.get(entry.get("name"))
        claim = store.get("resourceclaims", pod["metadata"]["namespace"], name or "")
        allocation = ((claim or {}).get("status") or {}).get("allocation") or {}
        for result in (allocation.get("devices") or {}).get("results") or []:
            key = (result.get("driver"), result.get("pool"), result.get("device"))
            for var, value in (device_env.get(key) or {}).items():
                env[var] = f"{env[var]},{value}" if var in env else value
    return env


def _write_files(directory: Path, files: Mapping[str, bytes], mode: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        tmp.chmod(mode)
        tmp.replace(target)


def _keyed_files(
    store: Store, namespace: str, source: Mapping[str, Any], kind: str, volume: str
) -> dict[str, bytes] | None:
    plural, name_field = ("secrets", "secretName") if kind == "secret" else ("configmaps", "name")
    name = source.get(name_field, "")
    obj = store.get(plural, namespace, name)
    if obj is None:
        if source.get("optional"):
            return {}
        raise MountError(
            f'MountVolume.SetUp failed for volume "{volume}" : {kind.lower()} "{name}" not found'
        )
    data = obj.get("data") or {}
    decoded = {
        k: (base64.b64decode(v) if kind == "secret" else str(v).encode()) for k, v in data.items()
    }
    items = source.get("items")
    if not items:
        return decoded
    files = {}
    for item in items:
        if item["key"] not in decoded:
            if source.get("optional"):
                continue
            raise MountError(
                f'MountVolume.SetUp failed for volume "{volume}" : configmap references non-existent config key: {item["key"]}'
                if kind != "secret"
                else f'MountVolume.SetUp failed for volume "{volume}" : references non-existent secret key: {item["key"]}'
            )
        files[item["path"]] = decoded[item["key"]]
    return files


def materialize_volumes(
    pod: Mapping[str, Any], store: Store, pod_dir: Path, claims_dir: Path
) -> dict[str, Path]:
    """Create each volume's directory and contents; returns volume name -> host directory."""
    namespace = pod["metadata"]["namespace"]
    result: dict[str, Path] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume["name"]
        target = pod_dir / "volumes" / name
        if "secret" in volume or "configMap" in volume:
            kind = "secret" if "secret" in volume else "configMap"
            source = volume[kind]
            files = _keyed_files(store, namespace, source, kind, name) or {}
            _write_files(target, files, int(source.get("defaultMode", 420)))
        elif "persistentVolumeClaim" in volume:
            target = claims_dir / namespace / volume["persistentVolumeClaim"]["claimName"]
            target.mkdir(parents=True, exist_ok=True)
        elif "hostPath" in volume:
            target = Path(volume["hostPath"]["path"])
            if volume["hostPath"].get("type") in ("DirectoryOrCreate", None, ""):
                target.mkdir(parents=True, exist_ok=True)
        elif "projected" in volume:
            for projected in volume["projected"].get("sources") or []:
                for kind in ("secret", "configMap"):
                    if kind in projected:
                        src = dict(projected[kind])
                        if kind == "secret":
                            src["secretName"] = src.get("name", "")
                        _write_files(
                            target, _keyed_files(store, namespace, src, kind, name) or {}, 0o644
                        )
                if "serviceAccountToken" in projected:
                    path = projected["serviceAccountToken"].get("path", "token")
                    _write_files(target, {path: b"emulated-service-account-token"}, 0o644)
            target.mkdir(parents=True, exist_ok=True)
        elif "downwardAPI" in volume:
            files = {
                item["path"]: _field_ref(
                    pod, (item.get("fieldRef") or {}).get("fieldPath", "")
                ).encode()
                for item in volume["downwardAPI"].get("items") or []
            }
            _write_files(target, files, 0o644)
        else:
            target.mkdir(parents=True, exist_ok=True)
        result[name] = target
    return result


def mount_table(container: Mapping[str, Any], volumes: Mapping[str, Path]) -> list[tuple[str, str]]:
    """(mountPath, host path) pairs, longest mount path first so nested mounts win."""
    table = []
    for mount in container.get("volumeMounts") or []:
        host = volumes.get(mount["name"])
        if host is None:
            continue
        if mount.get("subPath"):
            host = host / mount["subPath"]
        table.append((mount["mountPath"].rstrip("/") or "/", str(host)))
    return sorted(table, key=lambda pair: -len(pair[0]))


def rewrite(text: str, mounts: list[tuple[str, str]], pod_ip: str) -> str:
    """Map mount paths to their host directories and 0.0.0.0 binds to the pod IP."""
    for mount_path, host in mounts:
        pattern = r"(^|[\s:=,;\"'])" + re.escape(mount_path) + r"(?=$|[/\s:,;\"'])"
        text = re.sub(pattern, lambda m, h=host: m.group(1) + h, text)
    # "All interfaces" of the pod's network namespace is its own IP here.
    text = text.replace("0.0.0.0", pod_ip).replace("[::]", pod_ip)
    return text.replace("://:", f"://{pod_ip}:").replace("://*:", f"://{pod_ip}:")


def image_env(home: Path, pod_name: str) -> dict[str, str]:
    """The emulated image's own environment: this Python installation is the image.

    The Node configurable-http-proxy installed beside it (`<prefix>/chp`, as the
    demo and CONTRIBUTING install it) is on PATH too, as it is in the
    jupyterhub/jupyterhub image, so a hub can run in a pod.
    """
    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    parts = path.split(os.pathsep)
    proxy_bin = os.path.join(sys.prefix, "chp", "node_modules", ".bin")
    for extra in (proxy_bin, os.path.dirname(sys.executable)):
        if extra not in parts and (extra != proxy_bin or os.path.isdir(extra)):
            parts.insert(0, extra)
    env = {
        "PATH": os.pathsep.join(parts),
        "HOME": str(home),
        "HOSTNAME": pod_name,
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    # The image is this installation: its venv and, for a checkout run from a
    # worktree, the PYTHONPATH that puts that checkout first.
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def container_argv(
    container: Mapping[str, Any], default_command: list[str], env: Mapping[str, str]
) -> list[str]:
    """command + args as the runtime builds them; the image has no ENTRYPOINT, CMD = default_command."""
    command = container.get("command") or []
    args = container.get("args")
    if command:
        argv = list(command) + list(args or [])
    elif args:
        argv = list(args)
    else:
        argv = list(default_command)
    argv = [expand_refs(str(a), env) for a in argv]
    program = os.path.basename(argv[0]) if argv else ""
    if program == "jupyter" and (len(argv) < 2 or argv[1] not in JUPYTER_SUBCOMMANDS):
        program = ""  # `jupyter --version` and friends take no --allow-root
    if program in JUPYTER_COMMANDS and os.geteuid() == 0 and "--allow-root" not in argv:
        argv.append("--allow-root")  # emulator only: tests and the demo run as root
    return argv
