"""The database: engine, schema upgrades, health, and SQLite's single-writer lock."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock

__all__ = ["Database"]

_MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the advisory lock that serialises schema upgrades on PostgreSQL.
_PG_UPGRADE_LOCK = 7_341_902


def _engine_url(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver this project installs.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """One SQL database (SQLite by default, PostgreSQL by URL) shared by the units of work
    of a process (see :class:`quoting.store.SqlUnitOfWork`)."""

    def __init__(self, url: str) -> None:
        self.url = _engine_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        # SQLite has one writer at a time; threads of this process queue on a lock (and
        # wake as soon as it is free) rather than in SQLite's sleeping busy handler.
        self.write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )
        if self.is_sqlite:
            path = sa.engine.make_url(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(self.url, connect_args={"timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(
                self.url, pool_size=10, max_overflow=10, pool_pre_ping=True
            )

    def _alembic(self, connection: sa.Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration (safe to call from
        several processes at once: upgrades are serialised by a lock)."""
        if self.is_sqlite:
            path = sa.engine.make_url(self.url).database or "quoting"
            with FileLock(f"{path}.migrate.lock"), self.engine.begin() as conn:
                command.upgrade(self._alembic(conn), "head")
            return
        with self.engine.connect() as conn:
            # A session-level lock: it outlives the transaction that takes it.
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_UPGRADE_LOCK})
            conn.commit()
            try:
                with conn.begin():
                    command.upgrade(self._alembic(conn), "head")
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_UPGRADE_LOCK})
                conn.commit()

    def schema_is_current(self) -> bool:
        """True when the schema is at the newest migration."""
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            head = ScriptDirectory.from_config(self._alembic(conn)).get_current_head()
        return current == head

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; NORMAL sync keeps every commit across a
    # crash of the process (only a power loss could drop the last transactions).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
