"""Kubernetes resource quantities, as the API server writes them, turned into board counts.

The API server stores quantities in canonical form, so an allocatable of 1000
boards comes back as ``"1k"``, and a client may have written ``"1e3"`` or
``"2Ki"`` in the first place (docs/upstream-facts.md, "Quantities"). The
capacity watch must read all of them, or one unusual node or pod would stop
the hub from counting boards at all. This parser follows the grammar of
``k8s.io/apimachinery``'s ``resource.Quantity`` exactly and works in exact
fractions; nothing here does I/O.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

# <signedNumber><suffix>; a suffix is binary SI (Ki..Ei), a decimal exponent
# (e3, E-2) or decimal SI (n, u, m, "", k, M, G, T, P, E). "1E" is exa, "1E3" an exponent.
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exponent>[+-]?[0-9]+)|(?P<decimal>[numkMGTPE]?))"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
#: Kubernetes keeps quantities within int64 (about 9.2e18); a larger exponent is
#: refused rather than computed, so a hostile "1e999999999" costs nothing.
_MAX_EXPONENT = 64


class QuantityError(ValueError):
    """Not a Kubernetes quantity; the message quotes at most a short prefix of it."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def parse_quantity(value: object) -> Fraction:
    """The exact amount a quantity stands for: ``"1k"`` -> 1000, ``"500m"`` -> 1/2.

    Accepts what JSON can carry for a quantity: a string in Kubernetes'
    grammar, or a plain int. Anything else raises :class:`QuantityError`.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if not isinstance(value, str) or len(value) > 64:
        raise QuantityError(f"{_shown(value)} is not a Kubernetes quantity")
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise QuantityError(f"{_shown(value)} is not a Kubernetes quantity")
    number = Fraction(match["number"])
    if match["binary"]:
        return number * 2 ** _BINARY[match["binary"]]
    exponent = int(match["exponent"]) if match["exponent"] else _DECIMAL[match["decimal"] or ""]
    if abs(exponent) > _MAX_EXPONENT:
        raise QuantityError(f"{_shown(value)} is out of the range Kubernetes allows")
    return number * Fraction(10) ** exponent


def whole_count(value: object) -> int:
    """A count of devices (an extended resource) from a quantity, never negative.

    Extended resources are whole numbers. A fraction such as ``"500m"`` is
    rounded up, as the scheduler does (``Quantity.Value()`` rounds away from
    zero), so the ledger agrees with what the scheduler will do.
    """
    return max(0, math.ceil(parse_quantity(value)))
