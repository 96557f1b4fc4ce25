"""Creating quotes and accounts on the in-memory unit of work and a fixed clock:
idempotency, the events written, commission bounds under the context's tariffs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from quoting.clock import FixedClock
from quoting.errors import IdempotencyKeyReused, QuotingError
from quoting.services import Context, CreateQuote
from quoting.services import accounts as accounts_service
from quoting.services.quotation import create_quote, get_quote, list_quotes
from quoting.store import Account, QuoteFilter
from quoting.store.memory import InMemoryDatabase
from tests.support import ROOT, TARIFF_DIR

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
BROKER = Account("acc_broker", "Broker", "broker", "0.15", NOW, False)
OTHER = Account("acc_other", "Other broker", "broker", "0.15", NOW, False)
REQUEST = (ROOT / "examples" / "small_request.json").read_bytes()


def ctx(account: Account | None = BROKER, tariffs: Path = TARIFF_DIR) -> Context:
    return Context(FixedClock.on(TODAY), tariffs, account)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.accounts.add(OTHER)
        uow.commit()
    return database


def test_a_quote_is_stored_with_its_created_event(db: InMemoryDatabase) -> None:
    stored = create_quote(db.unit_of_work, ctx(), CreateQuote(REQUEST))
    assert stored.created
    row = stored.quote
    assert (row.owner_id, row.created_at) == (BROKER.id, NOW.replace(hour=4))
    # Stored as the engine's columns; read in full, it comes with its wire JSON too.
    assert row.result_json is None and row.result_columns is not None
    read = get_quote(db.unit_of_work, ctx(), row.id).quote
    assert dataclasses.replace(read, result_json=None) == row
    assert stored.columns is not None
    assert read.result_json == msgspec.json.encode(stored.columns.quote())
    with db.unit_of_work() as uow:
        [event] = uow.events.all(row.id)
    assert (event.kind, event.account_id, event.data["status"]) == (
        "quote.created",
        BROKER.id,
        row.status,
    )


def test_an_idempotent_replay_returns_the_original_and_stores_nothing(
    db: InMemoryDatabase,
) -> None:
    first = create_quote(db.unit_of_work, ctx(), CreateQuote(REQUEST, idempotency_key="k1"))
    # The same request with other spacing and key order is the same request.
    again = msgspec.json.encode(msgspec.json.decode(REQUEST), order="sorted")
    replay = create_quote(db.unit_of_work, ctx(), CreateQuote(again, idempotency_key="k1"))
    # A replay reads what answering needs: the stored row and its columns, not its request.
    assert (replay.created, replay.quote.request_json) == (False, None)
    assert replay.quote == dataclasses.replace(first.quote, request_json=None)
    assert list_quotes(db.unit_of_work, ctx(), QuoteFilter(None))[1] == 1


def test_an_idempotency_key_with_another_body_is_refused(db: InMemoryDatabase) -> None:
    first = create_quote(db.unit_of_work, ctx(), CreateQuote(REQUEST, idempotency_key="k1"))
    other = REQUEST.replace(b"2027-12-31", b"2027-06-30")
    assert other != REQUEST
    with pytest.raises(IdempotencyKeyReused, match=first.quote.id) as refused:
        create_quote(db.unit_of_work, ctx(), CreateQuote(other, idempotency_key="k1"))
    assert (refused.value.status, refused.value.problem_type) == (422, "idempotency-key-reused")


def test_one_key_of_two_accounts_does_not_collide(db: InMemoryDatabase) -> None:
    mine = create_quote(db.unit_of_work, ctx(BROKER), CreateQuote(REQUEST, idempotency_key="k"))
    theirs = create_quote(db.unit_of_work, ctx(OTHER), CreateQuote(REQUEST, idempotency_key="k"))
    assert mine.created and theirs.created
    assert mine.quote.id != theirs.quote.id
    assert list_quotes(db.unit_of_work, ctx(OTHER), QuoteFilter(None))[1] == 1


def test_account_changes_write_events(db: InMemoryDatabase) -> None:
    new = accounts_service.NewAccount("Agent", "agent")
    issued = accounts_service.create_account(db.unit_of_work, ctx(None), new)
    accounts_service.revoke_key(db.unit_of_work, ctx(None), issued.key_id)
    assert accounts_service.authenticate(db.unit_of_work, issued.key) is None
    with db.unit_of_work() as uow:
        kinds = [e.kind for e in uow.events.all()]
    assert kinds == ["account.created", "key.issued", "key.revoked"]


def test_commission_bounds_come_from_the_contexts_tariffs(
    db: InMemoryDatabase, tmp_path: Path
) -> None:
    tariffs = tmp_path / "tariffs"
    shutil.copytree(TARIFF_DIR, tariffs / TARIFF_DIR.name)
    toml = tariffs / TARIFF_DIR.name / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    assert "commission_max" in text
    lines = [
        "commission_max = 0.5" if line.startswith("commission_max") else line
        for line in text.splitlines()
    ]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broker = accounts_service.NewAccount("Broker", "broker", Decimal("0.45"))

    with pytest.raises(QuotingError, match=r"0.45 is outside the tariff's bounds"):
        accounts_service.create_account(db.unit_of_work, ctx(None), broker)
    issued = accounts_service.create_account(db.unit_of_work, ctx(None, tariffs), broker)
    assert issued.account.commission == "0.45"
