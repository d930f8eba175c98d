"""Quotas: parsing, whose limit applies, the refusal's words, start-up checks, the spawner."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from traitlets import TraitError

from fpga_spawner import check_config
from fpga_spawner.capacity import CapacityLedger, PodOwner
from fpga_spawner.catalog import CatalogError, load_catalog_file
from fpga_spawner.hub_events import HUB_EVENTS
from fpga_spawner.quotas import (
    Holding,
    QuotaError,
    combined_quotas,
    limits_for,
    parse_quotas,
    quota_refusal,
    quota_summary,
)
from fpga_spawner.refusals import UserOptionsRefused
from fpga_spawner.render import make_spawner
from fpga_spawner.settings import FPGASettings
from fpga_spawner.waitline import WAIT_LINE
from tests.support.spawner import catalog_config

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
BOARDS = [
    {"slug": "u250", "display_name": "AMD Alveo U250", "plugin": "amd", "resource": U250},
    {
        "slug": "u280",
        "display_name": "AMD Alveo U280",
        "plugin": "amd",
        "resource": U280,
        "max_per_user": 2,
    },
]
NAMES = {"u250": "AMD Alveo U250", "u280": "AMD Alveo U280"}
POLICY = {
    "default": {"boards": 1},
    "groups": {
        "students": {"boards": 1, "per_board": {"u280": 1}},
        "staff": {"boards": 3},
        "lab": {"boards": 2, "per_board": {"u280": 2}},
    },
    "users": {"ada": {"boards": 4}, "bo": {"per_board": {"u250": 0}}},
    "admins_exempt": True,
}


def policy(raw=POLICY):
    return parse_quotas(raw, "FPGASpawner.fpga_quotas", set(NAMES))


def test_own_entry_then_most_generous_group_then_default():
    p = policy()
    assert limits_for(p, "ada", ["students"]).boards.count == 4  # her own entry
    staff_and_students = limits_for(p, "cy", ["students", "staff"])
    assert staff_and_students.boards.count == 3
    assert staff_and_students.boards.source == "the quota of group 'staff'"
    assert staff_and_students.per_board["u280"].count == 1  # only students set u280
    assert limits_for(p, "cy", ["lab", "students"]).per_board["u280"].count == 2
    nobody = limits_for(p, "dee", [])
    assert (nobody.boards.count, nobody.boards.source) == (1, "the default quota")
    # bo's own entry sets only u250; his total limit falls through to the default
    bo = limits_for(p, "bo", [])
    assert (bo.per_board["u250"].count, bo.boards.count) == (0, 1)


def test_admins_exempt_only_when_configured():
    assert not limits_for(policy(), "root", ["students"], admin=True)
    strict = policy({**POLICY, "admins_exempt": False})
    assert limits_for(strict, "root", ["students"], admin=True).boards.count == 1
    assert not limits_for(policy({}), "anyone", [])


def test_refusal_names_the_quota_and_what_the_user_holds():
    limits = limits_for(policy(), "eve", ["students"])
    held = [Holding("", "u250", 1)]
    message = quota_refusal(limits, held, "u280", 1, NAMES)
    assert message.startswith(
        "FPGA quota: the quota of group 'students' allows 1 board at once "
        "(all board types together); you hold 1 and asked for 1 more."
    )
    assert "You hold: 1 x AMD Alveo U250 on your default server." in message
    assert quota_refusal(limits, [], "u280", 1, NAMES) is None
    # per board type: students may hold one U280, even with room in the total
    lab = limits_for(policy(), "fay", ["students", "staff"])
    message = quota_refusal(lab, [Holding("b", "u280", 1, pending=True)], "u280", 1, NAMES)
    assert "allows 1 x AMD Alveo U280 at once; you hold 1" in message
    assert "1 x AMD Alveo U280 on server 'b' (starting)" in message
    assert quota_refusal(lab, [Holding("b", "u280", 1)], "u250", 1, NAMES) is None


def test_form_summary():
    limits = limits_for(policy(), "eve", ["students"])
    held = [Holding("", "u280", 1)]
    assert quota_summary(limits, held, "u280", NAMES) == (
        "you hold 1 of 1 board (1 of 1 AMD Alveo U280)"
    )
    assert quota_summary(limits, held, "u250", NAMES) == "you hold 1 of 1 board"
    only_board = limits_for(policy(), "bo", [])
    assert quota_summary(only_board, [], "u250", NAMES) == (
        "you hold 0 of 1 board (0 of 0 AMD Alveo U250)"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"default": {"boards": -1}}, "default: boards=-1 must be an integer >= 0"),
        (
            {"groups": {"students": {"per_board": {"u999": 1}}}},
            "groups.students: per_board key 'u999' is not a board; boards: u250, u280",
        ),
        (
            {"users": {"ada": {"per_board": {"u250": -2}}}},
            "users.ada: per_board.u250=-2 must be an integer >= 0",
        ),
        ({"groups": {"x": {"board": 1}}}, "groups.x: unknown key 'board'"),
        ({"default": 3}, "default: must be a mapping"),
        ({"admins_exempt": "yes"}, "admins_exempt='yes' must be true or false"),
        ({"limits": {}}, "unknown key 'limits'; allowed keys: admins_exempt, default"),
    ],
)
def test_bad_quotas_are_refused_naming_the_entry(raw, expected):
    with pytest.raises(QuotaError, match="^FPGASpawner.fpga_quotas: ") as info:
        policy(raw)
    assert expected in str(info.value)


def test_trait_entries_replace_the_files_entries_of_the_same_name(tmp_path):
    from_file = policy({"default": {"boards": 2}, "groups": {"students": {"boards": 1}}})
    merged = combined_quotas(
        from_file, {"groups": {"students": {"boards": 0}}}, "FPGASpawner.fpga_quotas", set(NAMES)
    )
    assert limits_for(merged, "eve", ["students"]).boards.count == 0
    assert limits_for(merged, "dee", []).boards.count == 2


def test_start_up_check(tmp_path):
    c = catalog_config(boards=BOARDS, fpga_quotas={"default": {"per_board": {"u9": 1}}})
    with pytest.raises(CatalogError, match="per_board key 'u9' is not a board"):
        check_config(c)
    c = catalog_config(boards=BOARDS, fpga_quotas={"groups": {"studnets": {"boards": 1}}})
    check_config(c)  # no load_groups: the hub's database is checked at spawn time
    c.JupyterHub.load_groups = {"students": {"users": ["eve"]}, "staff": ["ada"]}
    with pytest.raises(CatalogError) as info:
        check_config(c)
    assert str(info.value) == (
        "FPGASpawner.fpga_quotas: groups.studnets: no JupyterHub group 'studnets'; "
        "groups: staff, students (from c.JupyterHub.load_groups)"
    )
    with pytest.raises(TraitError, match=r"fpga_quotas: default: boards=-1 must be"):
        FPGASettings(fpga_quotas={"default": {"boards": -1}})


def test_catalog_file_quotas_section(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "boards:\n"
        f"  - {{slug: u250, plugin: amd, resource: {U250}}}\n"
        "quotas:\n  groups:\n    students: {boards: -1}\n"
    )
    assert load_catalog_file(path)["quotas"] == {"groups": {"students": {"boards": -1}}}
    with pytest.raises(CatalogError) as info:
        check_config(catalog_config(catalog_file=str(path)))
    assert str(info.value) == (
        "FPGASpawner.catalog_file quotas: groups.students: boards=-1 must be an integer >= 0"
    )


def ledger_with(*pods):
    ledger = CapacityLedger({"u250": U250, "u280": U280})
    ledger.set_node("n1", {U250: "1", U280: "2"}, {})
    for uid, resource, user, server in pods:
        owner = PodOwner(f"jhub/{uid}", user, server, 1.0)
        ledger.set_pod(uid, "n1", {resource: "1"}, True, owner)
    return ledger


def test_spawner_refuses_over_quota_and_records_the_refusal():
    async def run():
        c = catalog_config(boards=BOARDS, fpga_quotas={"groups": {"students": {"boards": 1}}})
        spawner = make_spawner(c, "eve", ["students"])
        ledger = ledger_with(("p1", U280, "eve", "first"))
        ready = asyncio.Event()
        ready.set()
        spawner._capacity = SimpleNamespace(ledger=ledger, ready=ready)
        spawner.orm_spawner = SimpleNamespace(name="second", display_name="second", server=None)
        assert "you hold 1 of 1 board" in spawner.capacity_text(spawner.catalog.board("u250"))
        spawner.user_options = {"profile": "u250"}
        HUB_EVENTS.clear()
        with pytest.raises(UserOptionsRefused) as info:
            await spawner.load_user_options()
        assert info.value.status_code == 400
        assert "1 x AMD Alveo U280 on server 'first'" in str(info.value)
        event = HUB_EVENTS.recent("refusal")[0]
        assert (event.reason, event.user, event.server, event.board) == (
            "quota",
            "eve",
            "second",
            "u250",
        )
        # another student holding nothing passes, and waits in no line: a board is free
        other = make_spawner(c, "flo", ["students"])
        other._capacity = spawner._capacity
        other.user_options = {"profile": "u250"}
        await other.load_user_options()
        assert other._ticket is not None and other._ticket.admitted
        # while flo's spawn is in progress it counts against flo's quota
        third = make_spawner(c, "flo", ["students"])
        third._capacity = spawner._capacity
        third.orm_spawner = SimpleNamespace(name="again", display_name="again", server=None)
        third.user_options = {"profile": "u280"}
        with pytest.raises(UserOptionsRefused, match=r"U250 on your default server \(starting\)"):
            await third.load_user_options()
        other._leave_line()
        assert WAIT_LINE.snapshot() == {}

    asyncio.run(run())
