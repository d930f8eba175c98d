"""xclbin (AXLF) files: parse, describe, write, and find them on disk.

Pure Python and standard library only, so ``jupyter-fpga xclbin-info`` works in
any pod, with or without XRT.
"""

from .model import Kernel, Xclbin, XclbinError
from .parser import parse_bytes, parse_xclbin

__all__ = ["Kernel", "Xclbin", "XclbinError", "parse_bytes", "parse_xclbin"]
