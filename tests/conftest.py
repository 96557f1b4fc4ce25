"""Shared fixtures (helpers live in tests/support.py).

Every test runs on the business date ``tests.support.BUSINESS_DATE``: the process
environment has ``QUOTING_BUSINESS_DATE`` set for the whole session, so the CLI commands
a test runs (in process or as a child process) price and judge dates as of that day
whatever the calendar says. A test of the real clock builds a ``Clock`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quoting.tariff import Tariff
from quoting.tariff.files import load_tariff
from tests.support import BUSINESS_ENV, TARIFF_DIR


@pytest.fixture(scope="session", autouse=True)
def business_date() -> Iterator[None]:
    """``QUOTING_BUSINESS_DATE`` pinned for the session's commands and child processes."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in BUSINESS_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def tariff() -> Tariff:
    return load_tariff(TARIFF_DIR)
