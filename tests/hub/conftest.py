from __future__ import annotations

import logging

import pytest


@pytest.fixture
def log_capture(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture(autouse=True)
def empty_wait_line():
    """The hub's wait line is per process: spawns a test leaves in it must not reach the next."""
    from fpga_spawner.waitline import WAIT_LINE

    WAIT_LINE.clear()
    yield
    WAIT_LINE.clear()
