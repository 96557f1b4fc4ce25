"""The underwriting workbench's rules and services on the in-memory unit of work: the
authority and book-limit rules with hand-made figures, the referral queue and decisions,
an event for each action and none when an action fails, and the CLI commands."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from quoting.cli import main
from quoting.clock import FixedClock
from quoting.errors import AuthorityExceeded, Forbidden, ReferralClosed, RequestError
from quoting.services import Context, CreateQuote
from quoting.services.authority import authority_of
from quoting.services.quotation import create_quote
from quoting.services.referrals import Decision, decide, list_referrals, send_to_underwriter
from quoting.settings import Settings
from quoting.store import Account, ReferralFilter
from quoting.store.memory import InMemoryDatabase
from quoting.underwriting import Authority, BookLimits, authority_shortfalls, book_breaches
from tests.support import ROOT, TARIFF_DIR

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
AGENT = Account("acc_agent", "Agent", "agent", None, NOW, False)
UNDERWRITER = Account("acc_uw", "Underwriter", "underwriter", None, NOW, False)


def referred_request() -> bytes:
    body = json.loads((ROOT / "examples" / "small_request.json").read_bytes())
    body["census"]["members"][1]["occupation_class"] = 6  # above the automatic class 5
    return json.dumps(body).encode()


def ctx(account: Account | None) -> Context:
    return Context(FixedClock.on(TODAY), TARIFF_DIR, account)


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(AGENT)
        uow.accounts.add(UNDERWRITER)
        uow.commit()
    return database


def test_authority_shortfalls_name_each_limit_and_allow_exactly_the_limit() -> None:
    authority = Authority(0.15, 5_000_000, 500_000_000)
    assert authority_shortfalls(
        authority, adjustment=-0.15, member_sum_insured=5_000_000, group_sum_insured=5e8
    ) == []  # fmt: skip
    assert authority_shortfalls(
        authority, adjustment=0.2, member_sum_insured=6_000_000, group_sum_insured=6e8
    ) == [
        "the adjustment +20.0% is beyond your adjustment authority of ±15%",
        "a member's sum insured of 6,000,000 is beyond your authority of 5,000,000 per member",
        "the group's total sum insured of 600,000,000 is beyond your authority of 500,000,000",
    ]


def test_role_defaults_and_an_accounts_own_authority() -> None:
    assert authority_of(AGENT) == Authority(0.0, 0.0, 0.0)
    assert authority_of(UNDERWRITER).adjustment == 0.15
    senior = Account(
        "acc_s", "Senior", "underwriter", None, NOW, False, adjustment_authority="0.30"
    )
    assert authority_of(senior) == Authority(0.30, 5_000_000, 500_000_000)


def test_book_breaches_with_hand_figures() -> None:
    # Site A: book 60 + quote 50 = 110 > 100 (a breach); site B: 0 + 10 = 10 (fine).
    # Country ID: book 60 + quote 60 = 120: within 150, above 100.
    book = {("ID", "A"): 60.0}
    quote = {("ID", "A"): 50.0, ("ID", "B"): 10.0}
    [site] = book_breaches(BookLimits(100, 150), book_sites=book, quote_sites=quote)
    assert (site.scope, site.site, site.book, site.quote) == ("site", "A", 60.0, 50.0)
    assert (
        site.message == "site A in ID: book 60 + this quote 50 = 110, above the book limit of 100"
    )
    both = book_breaches(BookLimits(100, 100), book_sites=book, quote_sites=quote)
    assert [(b.scope, b.book + b.quote) for b in both] == [("site", 110.0), ("country", 120.0)]


def test_book_limits_come_from_the_settings() -> None:
    limits = Settings.from_env({"QUOTING_BOOK_SITE_LIMIT": "150_000_000"}).book_limits
    assert limits == BookLimits(150_000_000, 2_000_000_000)
    with pytest.raises(ValueError, match="QUOTING_BOOK_COUNTRY_LIMIT"):
        Settings.from_env({"QUOTING_BOOK_COUNTRY_LIMIT": "-5"})


def test_queue_decisions_and_their_events(db: InMemoryDatabase) -> None:
    quote = create_quote(db.unit_of_work, ctx(AGENT), CreateQuote(referred_request())).quote
    send_to_underwriter(db.unit_of_work, ctx(AGENT), quote.id, "请审核")
    with pytest.raises(Forbidden):
        list_referrals(db.unit_of_work, ctx(AGENT), ReferralFilter())
    [item], total = list_referrals(db.unit_of_work, ctx(None), ReferralFilter())
    assert (total, item.referral.message, item.referral.reason_codes) == (
        1, "请审核", ("occupation_class",)
    )  # fmt: skip

    def kinds() -> list[str]:
        with db.unit_of_work() as uow:
            return [e.kind for e in uow.events.all(quote.id)]

    # Failed actions write nothing: a decline without reason, conditions in one language.
    with pytest.raises(RequestError):
        decide(db.unit_of_work, ctx(UNDERWRITER), quote.id, Decision("decline"))
    with pytest.raises(RequestError):
        decide(db.unit_of_work, ctx(UNDERWRITER), quote.id, Decision("approve", conditions_zh="x"))
    assert kinds() == ["quote.created", "referral.sent"]
    # Beyond authority: refused, but the referral records what it needs.
    with pytest.raises(AuthorityExceeded, match="±15%"):
        decide(db.unit_of_work, ctx(UNDERWRITER), quote.id,
               Decision("approve", adjustment=Decimal("-0.2"), reason="good claims"))  # fmt: skip
    assert kinds()[-1] == "referral.escalated"
    approved = decide(
        db.unit_of_work, ctx(UNDERWRITER), quote.id,
        Decision("approve", adjustment=Decimal("-0.15"), reason="good claims"),
    )  # fmt: skip
    assert approved.approved_by == UNDERWRITER.id
    assert Decimal(approved.total_premium) < Decimal(quote.total_premium)
    assert kinds()[-1] == "referral.approved"
    with pytest.raises(ReferralClosed):
        decide(db.unit_of_work, ctx(UNDERWRITER), quote.id, Decision("decline", reason="late"))


def test_cli_sets_an_authority_and_lists_the_queue_and_the_trail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTING_DATABASE_URL", f"sqlite:///{tmp_path / 'q.sqlite3'}")
    out = io.StringIO()
    assert main(["accounts", "create-user", "Li", "--role", "underwriter"], out=out) == 0
    account_id = out.getvalue().split()[1]
    out = io.StringIO()
    argv = ["accounts", "set-authority", account_id, "--adjustment", "0.30"]
    assert main([*argv, "--sum-insured", "8000000"], out=out) == 0
    assert "adjustment ±0.3, sum insured 8000000 per member, group 500000000" in out.getvalue()
    err = io.StringIO()
    assert main([*argv[:3], "--adjustment", "0.5"], out=out, err=err) == 2
    assert "adjustment: must be a number from 0 to 0.3" in err.getvalue()
    out = io.StringIO()
    assert main(["audit", "--subject", account_id, "--format", "json"], out=out) == 0
    trail = json.loads(out.getvalue())
    assert [e["kind"] for e in trail["items"]][-1] == "account.authority_set"
    assert trail["items"][-1]["data"]["before"]["adjustment"] == "0.15"
    out = io.StringIO()
    assert main(["referrals", "list"], out=out) == 0
    assert out.getvalue().startswith("0 referral(s)")
    out = io.StringIO()
    assert main(["exposure", "--on", "2027-01-01"], out=out) == 0
    assert "limits: site 200,000,000, country 2,000,000,000" in out.getvalue()
