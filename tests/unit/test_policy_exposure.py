"""Exposure rows follow a policy's versions, and `quoting exposure rebuild` makes them
again for policies that have none (bound before the book existed) — on the in-memory
unit of work and, for the command, on a SQLite file."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from quoting.cli import main
from quoting.clock import FixedClock
from quoting.errors import Forbidden
from quoting.services import Context, CreateQuote
from quoting.services.binding import bind_quote
from quoting.services.endorsements import Endorse, endorse
from quoting.services.exposure import book_exposure
from quoting.services.policy_exposure import rebuild_exposure
from quoting.services.quotation import create_quote
from quoting.store import Account, Database, SqlUnitOfWork, UnitOfWorkFactory
from quoting.store.memory import InMemoryDatabase
from tests.support import ROOT, TARIFF_DIR

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
BROKER = Account("acc_broker", "Broker", "broker", "0.15", NOW, False)
UNDERWRITER = Account("acc_uw", "Underwriter", "underwriter", None, NOW, False)


def ctx(account: Account | None = BROKER) -> Context:
    return Context(FixedClock.on(TODAY), TARIFF_DIR, account)


def request() -> dict[str, Any]:
    body = json.loads((ROOT / "examples" / "small_request.json").read_bytes())
    body["census"]["members"][1]["site"] = "Mombasa port"  # class 4: plan B, AD&D 500,000
    return body


def bound_policy(uow: UnitOfWorkFactory) -> str:
    stored = create_quote(uow, ctx(), CreateQuote(json.dumps(request()).encode()))
    return bind_quote(uow, ctx(), stored.quote.id).policy.id


def sites(uow: UnitOfWorkFactory, on: str) -> dict[str | None, tuple[int, str]]:
    book = book_exposure(uow, ctx(UNDERWRITER), dt.date.fromisoformat(on))
    return {s.site: (s.headcount, f"{s.add_sum_insured}") for s in book.sites}


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.accounts.add(UNDERWRITER)
        uow.commit()
    return database


def test_a_policy_without_rows_gets_those_of_its_newest_version(db: InMemoryDatabase) -> None:
    policy_id = bound_policy(db.unit_of_work)
    moved = {"effective": "2027-07-01", "change": [{"member_id": "E002", "site": "Lamu"}]}
    endorse(db.unit_of_work, ctx(), Endorse(policy_id, json.dumps(moved).encode()))
    expected = {"Morowali nickel smelter": (1, "1000000.00"), "Lamu": (1, "500000.00")}
    assert sites(db.unit_of_work, "2027-07-01") == expected
    with db.unit_of_work() as work:
        made = work.exposures.for_policy(policy_id)
        work.exposures.replace(policy_id, [])  # as if bound before migration 0008
        work.commit()
    assert sites(db.unit_of_work, "2027-07-01") == {}
    done = rebuild_exposure(db.unit_of_work, ctx(None))
    assert (done.policies, done.rows) == (1, len(made))
    assert sites(db.unit_of_work, "2027-07-01") == expected
    assert sites(db.unit_of_work, "2027-06-30") == {
        "Morowali nickel smelter": (1, "1000000.00"),
        "Mombasa port": (1, "500000.00"),
    }
    rebuild_exposure(db.unit_of_work, ctx(UNDERWRITER))  # again: nothing changes
    with db.unit_of_work() as work:
        assert work.exposures.for_policy(policy_id) == made
    with pytest.raises(Forbidden):
        rebuild_exposure(db.unit_of_work, ctx(BROKER))


def test_the_command_rebuilds_the_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    monkeypatch.setenv("QUOTING_DATABASE_URL", url)
    database = Database(url)
    database.upgrade()
    with SqlUnitOfWork(database) as work:
        work.accounts.add(BROKER)
        work.commit()
    policy_id = bound_policy(lambda: SqlUnitOfWork(database))
    with SqlUnitOfWork(database) as work:
        work.exposures.replace(policy_id, [])
        work.commit()
    database.dispose()
    out = io.StringIO()
    assert main(["exposure", "rebuild"], out=out) == 0
    assert out.getvalue().strip() == "exposure rebuilt: 1 policies, 2 rows"
    out = io.StringIO()
    assert main(["exposure", "--on", "2027-03-01"], out=out) == 0
    assert "Mombasa port" in out.getvalue() and "Morowali nickel smelter" in out.getvalue()
