"""What re-pricing reports when a quote no longer prices as stored, and who may re-price."""

from __future__ import annotations

import msgspec
import pytest

from quoting.clock import FixedClock
from quoting.errors import Forbidden
from quoting.schemas import Quote
from quoting.services import Context
from quoting.services.quotation import quote_request
from quoting.services.repricing import quote_differences, reprice_quote
from quoting.store import Account
from quoting.store.memory import InMemoryUnitOfWork
from tests.support import ROOT, make_request


def quote() -> Quote:
    census = {
        "members": [
            {"member_id": "E1", "name": "王强", "age": 40, "occupation_class": 2, "country": "ID"},
            {"member_id": "E2", "name": "李娜", "age": 30, "occupation_class": 4, "country": "KE"},
        ]
    }
    request = make_request(census, {"add": {"sum_insured": "500000"}, "evac": {"limit": "300000"}})
    return quote_request(request, tariff_root=ROOT / "tariffs", trace=False)


def test_no_differences_for_the_same_quote() -> None:
    q = quote()
    assert quote_differences(q, q) == []


def test_differences_name_the_figures_that_moved() -> None:
    stored = quote()
    member = stored.members[0]
    line = msgspec.structs.replace(member.lines[0], premium="1.00")
    moved = msgspec.structs.replace(
        stored,
        status="referred",
        total_premium="9.99",
        members=[
            msgspec.structs.replace(member, premium="2.00", lines=[line, *member.lines[1:]]),
            *stored.members[1:],
        ],
    )
    found = {(d.field, d.stored, d.repriced) for d in quote_differences(stored, moved)}
    assert ("status", stored.status, "referred") in found
    assert ("total_premium", stored.total_premium, "9.99") in found
    assert ("members[E1].premium", member.premium, "2.00") in found
    assert ("members[E1].add.premium", member.lines[0].premium, "1.00") in found
    assert len(found) == 4


@pytest.mark.parametrize("role", ["broker", "agent"])
def test_only_underwriters_and_admins_may_reprice(role: str) -> None:
    clock = FixedClock()
    account = Account("acc_1", "x", role, None, clock.now(), False)
    ctx = Context(clock=clock, tariff_root=ROOT / "tariffs", account=account)
    with pytest.raises(Forbidden, match="underwriter, admin; your account is a"):
        reprice_quote(lambda: InMemoryUnitOfWork(), ctx, "q_1")
