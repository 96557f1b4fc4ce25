"""``preview_endorsement`` (the pages' preview) on the in-memory store: the endorsement
``endorse`` then stores for the same request, to the cent, with nothing stored and no event
before; the same errors; and a confirm under ``expected_seq`` refused once the policy has
had another endorsement (an idempotent replay of the confirm still answers).

The policy is the golden one (tests/golden/test_endorsements_golden.py): 40 members at
111.64, 4,465.60. E007 leaving from 1 October is refunded 111.64 × 92/365 = 28.14."""

from __future__ import annotations

import json

import pytest

from quoting.errors import EndorsementPending, PolicyChanged, RequestError
from quoting.services.endorsements import Endorse, endorse, list_endorsements, preview_endorsement
from quoting.store.memory import InMemoryDatabase
from tests.golden.test_endorsements_golden import BROKER, bound_policy, ctx, member


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.commit()
    return database


def _command(policy_id: str, body: dict[str, object], **kw: object) -> Endorse:
    return Endorse(policy_id, json.dumps(body).encode(), **kw)  # type: ignore[arg-type]


def test_the_preview_is_what_endorse_stores_and_stores_nothing(db: InMemoryDatabase) -> None:
    policy_id = bound_policy(db)
    events = len(db.data.events)
    body = {"effective": "2027-10-01", "remove": [{"member_id": "E007"}], "add": [member(41)]}
    previewed = preview_endorsement(db.unit_of_work, ctx(), _command(policy_id, body))
    assert list_endorsements(db.unit_of_work, ctx(), policy_id) == []
    assert len(db.data.events) == events
    assert previewed.members[0].premium == "-28.14" and previewed.number.endswith("-E01")
    stored = endorse(db.unit_of_work, ctx(), _command(policy_id, body, expected_seq=1))
    assert stored.created
    assert stored.endorsement == previewed  # same clock: the same record, to the cent


def test_the_preview_refuses_what_endorse_refuses(db: InMemoryDatabase) -> None:
    policy_id = bound_policy(db)
    bad = {"effective": "2027-07-01", "remove": [{"member_id": "E999"}]}
    with pytest.raises(RequestError) as caught:
        preview_endorsement(db.unit_of_work, ctx(), _command(policy_id, bad))
    assert [p.path for p in caught.value.problems] == [("remove", 0, "member_id")]
    refer = {"effective": "2027-07-01", "add": [member(41, country="BY")]}
    endorse(db.unit_of_work, ctx(), _command(policy_id, refer))  # referred: waits
    later = {"effective": "2027-08-01", "remove": [{"member_id": "E001"}]}
    with pytest.raises(EndorsementPending):
        preview_endorsement(db.unit_of_work, ctx(), _command(policy_id, later))


def test_a_confirm_of_a_stale_preview_is_refused_but_its_replay_answers(
    db: InMemoryDatabase,
) -> None:
    policy_id = bound_policy(db)
    first = {"effective": "2027-10-01", "remove": [{"member_id": "E007"}]}
    second = {"effective": "2027-10-01", "remove": [{"member_id": "E008"}]}
    stored = endorse(
        db.unit_of_work, ctx(), _command(policy_id, first, idempotency_key="k1", expected_seq=1)
    )
    with pytest.raises(PolicyChanged):  # previewed as E01 too, but E01 is taken now
        endorse(
            db.unit_of_work,
            ctx(),
            _command(policy_id, second, idempotency_key="k2", expected_seq=1),
        )
    again = endorse(
        db.unit_of_work, ctx(), _command(policy_id, first, idempotency_key="k1", expected_seq=1)
    )
    assert not again.created and again.endorsement == stored.endorsement
    assert len(list_endorsements(db.unit_of_work, ctx(), policy_id)) == 1
