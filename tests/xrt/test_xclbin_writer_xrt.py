"""The project's xclbin writer makes files XRT 2.25 accepts and reads as our parser does.

``xclbinutil --info`` must accept every file (and print what ``xclbin-info``
prints), and ``pyxrt.xclbin`` must see the kernel names, argument counts, UUID,
platform and banks our parser sees.
"""

from __future__ import annotations

import pytest

from jupyter_ext.xclbin import parse_xclbin
from jupyter_ext.xclbin.info import info_dict, info_text

from .xclbin_report import diff, report_body, xclbinutil_info
from .xclbin_writer_files import WRITER_FILES, fake_pyxrt_files
from .xclbin_xrt_view import pyxrt_refuses, pyxrt_view


@pytest.fixture(scope="module")
def writer_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("writer")
    files = {name: make(d / f"{name}.xclbin") for name, make in WRITER_FILES.items()}
    return files | fake_pyxrt_files(d / "fake")


def test_xclbinutil_accepts_every_written_file_and_reports_as_we_do(writer_files, xclbinutil):
    failures = []
    for name, path in writer_files.items():
        theirs = report_body(xclbinutil_info(xclbinutil, path))  # asserts exit code 0
        ours = report_body(info_text(parse_xclbin(path)))
        if ours != theirs:
            failures.append(diff(theirs, ours, name))
    identical = len(writer_files) - len(failures)
    print(f"\nwriter files: xclbinutil --info accepts {len(writer_files)}, {identical} identical")
    assert not failures, "\n".join(failures)


def test_pyxrt_reads_written_files_as_our_parser_does(writer_files, pyxrt):
    for name, path in writer_files.items():
        x = parse_xclbin(path)
        if x.xrt_refusal:
            assert pyxrt_refuses(pyxrt, path), name
            continue
        seen = pyxrt_view(pyxrt, path)
        assert seen["uuid"] == x.uuid and seen["xsa_name"] == x.platform_vbnv, name
        kernels = [(k["name"], k["num_args"]) for k in seen["kernels"]]
        assert kernels == [(k.name, k.num_args) for k in x.xrt_kernels], name
        if x.embedded_metadata_xml:  # XRT knows kernels only from EMBEDDED_METADATA
            assert kernels == [(k.name, len(k.args)) for k in x.kernels], name
        banks = [(m.tag, m.index, m.used, m.base_address, m.size_kb) for m in x.xrt_mems]
        assert [tuple(m.values()) for m in seen["mems"]] == banks, name
        assert seen == {k: v for k, v in info_dict(x)["xrt"].items() if k != "refusal"}, name


def test_unknown_enums_are_named_as_xclbinutil_names_them(writer_files):
    text = info_text(parse_xclbin(writer_files["unknown_enums"]))
    assert "   Type:         UNKNOWN (12)\n" in text
    assert "   Type:      UNKNOWN (5) CLOCK_TYPE\n" in text


def test_a_signature_length_reads_as_a_pkcs_signature(writer_files):
    x = parse_xclbin(writer_files["pkcs_signature_length"])
    offset = x.length - 256
    assert (
        f"   Signature:              Present - Signed PKCS - Offset: 0x{offset:x}, Size: 0x100\n"
        in info_text(x)
    )
