"""What the customer reads about the underwriting decision (issue 13, finding 3): every
referral and decline reason has a Chinese and English customer text; documents never
print the engine's messages, cover codes, automatic limits, the tariff hash or a database
id; they show one status, and a policy's special conditions say what was agreed."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from typing import Any

import msgspec
import pytest

from quoting.documents import DocumentData, document_data, render_html
from quoting.documents._wording import DECLINE_TEXTS, REFERRAL_TEXTS
from quoting.schemas import Quote, QuoteRequest
from quoting.services import quote_request
from quoting.underwriting import DECLINE_REASONS
from tests.support import ROOT, TARIFF_DIR, make_request

QUOTE_ID = "q_0123456789abcdef01234567"
COVER_CODES = ("add", "amed", "smed", "evac", "sdeath", "hcash")


def member(i: int, **extra: Any) -> dict[str, Any]:
    body = {
        "member_id": f"E{i:03d}",
        "name": f"员工{i}",
        "date_of_birth": "1985-05-05",
        "occupation_class": 3,
        "country": "Kenya",
        "site": "Mombasa port",
    }
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def referred() -> tuple[QuoteRequest, Quote]:
    """70 members at one site with an AD&D sum insured of 5,000,000 each (above the
    automatic 3,000,000; 350,000,000 in all, above the group's 300,000,000; all on one
    site, above 100,000,000), two in class 6, one in Belarus (a country the tariff
    refers), one in Afghanistan (declined) and one aged 80 (declined)."""
    members = [member(i) for i in range(1, 71)]
    members[4]["occupation_class"] = members[5]["occupation_class"] = 6
    members[6]["country"] = "Belarus"
    members.append(member(71, country="Afghanistan"))
    members.append(member(72, date_of_birth="1946-01-01"))
    request = make_request(
        {"members": members},
        {"add": {"sum_insured": "5000000"}, "smed": {"limit": "300000", "deductible": "500"}},
    )
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    assert quote.status == "referred"
    assert {r.code for r in quote.referrals} >= {
        "country_refer",
        "occupation_class",
        "sum_insured_limit",
        "group_sum_insured",
        "site_accumulation",
    }
    assert {r.code for m in quote.declined for r in m.reasons} == {
        "country_declined",
        "age_out_of_range",
    }
    return request, quote


def data(
    request: QuoteRequest, quote: Quote, *, approved: bool = False, policy: str | None = None
) -> DocumentData:
    return document_data(
        quote_id=QUOTE_ID,
        quote_number="BJ2026-000123",
        created_at=dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC),
        valid_until=dt.date(2026, 12, 29),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Harbour Insurance Brokers",
        arranged_role="broker",
        tariff_root=TARIFF_DIR,
        policy_number=policy,
        bound_at=dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC) if policy else None,
        approved=approved,
    )


def text_of(html: str) -> str:
    body = html[html.index("<body") :]
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def assert_customer_language(text: str, quote: Quote) -> None:
    for referral in quote.referrals:
        assert referral.message not in text
    for declined in quote.declined:
        for reason in declined.reasons:
            assert reason.message not in text
    for code in COVER_CODES:
        assert not re.search(rf"\b{code}\b", text), code
    for limit in ("300,000,000", "100,000,000", "3,000,000"):
        assert limit not in text  # the automatic limits
    assert quote.tariff.hash not in text and quote.tariff.hash[7:19] not in text
    assert QUOTE_ID not in text
    assert "underwriter approval of" not in text


def test_every_reason_the_rules_give_has_a_customer_text() -> None:
    assert {code for _, code, _ in DECLINE_REASONS} == set(DECLINE_TEXTS)
    source = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "quoting" / "underwriting").glob("*.py")
    )
    made = set(re.findall(r'ReferralResult\(\s*"([a-z_]+)"', source))
    assert len(made) >= 9
    assert made == set(REFERRAL_TEXTS)


def test_a_referred_quote_letter_speaks_to_the_customer(
    referred: tuple[QuoteRequest, Quote],
) -> None:
    request, quote = referred
    text = text_of(render_html("quote-letter", data(request, quote)))
    assert_customer_language(text, quote)
    assert "第6类职业人员 E005、E006 需经核保" in text
    assert "Class 6 workers E005, E006 need underwriting" in text
    assert "派驻白俄罗斯的人员需经核保" in text and "Cover in Belarus needs underwriting" in text
    assert "Plan：意外身故及伤残的保险金额需经核保" in text
    assert "the amount of accidental death & disablement needs underwriting" in text
    assert "全体被保险人的意外身故及伤残保险金额合计较高，需经核保" in text
    assert "项目地点 Mombasa port 人员集中" in text
    assert "该国家/地区（阿富汗）不在承保范围内" in text
    assert "Cover is not available in this country (Afghanistan)" in text
    assert "Age outside the insurable range of" in text
    # One status, and the human quote number.
    assert text.count("待核保 · Subject to underwriting") == 1
    assert "BJ2026-000123" in text


def test_statuses_show_one_at_a_time(referred: tuple[QuoteRequest, Quote]) -> None:
    request, quote = referred
    for approved, policy, shown in [
        (False, None, "待核保 · Subject to underwriting"),
        (True, None, "核保已同意，可出单 · Approved by underwriting, ready to bind"),
        (True, "GA20260000123", "已承保 · 保险单号 GA20260000123 · Bound as policy GA20260000123"),
    ]:
        html = render_html("quote-letter", data(request, quote, approved=approved, policy=policy))
        assert html.count('class="status ') == 1
        assert shown in text_of(html)


def test_the_policy_schedule_lists_the_agreed_conditions(
    referred: tuple[QuoteRequest, Quote],
) -> None:
    request, quote = referred
    d = data(request, quote, approved=True, policy="GA20260000123")
    text = text_of(render_html("policy-schedule", d))
    assert_customer_language(text, quote)
    assert "Bound after" not in text
    special = text[text.index("特别约定") : text.index("主要除外责任")]
    assert "第6类职业人员 E005、E006 按约定承保" in special
    assert "Class 6 workers E005, E006 are insured as agreed" in special
    assert "派驻白俄罗斯的人员按约定承保" in special
    assert "Plan：意外身故及伤残按本保险单载明的保险金额承保" in special
    assert "BJ2026-000123" in text


def test_long_member_lists_are_cut_short(referred: tuple[QuoteRequest, Quote]) -> None:
    request, quote = referred
    body = msgspec.to_builtins(request)
    for m in body["census"]["members"][:20]:
        m["occupation_class"] = 6
    request = msgspec.convert(body, QuoteRequest)
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    text = text_of(render_html("quote-letter", data(request, quote)))
    assert "第6类职业人员 E001、E002、E003、E004、E005、E006、E007、E008 等 20 人 需经核保" in text
    assert "Class 6 workers E001, E002, E003, E004, E005, E006, E007, E008 and 12 others" in text
