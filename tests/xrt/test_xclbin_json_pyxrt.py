"""``xclbin-info --json``'s ``xrt`` block against the real ``pyxrt.xclbin``, on the corpus.

XRT takes kernels and argument counts from EMBEDDED_METADATA and banks from
GROUP_TOPOLOGY (bank groups included), so this is a different view from the
text report's; both must match the tool that owns them.
"""

from __future__ import annotations

import json

from jupyter_ext.xclbin import parse_xclbin
from jupyter_ext.xclbin.info import info_dict

from .xclbin_report import cli
from .xclbin_xrt_view import pyxrt_refuses, pyxrt_view


def test_json_xrt_block_is_what_pyxrt_reads(xclbin_corpus, pyxrt):
    checked, refused, failures = 0, 0, []
    for name, path in xclbin_corpus.items():
        ours = info_dict(parse_xclbin(path))["xrt"]
        refusal = ours.pop("refusal")
        if refusal is not None:
            refused += 1
            if pyxrt_refuses(pyxrt, path) is None:
                failures.append(f"{name}: we say XRT refuses it ({refusal}), pyxrt reads it")
            continue
        theirs = pyxrt_view(pyxrt, path)
        checked += 1
        if ours != theirs:
            failures.append(f"{name}:\n  ours   {ours}\n  pyxrt  {theirs}")
    print(f"\n--json vs pyxrt.xclbin: {checked} agree, {refused} refused by both")
    assert not failures, "\n".join(failures)
    assert refused == 1 and checked == len(xclbin_corpus) - 1  # only the signed file


def test_bank_groups_are_listed_as_xrt_lists_them(xclbin_corpus, pyxrt):
    d = json.loads(cli("xclbin-info", "--json", str(xclbin_corpus["hbm_bank_groups"])).stdout)
    tags = [m["tag"] for m in d["xrt"]["mems"]]
    assert tags[:34] == [f"HBM[{i}]" for i in range(32)] + ["PLRAM[0]", "DDR[0]"]
    assert "MBG[0:3]" in tags and "MBG[16:19]" in tags
    assert d["xrt"] == {**pyxrt_view(pyxrt, xclbin_corpus["hbm_bank_groups"]), "refusal": None}
    assert [m["name"] for m in d["memory"]] == tags[:34]  # --info's table is MEM_TOPOLOGY


def test_argument_counts_follow_xrt_not_the_build_metadata(xclbin_corpus, pyxrt):
    """An argument without an id (OpenCL's local_size) is in the metadata but not counted."""
    x = parse_xclbin(xclbin_corpus["many_arguments"])
    assert len(x.kernels[0].args) == 40
    (xrt_kernel,) = x.xrt_kernels
    assert xrt_kernel.num_args == 40
    assert [
        k.get_num_args() for k in pyxrt.xclbin(str(xclbin_corpus["many_arguments"])).get_kernels()
    ] == [40]
