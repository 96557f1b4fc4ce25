"""Fixtures for the API tests: each test runs against SQLite and, when reachable, PostgreSQL.

PostgreSQL is taken from QUOTING_TEST_POSTGRES_URL (default: the local server's ``test``
database as user postgres); every test session gets a fresh database of its own, dropped
at the end. Redis is taken from QUOTING_TEST_REDIS_URL (default: the local server).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient

from api import create_app
from quoting.settings import Clock, Settings
from tests.support import BUSINESS_ENV, StoreProbe

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PG_ADMIN_URL = os.environ.get(
    "QUOTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("QUOTING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:
        return False


POSTGRES = _postgres_reachable()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session."""
    if not POSTGRES:
        pytest.skip("PostgreSQL is not reachable")
    name = f"quoting_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses this runs once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'quoting.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@dataclass
class Caller:
    """An account of the API and the headers that authenticate it."""

    id: str
    role: str
    headers: dict[str, str]


@dataclass
class Api:
    """A running app (in-process), its store and helpers to make accounts."""

    client: TestClient
    store: StoreProbe
    settings: Settings

    def account(
        self, role: str = "broker", commission: str | None = "0.15", name: str | None = None
    ) -> Caller:
        """Create an account with an API key."""
        account, key = self.store.create_account(
            name or f"{role} {secrets.token_hex(3)}", role, commission if role == "broker" else None
        )
        return Caller(account.id, role, {"Authorization": f"Bearer {key}"})


def make_settings(database_url: str, **env: str) -> Settings:
    """Settings on this database, on the tests' business date (``BUSINESS_DATE``); failed
    authentications are not limited unless asked for (every test client comes from one
    address)."""
    defaults = {
        "QUOTING_DATABASE_URL": database_url,
        "QUOTING_AUTH_FAIL_LIMIT": "100000/minute",
        **BUSINESS_ENV,
    }
    if not database_url.startswith("sqlite"):
        # The document cache defaults to documents/ beside a SQLite file (the test's
        # folder); with PostgreSQL it would be var/documents of the working directory.
        defaults["QUOTING_DOCUMENT_CACHE"] = "off"
    return Settings.from_env({**defaults, **env})


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    settings = make_settings(database_url, QUOTING_RATE_LIMIT="10000/minute")
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        yield Api(client, store, settings)
        store.dispose()


def example_request() -> bytes:
    return (EXAMPLES / "small_request.json").read_bytes()


class ApiFactory:
    """Builds more apps on one test's database with extra settings, e.g.
    ``api_with(QUOTING_RATE_LIMIT="3/minute")`` or ``api_with(clock=FixedClock.on(day))``;
    every app is closed by :meth:`close`."""

    def __init__(self, database_url: str) -> None:
        from contextlib import ExitStack

        self.database_url = database_url
        self._stack = ExitStack()

    def __call__(self, clock: Clock | None = None, **env: str) -> Api:
        settings = make_settings(self.database_url, **{"QUOTING_RATE_LIMIT": "10000/minute", **env})
        if clock is not None:
            settings = replace(settings, clock=clock)
        client = self._stack.enter_context(TestClient(app=create_app(settings)))
        store = StoreProbe(settings.database.url)
        self._stack.callback(store.dispose)
        return Api(client, store, settings)

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def api_with(database_url: str) -> Iterator[ApiFactory]:
    """More apps on the test's database (the same one the ``api`` fixture uses)."""
    factory = ApiFactory(database_url)
    yield factory
    factory.close()


class LogRecords(logging.Handler):
    """Every record of the ``quoting`` loggers while a test runs. (pytest's caplog
    handler sits on the root logger, which each app's logging setup replaces.)"""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def named(self, name: str, level: int = logging.DEBUG) -> list[logging.LogRecord]:
        """The records of logger ``name`` (or its children) at ``level`` or above."""
        return [
            r
            for r in self.records
            if (r.name == name or r.name.startswith(name + ".")) and r.levelno >= level
        ]


@pytest.fixture
def quoting_log() -> Iterator[LogRecords]:
    """Records of the ``quoting`` loggers (``quoting.access``, ``quoting.web``, …)."""
    handler = LogRecords()
    logger = logging.getLogger("quoting")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)
