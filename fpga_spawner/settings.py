"""FPGASpawner's own options, each validated when it is set.

They live in a mixin of their own, without kubespawner, for two reasons.
:func:`.config_check.check_config` builds one from the hub's configuration at
start-up, so every option is checked with the same ``@validate`` rules a
spawner applies, before any user spawns. And ``spawner.py`` stays glue.

Checks that need several options together (a license naming a board, a
Binder rule naming an accelerator) run when the catalog is parsed; each
option's validator checks what the option says on its own.
"""

from __future__ import annotations

import math
import re
from typing import Any

from traitlets import Bool, Dict, Float, Integer, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

from jupyter_ext.contract import DEFAULT_XCLBIN_PATH

from .binder import parse_binder_rules
from .catalog import ACCELERATOR_RE, CATALOG_KEYS, SLUG_RE, CatalogError, check_entries
from .pod_patch import LOCATION_LABEL
from .quotas import QuotaError, parse_quotas

QUOTAS_OPTION = "FPGASpawner.fpga_quotas"

#: Image names as registries accept them, lower case, written so the same text
#: is a valid HTML `pattern` (JavaScript's `v` flag wants `-` and `/` escaped
#: in a class) and a Python regex; matched against the whole value.
DEFAULT_CUSTOM_IMAGE_REGEX = r"^[a-z0-9.\-_\/:@]+$"
# A Kubernetes label key: an optional DNS-subdomain prefix and a name.
_LABEL_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)


def compile_custom_image_regex(pattern: str) -> re.Pattern[str]:
    """The admin's regex for custom images, or a TraitError naming it."""
    try:
        return re.compile(pattern)
    except re.error as e:
        raise TraitError(
            f"FPGASpawner.custom_image_regex={pattern!r} is not a regular expression: {e}"
        ) from None


class FPGASettings(Configurable):
    """The options FPGASpawner adds to KubeSpawner (configure them as `c.FPGASpawner.*`)."""

    catalog_file = Unicode(
        "",
        help="""Path of a YAML file with `boards`, `licenses`, `accelerators` and `node_groups` lists.

        Same schema as the traitlets of the same names; entries from both are
        combined (a slug defined twice is an error). Handy for carrying the
        catalog in a zero-to-jupyterhub values.yaml via `hub.extraFiles`.
        """,
    ).tag(config=True)

    boards = List(
        Dict(),
        help="""FPGA board types offered to users, one profile each.

        Keys: slug (profile slug, e.g. "u250"), display_name, description,
        plugin ("amd", "xilinx-legacy", "inaccel", "intel", "bcom"), resource
        (the device plugin's extended resource name), platform (shell VBNV),
        node_selector, tolerations, location ("on-premises" or "cloud"),
        node_group (cloud node group name), max_per_user (default 1), groups
        (JupyterHub groups allowed to use it; empty = everyone), slots_per_board
        (default 1; 2 to 256 offers each board as that many slots, one per server,
        where the device plugin advertises that many units per board: plugin "amd"
        with VirtualDev=true and VirtualNum=<slots>; see docs/shared-boards.md).
        """,
    ).tag(config=True)

    licenses = List(
        Dict(),
        help="""License secrets mounted into pods of the boards that need them.

        Keys: name, secret (Secret name), boards (slugs or "*"), and either
        env + key (an env var from `secretKeyRef`) or mount_path + items
        ({secret key: file name}, e.g. Accelize cred.json). Values never
        appear in the pod spec: only references to the Secret.
        """,
    ).tag(config=True)

    accelerators = List(
        Dict(),
        help="""Accelerator functions users can ask for instead of a board.

        Keys: name (e.g. "vision.stereo_bm"), display_name, description,
        boards ({board slug: replicas that fit on one board}, in order of
        preference), max_replicas.
        """,
    ).tag(config=True)

    node_groups = List(
        Dict(),
        help="""Cloud node groups the cluster-autoscaler can grow, for burst capacity.

        Keys: name, board (slug), boards_per_node, max_nodes, node_labels
        (labels that mark the group's nodes; default
        {"fpga.jupyterhub.io/node-group": name}). Mirror the autoscaler's
        node-template tags; the form then shows "can burst to N".
        """,
    ).tag(config=True)

    discover_catalog = Bool(
        True,
        help="""With no catalog configured, build one from the cluster's nodes.

        The boards are what the nodes' device plugins advertise (their
        allocatable resources); see `jupyterhub-fpga discover`. Needs the
        node-reader RBAC of docs/hub-node-reader-rbac.yaml. Ignored when
        boards are configured.
        """,
    ).tag(config=True)

    capacity_watch = Bool(
        True,
        help="""Watch nodes and pods for live FPGA capacity (one watch per hub).

        The form shows free boards, placement prefers free on-premises boards,
        and requests that could never fit are refused. Turn off only where
        the hub may not list nodes (then placement follows catalog order).
        """,
    ).tag(config=True)

    capacity_wait = Float(
        5.0,
        help="Seconds a spawn waits for the first capacity listing after a hub (re)start.",
    ).tag(config=True)

    binder_rules = List(
        Dict(),
        help="""FPGAs for Binder launches, which carry a repository instead of a profile.

        Each rule: pattern (a regex searched in repo_url and in BinderHub's
        binder_request, e.g. "github.com/org/vision-.*") and either board +
        count or accelerator + replicas. The first match wins; a rule never
        replaces the image BinderHub built.
        """,
    ).tag(config=True)

    binder_default = Dict(
        help="""FPGA for Binder launches that no rule matches: {board, count} or
        {accelerator, replicas}; empty (the default) means no FPGA.""",
    ).tag(config=True)

    binder_launches = Bool(
        help="""Accept BinderHub's launch options (image, token, repo_url, ...).

        Defaults to True when the spawner class includes BinderHub's
        BinderSpawnerMixin (`class BinderSpawner(BinderSpawnerMixin, FPGASpawner)`).
        """,
    ).tag(config=True)

    allow_custom_image = Bool(
        False,
        help="""Give every FPGA profile an `image` option with a free-text choice.

        kubespawner's form offers it as "Other..."; jupyterhub-fancy-profiles
        also offers "Build your own image" (with binderhub-service) and sends
        {"profile": slug, "image--unlisted-choice": "<built image>"}.
        """,
    ).tag(config=True)

    custom_image_regex = Unicode(
        DEFAULT_CUSTOM_IMAGE_REGEX,
        help="""Regex a custom image (allow_custom_image) must match, as a whole.

        Checked with `re.fullmatch`; the form's fields use it as their HTML
        `pattern`, so write it so JavaScript reads it the same way.
        """,
    ).tag(config=True)

    fpga_board = Unicode(
        "",
        help="Board slug for this server. Set by a profile's kubespawner_override; empty = no FPGA.",
    ).tag(config=True)
    fpga_count = Integer(1, help="Boards of `fpga_board` to request.").tag(config=True)
    fpga_accelerator = Unicode(
        "",
        help="Accelerator function for this server (instead of fpga_board). Set by a profile.",
    ).tag(config=True)
    fpga_replicas = Integer(1, help="Replicas of `fpga_accelerator` to place.").tag(config=True)

    xclbin_path = List(
        Unicode(),
        default_value=list(DEFAULT_XCLBIN_PATH),
        help="Directories the pod searches for xclbin files (FPGA_XCLBIN_PATH in the pod).",
    ).tag(config=True)

    fpga_emulation = Bool(
        False,
        help="""Tell pods their FPGAs are emulated (FPGA_EMULATION=1).

        Only for the demo and emulated clusters: the pod side then reports CPU
        models of the requested boards, clearly labelled as emulated.
        """,
    ).tag(config=True)

    location_label = Unicode(
        LOCATION_LABEL,
        help="Node label whose value 'on-premises' marks nodes preferred over cloud nodes.",
    ).tag(config=True)

    extra_user_option_keys = List(
        Unicode(),
        help="""user_options keys expected besides `profile` and the profile's options.

        Like kubespawner, FPGASpawner ignores keys it does not know; it logs
        a warning for each, except for these. BinderHub deployments need not
        list the keys BinderHub sends: they are known when binder_launches is on.
        """,
    ).tag(config=True)

    fpga_quotas = Dict(
        help="""How many boards a user may hold at once, over all of their named servers.

        Keys: default, groups ({JupyterHub group: entry}), users ({user name:
        entry}), admins_exempt (true: hub admins have no quota). Each entry
        sets boards (across all board types) and/or per_board ({board slug:
        count}). A user's limit is their own entry's, else the most generous
        of their groups', else the default's, else none. The catalog file may
        carry the same mapping as `quotas`; this option's entries replace the
        file's entries of the same name. See docs/quotas.md.
        """,
    ).tag(config=True)

    fpga_wait_line = Bool(
        True,
        help="""Place spawns waiting for the same board type first come, first served.

        The hub makes a waiting spawn's pod only when its turn comes (the
        front of the line always has its pod at the scheduler), and its
        progress says its place in line and how many boards are in use.
        Off: every pod is made at once and the scheduler picks among them.
        """,
    ).tag(config=True)

    fpga_wait_timeout = Float(
        0.0,
        help="""Seconds a spawn may wait in the line before it gives up (0: until start_timeout).

        The whole start, line included, is still bounded by `start_timeout`.
        """,
    ).tag(config=True)

    fpga_idle_timeout = Integer(
        0,
        help="""Seconds an FPGA server may go without FPGA activity before it is stopped.

        Activity is what the pod's kernels do with the boards (a kernel run, an
        xclbin load, a `%fpga` cell), as the pod's `fpga/api/devices` reports it;
        browser or HTTP traffic does not count. 0 (the default) turns idle
        reclaim off. Written into FPGA pods only (FPGA_IDLE_TIMEOUT); the
        reclaimer (`fpga_spawner.hub_setup.configure_hub`) enforces it, and a
        profile's kubespawner_override may set its own. See docs/idle-reclaim.md.
        """,
    ).tag(config=True)

    fpga_idle_warning = Integer(
        600,
        help="""Seconds before an idle or max-age stop at which the user is warned.

        The hub home page then says when the server stops (FPGA_IDLE_WARNING in
        the pod, so the notebook can warn too). 0 stops without warning.
        """,
    ).tag(config=True)

    fpga_max_age = Integer(
        0,
        help="""Seconds after its start at which an FPGA server is stopped, busy or not.

        0 (the default) means no maximum lifetime. Written into FPGA pods only
        (FPGA_MAX_AGE).
        """,
    ).tag(config=True)

    @default("binder_launches")
    def _binder_launches_default(self) -> bool:
        return any(cls.__name__ == "BinderSpawnerMixin" for cls in type(self).__mro__)

    # -- validation: each option on its own --------------------------------------

    @validate(*CATALOG_KEYS)
    def _valid_catalog_entries(self, proposal: dict[str, Any]) -> list:
        try:
            check_entries(proposal["trait"].name, proposal["value"])
        except CatalogError as e:
            raise TraitError(str(e)) from None
        return proposal["value"]

    @validate("catalog_file")
    def _valid_catalog_file(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if "\0" in value:
            raise TraitError(f"FPGASpawner.catalog_file={value!r} is not a path")
        return value

    @validate("capacity_wait")
    def _valid_capacity_wait(self, proposal: dict[str, Any]) -> float:
        value = proposal["value"]
        if not math.isfinite(value) or not 0 <= value <= 3600:
            raise TraitError(
                f"FPGASpawner.capacity_wait={value!r} must be between 0 and 3600 seconds"
            )
        return value

    @validate("fpga_quotas")
    def _valid_fpga_quotas(self, proposal: dict[str, Any]) -> dict:
        try:  # board slugs are checked against the catalog, once it is parsed
            parse_quotas(proposal["value"], QUOTAS_OPTION)
        except QuotaError as e:
            raise TraitError(str(e)) from None
        return proposal["value"]

    @validate("fpga_wait_timeout")
    def _valid_fpga_wait_timeout(self, proposal: dict[str, Any]) -> float:
        value = proposal["value"]
        if not math.isfinite(value) or not 0 <= value <= 86_400:
            raise TraitError(
                f"FPGASpawner.fpga_wait_timeout={value!r} must be between 0 and 86400 seconds"
            )
        return value

    @validate("binder_rules", "binder_default")
    def _valid_binder(self, proposal: dict[str, Any]) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        try:
            if name == "binder_rules":
                parse_binder_rules(value, {}, None)
            else:
                parse_binder_rules([], value, None)
        except CatalogError as e:
            raise TraitError(str(e)) from None
        return value

    @validate("custom_image_regex")
    def _valid_custom_image_regex(self, proposal: dict[str, Any]) -> str:
        compile_custom_image_regex(proposal["value"])
        return proposal["value"]

    @validate("fpga_board")
    def _valid_fpga_board(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value and not SLUG_RE.fullmatch(value):
            raise TraitError(f"FPGASpawner.fpga_board={value[:80]!r} is not a board slug")
        return value

    @validate("fpga_accelerator")
    def _valid_fpga_accelerator(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value and not ACCELERATOR_RE.fullmatch(value):
            raise TraitError(
                f"FPGASpawner.fpga_accelerator={value[:80]!r} is not an accelerator name"
            )
        return value

    @validate("fpga_count", "fpga_replicas")
    def _valid_count(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if not 1 <= value <= 10_000:
            raise TraitError(
                f"FPGASpawner.{proposal['trait'].name}={value!r} must be between 1 and 10000"
            )
        return value

    @validate("fpga_idle_timeout", "fpga_idle_warning", "fpga_max_age")
    def _valid_reclaim_seconds(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if value < 0:
            raise TraitError(
                f"FPGASpawner.{proposal['trait'].name}={value!r} must be 0 or more seconds"
                + (" (0 = off)" if proposal["trait"].name != "fpga_idle_warning" else "")
            )
        return value

    @validate("xclbin_path")
    def _valid_xclbin_path(self, proposal: dict[str, Any]) -> list[str]:
        for path in proposal["value"]:
            if not path.startswith("/") or ":" in path:
                raise TraitError(
                    f"FPGASpawner.xclbin_path item {path!r} must be an absolute path "
                    "without ':' (the pod reads the list as FPGA_XCLBIN_PATH)"
                )
        return proposal["value"]

    @validate("location_label")
    def _valid_location_label(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if not _LABEL_KEY.fullmatch(value):
            raise TraitError(f"FPGASpawner.location_label={value!r} is not a label key")
        return value

    @validate("extra_user_option_keys")
    def _valid_extra_keys(self, proposal: dict[str, Any]) -> list[str]:
        if not all(proposal["value"]):
            raise TraitError("FPGASpawner.extra_user_option_keys may not hold an empty key")
        return proposal["value"]
