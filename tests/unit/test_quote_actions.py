"""The quote page's services on the in-memory unit of work: a referred quote goes to the
underwriters with a message (an event), only one's own and only when referred; the
quote's history names who did what; the bind check says what binding would; the quote
list searches the policyholder's name and the credit code."""

from __future__ import annotations

import datetime as dt

import pytest

from quoting.clock import FixedClock
from quoting.errors import NotFound, NotReferred, RequestError
from quoting.services import Context, CreateQuote
from quoting.services.binding import approve_quote, bind_quote
from quoting.services.quotation import create_quote, get_quote, list_quotes
from quoting.services.quote_actions import bind_refusal, quote_history, refer_quote
from quoting.store import Account, QuoteFilter
from quoting.store.memory import InMemoryDatabase
from tests.support import ROOT, TARIFF_DIR

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
AGENT = Account("acc_agent", "王伟", "agent", None, NOW, False)
OTHER = Account("acc_other", "李娜", "agent", None, NOW, False)
UNDERWRITER = Account("acc_uw", "张核保", "underwriter", None, NOW, False)
REQUEST = (ROOT / "examples" / "small_request.json").read_bytes()


def ctx(account: Account = AGENT) -> Context:
    return Context(FixedClock.on(TODAY), TARIFF_DIR, account)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        for account in (AGENT, OTHER, UNDERWRITER):
            uow.accounts.add(account)
        uow.commit()
    return database


def _referred(db: InMemoryDatabase) -> str:
    # Occupation class 6 is above the tariff's automatic class (5): referred.
    body = REQUEST.replace(b'"occupation_class": 4', b'"occupation_class": 6')
    row = create_quote(db.unit_of_work, ctx(), CreateQuote(body)).quote
    assert row.status == "referred"
    return row.id


def test_a_referred_quote_goes_to_the_underwriters_with_its_message(db: InMemoryDatabase) -> None:
    quote_id = _referred(db)
    sent = refer_quote(db.unit_of_work, ctx(), quote_id, "  tunnel crew, class 6  ")
    # It is the underwriters' queue's own entry (the API's POST …/referral).
    assert (sent.state, sent.message, sent.sent_by) == ("waiting", "tunnel crew, class 6", AGENT.id)
    approve_quote(db.unit_of_work, ctx(UNDERWRITER), quote_id)
    history = quote_history(db.unit_of_work, ctx(), quote_id)
    assert [e.kind for e in history.of("quote.created", "referral.sent", "quote.approved")] == [
        "quote.created",
        "referral.sent",
        "quote.approved",
    ]
    assert history.of("referral.sent")[0].data == {"message": "tunnel crew, class 6"}
    assert history.names == {AGENT.id: "王伟", UNDERWRITER.id: "张核保"}
    assert [e.account_id for e in history.of("quote.approved")] == [UNDERWRITER.id]


def test_referring_needs_a_message_ones_own_quote_and_a_referred_one(db: InMemoryDatabase) -> None:
    quote_id = _referred(db)
    with pytest.raises(RequestError) as empty:
        refer_quote(db.unit_of_work, ctx(), quote_id, "   ")
    assert empty.value.problems[0].path == ("message",)
    with pytest.raises(RequestError):
        refer_quote(db.unit_of_work, ctx(), quote_id, "x" * 2001)
    with pytest.raises(NotFound):
        refer_quote(db.unit_of_work, ctx(OTHER), quote_id, "mine?")
    with pytest.raises(NotFound):
        quote_history(db.unit_of_work, ctx(OTHER), quote_id)
    accepted = create_quote(db.unit_of_work, ctx(), CreateQuote(REQUEST)).quote
    with pytest.raises(NotReferred):
        refer_quote(db.unit_of_work, ctx(), accepted.id, "please")


def test_the_bind_check_says_what_binding_would(db: InMemoryDatabase) -> None:
    quote_id = _referred(db)
    refused = bind_refusal(ctx(), get_quote(db.unit_of_work, ctx(), quote_id))
    assert refused is not None and "an underwriter must approve it first" in refused.message
    approve_quote(db.unit_of_work, ctx(UNDERWRITER), quote_id)
    assert bind_refusal(ctx(), get_quote(db.unit_of_work, ctx(), quote_id)) is None
    bind_quote(db.unit_of_work, ctx(), quote_id)
    bound = bind_refusal(ctx(), get_quote(db.unit_of_work, ctx(), quote_id))
    assert bound is not None and "already bound" in bound.message


def test_the_list_searches_the_policyholder_and_the_credit_code(db: InMemoryDatabase) -> None:
    create_quote(db.unit_of_work, ctx(), CreateQuote(REQUEST))
    name = "中路海外工程建设有限公司 China Road Overseas Engineering Co., Ltd."
    other = REQUEST.replace(name.encode(), "北方矿业".encode())
    assert other != REQUEST
    create_quote(db.unit_of_work, ctx(), CreateQuote(other))

    def found(search: str) -> list[str]:
        rows, _ = list_quotes(db.unit_of_work, ctx(), QuoteFilter(None, search=search))
        return [r.policyholder[:4] for r in rows]

    assert found("china road") == ["中路海外"]  # case aside
    assert found("北方") == ["北方矿业"]
    # The credit code's start (both made at the same fixed time: their order is the ids').
    assert sorted(found("91110000ma")) == ["中路海外", "北方矿业"]
    assert found("ABCD52") == []  # not its middle
    assert list_quotes(db.unit_of_work, ctx(OTHER), QuoteFilter(None, search="北方"))[1] == 0
