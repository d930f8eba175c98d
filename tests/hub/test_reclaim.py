"""Idle reclaim's pure parts and its configuration: the policy, the texts, the limits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from traitlets import TraitError
from traitlets.config import Config

from fpga_spawner.catalog import CatalogError
from fpga_spawner.config_check import check_config
from fpga_spawner.hub_events import HubEvents
from fpga_spawner.hub_setup import TEMPLATES, ReclaimConfigError, configure_hub
from fpga_spawner.reclaim.client import RECLAIMER_SCOPES, parse_devices, parse_time
from fpga_spawner.reclaim.notices import duration_text, stop_text, warning_text
from fpga_spawner.reclaim.policy import Limits, LimitsError, decide
from fpga_spawner.reclaim.state import ReclaimState, home_notices
from fpga_spawner.settings import FPGASettings
from tests.support.spawner import catalog_config, manifest_for

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


IDLE = Limits(idle_timeout=600, warning=120)

# -- the policy ------------------------------------------------------------------


def test_without_limits_a_server_is_kept_forever():
    verdict = decide(T0, None, at(10**7), Limits())
    assert (verdict.action, verdict.stop_at) == ("keep", None)


def test_no_activity_since_the_start_counts_from_the_start():
    assert decide(T0, None, at(479), IDLE).action == "keep"
    warn = decide(T0, None, at(480), IDLE)
    assert (warn.action, warn.stop_at, warn.reason) == ("warn", at(600), "idle")
    stop = decide(T0, None, at(600), IDLE)
    assert (stop.action, stop.reason) == ("stop", "idle")


def test_activity_moves_the_deadline():
    assert decide(T0, at(500), at(700), IDLE).action == "keep"
    assert decide(T0, at(500), at(1000), IDLE).stop_at == at(1100)
    assert decide(T0, at(500), at(1100), IDLE).action == "stop"


def test_activity_recorded_before_the_start_does_not_shorten_the_run():
    # a pod's clock or a previous run's record: the server's start is the floor
    assert decide(T0, at(-3600), at(300), IDLE).action == "keep"


def test_a_running_kernel_call_is_never_idle():
    assert decide(T0, at(0), at(5000), IDLE, busy=True).action == "keep"


def test_max_age_stops_a_busy_server_and_says_so():
    limits = Limits(idle_timeout=600, warning=60, max_age=3600)
    verdict = decide(T0, at(3500), at(3550), limits, busy=True)
    assert (verdict.action, verdict.stop_at, verdict.reason) == ("warn", at(3600), "max-age")
    assert decide(T0, at(3599), at(3600), limits, busy=True).reason == "max-age"
    # idle comes first when it is earlier
    assert decide(T0, None, at(600), limits).reason == "idle"


def test_max_age_wins_a_tie():
    limits = Limits(idle_timeout=600, max_age=600)
    assert decide(T0, None, at(600), limits).reason == "max-age"


def test_no_warning_means_straight_from_keep_to_stop():
    limits = Limits(idle_timeout=600, warning=0)
    assert decide(T0, None, at(599), limits).action == "keep"
    assert decide(T0, None, at(600), limits).action == "stop"


@pytest.mark.parametrize("field", ["idle_timeout", "warning", "max_age"])
@pytest.mark.parametrize("value", [-1, "600", True, None])
def test_limits_refuse_what_is_not_seconds(field, value):
    with pytest.raises(LimitsError, match=f"^{field}="):
        Limits(**{field: value})


def test_a_pod_reported_limit_overrides_the_default():
    assert IDLE.overridden(idle_timeout=60, max_age=None) == Limits(60, 120, 0)
    assert IDLE.overridden() == IDLE


# -- texts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (600, "10 minutes"),
        (7200, "2 hours"),
        (5400 * 2, "3 hours"),
        (9000, "2.5 hours"),
        (86400 * 3, "3 days"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds, text):
    assert duration_text(seconds) == text


def test_the_warning_says_when_and_how_to_keep_the_server():
    text = warning_text("", at(600), "idle", at(490))
    assert text == "Your FPGA server stops at 12:10 UTC (in 110 seconds) unless the FPGA is used."
    named = warning_text("lab", at(600), "max-age", at(0))
    assert named == (
        "Your FPGA server 'lab' stops at 12:10 UTC (in 10 minutes): "
        "it has reached the maximum lifetime."
    )


def test_the_stop_line_says_why():
    assert stop_text("", "idle", IDLE, at(600)) == (
        "Your FPGA server was stopped at 12:10 UTC because its FPGA was not used "
        "for 10 minutes, to free the board for others."
    )
    assert "FPGA servers run at most 8 hours" in stop_text("", "max-age", Limits(max_age=28800), T0)


# -- what the home page shows ---------------------------------------------------------


def test_home_page_shows_a_warning_while_the_server_runs_and_the_stop_until_restarted():
    state, events = ReclaimState(), HubEvents()
    state.warnings[("ann", "")] = (at(600), "idle")
    state.warnings[("bob", "")] = (at(600), "idle")
    (warning,) = home_notices("ann", {"": T0}, at(500), state=state, events=events)
    assert warning.kind == "warning" and "stops at 12:10 UTC" in warning.text
    assert home_notices("ann", {}, at(500), state=state, events=events) == []

    stopped = events.record(
        "reclaim", user="ann", reason="idle", message="why", at=at(600).timestamp()
    )
    state.warnings.clear()
    (line,) = home_notices("ann", {}, at(700), state=state, events=events)
    assert (line.kind, line.text) == ("reclaim", stopped.message)
    assert home_notices("bob", {}, at(700), state=state, events=events) == []
    # started again afterwards: old news
    assert home_notices("ann", {"": at(650)}, at(700), state=state, events=events) == []
    # and a day later it is gone too
    assert home_notices("ann", {}, at(600 + 86401), state=state, events=events) == []


def test_last_activity_is_unknown_while_the_reclaimer_is_not_running():
    state = ReclaimState()
    state.activity[("ann", "")] = at(5)
    assert state.last_activity("ann", "") is None
    state.running = True
    assert state.last_activity("ann", "") == at(5)
    assert state.last_activity("ann", "other") is None


# -- the devices API as the reclaimer reads it --------------------------------------------


def test_a_server_started_without_an_fpga_is_not_watched():
    assert not parse_devices({"requested": None, "backend": "emulated"}).fpga
    assert not parse_devices({}).fpga


def test_a_pod_without_activity_yet_is_idle_since_its_start():
    activity = parse_devices({"requested": {"board": "u250"}})
    assert activity.fpga and activity.board == "u250"
    assert (activity.last_activity, activity.busy, activity.idle_timeout) == (None, False, None)


def test_activity_and_the_pods_limits_are_read_and_odd_values_ignored():
    activity = parse_devices(
        {
            "requested": {"board": "u250"},
            "activity": {
                "last_activity": "2026-03-01T12:05:00Z",
                "busy": True,
                "idle_timeout": 900,
                "idle_warning": "soon",
                "max_age": -5,
            },
        }
    )
    assert activity.last_activity == at(300) and activity.busy
    assert (activity.idle_timeout, activity.idle_warning, activity.max_age) == (900, None, None)
    assert parse_time("2026-03-01T12:05:00.123456+00:00") == at(300.123456)
    assert parse_time("yesterday") is None and parse_time(None) is None


# -- configuration -----------------------------------------------------------------


@pytest.mark.parametrize("trait", ["fpga_idle_timeout", "fpga_idle_warning", "fpga_max_age"])
def test_a_negative_limit_is_refused_naming_the_trait(trait):
    with pytest.raises(TraitError, match=f"FPGASpawner.{trait}=-1 must be 0 or more seconds"):
        FPGASettings(**{trait: -1})
    c = Config()
    setattr(c.FPGASpawner, trait, -1)
    with pytest.raises(CatalogError, match=f"FPGASpawner.{trait}=-1"):
        check_config(c)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({}, {}),
        (
            {"fpga_idle_timeout": 3600},
            {"FPGA_IDLE_TIMEOUT": "3600", "FPGA_IDLE_WARNING": "600"},
        ),
        (
            {"fpga_max_age": 7200, "fpga_idle_warning": 0},
            {"FPGA_MAX_AGE": "7200", "FPGA_IDLE_WARNING": "0"},
        ),
    ],
)
async def test_the_spawner_writes_its_limits_into_fpga_pods(limits, expected):
    board = {"slug": "u250", "plugin": "amd", "resource": "amd.com/u250"}
    c = catalog_config(boards=[board], **limits)
    c.KubeSpawner.profile_list = [{"display_name": "CPU", "slug": "cpu", "default": True}]
    pod, _ = await manifest_for(c, {"profile": "u250"})
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert {
        k: v
        for k, v in env.items()
        if k in ("FPGA_IDLE_TIMEOUT", "FPGA_IDLE_WARNING", "FPGA_MAX_AGE")
    } == expected
    cpu, _ = await manifest_for(c, {"profile": "cpu"})
    cpu_env = {e["name"] for e in cpu["spec"]["containers"][0].get("env", [])}
    assert not cpu_env & {"FPGA_IDLE_TIMEOUT", "FPGA_IDLE_WARNING", "FPGA_MAX_AGE"}


def test_configure_hub_writes_a_service_with_only_the_reclaimers_scopes():
    c = Config()
    c.JupyterHub.template_vars = {"announcement": "hello"}
    configure_hub(c, idle_timeout=3600, warning=300, max_age=0, start=False)
    assert (c.FPGASpawner.fpga_idle_timeout, c.FPGASpawner.fpga_idle_warning) == (3600, 300)
    (service,) = c.JupyterHub.services.get_value([])
    assert service["name"] == "fpga-reclaim" and len(service["api_token"]) == 64
    assert set(service) == {"name", "api_token", "display"}  # no command, no URL, not admin
    (role,) = c.JupyterHub.load_roles.get_value([])
    assert role["services"] == ["fpga-reclaim"]
    assert (
        sorted(role["scopes"])
        == sorted(RECLAIMER_SCOPES)
        == sorted(["list:users", "read:servers", "access:servers", "delete:servers"])
    )
    assert c.JupyterHub.template_paths.get_value([]) == [str(TEMPLATES)]
    assert (TEMPLATES / "home.html").is_file()
    # the admin's own template variables survive
    assert c.JupyterHub.template_vars["announcement"] == "hello"
    assert callable(c.JupyterHub.template_vars["fpga_reclaim_notices"])
    check_config(c)  # and the spawner accepts what it wrote


def test_two_hubs_never_share_a_reclaimer_token():
    tokens = set()
    for _ in range(2):
        c = Config()
        configure_hub(c, idle_timeout=60, start=False)
        tokens.add(c.JupyterHub.services.get_value([])[0]["api_token"])
    assert len(tokens) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"idle_timeout": -1},
            r"configure_hub\(idle_timeout=-1\): must be a whole number of seconds",
        ),
        ({"idle_timeout": 1.5}, r"configure_hub\(idle_timeout=1.5\)"),
        ({"warning": "10"}, r"configure_hub\(warning='10'\)"),
        ({"max_age": -0.5}, r"configure_hub\(max_age=-0.5\)"),
        ({"interval": 0}, r"configure_hub\(interval=0\): must be at least 0.1 seconds"),
        ({"concurrency": 0}, r"configure_hub\(concurrency=0\)"),
        ({"concurrency": 2.5}, r"configure_hub\(concurrency=2.5\): must be a whole number"),
    ],
)
def test_configure_hub_refuses_bad_arguments_naming_them(kwargs, message):
    c = Config()
    with pytest.raises(ReclaimConfigError, match=message):
        configure_hub(c, **{"idle_timeout": 60, **kwargs}, start=False)
    assert "services" not in c.JupyterHub  # nothing half-written


async def test_a_profile_sets_its_own_limits():
    board = {"slug": "u250", "plugin": "amd", "resource": "amd.com/u250"}
    c = catalog_config(boards=[board], fpga_idle_timeout=3600)
    c.KubeSpawner.profile_list = [
        {
            "display_name": "Course lab",
            "slug": "course",
            "kubespawner_override": {"fpga_board": "u250", "fpga_idle_timeout": 1200},
        }
    ]
    check_config(c)
    pod, spawner = await manifest_for(c, {"profile": "course"})
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert (env["FPGA_IDLE_TIMEOUT"], env["FPGA_IDLE_WARNING"]) == ("1200", "600")
    # the next spawn of the same spawner with the catalog's profile gets the hub default
    spawner.user_options = {"profile": "u250"}
    await spawner.load_user_options()
    assert spawner.fpga_idle_timeout == 3600
