"""Kubernetes quantities as the capacity watch reads them (fpga_spawner/quantity.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from fpga_spawner.quantity import QuantityError, parse_quantity, whole_count


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1", 1),
        ("1k", 1000),
        ("2Ki", 2048),
        ("1Mi", 2**20),
        ("1e3", 1000),
        ("1E3", 1000),
        ("1E", 10**18),
        ("500m", Fraction(1, 2)),
        ("1.5", Fraction(3, 2)),
        (".5k", 500),
        ("5.", 5),
        ("+2", 2),
        ("-1", -1),
        ("100u", Fraction(1, 10**4)),
        ("3n", Fraction(3, 10**9)),
        (7, 7),
    ],
)
def test_every_form_the_api_server_writes(text, amount):
    assert parse_quantity(text) == amount


@pytest.mark.parametrize(
    "bad", ["", "k", "1.2.3", "1 k", "1KB", "1e", "0x10", " 1", "1\n", True, None, 1.5, "9" * 100]
)
def test_anything_else_is_refused_shortly(bad):
    with pytest.raises(QuantityError) as info:
        parse_quantity(bad)
    assert len(str(info.value)) < 100


def test_a_huge_exponent_costs_nothing():
    with pytest.raises(QuantityError, match="out of the range"):
        parse_quantity("1e999999999")


def test_board_counts_are_whole_and_never_negative():
    assert whole_count("1k") == 1000
    assert whole_count("500m") == 1  # rounded up, as the scheduler's Quantity.Value()
    assert whole_count("-3") == 0
