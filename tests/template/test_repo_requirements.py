"""binder/fpga.yaml against the pod: parsing, warnings, and `jupyter-fpga check-repo`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_ext.cli import main
from jupyter_ext.contract import FPGARequest
from jupyter_ext.discovery import discover
from jupyter_ext.library import FUNCTIONS
from jupyter_ext.repo_requirements import (
    RepoRequirements,
    RepoRequirementsError,
    check,
    find_requirements_file,
    library_functions,
    load_requirements,
    parse_requirements,
    repository_answer,
)
from tests.support.paths import TEMPLATE

NEEDS = RepoRequirements("binder/fpga.yaml", ("vision.stereo_bm",), ("u250", "u280"))
U250_VBNV = "xilinx_u250_gen3x16_xdma_shell_4_1"


def hardware(board: str, platform: str, name: str) -> dict:
    """A discovery answer with one real board (the shape of DiscoveryReport.to_dict())."""
    dev = {"id": "0000:3b:00.1", "board": board, "platform": platform, "board_name": name}
    return {"backend": "hardware", "devices": [{**dev, "emulated": False}]}


def pod(environ: dict[str, str], tmp_path: Path) -> tuple[FPGARequest | None, dict]:
    """The request and the discovery answer of a pod with this environment and no devices."""
    report = discover(tmp_path / "sys", tmp_path / "dev", environ, use_pyxrt=False)
    return FPGARequest.from_env(environ), report.to_dict()


def test_the_templates_file_parses():
    req = load_requirements(TEMPLATE)
    assert req is not None and req.path == str(TEMPLATE / "binder" / "fpga.yaml")
    assert req.functions == ("vision.stereo_bm", "finance.black_scholes")
    assert req.boards == ("u250", "u280") and req.count == 1
    assert set(req.functions) <= set(FUNCTIONS)  # the template asks only for what exists


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("boards: 3", "binder/fpga.yaml: field 'boards' must be a list, each entry a board slug"),
        ("functions: [Stereo]", "field 'functions' entry #0 = 'Stereo' is not a function name"),
        ("boards: [u250, {x: 1}]", "field 'boards' entry #1 = {'x': 1} is not a board slug"),
        ("count: 0", "field 'count' = 0 must be an integer >= 1"),
        ("count: yes", "field 'count' = True must be an integer >= 1"),
        ("bords: [u250]", "unknown field 'bords'; allowed fields: functions, boards, count"),
        ("- u250", "must be a mapping with keys functions, boards, count, got list"),
        ("boards: [u250\nfunctions: [", "binder/fpga.yaml: not valid YAML at line"),
    ],
)
def test_mistakes_name_the_file_and_the_field(text, message):
    with pytest.raises(RepoRequirementsError) as info:
        parse_requirements(text, "binder/fpga.yaml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)  # one line


def test_shorthands_and_defaults():
    req = parse_requirements("boards: u250\n", "fpga.yaml")
    assert req == RepoRequirements("fpga.yaml", (), ("u250",), 1)
    assert parse_requirements("", "fpga.yaml") == RepoRequirements("fpga.yaml")


def test_search_order_binder_then_dot_binder_then_root(tmp_path):
    assert find_requirements_file(tmp_path) is None and load_requirements(tmp_path) is None
    (tmp_path / "fpga.yaml").write_text("boards: [root]\n")
    assert load_requirements(tmp_path).boards == ("root",)
    (tmp_path / ".binder").mkdir()
    (tmp_path / ".binder" / "fpga.yaml").write_text("boards: [dot]\n")
    assert load_requirements(tmp_path).boards == ("dot",)
    (tmp_path / "binder").mkdir()
    (tmp_path / "binder" / "fpga.yaml").write_text("boards: [binder]\n")
    assert load_requirements(tmp_path).boards == ("binder",)
    # several roots: the first that has a file wins
    assert load_requirements(tmp_path / "nothing-here", tmp_path).boards == ("binder",)


def test_no_fpga_at_all(tmp_path):
    request, report = pod({}, tmp_path)
    assert check(NEEDS, request, report) == [
        "This repository's notebooks need one of u250, u280; this server has no FPGA "
        "(they will run emulated)."
    ]
    anything = RepoRequirements("fpga.yaml", ("vision.stereo_bm",))
    assert check(anything, request, report) == [
        "This repository's notebooks use FPGA functions; this server has no FPGA "
        "(they will run emulated)."
    ]


def test_asked_for_a_board_but_none_is_visible(tmp_path):
    env = FPGARequest("u250", 1, f"amd.com/{U250_VBNV}-0", board_name="AMD Alveo U250").to_env()
    assert check(NEEDS, *pod(env, tmp_path)) == [
        "This repository's notebooks need one of u250, u280; this server asked for "
        "1 × AMD Alveo U250 but sees no FPGA (they will run emulated)."
    ]


def test_matching_hardware_gives_no_warning():
    request = FPGARequest("alveo-u250", 1, f"amd.com/{U250_VBNV}-0", platform=U250_VBNV)
    assert check(NEEDS, request, hardware("u250", U250_VBNV, "AMD Alveo U250")) == []
    # an F2 found by sysfs as aws-vu47p-f2 matches a repository's "f2" (an HDK design's)
    f2 = hardware("aws-vu47p-f2", "xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1", "AWS F2")
    hdk = RepoRequirements("binder/fpga.yaml", (), ("f2",))
    assert check(hdk, None, f2) == []


def test_other_hardware_is_named():
    u200 = hardware("u200", "xilinx_u200_gen3x16_xdma_base_2", "AMD Alveo U200")
    assert check(NEEDS, None, u200) == [
        "This repository's notebooks need one of u250, u280; this server has "
        "1 × AMD Alveo U200, which is not one of them (functions without an xclbin for its "
        "platform will run emulated)."
    ]


def test_too_few_boards():
    two = RepoRequirements("fpga.yaml", (), ("u250",), count=2)
    assert check(two, None, hardware("u250", U250_VBNV, "AMD Alveo U250")) == [
        "This repository's notebooks need 2 boards (u250); this server has 1 × AMD Alveo U250."
    ]


def test_emulated_boards_are_said_to_be_emulated(tmp_path):
    env = FPGARequest("u250", 1, "amd.com/x", board_name="AMD Alveo U250", emulation=True)
    (warning,) = check(NEEDS, *pod(env.to_env(), tmp_path))
    assert "1 × AMD Alveo U250 is emulated (FPGA_EMULATION=1)" in warning
    assert "say 'emulated'" in warning
    env = FPGARequest("u200", 2, "amd.com/x", board_name="AMD Alveo U200", emulation=True)
    assert check(NEEDS, *pod(env.to_env(), tmp_path)) == [
        "This repository's notebooks need one of u250, u280; this server emulates "
        "2 × AMD Alveo U200, which is not one of them (they will run emulated on the CPU)."
    ]


def test_unknown_functions_are_named():
    req = RepoRequirements("fpga.yaml", ("vision.stereo_bm", "vision.warp_10x"))
    warnings = check(req, None, hardware("u250", U250_VBNV, "U250"), library_functions())
    assert warnings == [
        "This repository's notebooks use vision.warp_10x, which this version of jupyterhub-fpga "
        f"does not provide (it has: {', '.join(sorted(FUNCTIONS))})."
    ]


def test_repository_answer_never_raises(tmp_path):
    calls = []

    def known():
        calls.append(1)
        return frozenset(FUNCTIONS)

    empty = repository_answer([tmp_path], None, {"devices": []}, known)
    assert empty["file"] is None and empty["warnings"] == [] and not calls
    (tmp_path / "fpga.yaml").write_text("boards: [u250]\nfunctionz: []\n")
    bad = repository_answer([tmp_path], None, {"devices": []}, known)
    assert bad["file"] == str(tmp_path / "fpga.yaml")
    assert bad["error"] == bad["warnings"][0] and "unknown field 'functionz'" in bad["error"]
    assert not calls
    (tmp_path / "fpga.yaml").write_text("functions: [vision.stereo_bm, blas.gemv]\n")
    ok = repository_answer([tmp_path], None, {"devices": []}, known)
    assert calls == [1] and ok["error"] is None and ok["functions"][1] == "blas.gemv"
    assert (
        "use blas.gemv, which this version of jupyterhub-fpga does not provide"
        in (ok["warnings"][0])
    )
    assert "this server has no FPGA" in ok["warnings"][1]


# -- jupyter-fpga check-repo ---------------------------------------------------------


@pytest.fixture
def no_fpga(tmp_path, monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("FPGA_"):
            monkeypatch.delenv(name)
    roots = tmp_path / "sys", tmp_path / "dev"
    return ["--sysfs", str(roots[0]), "--dev", str(roots[1]), "--no-pyxrt"]


def test_check_repo_warns_and_exits_0(no_fpga, capsys):
    assert main(["check-repo", str(TEMPLATE), *no_fpga]) == 0
    out = capsys.readouterr().out
    assert "functions vision.stereo_bm, finance.black_scholes; boards u250, u280" in out
    assert (
        "warning: This repository's notebooks need one of u250, u280; this server has no FPGA"
        in out
    )
    assert main(["check-repo", str(TEMPLATE), "--strict", *no_fpga]) == 1


def test_check_repo_json(no_fpga, capsys, monkeypatch):
    monkeypatch.setenv("FPGA_BOARD", "u280")
    monkeypatch.setenv("FPGA_EMULATION", "1")
    assert main(["check-repo", str(TEMPLATE), "--json", *no_fpga]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["boards"] == ["u250", "u280"] and doc["count"] == 1
    (warning,) = doc["warnings"]
    assert "is emulated (FPGA_EMULATION=1)" in warning and "AMD Alveo U280" in warning


def test_check_repo_file_only_and_errors(no_fpga, capsys, tmp_path):
    assert main(["check-repo", "--file-only", str(TEMPLATE)]) == 0
    assert "OK: the file is valid." in capsys.readouterr().out
    assert main(["check-repo", str(tmp_path / "empty"), *no_fpga]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"jupyter-fpga check-repo: error: no fpga.yaml in {tmp_path / 'empty'} "
        "(looked for binder/fpga.yaml, .binder/fpga.yaml, fpga.yaml)"
    )
    (tmp_path / "binder").mkdir()
    (tmp_path / "binder" / "fpga.yaml").write_text("boards: [u250]\ncount: -1\n")
    assert main(["check-repo", str(tmp_path), *no_fpga]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"jupyter-fpga check-repo: error: {tmp_path / 'binder' / 'fpga.yaml'}: field 'count' = "
        "-1 must be an integer >= 1"
    )
