"""The events of service calls are written in the same transaction as the change, on
SQLite and PostgreSQL: a refused call leaves none."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_binding_api import approve, bind, create


def test_creating_and_binding_a_quote_write_their_events(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    assert bind(api, broker, quote["id"]).status_code == 201
    assert bind(api, broker, quote["id"]).status_code == 409  # refused: no event

    events = api.store.events(quote["id"])
    assert [(e.kind, e.account_id) for e in events] == [
        ("quote.created", broker.id),
        ("quote.bound", broker.id),
    ]
    assert events[0].data["total_premium"] == quote["total_premium"]
    policy = api.client.get(
        f"/api/v1/policies/{events[1].data['policy_id']}", headers=broker.headers
    )
    assert policy.json()["policy_number"] == events[1].data["policy_number"]


def test_a_refused_approval_writes_no_event(api: Api) -> None:
    broker, underwriter = api.account(), api.account("underwriter")
    quote = create(api, broker)
    assert approve(api, underwriter, quote["id"]).status_code == 409
    assert [e.kind for e in api.store.events(quote["id"])] == ["quote.created"]
