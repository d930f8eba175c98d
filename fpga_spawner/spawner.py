"""FPGASpawner: KubeSpawner with FPGA boards, accelerators and licenses.

Glue only. The decisions live in pure modules (:mod:`.catalog`,
:mod:`.profiles`, :mod:`.placement`, :mod:`.pod_patch`); this class feeds them
kubespawner's state at kubespawner's documented extension points:
``profile_list`` (a callable, so the form can show live capacity),
``load_user_options`` (validate, then let kubespawner apply the profile), and
``get_pod_manifest`` (patch the ``V1Pod`` after ``super()``). The few
kubespawner internals it also needs are used only through
:mod:`.kubespawner_internals`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from typing import Any

from jupyterhub.utils import maybe_future
from kubespawner import KubeSpawner
from tornado import web
from traitlets import Bool, Dict, Float, Integer, List, Unicode, default

from jupyter_ext.contract import DEFAULT_XCLBIN_PATH

from . import kubespawner_internals as internals
from .binder import BINDER_USER_OPTIONS, binder_overrides, is_binder_launch, parse_binder_rules
from .capacity import BoardCapacity, CapacityLedger
from .capacity_watch import CapacityWatch, shared_capacity_watch
from .catalog import CATALOG_KEYS, Board, CatalogError, catalog_from_config
from .placement import Placement, PlacementError, place_accelerator, place_board
from .pod_apply import PatchModels, apply_pod_patch, patch_models
from .pod_patch import LOCATION_LABEL, build_pod_patch
from .profiles import (
    UserOptionsError,
    catalog_profiles,
    check_user_options,
    custom_image_option,
)
from .progress import capacity_summary, explain_event, start_message


class FPGASpawner(KubeSpawner):
    """A KubeSpawner whose profiles can ask for FPGA boards or accelerator functions."""

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
        (JupyterHub groups allowed to use it; empty = everyone).
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

    @default("binder_launches")
    def _binder_launches_default(self) -> bool:
        return any(cls.__name__ == "BinderSpawnerMixin" for cls in type(self).__mro__)

    allow_custom_image = Bool(
        False,
        help="""Give every FPGA profile an `image` option with a free-text choice.

        jupyterhub-fancy-profiles with binderhub-service sends
        {"profile": slug, "image--unlisted-choice": "<built image>"}; this
        makes such answers valid for FPGA profiles.
        """,
    ).tag(config=True)

    custom_image_regex = Unicode(
        r"^[a-z0-9.\-_/:@]+$",
        help="Regex a custom image (allow_custom_image) must match.",
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
        help="""user_options keys accepted besides `profile` and profile options.

        Anything else is refused with HTTP 400. BinderHub deployments add the
        keys BinderHub sends (image, token, repo_url, ...).
        """,
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # CatalogError propagates: a bad catalog must fail loudly, never half-work.
        self.catalog = catalog_from_config(
            {k: getattr(self, k) for k in CATALOG_KEYS}, self.catalog_file
        )
        self._binder_rules, self._binder_default = parse_binder_rules(
            self.binder_rules, self.binder_default, self.catalog
        )
        self._pre_override: dict[str, Any] = {}
        self.fpga_placement: Placement | None = None
        self._fpga_patch: tuple[Placement, PatchModels] | None = None
        self._admin_profile_list = self.profile_list
        self._capacity: CapacityWatch | None = None
        if self.catalog:
            self.profile_list = self._fpga_profile_list
            if self.capacity_watch:
                self._capacity = shared_capacity_watch(
                    lambda: CapacityLedger.for_catalog(self.catalog),
                    (id(self.api), id(self.catalog)),
                    self.api,
                    self.log,
                )

    # -- profiles ---------------------------------------------------------

    def user_group_names(self) -> list[str]:
        return sorted(g.name for g in getattr(self.user, "groups", []) or [])

    def capacity_view(self) -> CapacityLedger | None:
        """Live FPGA capacity; None means unknown (placement then uses catalog order)."""
        watch = self._capacity
        return watch.ledger if watch is not None and watch.ready.is_set() else None

    def board_capacity(self, board: Board) -> BoardCapacity | None:
        ledger = self.capacity_view()
        return ledger.board(board.resource) if ledger is not None else None

    def capacity_text(self, board: Board) -> str:
        cap = self.board_capacity(board)
        return f"{board.display_name}: {capacity_summary(cap)}" if cap is not None else ""

    async def wait_for_capacity(self) -> None:
        """Right after a hub (re)start, let the first node and pod listing land."""
        if self._capacity is not None and not self._capacity.ready.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._capacity.ready.wait(), self.capacity_wait)

    async def _fpga_profile_list(self, spawner: FPGASpawner) -> list[dict]:
        await self.wait_for_capacity()
        admin = internals.sorted_profiles(self, self._admin_profile_list)
        if callable(admin):
            admin = await maybe_future(admin(spawner))
        own = catalog_profiles(self.catalog, self.user_group_names(), self.capacity_text)
        if self.allow_custom_image:
            for profile in own:
                profile["profile_options"]["image"] = custom_image_option(
                    self.image, self.custom_image_regex
                )
        return [*copy.deepcopy(admin or []), *own]

    async def initialized_profile_list(self) -> list[dict]:
        profile_list = internals.sorted_profiles(self, self.profile_list)
        if callable(profile_list):
            profile_list = await maybe_future(profile_list(self))
        return internals.initialized_profile_list(self, profile_list)

    # -- user options -------------------------------------------------------

    def _apply_overrides(self, spawner_override: dict) -> None:
        """kubespawner's private hook for every kubespawner_override, kept to one call.

        Remembers the traits kubespawner changes in place, so the next spawn
        starts clean; see kubespawner_internals.apply_overrides_remembering.
        """
        internals.apply_overrides_remembering(self, spawner_override, self._pre_override)

    def reset_profile_state(self) -> None:
        for key, value in self._pre_override.items():
            setattr(self, key, value)
        self._pre_override = {}
        self.fpga_placement = None

    @default("apply_user_options")
    def _apply_user_options_default(self):
        # JupyterHub calls this before start(): refuse bad options with a 400
        # right away (and without its "unhandled user_options" warning).
        async def check(spawner: FPGASpawner, user_options: dict) -> None:
            await spawner.checked_user_options(user_options)

        return check

    async def checked_user_options(self, user_options: dict) -> dict:
        """Validated, normalized user options, or an HTTP 400 naming what is allowed."""
        extra_keys = list(self.extra_user_option_keys)
        if self.binder_launches:
            extra_keys += BINDER_USER_OPTIONS
        profile_list = await self.initialized_profile_list()
        try:
            return check_user_options(user_options or {}, profile_list, extra_keys)
        except UserOptionsError as e:
            raise web.HTTPError(400, str(e)) from None

    async def load_user_options(self) -> None:
        image = self.image  # BinderHub's mixin sets it before start(); keep it
        self.reset_profile_state()
        await self.wait_for_capacity()
        self.user_options = await self.checked_user_options(self.user_options)
        if self.binder_launches and is_binder_launch(self.user_options):
            # No profile was chosen: the catalog's profiles must not apply (the
            # first would otherwise give every repository a board); the rules decide.
            internals.apply_overrides(
                self, binder_overrides(self._binder_rules, self._binder_default, self.user_options)
            )
            self.image = image
        else:
            await super().load_user_options()
        try:
            self.fpga_placement = self.place()
        except (PlacementError, CatalogError) as e:
            raise web.HTTPError(400, str(e)) from None

    def place(self) -> Placement | None:
        """Decide board type and count from the fpga_* traits a profile set."""
        groups = self.user_group_names()
        capacity = self.capacity_view()
        if self.fpga_accelerator:
            return place_accelerator(
                self.catalog, self.fpga_accelerator, self.fpga_replicas, groups, capacity
            )
        if self.fpga_board:
            return place_board(self.catalog, self.fpga_board, self.fpga_count, groups, capacity)
        return None

    # -- pod ------------------------------------------------------------------

    async def get_pod_manifest(self):
        pod = await super().get_pod_manifest()
        placement = self.fpga_placement
        if placement is None and (self.fpga_board or self.fpga_accelerator):
            placement = self.fpga_placement = self.place()
        if placement is None:
            return pod
        if self._fpga_patch is None or self._fpga_patch[0] is not placement:
            patch = build_pod_patch(
                placement,
                self.catalog,
                xclbin_path=tuple(self.xclbin_path),
                emulation=self.fpga_emulation,
                location_label=self.location_label,
            )
            self._fpga_patch = (placement, patch_models(patch))
        return apply_pod_patch(pod, self._fpga_patch[1])

    # -- progress ---------------------------------------------------------------

    async def progress(self):
        """kubespawner's progress, with FPGA waits explained in words."""
        placement = self.fpga_placement
        if placement is not None:
            yield {
                "progress": 1,
                "message": start_message(placement, self.board_capacity(placement.board)),
            }
        async for event in super().progress():
            raw = event.get("raw_event")
            if placement is not None and raw:
                explained = explain_event(raw, placement, self.board_capacity(placement.board))
                if explained:
                    event = {**event, "message": explained}
            yield event
