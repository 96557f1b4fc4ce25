"""The underwriters' pages in process (SQLite and PostgreSQL): the referral queue (oldest
first, what it shows, filters), the review page's decisions — approve with a loading and
special conditions that then print in the quote letter and the policy schedule, decline,
ask (the agent sees the question) — authority limits (referred upward), one's own quote
refused, CSRF, the audit trail of every action, the book's exposure across two
policyholders on one site; and that agents get the 403 page everywhere here.

Policyholder names carry a tag of the test's own: the PostgreSQL database is shared by
the session's tests, so the queue is searched for them."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from quoting.schemas import credit_code_check_char
from quoting.services import Context
from quoting.services.authority import SetAuthority, set_authority
from tests.api.test_binding_api import small_body
from tests.api.test_pages_api import PASSWORD, Pages, _pages
from tests.api.test_quote_pages import _signed_in, _token, pages_key
from tests.api.test_underwriting_api import _company, referred_small_body

QUOTES = "/api/v1/quotes"


@pytest.fixture
def pages(database_url: str) -> Iterator[Pages]:
    yield from _pages(database_url)


def _next_year(pages: Pages, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` for a year from the first of next month by the app's clock (the examples'
    fixed period would be backdated, hence referred, on a later day)."""
    today = pages.settings.clock.today()
    start = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    body["period"] = {"start": start.isoformat(), "end": end.isoformat()}
    return body


def _credit_code() -> str:
    """A valid unified social credit code of this test's own."""
    first = "91110000" + "".join(secrets.choice("0123456789") for _ in range(9))
    return first + credit_code_check_char(first)


def _referred(
    pages: Pages, owner: Any, name: str, credit_code: str | None = None
) -> dict[str, Any]:
    """A referred quote (a class 6 member) of ``owner`` for policyholder ``name``."""
    body = _next_year(pages, referred_small_body())
    body["policyholder"] = {"name": name, "credit_code": credit_code or _credit_code()}
    response = pages.client.post(QUOTES, json=body, headers=pages_key(pages, owner))
    assert response.status_code == 201, response.text
    quote: dict[str, Any] = response.json()
    assert quote["status"] == "referred"
    return quote


def _decide(pages: Pages, quote_id: str, action: str, **fields: str) -> Any:
    page = pages.client.get(f"/referrals/{quote_id}")
    assert page.status_code == 200, page.text
    data = {"_csrf": _token(page.text), **fields}
    return pages.client.post(f"/referrals/{quote_id}/{action}", data=data, follow_redirects=False)


def _row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert found is not None, row_id
    return found[1]


def test_the_queue_lists_referred_quotes_oldest_first_with_what_an_underwriter_needs(
    pages: Pages,
) -> None:
    tag = secrets.token_hex(3)
    agent, _ = pages.user()
    first = _referred(pages, agent, f"甲建设集团 {tag}")
    second = _referred(pages, agent, f"乙电力公司 {tag}")
    sent = pages.client.post(
        f"{QUOTES}/{first['id']}/referral", json={"message": "老客户"},
        headers=pages_key(pages, agent),
    )  # fmt: skip
    assert sent.status_code == 200

    _signed_in(pages, "underwriter")
    queue = pages.client.get("/referrals", params={"q": tag})
    assert queue.status_code == 200
    html = queue.text
    assert html.index(f'id="queue-{first["id"]}"') < html.index(f'id="queue-{second["id"]}"')
    assert "2 个转核保的报价" in html
    line = _row(html, f"queue-{first['id']}")
    assert f'href="/referrals/{first["id"]}"' in line and f"甲建设集团 {tag}" in line
    assert agent.name in line  # who sent it
    assert "职业类别超过自动承保上限" in line  # the reason in words (occupation_class)
    assert f"¥{Decimal(first['total_premium']):,.2f}" in line
    assert "等待核保" in line  # status: waiting
    assert 'id="nav-waiting"' in html  # the header's waiting count

    # Asked: no longer waiting for an underwriter; the filter shows it among the asked.
    assert _decide(pages, second["id"], "ask", question="工地有安保吗?").status_code == 303
    asked = pages.client.get("/referrals", params={"q": tag, "status": "information_requested"})
    assert second["id"] in asked.text and first["id"] not in asked.text
    assert "已提问" in _row(asked.text, f"queue-{second['id']}")
    answered = pages.client.post(
        f"{QUOTES}/{second['id']}/answers", json={"answer": "有"}, headers=pages_key(pages, agent)
    )
    assert answered.status_code == 200
    waiting = pages.client.get("/referrals", params={"q": tag, "status": "waiting"}).text
    assert "已答复" in _row(waiting, f"queue-{second['id']}")


def test_approve_with_a_loading_and_conditions_that_print_in_the_documents(pages: Pages) -> None:
    tag = secrets.token_hex(3)
    agent, _ = pages.user()
    code = _credit_code()
    # The policyholder's earlier business: a quote bound as a policy.
    earlier = _next_year(pages, small_body())
    earlier["policyholder"] = {"name": f"丙矿业 {tag}", "credit_code": code}
    key = pages_key(pages, agent)
    made = pages.client.post(QUOTES, json=earlier, headers=key).json()
    assert pages.client.post(f"{QUOTES}/{made['id']}/bind", headers=key).status_code == 201
    number = pages.store.policy_for_quote(made["id"]).policy_number
    quote = _referred(pages, agent, f"丙矿业 {tag}", code)
    underwriter, _ = _signed_in(pages, "underwriter")
    review = pages.client.get(f"/referrals/{quote['id']}").text
    others = review[review.index('id="other-quotes"') :]
    assert made["id"] in others and number in others
    assert "第6类职业人员" in review  # the customer's words of the reason
    assert f'href="/quotes/{quote["id"]}/members/E002"' in review  # a member's trace

    approved = _decide(
        pages, quote["id"], "approve", adjustment_kind="loading", adjustment_percent="10",
        approve_reason="site security", conditions_zh="夜间禁止出行",
        conditions_en="No travel <at night>",
    )  # fmt: skip
    assert (approved.status_code, approved.headers["location"]) == (
        303, f"/referrals/{quote['id']}?done=approved"
    )  # fmt: skip
    page = pages.client.get(approved.headers["location"]).text
    assert 'id="done"' in page and "No travel &lt;at night&gt;" in page

    after = pages.client.get(f"{QUOTES}/{quote['id']}", headers=pages_key(pages, agent)).json()
    decision = after["underwriting"]
    assert decision["adjustment"] == 0.1 and decision["decided_by"] == underwriter.id
    # The loading is its own line: premium before + what it added = the total shown.
    assert decision["premium_before"] == quote["total_premium"]
    before, added = Decimal(decision["premium_before"]), Decimal(decision["adjustment_premium"])
    assert before + added == Decimal(after["total_premium"])
    # Each line × 1.10, rounded once per line: within a cent a line of before × 0.10.
    lines = sum(len(m["lines"]) for m in after["members"])
    assert abs(added - before * Decimal("0.1")) <= Decimal("0.01") * lines
    assert f"¥{added:,.2f}" in page

    letter = pages.client.get(f"{QUOTES}/{quote['id']}/documents/quote-letter.html", headers=key)
    assert "夜间禁止出行" in letter.text and "No travel &lt;at night&gt;" in letter.text
    pages.sign_in(agent.name, PASSWORD)
    agent_page = pages.client.get(f"/quotes/{quote['id']}")
    bound = pages.client.post(
        f"/quotes/{quote['id']}/bind", data={"_csrf": _token(agent_page.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert bound.status_code == 303
    policy_id = pages.store.policy_for_quote(quote["id"]).id
    schedule = pages.client.get(
        f"/api/v1/policies/{policy_id}/documents/policy-schedule.html", headers=key
    )
    assert "夜间禁止出行" in schedule.text and "No travel &lt;at night&gt;" in schedule.text


def test_decline_and_ask_show_on_the_agents_quote_page(pages: Pages) -> None:
    tag = secrets.token_hex(3)
    agent, _ = pages.user()
    declined = _referred(pages, agent, f"丁工程 {tag}")
    asked = _referred(pages, agent, f"戊能源 {tag}")
    underwriter, _ = _signed_in(pages, "underwriter")
    empty = _decide(pages, declined["id"], "decline", decline_reason=" ")
    assert empty.status_code == 422
    assert 'id="decline_reason-error"' in empty.text and 'aria-invalid="true"' in empty.text
    assert _decide(pages, declined["id"], "decline", decline_reason="爆破作业").status_code == 303
    assert _decide(pages, asked["id"], "ask", question="Who guards the <site>?").status_code == 303
    assert 'id="decide"' not in pages.client.get(f"/referrals/{declined['id']}").text
    token = _token(pages.client.get(f"/referrals/{declined['id']}").text)
    again = pages.client.post(
        f"/referrals/{declined['id']}/approve", data={"_csrf": token, "approve_reason": "x"}
    )
    assert again.status_code == 409 and 'id="decision-error"' in again.text

    pages.sign_in(agent.name, PASSWORD)
    page = pages.client.get(f"/quotes/{declined['id']}").text
    assert "拒保：" in page and "爆破作业" in page
    page = pages.client.get(f"/quotes/{asked['id']}").text
    assert f"{underwriter.name} 于" in page and "Who guards the &lt;site&gt;?" in page


def test_beyond_authority_the_quote_is_referred_upward(pages: Pages) -> None:
    tag = secrets.token_hex(3)
    agent, _ = pages.user()
    quote = _referred(pages, agent, f"己集团 {tag}")
    _signed_in(pages, "underwriter")
    refused = _decide(
        pages, quote["id"], "approve", adjustment_kind="loading", adjustment_percent="20",
        approve_reason="claims",
    )  # fmt: skip
    assert refused.status_code == 403
    assert 'id="escalated"' in refused.text and "已转交有足够权限的核保人" in refused.text
    assert "beyond your adjustment authority of ±15%" in refused.text
    queue = pages.client.get("/referrals", params={"q": tag}).text
    assert "需要更高权限：" in _row(queue, f"queue-{quote['id']}")
    no_reason = _decide(
        pages, quote["id"], "approve", adjustment_kind="discount", adjustment_percent="5"
    )
    assert no_reason.status_code == 422 and 'id="approve_reason-error"' in no_reason.text
    bad = _decide(pages, quote["id"], "approve", adjustment_percent="5", approve_reason="x")
    assert bad.status_code == 422 and 'id="adjustment_kind-error"' in bad.text

    senior, _ = _signed_in(pages, "underwriter")
    context = Context(clock=pages.store.context.clock, tariff_root=pages.store.context.tariff_root)
    set_authority(pages.store.uow, context, SetAuthority(senior.id, adjustment="0.30"))
    done = _decide(
        pages, quote["id"], "approve", adjustment_kind="loading", adjustment_percent="20",
        approve_reason="claims",
    )  # fmt: skip
    assert done.status_code == 303


def test_an_underwriter_cannot_approve_their_own_quote(pages: Pages) -> None:
    underwriter, _ = _signed_in(pages, "underwriter")
    mine = _referred(pages, underwriter, f"庚公司 {secrets.token_hex(3)}")
    page = pages.client.get(f"/referrals/{mine['id']}").text
    assert 'id="own-quote"' in page
    refused = _decide(pages, mine["id"], "approve", approve_reason="ok")
    assert refused.status_code == 403
    assert 'id="decision-error"' in refused.text and "核保人不能批准自己制作的报价" in refused.text
    assert [e.kind for e in pages.store.events(mine["id"])] == ["quote.created"]


def test_agents_get_403_and_visitors_sign_in_on_every_underwriter_page(pages: Pages) -> None:
    agent, _ = _signed_in(pages)
    quote = _referred(pages, agent, f"辛公司 {secrets.token_hex(3)}")
    token = _token(pages.client.get("/quotes").text)
    for path in ("/referrals", f"/referrals/{quote['id']}", "/audit", "/exposure"):
        assert pages.client.get(path).status_code == 403, path
    for action in ("approve", "decline", "ask"):
        posted = pages.client.post(
            f"/referrals/{quote['id']}/{action}",
            data={"_csrf": token, "approve_reason": "x", "decline_reason": "x", "question": "x"},
        )
        assert posted.status_code == 403, action
    assert 'id="nav-referrals"' not in pages.client.get("/quotes").text
    assert [e.kind for e in pages.store.events(quote["id"])] == ["quote.created"]
    pages.client.post("/signout", data={"_csrf": token})
    away = pages.client.get("/audit?kind=referral", follow_redirects=False)
    assert (away.status_code, away.headers["location"]) == (
        303,
        "/signin?next=/audit%3Fkind%3Dreferral",
    )


def test_a_decision_without_the_csrf_token_is_refused(pages: Pages) -> None:
    agent, _ = pages.user()
    quote = _referred(pages, agent, f"壬公司 {secrets.token_hex(3)}")
    _signed_in(pages, "underwriter")
    refused = pages.client.post(
        f"/referrals/{quote['id']}/decline", data={"decline_reason": "no"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert [e.kind for e in pages.store.events(quote["id"])] == ["quote.created"]


def test_the_audit_page_shows_each_action_with_before_and_after(pages: Pages) -> None:
    agent, _ = pages.user()
    quote = _referred(pages, agent, f"癸公司 {secrets.token_hex(3)}")
    underwriter, _ = _signed_in(pages, "underwriter")
    key = pages_key(pages, agent)
    pages.client.post(f"{QUOTES}/{quote['id']}/referral", json={"message": "请核"}, headers=key)
    assert _decide(pages, quote["id"], "ask", question="安保?").status_code == 303
    pages.client.post(f"{QUOTES}/{quote['id']}/answers", json={"answer": "有"}, headers=key)
    assert _decide(pages, quote["id"], "approve", approve_reason="ok").status_code == 303

    trail = pages.client.get("/audit", params={"subject": quote["id"]})
    assert trail.status_code == 200
    html = trail.text
    assert "4 条记录" not in html and "5 条记录" in html
    for words in ("报价已创建", "已送核保", "核保提问", "提问已答复", "核保通过"):
        assert words in html, words
    approved = next(e for e in pages.store.events(quote["id"]) if e.kind == "referral.approved")
    start = html.index(f'<tr id="event-{approved.id}">')
    row = html[start : html.find('<tr id="event-', start + 1)]
    assert re.search(r'<tr class="changed"><th scope="row">state</th><td>waiting</td>.*?'
                     r"<td>approved</td>", row)  # fmt: skip
    assert underwriter.name in row

    mine = pages.client.get("/audit", params={"subject": quote["id"], "account": underwriter.id})
    assert "2 条记录" in mine.text  # the question and the approval
    today = pages.settings.clock.today()
    before = (today - dt.timedelta(days=1)).isoformat()
    none = pages.client.get("/audit", params={"subject": quote["id"], "until": before})
    assert "0 条记录" in none.text
    wrong = pages.client.get("/audit", params={"since": "31/01/2027"})
    assert wrong.status_code == 422 and 'id="since-error"' in wrong.text


def test_the_exposure_page_shows_two_policyholders_on_one_site(pages: Pages) -> None:
    # Each company has E001 (AD&D 1,000,000) at one smelter in Indonesia and E002 (AD&D
    # 500,000) at a camp in Kenya: the smelter's book is 2 × 1,000,000 = 2,000,000, 1% of
    # the default site limit of 200,000,000.
    tag = secrets.token_hex(3)
    sites = (f"Morowali smelter {tag}", f"Nairobi camp {tag}")
    bound = []
    for name, prefix in (("甲建设集团", "91110000MA01AB"), ("乙电力公司", "91320000MA02CD")):
        broker, _ = pages.user()
        key = pages_key(pages, broker)
        body = _next_year(pages, _company(name, prefix, sites))
        made = pages.client.post(QUOTES, json=body, headers=key).json()
        policy = pages.client.post(f"{QUOTES}/{made['id']}/bind", headers=key)
        assert policy.status_code == 201, policy.text
        bound.append(made)
    _signed_in(pages, "underwriter")
    on = bound[0]["period_start"]
    page = pages.client.get("/exposure", params={"on": on})
    assert page.status_code == 200
    smelter = re.search(rf"<tr[^>]*><td>ID</td><th scope=\"row\">{sites[0]}</th>(.*?)</tr>",
                        page.text, re.S)  # fmt: skip
    assert smelter is not None
    assert "乙电力公司, 甲建设集团" in smelter[1]
    assert "¥2,000,000.00" in smelter[1] and "1%" in smelter[1]
    assert 'value="0.01"' in smelter[1]  # the meter's share of the limit
    assert "¥200,000,000.00" in page.text  # the site limit
    kenya = pages.client.get("/exposure", params={"on": on, "country": "ke"}).text
    assert sites[1] in kenya and sites[0] not in kenya
    assert pages.client.get("/exposure", params={"country": "中国"}).status_code == 422
    later = dt.date.fromisoformat(bound[0]["period_end"]) + dt.timedelta(days=1)
    out = pages.client.get("/exposure", params={"on": later.isoformat()}).text
    assert sites[0] not in out
    bad = pages.client.get("/exposure", params={"on": "tomorrow"})
    assert bad.status_code == 422 and 'id="on-error"' in bad.text
