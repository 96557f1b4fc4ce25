"""Re-pricing stored quotes with their own tariff version (loaded by content hash) after a
newer version is published, through the API; publishing never disturbs a quote being
priced and needs no restart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from quoting.clock import FixedClock
from quoting.services import Context
from quoting.services import quotation as quotation_service
from quoting.services.tariffs import PublishVersion, publish_version
from tests.api.conftest import Api, ApiFactory, example_request
from tests.support import root_with_2026_2
from tests.unit.test_tariff_tools import new_version, set_cell

QUOTES = "/api/v1/quotes"
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def tariff_root(tmp_path: Path) -> Path:
    return root_with_2026_2(tmp_path)


@pytest.fixture
def app(api_with: ApiFactory, tariff_root: Path) -> Api:
    return api_with(clock=FixedClock.on(TODAY), QUOTING_TARIFFS=str(tariff_root))


def publish_indonesia_change(root: Path, tmp_path: Path) -> None:
    """Version 2026.4, effective 1 Dec 2026: Indonesia's accident factor 0.98 → 1.35."""
    draft = new_version(tmp_path, "2026.4", "2026-12-01")
    set_cell(draft, "countries.csv", "ID", "accident", "1.35")
    publish_version(
        Context(clock=FixedClock.on(TODAY), tariff_root=root), PublishVersion(draft, "uw")
    )


def body() -> dict[str, Any]:
    return json.loads(example_request())  # members in Indonesia and Kenya


def test_stored_quotes_reprice_to_the_cent_after_a_newer_version(
    app: Api, tariff_root: Path, tmp_path: Path
) -> None:
    broker, underwriter = app.account("broker", "0.18"), app.account("underwriter")
    stored = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    assert stored["tariff"]["version"] == "2026.2"

    publish_indonesia_change(tariff_root, tmp_path)
    # No restart: a quote as of a date in the new version's term prices under it now.
    later = {**body(), "as_of": "2026-12-05"}
    newer = app.client.post(QUOTES, json=later, headers=underwriter.headers).json()
    assert newer["tariff"]["version"] == "2026.4"
    assert newer["total_premium"] != stored["total_premium"]

    count = app.client.get(QUOTES, headers=underwriter.headers).json()["total"]
    response = app.client.post(f"{QUOTES}/{stored['id']}/reprice", headers=underwriter.headers)
    assert response.status_code == 200, response.text
    repriced = response.json()
    assert repriced["same_as_stored"] is True and repriced["differences"] == []
    assert repriced["quote_id"] == stored["id"]
    assert repriced["tariff"] == stored["tariff"]  # 2026.2, by its hash
    assert repriced["commission"] == 0.18  # the broker's, as it was priced
    assert repriced["total_premium"] == stored["total_premium"]
    for a, b in zip(stored["members"], repriced["members"], strict=True):
        assert [line["premium"] for line in a["lines"]] == [line["premium"] for line in b["lines"]]
    # The underwriter's quote as of another date re-prices under 2026.4, as it was priced.
    other = app.client.post(f"{QUOTES}/{newer['id']}/reprice", headers=underwriter.headers).json()
    assert other["same_as_stored"] is True and other["tariff"]["version"] == "2026.4"
    assert other["as_of_override"] == newer["as_of_override"]
    # Re-pricing stores nothing and changes nothing stored.
    assert app.client.get(QUOTES, headers=underwriter.headers).json()["total"] == count
    again = app.client.get(f"{QUOTES}/{stored['id']}", headers=underwriter.headers).json()
    assert again == stored


@pytest.mark.parametrize("role", ["broker", "agent"])
def test_brokers_and_agents_may_not_reprice(app: Api, role: str) -> None:
    caller = app.account(role)
    created = app.client.post(QUOTES, json=body(), headers=caller.headers).json()
    response = app.client.post(f"{QUOTES}/{created['id']}/reprice", headers=caller.headers)
    assert response.status_code == 403
    assert "underwriter" in response.json()["detail"]


def test_repricing_an_unknown_quote_is_404(app: Api) -> None:
    underwriter = app.account("underwriter")
    response = app.client.post(
        f"{QUOTES}/q_000000000000000000000000/reprice", headers=underwriter.headers
    )
    assert response.status_code == 404


def test_the_reprice_endpoint_is_documented(app: Api) -> None:
    schema = app.client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/quotes/{quote_id}/reprice"]["post"]
    assert operation["operationId"] == "repriceQuote"
    assert {"200", "403", "404"} <= set(operation["responses"])
    assert "content hash" in operation["description"]


def test_publishing_while_a_quote_is_priced_does_not_disturb_it(
    app: Api, tariff_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is taken once per pricing (an immutable object): publishing in the
    middle of a pricing changes nothing in it."""
    broker = app.account("broker")
    before = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    real_price = quotation_service.price

    def price_and_publish(rating: Any, tariff: Any) -> Any:
        if not (tariff_root / "2026.4").exists():
            publish_indonesia_change(tariff_root, tmp_path)
        return real_price(rating, tariff)

    monkeypatch.setattr(quotation_service, "price", price_and_publish)
    during = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    assert (tariff_root / "2026.4").exists()
    assert during["tariff"] == before["tariff"]
    assert during["total_premium"] == before["total_premium"]


def test_the_impact_book_from_the_store_is_each_quote_as_priced(
    app: Api, tariff_root: Path
) -> None:
    """`tariff impact --from-store` / `--bound`: stored requests, each with its commission
    and business date, price to their stored totals under their own version."""
    from quoting.services.impact import book_from_store, price_book
    from quoting.tariff.files import load_tariff

    broker = app.account("broker", "0.20")
    kept = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    other = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    assert app.client.post(f"{QUOTES}/{kept['id']}/bind", headers=broker.headers).status_code == 201

    every = {item.name: item for item in book_from_store(app.store.uow)}
    bound = {item.name for item in book_from_store(app.store.uow, bound_only=True)}
    assert {kept["id"], other["id"]} <= set(every)
    assert kept["id"] in bound and other["id"] not in bound
    item = every[kept["id"]]
    assert item.today == TODAY and str(item.request.commission) == "0.2"
    tariff = load_tariff(tariff_root / "2026.2")
    (pair,) = price_book(tariff, tariff, [item])
    assert pair.old is not None and str(pair.old.total_premium) == kept["total_premium"]


def test_a_stored_quote_that_cannot_be_read_counts_as_failed_in_the_impact(
    app: Api, tariff_root: Path
) -> None:
    """A row written in a form this version cannot read (an old wire quote without
    `status`) fails on its own in `tariff impact --from-store`; the other quotes are
    still priced."""
    import zlib

    import sqlalchemy as sa

    from quoting.services.impact import book_from_store, price_book
    from quoting.store._tables import quotes
    from quoting.tariff.files import load_tariff

    broker = app.account("broker", "0.20")
    good = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    bad = app.client.post(QUOTES, json=body(), headers=broker.headers).json()
    with app.store.engine.begin() as conn:
        conn.execute(
            sa.update(quotes)
            .where(quotes.c.id == bad["id"])
            .values(result=zlib.compress(b'{"id": "old form, no status"}', 1))
        )
    every = {item.name: item for item in book_from_store(app.store.uow)}
    assert every[bad["id"]].request is None
    tariff = load_tariff(tariff_root / "2026.2")
    pairs = {p.name: p for p in price_book(tariff, tariff, [every[good["id"]], every[bad["id"]]])}
    assert pairs[good["id"]].old is not None
    assert str(pairs[good["id"]].old.total_premium) == good["total_premium"]
    failed = pairs[bad["id"]]
    assert failed.old is None and failed.new is None
    assert failed.old_error is not None and "cannot be read" in failed.old_error
