"""Shared fixtures (helpers live in tests/support.py)."""

from __future__ import annotations

import pytest

from quoting.tariff import Tariff
from quoting.tariff.files import load_tariff
from tests.support import TARIFF_DIR


@pytest.fixture(scope="session")
def tariff() -> Tariff:
    return load_tariff(TARIFF_DIR)
