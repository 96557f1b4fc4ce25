"""The database schema: migrations build exactly the tables the code uses, and upgrading
an existing database keeps its data."""

from __future__ import annotations

import datetime as dt
import zlib
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quoting.store import Account, Database, QuoteRow, SqlUnitOfWork
from quoting.store._tables import metadata


def _quote(owner: str) -> QuoteRow:
    return QuoteRow(
        id="q_kept",
        owner_id=owner,
        created_at=dt.datetime(2026, 11, 29, 2, tzinfo=dt.UTC),
        idempotency_key=None,
        status="accepted",
        currency="CNY",
        total_premium="1234.56",
        total_vat="69.88",
        policyholder="测试公司",
        credit_code="91110000MA01ABCD52",
        headcount=3,
        tariff_version="2026.2",
        tariff_hash="sha256:x",
        input_hash="sha256:y",
        valid_until=dt.date(2027, 1, 1),
        request_json=b'{"a": 1}',
        result_json=b'{"total_premium": "1234.56"}',
    )


def test_migrations_match_the_tables_the_code_uses(database_url: str) -> None:
    store = Database(database_url)
    store.upgrade()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.dispose()
    assert diff == []


def test_upgrading_an_existing_database_keeps_its_data(database_url: str) -> None:
    database = Database(database_url)
    database.upgrade()
    account = Account("acc_kept", "Broker", "broker", "0.15", dt.datetime.now(dt.UTC), False)
    with SqlUnitOfWork(database) as uow:
        uow.accounts.add(account)
        uow.quotes.add(_quote(account.id))
        uow.commit()
    database.dispose()

    again = Database(database_url)  # a new process starting on the same database
    again.upgrade()
    assert again.schema_is_current()
    with SqlUnitOfWork(again) as uow:
        kept = uow.quotes.get("q_kept")
        assert uow.accounts.get(account.id) == account
    assert kept is not None
    assert (kept.total_premium, kept.result_json) == ("1234.56", b'{"total_premium": "1234.56"}')
    again.dispose()


def test_a_database_made_before_the_events_table_upgrades_and_reads_back(tmp_path: Path) -> None:
    """A fresh database at migration 0003 (SQLite: the test session's PostgreSQL database
    is at the newest migration already)."""
    import sqlalchemy as sa
    from alembic import command

    database = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with database.engine.begin() as conn:
        command.upgrade(database._alembic(conn), "0003")
    quote = _quote("acc_old")
    with database.engine.begin() as conn:
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            sa.text(
                "INSERT INTO accounts (id, name, role, commission, created_at, disabled) "
                "VALUES ('acc_old', 'Old broker', 'broker', '0.15', :now, false)"
            ),
            {"now": now},
        )
        # Written as the code of that time wrote it (no number column yet).
        conn.execute(
            sa.text(
                "INSERT INTO quotes (id, owner_id, created_at, valid_until, status, currency, "
                "total_premium, total_vat, policyholder, credit_code, headcount, "
                "tariff_version, tariff_hash, input_hash, request, result) VALUES (:id, "
                ":owner_id, :created_at, :valid_until, :status, :currency, :total_premium, "
                ":total_vat, :policyholder, :credit_code, :headcount, :tariff_version, "
                ":tariff_hash, :input_hash, :request, :result)"
            ),
            {
                **{f: getattr(quote, f) for f in QuoteRow.__dataclass_fields__ if f != "number"},
                "request": zlib.compress(quote.request_json or b""),
                "result": zlib.compress(quote.result_json or b""),
            },
        )

    database.upgrade()
    assert database.schema_is_current()
    with SqlUnitOfWork(database) as uow:
        kept = uow.quotes.get(quote.id)
        assert uow.events.all() == []
        # Numbered by the upgrade, and the year's counter follows on.
        assert uow.quotes.next_number(2026) == 2
    database.dispose()
    assert kept is not None and kept.result_json == quote.result_json
    assert kept.number == "BJ2026-000001"
