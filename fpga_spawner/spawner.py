"""FPGASpawner: KubeSpawner with FPGA boards, accelerators and licenses.

Glue only. The decisions live in pure modules (:mod:`.catalog`,
:mod:`.profiles`, :mod:`.user_options`, :mod:`.placement`, :mod:`.pod_patch`,
:mod:`.form`); the options are in :mod:`.settings`. This class feeds the pure
modules kubespawner's state at kubespawner's extension points:
``profile_list`` (a callable, so the form can show live capacity),
``options_form`` and ``options_from_query`` (the spawn page),
``apply_user_options`` and ``load_user_options`` (check, then let kubespawner
apply the profile), and ``get_pod_manifest`` (patch the ``V1Pod`` after
``super()``). The few kubespawner internals it also needs are used only
through :mod:`.kubespawner_internals`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from typing import Any

from jupyterhub.utils import maybe_future
from kubespawner import KubeSpawner
from traitlets import default

from . import hub_metrics, hub_view
from . import kubespawner_internals as internals
from .binder import BINDER_USER_OPTIONS, binder_overrides, is_binder_launch, parse_binder_rules
from .capacity import BoardCapacity, CapacityLedger, Holder
from .capacity_watch import (
    ANNOTATION_SERVER,
    ANNOTATION_USER,
    CapacityWatch,
    shared_capacity_watch,
)
from .catalog import CATALOG_KEYS, Board, CatalogError, catalog_from_config
from .dra import claim_template, template_name
from .dra_objects import ClaimTemplateError, delete_claim_template, write_claim_template
from .fair_share import FairShare, follow_capacity
from .form import escape_catalog_text, kubespawner_template_in_use
from .hub_events import HUB_EVENTS
from .placement import (
    Placement,
    PlacementError,
    place_accelerator,
    place_board,
    placement_kind,
)
from .pod_apply import PatchModels, apply_pod_patch, patch_models
from .pod_patch import build_pod_patch
from .profiles import catalog_profiles, catalog_slugs, custom_image_option, slug_conflicts
from .progress import capacity_summary, explain_event, start_message
from .refusals import SpawnNeedsClick, UserOptionsRefused
from .settings import FPGASettings
from .user_options import (
    FPGA_TRAITS,
    CheckedOptions,
    UserOptionsError,
    check_user_options,
    holds_fpga,
    preselected,
)
from .zero_config import SharedDiscovery, shared_discovery

#: Configuration problems found at spawn time, logged once per hub process.
_logged: set[str] = set()


class FPGASpawner(FairShare, KubeSpawner, FPGASettings):
    """A KubeSpawner whose profiles can ask for FPGA boards or accelerator functions."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # CatalogError propagates: a bad catalog must fail loudly, never half-work.
        self.catalog = catalog_from_config(
            {k: getattr(self, k) for k in CATALOG_KEYS}, self.catalog_file
        )
        self._discovery: SharedDiscovery | None = None
        if not self.catalog and self.discover_catalog:
            self._discovery = shared_discovery(("discovery", id(self.api)))
        self._binder_rules, self._binder_default = parse_binder_rules(
            self.binder_rules, self.binder_default, None if self._discovery else self.catalog
        )
        self._pre_override: dict[str, Any] = {}
        self._query_options: dict[str, Any] | None = None
        self.fpga_placement: Placement | None = None
        self._fpga_patch: tuple[Placement, PatchModels] | None = None
        self._admin_profile_list = self.profile_list
        self._capacity: CapacityWatch | None = None
        self._ticket = None
        self.quota_policy = self._combined_quotas()
        self._fpga_where = ""
        self._fpga_ready_at = 0.0
        self.fpga_claim_template = ""
        """The ResourceClaimTemplate this server's spawn wrote (DRA boards), kept in the state."""
        self.fpga_dry_run = False
        """True in ``jupyterhub-fpga render``: build the pod, write nothing to the cluster."""
        self.fpga_dry_run_objects: list[dict[str, Any]] = []
        """What a dry run would have written besides the pod; render prints it first."""
        if self.catalog:
            admin = internals.sorted_profiles(self, self._admin_profile_list)
            if not callable(admin):
                conflicts = slug_conflicts(admin, self.catalog)
                if conflicts:
                    raise CatalogError("KubeSpawner.profile_list", "", conflicts[0])
            self._start_capacity_watch()
        if self.catalog or self._discovery:
            self.profile_list = self._fpga_profile_list

    def _start_capacity_watch(self) -> None:
        if self.capacity_watch:
            self._capacity = watch = shared_capacity_watch(
                lambda: CapacityLedger.for_catalog(self.catalog),
                (id(self.api), id(self.catalog)),
                self.api,
                self.log,
            )
            follow_capacity(watch)
        # the hub's views (metrics, admin page) read the same catalog and watch
        hub_view.register(self.catalog, self._capacity)
        hub_metrics.install([self.catalog])

    async def ensure_catalog(self) -> None:
        """Zero configuration: the first form or spawn discovers the catalog from the nodes."""
        if self._discovery is None or self.catalog:
            return
        catalog = await self._discovery.get(self.api, self.log)
        if not catalog:
            return
        self.catalog = catalog
        try:
            self.quota_policy = self._combined_quotas()
        except CatalogError as e:
            self.log.error("FPGA quotas do not fit the discovered boards: %s", e)
        try:
            self._binder_rules, self._binder_default = parse_binder_rules(
                self.binder_rules, self.binder_default, catalog
            )
        except CatalogError as e:
            self.log.error("FPGA Binder rules do not fit the discovered boards: %s", e)
            self._binder_rules, self._binder_default = (), {}
        self._start_capacity_watch()

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
        text = f"{board.display_name}: {capacity_summary(cap)}" if cap is not None else ""
        held = self.quota_text(board)
        return f"{text}; {held}" if text and held else text or held

    async def wait_for_capacity(self) -> None:
        """Right after a hub (re)start, let the first node and pod listing land."""
        if self._capacity is not None and not self._capacity.ready.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._capacity.ready.wait(), self.capacity_wait)

    async def _fpga_profile_list(self, spawner: FPGASpawner) -> list[dict]:
        await self.ensure_catalog()
        await self.wait_for_capacity()
        admin = internals.sorted_profiles(self, self._admin_profile_list)
        checked_at_start = not callable(admin) and self._discovery is None
        if callable(admin):
            admin = await maybe_future(admin(spawner))
        if not checked_at_start:  # kubespawner will pick the admin's profile of the two
            for conflict in slug_conflicts(admin or [], self.catalog):
                if conflict not in _logged:
                    _logged.add(conflict)
                    self.log.error("FPGA profiles: %s", conflict)
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

    # -- the spawn page -------------------------------------------------------

    @default("options_form")
    def _fpga_options_form_default(self) -> Any:
        return self.fpga_options_form if self.profile_list else ""

    async def fpga_options_form(self, spawner: FPGASpawner) -> str:
        """kubespawner's form, with the catalog's text escaped and a spawn link's choices."""
        profiles = await self.initialized_profile_list()
        if not profiles:
            return ""  # zero configuration on a cluster without FPGAs: no form, as kubespawner
        if kubespawner_template_in_use(
            self.profile_form_template, self.additional_profile_form_template_paths
        ):
            profiles = escape_catalog_text(profiles, catalog_slugs(self.catalog))
        chosen, self._query_options = self._query_options, None
        if chosen:
            profiles = preselected(profiles, chosen)
        return internals.render_options_form(self, profiles, chosen or self.user_options or {})

    async def options_from_query(self, query_data: dict[str, list[str]]) -> dict[str, Any]:
        """A spawn link starts a server at once, unless that server would hold an FPGA.

        Then the form is shown, pre-filled with the link's choices, and only
        the user's click starts it: a link alone must not take a board.
        """
        options = await maybe_future(super().options_from_query(query_data))
        checked = await self.checked_user_options(options)
        base = {t: self._pre_override.get(t, getattr(self, t)) for t in FPGA_TRAITS}
        if checked.profile is not None and holds_fpga(checked.profile, checked.options, base):
            self._query_options = checked.options
            raise SpawnNeedsClick(f"an FPGA ({checked.profile.get('display_name')})")
        return options

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
            await spawner.checked_user_options(user_options, log_ignored=False)

        return check

    def _binder_launch(self, user_options: dict) -> bool:
        return self.binder_launches and is_binder_launch(user_options or {})

    async def checked_user_options(
        self, user_options: dict, log_ignored: bool = True
    ) -> CheckedOptions:
        """Options checked by kubespawner's contract, or a refusal (a 400 and a ValueError)."""
        expected = list(self.extra_user_option_keys)
        if self.binder_launches:
            expected += BINDER_USER_OPTIONS
        profile_list = await self.initialized_profile_list()
        try:
            checked = check_user_options(
                user_options or {},
                profile_list,
                expected,
                apply_profile=not self._binder_launch(user_options),
            )
        except UserOptionsError as e:
            self.record_event("refusal", reason="options", message=str(e))
            raise UserOptionsRefused(str(e)) from None
        if checked.ignored and log_ignored:
            self.log.warning(
                "Ignoring user options %s for %s (as kubespawner does)",
                checked.ignored_text(),
                self._log_name,
            )
        return checked

    async def load_user_options(self) -> None:
        image = self.image  # BinderHub's mixin sets it before start(); keep it
        self.reset_profile_state()
        await self.wait_for_capacity()
        self.user_options = (await self.checked_user_options(self.user_options)).options
        if self._binder_launch(self.user_options):
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
            self.record_event("refusal", reason="placement", message=str(e))
            raise UserOptionsRefused(str(e)) from None
        self._fpga_where = ""
        if self.fpga_placement is not None:
            # waiting here, before kubespawner makes the pod, is what keeps the line's order
            self.check_quota_and_join_line(self.fpga_placement)
            await self.wait_for_turn(self.fpga_placement)
            self._fpga_where = placement_kind(self.fpga_placement, self.capacity_view())
            if self._fpga_where == "burst":
                board = self.fpga_placement.board
                self.record_event(
                    "burst",
                    board=board.slug,
                    node_group=hub_metrics.node_group_of(self.catalog, board),
                )
        # kubespawner calls this last before it builds and creates the pod, and
        # get_pod_manifest() stays free of I/O; the render dry run writes nothing.
        await self.write_dra_template(self.fpga_placement)

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

    # -- DRA ------------------------------------------------------------------

    async def write_dra_template(self, placement: Placement | None) -> None:
        """A DRA board's ResourceClaimTemplate for this server, unless the admin named one."""
        dra = placement.board.dra if placement is not None else None
        if dra is None or not dra.spawner_writes_template:
            return
        name = template_name(self.pod_name)
        manifest = claim_template(
            name,
            self.namespace,
            dra,
            placement.count,
            labels={"app.kubernetes.io/managed-by": "jupyterhub-fpga"},
            annotations={ANNOTATION_USER: self.user.name, ANNOTATION_SERVER: self.name or ""},
        )
        if self.fpga_dry_run:
            self.fpga_dry_run_objects.append(manifest)
            return
        try:
            await write_claim_template(
                self.api.api_client, manifest, self.k8s_api_request_timeout, self.log
            )
        except ClaimTemplateError as e:
            self.log.error("FPGA DRA for %s: %s", self._log_name, e)
            raise
        self.fpga_claim_template = name

    async def delete_dra_template(self) -> None:
        """Remove the template this server's spawn wrote (its claim went with the pod).

        Not while kubespawner's own start is still running: it stops a leftover
        pod of the same name mid-start, and the pod it then creates needs the template.
        """
        if self.fpga_claim_template and not internals.start_in_progress(self):
            await delete_claim_template(
                self.api.api_client,
                self.namespace,
                self.fpga_claim_template,
                self.k8s_api_request_timeout,
                self.log,
            )
            self.fpga_claim_template = ""

    def get_state(self) -> dict:
        state = super().get_state()
        if self.fpga_claim_template:
            state["fpga_claim_template"] = self.fpga_claim_template
        return state

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        self.fpga_claim_template = state.get("fpga_claim_template", "")

    # -- what happened, for the metrics and the admin page ------------------------

    def record_event(self, kind: str, **fields: Any) -> None:
        """Record a hub event about this server (see :mod:`.hub_events`)."""
        fields.setdefault("board", self.fpga_board or "")
        HUB_EVENTS.record(kind, user=self.user.name, server=self.name or "", **fields)

    def start(self):
        """kubespawner's start, timed: a server holding boards records how long it waited.

        kubespawner's ``start()`` returns the future it keeps for ``progress()``;
        this wraps that future without replacing it.
        """
        began = time.monotonic()
        started = super().start()
        return asyncio.ensure_future(self._timed_start(started, began))

    async def _timed_start(self, started: Any, began: float) -> Any:
        try:
            result = await started
        except (TimeoutError, asyncio.TimeoutError, asyncio.CancelledError):
            # JupyterHub cancels start() at its start_timeout (asyncio.wait_for);
            # kubespawner raises TimeoutError when its own wait ends first.
            if self.fpga_placement is not None:
                self.record_event(
                    "refusal",
                    board=self.fpga_placement.board.slug,
                    reason="timeout",
                    message=f"the server did not start within {self.start_timeout} s",
                )
            raise
        finally:
            self._leave_line()  # whatever the end of the start, this spawn leaves the line
        placement = self.fpga_placement
        if placement is not None:
            self._fpga_ready_at = time.time()
            self.record_event(
                "spawn",
                board=placement.board.slug,
                seconds=round(time.monotonic() - began, 3),
                placement=self._fpga_where or "on-premises",
                count=placement.count,
            )
        return result

    def held_boards(self) -> list[Holder]:
        """The ledger's view of the boards this server's pod holds now."""
        ledger = self.capacity_view()
        if ledger is None:
            return []
        name = self.name or ""
        return [h for h in ledger.holders() if h.user == self.user.name and h.server == name]

    async def stop(self, now: bool = False) -> None:
        """kubespawner's stop; a server that held boards records the board-seconds."""
        self._leave_line()
        held = self.held_boards()
        await super().stop(now)
        await self.delete_dra_template()
        if not held:
            return
        slugs = {b.resource: b.slug for b in self.catalog.boards}
        stopped = time.time()
        for holder in held:
            since = self._fpga_ready_at or holder.since
            if since and holder.resource in slugs:
                self.record_event(
                    "stop",
                    board=slugs[holder.resource],
                    board_seconds=round(holder.count * max(0.0, stopped - since), 3),
                    count=holder.count,
                )
        self._fpga_ready_at = 0.0

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
                dra_template=template_name(self.pod_name),
                idle_timeout=self.fpga_idle_timeout,
                idle_warning=self.fpga_idle_warning,
                max_age=self.fpga_max_age,
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
            async for event in self._line_progress(placement):
                yield event
        async for event in super().progress():
            raw = event.get("raw_event")
            if placement is not None and raw:
                explained = explain_event(
                    raw, placement, self.board_capacity(placement.board), self.start_timeout
                )
                if explained:
                    event = {**event, "message": explained}
            yield event
