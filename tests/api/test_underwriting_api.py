"""The underwriting workbench through the API, on SQLite and PostgreSQL: the referral
queue, sending, deciding (approve with a loading and conditions, decline, ask and
answer), authority limits and upward referral, the audit trail (append-only in the
database) and book accumulation across two policyholders on one site."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from quoting.services import Context
from quoting.services.authority import SetAuthority, set_authority
from quoting.store import Database
from tests.api.conftest import Api, ApiFactory, Caller
from tests.api.test_binding_api import bind, create, small_body
from tests.support import CREDIT_CODE

QUOTES = "/api/v1/quotes"


def referred_small_body() -> dict[str, Any]:
    """The small example with E002 in occupation class 6: referred (class above 5)."""
    body = small_body()
    member = body["census"]["members"][1]
    member["occupation_class"] = 6
    return body


def decide(api: Api, caller: Caller, quote_id: str, **body: Any) -> Any:
    return api.client.post(f"{QUOTES}/{quote_id}/decision", json=body, headers=caller.headers)


def queue(api: Api, caller: Caller, **params: Any) -> dict[str, Any]:
    response = api.client.get("/api/v1/referrals", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def audit(api: Api, caller: Caller, **params: Any) -> list[dict[str, Any]]:
    response = api.client.get("/api/v1/audit", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _line(quote: dict[str, Any], member: str, cover: str) -> dict[str, Any]:
    found = next(m for m in quote["members"] if m["member_id"] == member)
    return next(line for line in found["lines"] if line["cover"] == cover)


def test_a_referred_quote_is_queued_sent_and_approved_with_a_loading(api: Api) -> None:
    broker, underwriter = api.account(), api.account("underwriter")
    quote = create(api, broker, referred_small_body())
    assert quote["status"] == "referred"
    listed = queue(api, underwriter, limit=200)
    [item] = [i for i in listed["items"] if i["quote_id"] == quote["id"]]
    assert item["reasons"][0]["code"] == "occupation_class"
    assert (item["headcount"], item["total_premium"]) == (2, quote["total_premium"])
    assert item["countries"] == ["ID", "KE"] and item["state"] == "waiting"
    others = queue(api, underwriter, reason="country_refer", country="ID", limit=200)["items"]
    assert quote["id"] not in [i["quote_id"] for i in others]

    sent = api.client.post(
        f"{QUOTES}/{quote['id']}/referral", json={"message": "长期客户"}, headers=broker.headers
    )
    assert sent.status_code == 200 and sent.json()["message"] == "长期客户"
    [sent_item] = [i for i in queue(api, underwriter, country="KE", limit=200)["items"]
                   if i["quote_id"] == quote["id"]]  # fmt: skip
    assert sent_item["asked_by"] == broker.id

    conditions = {"zh": "夜间禁止出行", "en": "No travel at night"}
    response = decide(
        api, underwriter, quote["id"], decision="approve", adjustment=0.10,
        reason="site security", conditions=conditions,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "approved"
    after = api.client.get(f"{QUOTES}/{quote['id']}", headers=broker.headers).json()
    # Hand check from the stored trace: the E001 AD&D line was
    # technical / divisor × (1 + 0) × 1.06 / 1 = premium_per_member; with u = 0.10 it is
    # that × 1.10, rounded half-up once (e.g. 1395.674971478 × 1.1 = 1535.2424686 → 1535.24).
    before_line, after_line = _line(quote, "E001", "add"), _line(after, "E001", "add")
    assert after_line["factors"]["adjustment_factor"] == pytest.approx(1.1)
    expected = Decimal(repr(before_line["factors"]["premium_per_member"] * 1.1))
    assert after_line["premium"] == str(expected.quantize(Decimal("0.01"), ROUND_HALF_UP))
    decision = after["underwriting"]
    assert decision["conditions"] == conditions and decision["adjustment"] == 0.1
    assert decision["premium_before"] == quote["total_premium"]
    assert Decimal(decision["premium_before"]) + Decimal(decision["adjustment_premium"]) == (
        Decimal(after["total_premium"])
    )
    letter = api.client.get(
        f"{QUOTES}/{quote['id']}/documents/quote-letter.html", headers=broker.headers
    )
    assert "夜间禁止出行" in letter.text and "No travel at night" in letter.text
    repriced = api.client.post(f"{QUOTES}/{quote['id']}/reprice", headers=underwriter.headers)
    assert repriced.json()["same_as_stored"] is True
    policy = bind(api, broker, quote["id"])
    assert policy.status_code == 201
    schedule = api.client.get(
        f"/api/v1/policies/{policy.json()['id']}/documents/policy-schedule.html",
        headers=broker.headers,
    )
    assert "夜间禁止出行" in schedule.text and "No travel at night" in schedule.text

    trail = audit(api, underwriter, subject=quote["id"])
    kinds = [e["kind"] for e in trail]
    assert kinds == ["quote.created", "referral.sent", "referral.approved", "quote.bound"]
    approved = trail[2]["data"]
    assert approved["before"]["total_premium"] == quote["total_premium"]
    assert approved["after"]["total_premium"] == after["total_premium"]
    assert (approved["before"]["adjustment"], approved["after"]["adjustment"]) == ("0", "0.1")
    assert trail[2]["account_id"] == underwriter.id


def test_decisions_beyond_authority_are_refused_and_referred_upward(api: Api) -> None:
    broker, underwriter, senior = (
        api.account(),
        api.account("underwriter"),
        api.account("underwriter"),
    )
    context = Context(clock=api.store.context.clock, tariff_root=api.store.context.tariff_root)
    set_authority(api.store.uow, context, SetAuthority(senior.id, adjustment="0.30"))
    quote = create(api, broker, referred_small_body())

    refused = decide(api, underwriter, quote["id"], decision="approve", adjustment=0.2,
                     reason="claims")  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/authority-exceeded"
    assert "beyond your adjustment authority of ±15%" in refused.json()["detail"]
    [item] = [i for i in queue(api, senior, limit=200)["items"] if i["quote_id"] == quote["id"]]
    assert "±15%" in item["escalation"]
    assert decide(api, senior, quote["id"], decision="approve", adjustment=0.2,
                  reason="claims").status_code == 200  # fmt: skip

    # A sum-insured authority below the member's AD&D 1,000,000 is refused naming it.
    small = api.account("underwriter")
    set_authority(api.store.uow, context, SetAuthority(small.id, sum_insured="500000"))
    other = create(api, broker, referred_small_body())
    refused = decide(api, small, other["id"], decision="approve", reason="ok")
    assert refused.status_code == 403
    assert "sum insured of 1,000,000 is beyond your authority of 500,000" in refused.text
    # Agents and brokers decide nothing; nobody decides their own quote.
    assert decide(api, broker, other["id"], decision="approve", reason="x").status_code == 403
    mine = create(api, underwriter, referred_small_body())
    assert decide(api, underwriter, mine["id"], decision="decline", reason="x").status_code == 403


def test_decline_and_question_and_answer(api: Api) -> None:
    broker, underwriter = api.account(), api.account("underwriter")
    asked = create(api, broker, referred_small_body())
    response = decide(api, underwriter, asked["id"], decision="ask", question="工地是否有安保?")
    assert response.json()["state"] == "information_requested"
    seen = api.client.get(f"{QUOTES}/{asked['id']}/referral", headers=broker.headers).json()
    assert seen["question"] == "工地是否有安保?"
    answer = api.client.post(
        f"{QUOTES}/{asked['id']}/answers", json={"answer": "有, 24小时"}, headers=broker.headers
    )
    assert answer.status_code == 200 and answer.json()["state"] == "waiting"
    again = api.client.post(
        f"{QUOTES}/{asked['id']}/answers", json={"answer": "x"}, headers=broker.headers
    )
    assert again.status_code == 409

    declined = create(api, broker, referred_small_body())
    no_reason = decide(api, underwriter, declined["id"], decision="decline")
    assert no_reason.status_code == 400 and "reason" in no_reason.text
    assert decide(api, underwriter, declined["id"], decision="decline", reason="class 6 blasting"
                  ).status_code == 200  # fmt: skip
    refused = bind(api, broker, declined["id"])
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/quote-declined"
    assert decide(api, underwriter, declined["id"], decision="approve", reason="y").status_code == (
        409
    )
    kinds = [e["kind"] for e in audit(api, underwriter, kind="referral", subject=declined["id"])]
    assert kinds == ["referral.declined"]
    kinds = [e["kind"] for e in audit(api, underwriter, kind="referral", subject=asked["id"])]
    assert kinds == ["referral.information_requested", "referral.answered"]


def test_the_events_table_refuses_update_and_delete(api: Api) -> None:
    broker = api.account()
    create(api, broker)
    database = Database(api.settings.database.url)
    read = sa.text("SELECT id, kind, subject_id, data FROM events ORDER BY id")
    try:
        with database.engine.connect() as conn:
            before = conn.execute(read).all()
        for statement in ("UPDATE events SET kind = 'x'", "DELETE FROM events"):
            with (
                pytest.raises(sa.exc.DBAPIError, match="append-only"),
                database.engine.begin() as conn,
            ):
                conn.execute(sa.text(statement))
        with database.engine.connect() as conn:
            assert conn.execute(read).all() == before  # every event untouched
    finally:
        database.dispose()


def _company(name: str, code_prefix: str, sites: tuple[str, str]) -> dict[str, Any]:
    from quoting.schemas import credit_code_check_char

    body = small_body()
    for member, site in zip(body["census"]["members"], sites, strict=True):
        member["site"] = site
    first = code_prefix + CREDIT_CODE[len(code_prefix) : 17]
    body["policyholder"] = {"name": name, "credit_code": first + credit_code_check_char(first)}
    return body


def test_book_accumulation_across_two_policyholders_on_one_site(api_with: ApiFactory) -> None:
    # Site limit 1,500,000: each company has E001 (AD&D 1,000,000) at one smelter in
    # Indonesia and E002 (AD&D 500,000) at one camp in Kenya (names of this test's own:
    # the PostgreSQL database is shared by the session's tests).
    api = api_with(QUOTING_BOOK_SITE_LIMIT="1500000")
    tag = secrets.token_hex(3)
    sites = (f"Morowali smelter {tag}", f"Nairobi camp {tag}")
    first_broker, second_broker = api.account(), api.account()
    underwriter = api.account("underwriter")
    first = create(api, first_broker, _company("甲建设集团", "91110000MA01AB", sites))
    second = create(api, second_broker, _company("乙电力公司", "91320000MA02CD", sites))
    assert first["status"] == second["status"] == "accepted"
    assert bind(api, first_broker, first["id"]).status_code == 201
    # 1,000,000 on the site + 1,000,000 = 2,000,000 > 1,500,000: referred at binding.
    refused = bind(api, second_broker, second["id"])
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/book-accumulation"
    assert "book 1,000,000 + this quote 1,000,000 = 2,000,000" in refused.json()["detail"]
    book_queue = queue(api, underwriter, reason="book_accumulation", limit=200)["items"]
    assert second["id"] in [i["quote_id"] for i in book_queue]
    assert decide(api, underwriter, second["id"], decision="approve", reason="two contractors "
                  "with separate camps").status_code == 200  # fmt: skip
    assert bind(api, second_broker, second["id"]).status_code == 201

    book = api.client.get(
        "/api/v1/exposure", params={"on": "2027-06-30"}, headers=underwriter.headers
    ).json()
    site = next(s for s in book["sites"] if s["site"] == sites[0])
    assert site["country"] == "ID"
    assert site["policyholders"] == ["乙电力公司", "甲建设集团"]
    assert (site["add_sum_insured"], site["limit"], site["over_limit"]) == (
        "2000000.00", "1500000.00", True
    )  # fmt: skip
    kenya = next(s for s in book["sites"] if s["site"] == sites[1])
    assert (kenya["country"], kenya["add_sum_insured"]) == ("KE", "1000000.00")  # 2 × 500,000
    assert (kenya["headcount"], kenya["over_limit"]) == (2, False)
    country = {c["country"]: Decimal(c["add_sum_insured"]) for c in book["countries"]}
    assert country["ID"] >= Decimal("2000000.00")
    out_of_force = api.client.get(
        "/api/v1/exposure", params={"on": "2028-01-01"}, headers=underwriter.headers
    ).json()
    assert sites[0] not in {s["site"] for s in out_of_force["sites"]}
    forbidden = api.client.get("/api/v1/exposure", headers=first_broker.headers)
    assert forbidden.status_code == 403


def test_referral_queue_and_audit_need_underwriters(api: Api) -> None:
    agent = api.account("agent")
    for path in ("/api/v1/referrals", "/api/v1/audit"):
        assert api.client.get(path, headers=agent.headers).status_code == 403
    assert json.loads(api.client.get("/api/v1/referrals").text)["status"] == 401


def test_the_audit_trails_next_page_keeps_every_filter(api: Api) -> None:
    broker, underwriter = api.account(), api.account("underwriter")
    made = [create(api, broker)["id"] for _ in range(4)]
    created = {
        e["subject_id"]: e["occurred_at"] for e in audit(api, underwriter, account=broker.id)
    }

    def shanghai(stamp: str) -> str:  # "+08:00" in a query string must be encoded
        return dt.datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()

    # The second and third quotes: since the second (inclusive), until the fourth (exclusive).
    params = {"kind": "quote.created", "account": broker.id, "limit": 1}
    params |= {"since": shanghai(created[made[1]]), "until": shanghai(created[made[3]])}
    response = api.client.get("/api/v1/audit", params=params, headers=underwriter.headers)
    assert response.status_code == 200, response.text
    first = response.json()
    assert ([e["subject_id"] for e in first["items"]], first["total"]) == ([made[1]], 2)
    following = api.client.get(first["next"], headers=underwriter.headers)
    assert following.status_code == 200, following.text
    second = following.json()
    assert ([e["subject_id"] for e in second["items"]], second["total"]) == ([made[2]], 2)
    assert second["next"] is None
