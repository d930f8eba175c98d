from __future__ import annotations

import logging

import pytest


@pytest.fixture
def log_capture(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog
