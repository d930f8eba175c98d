"""Kubernetes resource quantities ("500m", "2Gi", "1e3") as exact fractions.

The scheduler adds and compares what pods request against what nodes offer;
doing that in floats would let 0.1 + 0.2 CPUs overbook a node, so quantities
are parsed into `Fraction`s exactly as the API server's `resource.Quantity`
would accept them, and anything else is rejected with the API server's words.
"""

from __future__ import annotations

import re
from fractions import Fraction

_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
QUANTITY_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """Parse a quantity (str, int or float as JSON gives them) into an exact Fraction."""
    if isinstance(value, bool):
        raise QuantityError(QUANTITY_ERROR)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if not isinstance(value, str):
        raise QuantityError(QUANTITY_ERROR)
    text = value.strip()
    match = _QUANTITY_RE.match(text)
    if not match:
        raise QuantityError(QUANTITY_ERROR)
    number, suffix = match.groups()
    if number.count(".") > 1 or number in {".", "+.", "-.", "+", "-"}:
        raise QuantityError(QUANTITY_ERROR)
    try:
        base = Fraction(number)
    except ValueError as exc:
        raise QuantityError(QUANTITY_ERROR) from exc
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    if suffix in _DECIMAL:
        return base * _DECIMAL[suffix]
    if suffix[:1] in {"e", "E"}:
        try:
            exponent = int(suffix[1:])
        except ValueError as exc:
            raise QuantityError(QUANTITY_ERROR) from exc
        return base * Fraction(10) ** exponent
    raise QuantityError(QUANTITY_ERROR)


def format_quantity(amount: Fraction, resource: str = "") -> str:
    """A short human form: integers plainly, CPU in millicores, memory in Mi/Gi."""
    if amount.denominator == 1:
        whole = amount.numerator
        if resource in {"memory", "ephemeral-storage"} and whole:
            for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
                if whole % _BINARY[suffix] == 0:
                    return f"{whole // _BINARY[suffix]}{suffix}"
        return str(whole)
    milli = amount * 1000
    if milli.denominator == 1:
        return f"{milli.numerator}m"
    return str(float(amount))


def is_whole(amount: Fraction) -> bool:
    """True for quantities that are whole numbers (extended resources must be)."""
    return amount.denominator == 1


_DECIMAL_SUFFIX = {
    -9: "n",
    -6: "u",
    -3: "m",
    0: "",
    3: "k",
    6: "M",
    9: "G",
    12: "T",
    15: "P",
    18: "E",
}
_BINARY_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


def canonical(value: object) -> str:
    """The quantity as the API server stores and returns it (`resource.Quantity.String()`).

    The format comes from the suffix that was sent: binary (Ki..Ei), decimal
    exponent (e3) or decimal SI (none, n..E). The amount is rounded up to a
    nano, written as the smallest whole mantissa with an exponent that is a
    multiple of 3 (`0.5` -> `500m`, `1000` -> `1k`, `1.5Gi` -> `1536Mi`), and a
    binary amount under 1Ki or not whole is written in decimal SI instead.
    Raises QuantityError for what is not a quantity.
    """
    amount = parse_quantity(value)
    text = value.strip() if isinstance(value, str) else str(value)
    suffix = _QUANTITY_RE.match(text).group(2) if _QUANTITY_RE.match(text) else ""  # type: ignore[union-attr]
    if (amount * 10**9).denominator != 1:  # below a nano: rounded up (away from zero)
        nanos = amount * 10**9
        whole = (
            -((-nanos.numerator) // nanos.denominator)
            if amount > 0
            else nanos.numerator // nanos.denominator
        )
        amount = Fraction(whole, 10**9)
    if amount == 0:
        return "0"
    if suffix in _BINARY and amount.denominator == 1 and abs(amount) >= 1024:
        number, power = amount.numerator, 0
        while number % 1024 == 0 and power < len(_BINARY_SUFFIX) - 1:
            number //= 1024
            power += 1
        return f"{number}{_BINARY_SUFFIX[power]}"
    mantissa, exponent = int(amount * 10**9), -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3
    mantissa, exponent = mantissa * 10**shift, exponent - shift
    if suffix[:1] in ("e", "E"):
        return f"{mantissa}" if exponent == 0 else f"{mantissa}e{exponent}"
    if exponent in _DECIMAL_SUFFIX:
        return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"
    return f"{mantissa}e{exponent}"


def as_wire(value: object) -> object:
    """A quantity in its canonical form (see `canonical`); anything else unchanged for validation."""
    try:
        return canonical(value)
    except QuantityError:
        return value
