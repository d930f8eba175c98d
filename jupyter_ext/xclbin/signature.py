"""What lies past the end of the xclbin proper, and whether XRT would load the file.

``xclbinutil --add-signature TEXT`` appends a small header and the text after
the last byte the xclbin's header counts; ``--info`` reports it as
``Signature: Present - TEXT``. xclbinutil finds it by scanning the whole file
for a 16-byte magic; we look only in the first 64 KiB after the xclbin, where
the tool puts it, so a 100 MB bitstream (or a sparse file of any size) is never
read for it. XRT's loader (``pyxrt.xclbin``) insists that the header's length
is the file's length, so such a file, readable by xclbinutil, is refused by
XRT; ``xrt_refusal`` says so before anybody tries to program a device with it.
"""

from __future__ import annotations

from . import format as fmt
from .sections import Reader


def user_signature(r: Reader, length: int) -> str | None:
    """The text ``xclbinutil --add-signature`` appended, or None."""
    start = max(length, fmt.HEADER_SIZE)
    at = r.find(fmt.USER_SIGNATURE_MAGIC, start, start + fmt.USER_SIGNATURE_SEARCH)
    if at < 0 or at + fmt.USER_SIGNATURE_HEADER.size > r.size:
        return None
    _, _by_off, _by_size, sig_off, sig_size, _total = r.unpack(fmt.USER_SIGNATURE_HEADER, at)
    begin = min(at + sig_off, r.size)
    end = min(begin + min(sig_size, fmt.USER_SIGNATURE_SEARCH), r.size)
    return r.read(begin, end - begin).decode("utf-8", errors="replace")


def xrt_refusal(r: Reader, length: int, n_sections: int) -> str | None:
    """Why XRT 2.25's ``xclbin`` loader would refuse this file, or None (xrt_xclbin.cpp)."""
    if r.size < fmt.HEADER_SIZE + fmt.SECTION_HEADER_SIZE:
        return f"the file ({r.size} bytes) is smaller than XRT's xclbin header (496 bytes)"
    if length != r.size:
        return (
            f"the header says the xclbin is {length} bytes but the file has {r.size} "
            "(XRT loads only files whose length matches, e.g. not one with a signature appended)"
        )
    if n_sections > fmt.MAX_SECTIONS:
        return f"{n_sections} sections, more than the {fmt.MAX_SECTIONS} XRT accepts"
    return None
