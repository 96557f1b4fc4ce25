"""The documents without HTTP: data built from priced quotes (as the CLI does), rendered as
HTML and PDF, and the PDFs read back with pypdf. Hostile names are escaped, a 1,000-member
list repeats its header on every page, dates are shown in Chinese and English, and
certificates carry a verification code of their own.

PDFs take a second or more each (the 1,000-member list about ten), so every PDF is
rendered once per module by a fixture.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import msgspec
import pypdf
import pytest

from quoting.cli import main
from quoting.documents import (
    DOCUMENTS,
    DocumentData,
    document_data,
    render_html,
    render_pdf,
    verification_code,
)
from quoting.schemas import (
    EndorsementMember,
    EndorsementRequest,
    PolicyTotals,
    PricedEndorsement,
    Quote,
    QuoteRequest,
)
from quoting.services import decode_request, quote_request
from tests.support import ROOT, TARIFF_DIR, make_request

EXAMPLE = ROOT / "examples" / "construction_company.json"
CREATED = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC)
VALID_UNTIL = dt.date(2026, 12, 29)
BOUND = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)
POLICY = "GA20260000123"
CODE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")

HOSTILE_POLICYHOLDER = "<script>alert(1)</script>"
HOSTILE_MEMBER = "<img src=x onerror=alert(1)>"
HOSTILE_DECLINED = "<img src=y onerror=alert(2)>"
HOSTILE_PLAN = "<b onmouseover=alert(3)>Plan</b>"
HOSTILE_SITE = "</td><script>alert(4)</script>"


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def flat(text: str) -> str:
    """Text with every run of whitespace made one space (PDF lines wrap anywhere)."""
    return " ".join(text.split())


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [flat(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def grouped(amount: str | Decimal) -> str:
    return f"{Decimal(amount):,.2f}"


def priced(request: QuoteRequest) -> Quote:
    return quote_request(request, tariff_root=TARIFF_DIR)


def data_for(
    request: QuoteRequest, quote: Quote, *, policy_number: str | None = POLICY
) -> DocumentData:
    """What the documents show, built as the CLI's quote letter and the API build it."""
    return document_data(
        quote_id="q_0123456789abcdef01234567",
        created_at=CREATED,
        valid_until=VALID_UNTIL,
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Harbour Insurance Brokers",
        arranged_role="broker",
        tariff_root=TARIFF_DIR,
        policy_number=policy_number,
        bound_at=BOUND if policy_number else None,
    )


@dataclass(frozen=True)
class Example:
    request: QuoteRequest
    quote: Quote
    data: DocumentData


@pytest.fixture(scope="module")
def example() -> Example:
    request = decode_request(EXAMPLE.read_bytes(), tariff_root=TARIFF_DIR)
    quote = priced(request)
    return Example(request, quote, data_for(request, quote))


@pytest.fixture(scope="module")
def quote_letter(example: Example) -> str:
    return " ".join(pdf_pages(render_pdf("quote-letter", example.data)))


@pytest.fixture(scope="module")
def certificates(example: Example) -> list[str]:
    return pdf_pages(render_pdf("certificates", example.data))


# --------------------------------------------------------------------------- quote letter


def test_the_quote_letter_shows_dates_in_chinese_and_english(quote_letter: str) -> None:
    # Quote date, validity and the period, each both ways.
    for zh, en in [
        ("2026年11月29日", "November 29, 2026"),
        ("2026年12月29日", "December 29, 2026"),
        ("2027年1月1日", "January 1, 2027"),
        ("2027年12月31日", "December 31, 2027"),
    ]:
        assert zh in quote_letter
        assert en in quote_letter
    assert "自2027年1月1日零时起至2027年12月31日二十四时止" in quote_letter
    assert "from 00:00 on January 1, 2027 to 24:00 on December 31, 2027" in quote_letter
    assert "2027-01-01" not in quote_letter  # no raw ISO dates


def test_the_quote_letter_shows_the_quote_and_its_conditions(
    example: Example, quote_letter: str
) -> None:
    quote = example.quote
    assert "中路海外工程建设有限公司" in quote_letter
    assert "91110000MA01ABCD52" in quote_letter
    assert "q_0123456789abcdef01234567" in quote_letter
    assert "Harbour Insurance Brokers" in quote_letter
    assert f"CNY {grouped(quote.total_premium)}" in quote_letter
    assert f"CNY {grouped(quote.total_vat)}" in quote_letter
    assert quote.status == "referred"
    # One status: the quote is bound (data_for binds it), so not "subject to underwriting".
    assert f"已承保 · 保险单号 {POLICY} · Bound as policy {POLICY}" in quote_letter
    assert "Subject to underwriting" not in quote_letter and "待核保" not in quote_letter
    # Declined members are named with the reason, in the customer's words.
    assert quote.declined
    for member in quote.declined:
        assert member.member_id in quote_letter
        assert member.name in quote_letter
        for reason in example.data.declined_texts[member.member_id]:
            assert flat(reason.zh) in quote_letter
            assert flat(reason.en) in quote_letter
        for reason in member.reasons:
            assert flat(reason.message) not in quote_letter
    assert "+86 400 000 0000" in quote_letter  # assistance hotline


# --------------------------------------------------------------------------- certificates


def test_certificates_have_one_page_per_member_english_first(
    example: Example, certificates: list[str]
) -> None:
    members = example.data.members
    assert len(members) == example.quote.headcount == 55
    assert len(certificates) == len(members)
    for page, member in zip(certificates, members, strict=True):
        assert member.quote.name in page
        assert member.certificate_number == f"{POLICY}-{member.number:05d}"
        assert member.certificate_number in page
        assert member.verification_code in page
        if member.passport_no:
            assert member.passport_no in page
        assert re.search(r"Certificate of Insurance\s*保险凭证", page), page
        assert page.index("This certifies") < page.index("兹证明")
        assert page.index("Name (as in passport)") < page.index("兹证明")
        # each certificate its own document: the masthead on it, numbered by member
        assert "Example Property and Casualty Insurance Co., Ltd." in page
        assert f"保险凭证 Certificate {member.certificate_number}" in page
        assert "Page " not in page and " of 55" not in page


# --------------------------------------------------------------------------- verification codes


def test_verification_code_is_stable_and_differs_between_members(example: Example) -> None:
    first = verification_code(POLICY, f"{POLICY}-00001", "E001", "k1")
    assert CODE.match(first), first
    assert verification_code(POLICY, f"{POLICY}-00001", "E001", "k1") == first
    assert verification_code("GA20260000124", "GA20260000124-00001", "E001", "k1") != first
    assert verification_code(POLICY, f"{POLICY}-00002", "E001", "k1") != first
    assert verification_code(POLICY, f"{POLICY}-00001", "E002", "k1") != first
    # keyed: without the insurer's secret the code cannot be recomputed
    assert verification_code(POLICY, f"{POLICY}-00001", "E001", "k2") != first

    members = example.data.members
    codes = [m.verification_code for m in members]
    assert all(CODE.match(c) for c in codes)
    assert len(set(codes)) == len(codes)
    for member in members:
        assert member.verification_code == verification_code(
            POLICY, member.certificate_number, member.quote.member_id, ""
        )
    # Built again from the same quote, the codes are the same.
    again = data_for(example.request, example.quote)
    assert [m.verification_code for m in again.members] == codes


def test_an_unbound_quote_has_no_certificate_numbers_or_codes(example: Example) -> None:
    draft = data_for(example.request, example.quote, policy_number=None)
    assert draft.policy_number is None
    assert {m.certificate_number for m in draft.members} == {""}
    assert {m.verification_code for m in draft.members} == {""}


# --------------------------------------------------------------------------- hostile input


@pytest.fixture(scope="module")
def hostile() -> DocumentData:
    census = {
        "members": [
            {
                "member_id": "H1",
                "name": HOSTILE_MEMBER,
                "sex": "M",
                "date_of_birth": "1985-05-05",
                "passport_no": "E00000001",
                "occupation_class": 2,
                "country": "Kenya",
                "site": HOSTILE_SITE,
            },
            {
                "member_id": "H2",
                "name": HOSTILE_DECLINED,
                "date_of_birth": "1980-01-01",
                "occupation_class": 9,
                "country": "Kenya",
            },
        ]
    }
    request = make_request(census, {"add": {"sum_insured": "500000"}, "smed": {"limit": "300000"}})
    body = msgspec.to_builtins(request)
    body["policyholder"]["name"] = HOSTILE_POLICYHOLDER
    body["plans"][0]["name"] = HOSTILE_PLAN
    request = msgspec.convert(body, QuoteRequest)
    quote = priced(request)
    assert [m.name for m in quote.declined] == [HOSTILE_DECLINED]
    return data_for(request, quote)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_hostile_names_are_escaped_in_every_html_document(
    hostile: DocumentData, document: str
) -> None:
    html = render_html(document, hostile)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<b onmouseover" not in lowered
    # The names are still there, as text.
    assert escaped(HOSTILE_POLICYHOLDER) in html
    assert escaped(HOSTILE_PLAN) in html or document in ("member-list", "certificates")
    if document in ("member-list", "certificates"):
        assert escaped(HOSTILE_MEMBER) in html
    if document == "member-list":
        assert escaped(HOSTILE_SITE) in html
    if document == "quote-letter":
        assert escaped(HOSTILE_DECLINED) in html


def test_hostile_names_are_escaped_in_the_endorsement(hostile: DocumentData) -> None:
    part = EndorsementMember(
        member_id="E009",
        name=HOSTILE_MEMBER,
        action="add",
        kind="addition",
        start=dt.date(2027, 7, 1),
        end=dt.date(2027, 12, 31),
        days=184,
        premium="56.28",
        vat="3.19",
        lines=[],
    )
    endorsement = PricedEndorsement(
        number="GA20270000001-E01",
        seq=1,
        policy_id="pol_x",
        policy_number="GA20270000001",
        status="referred",
        effective=dt.date(2027, 7, 1),
        reason=HOSTILE_SITE,
        currency="CNY",
        premium="56.28",
        vat="3.19",
        base_version=1,
        policy_version=None,
        members=[part],
        referrals=[],
        totals=PolicyTotals(version=2, premium="1056.28", vat="59.79", headcount=3),
        created_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
        created_by="acc_x",
        request=EndorsementRequest(effective=dt.date(2027, 7, 1)),
    )
    html = render_html("endorsement", hostile, e=endorsement)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert escaped(HOSTILE_MEMBER) in html and escaped(HOSTILE_SITE) in html
    assert escaped(HOSTILE_POLICYHOLDER) in html
    assert "待核保" in html  # a referred endorsement says it is not in force yet


def test_hostile_names_show_as_plain_text_in_the_pdf(hostile: DocumentData) -> None:
    text = " ".join(pdf_pages(render_pdf("member-list", hostile)))
    assert HOSTILE_POLICYHOLDER in text
    assert HOSTILE_MEMBER in text


# --------------------------------------------------------------------------- 1,000 members


def member_name(i: int) -> str:
    return f"测试{i:04d}" if i % 2 else f"Worker {i:04d}"


@pytest.fixture(scope="module")
def big_census() -> tuple[DocumentData, list[str]]:
    members: list[dict[str, Any]] = [
        {
            "member_id": f"M{i:04d}",
            "name": member_name(i),
            "sex": "MF"[i % 2],
            "date_of_birth": f"{1970 + i % 30}-05-05",
            "passport_no": f"E{i:08d}",
            "occupation_class": 1 + i % 5,
            "country": ("Kenya", "Indonesia", "Pakistan")[i % 3],
        }
        for i in range(1, 1001)
    ]
    request = make_request({"members": members}, {"add": {"sum_insured": "500000"}})
    quote = quote_request(request, tariff_root=TARIFF_DIR, trace=False)
    assert quote.headcount == 1000
    data = data_for(request, quote)
    return data, pdf_pages(render_pdf("member-list", data))


@pytest.mark.slow
def test_a_1000_member_list_repeats_its_header_on_every_page(
    big_census: tuple[DocumentData, list[str]],
) -> None:
    data, pages = big_census
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        for header in ("护照号", "Passport", "姓名", "Name", "保险费", "Premium"):
            assert header in page, (number, header)
        assert POLICY in page
        assert f"Page {number} of {len(pages)}" in page
    text = " ".join(pages)
    missing = [member_name(i) for i in range(1, 1001) if member_name(i) not in text]
    assert not missing, missing[:10]
    assert grouped(data.quote.total_premium) in pages[-1]


# --------------------------------------------------------------------------- CLI


def test_the_cli_writes_the_quote_letter_with_the_tables_total(tmp_path: Path) -> None:
    out, err = StringIO(), StringIO()
    pdf = tmp_path / "out.pdf"
    code = main(["quote", str(EXAMPLE), "--pdf", str(pdf)], out=out, err=err)
    assert code == 0, err.getvalue()
    match = re.search(r"Total premium \(VAT included\): (CNY [\d,]+\.\d\d)", out.getvalue())
    assert match, out.getvalue()
    vat = re.search(r"of which VAT: +(CNY [\d,]+\.\d\d)", out.getvalue())
    assert vat, out.getvalue()
    text = " ".join(pdf_pages(pdf.read_bytes()))
    assert match.group(1) in text
    assert vat.group(1) in text
    assert "中路海外工程建设有限公司" in text
    assert re.search(r"DRAFT-[0-9A-F]{10}", text)
    # An unsaved quote is a draft, and says so on every page.
    for page in pdf_pages(pdf.read_bytes()):
        assert "草稿 DRAFT" in page
    assert "quoting CLI" not in text


# --------------------------------------------------------------------------- tables and terms


def test_benefit_tables_use_the_customer_terms(quote_letter: str) -> None:
    # Co-insurance is what the insurer pays: "Benefit %", not the insured's share.
    assert "赔付比例 Benefit %" in quote_letter
    assert "Co-insurance" not in quote_letter
    # Deductibles with their currency; sickness medical per visit, accident medical per
    # accident (plan B: smed 500 at 80 %, amed 200 at 80 %; plan A's smed has none).
    assert "CNY 500 每次就诊 · per visit" in quote_letter
    assert "CNY 200 每次事故 · per accident" in quote_letter
    assert "CNY 100 每次事故 · per accident" in quote_letter
    assert "per claim" not in quote_letter
    assert "无 none" in quote_letter


def test_vat_exempt_medical_cover_reads_exempt(example: Example, quote_letter: str) -> None:
    # Medical cover of a policy of 12 months is VAT-exempt (tariff vat_exempt_min_months).
    smed = next(r for r in example.quote.summary.by_cover if r.key == "smed")
    assert smed.vat == "0.00"
    assert example.data.vat_exempt == {"smed"}
    assert f"{grouped(smed.premium)} 免税 exempt" in quote_letter
    schedule = " ".join(pdf_pages(render_pdf("policy-schedule", example.data)))
    assert f"{grouped(smed.premium)} 免税 exempt" in schedule


def test_census_tables_have_total_rows(example: Example, quote_letter: str) -> None:
    quote = example.quote
    total = example.data.census_total
    # No minimum-premium adjustments in the example: the rows add up to the total premium.
    assert quote.adjustments == []
    assert total.premium == Decimal(quote.total_premium) == Decimal("670651.94")
    assert total.headcount == quote.headcount == 55
    # 670,651.94 / 55 = 12,193.6716… → 12,193.67
    assert total.per_member == Decimal("12193.67")
    row = "合计 Total 55 670,651.94 12,193.67"
    assert quote_letter.count(row) == 2  # by country and by class
    assert sum(Decimal(r.premium) for r in quote.summary.by_class) == total.premium


def test_the_member_list_shows_id_plan_and_every_cover(example: Example) -> None:
    html = render_html("member-list", example.data)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    cells = {
        m[1]: m
        for m in (
            [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows
        )
        if len(m) > 1
    }
    # Plan A covers everything: AD&D 1,000,000, accident medical 100,000, sickness medical
    # 1,000,000, evacuation 500,000, sickness death 200,000, hospital cash 200 a day.
    first = cells["E001"]
    assert first[2] == "李娜"
    assert first[9] == "计划A — 管理及工程技术人员"  # the Chinese name, when the plan has one
    assert first[11:17] == ["1,000,000", "100,000", "1,000,000", "500,000", "200,000", "200"]
    # Plan B has no hospital cash.
    third = cells["E003"]
    assert third[9] == "计划B — 现场作业人员"
    assert third[11:17] == ["500,000", "50,000", "300,000", "300,000", "100,000", "—"]
    # Members on the policy's period say so; the others show their own.
    assert first[10] == "全期 full term"
    assert any(re.fullmatch(r"2027-03-01 – 2027-12-31", row[10]) for row in cells.values())


def test_a_name_ending_in_a_full_stop_gets_no_second_one(certificates: list[str]) -> None:
    # The policyholder is "… China Road Overseas Engineering Co., Ltd."
    assert "Co., Ltd.." not in certificates[0]
    assert (
        "to 中路海外工程建设有限公司 China Road Overseas Engineering Co., Ltd." in certificates[0]
    )


def test_the_policy_schedule_states_premium_in_words_and_the_beneficiary(
    example: Example,
) -> None:
    text = " ".join(pdf_pages(render_pdf("policy-schedule", example.data)))
    assert example.quote.total_premium == "670651.94"
    assert "保险费合计（大写）：人民币陆拾柒万零陆佰伍拾壹元玖角肆分" in text
    assert "身故受益人 Death beneficiary 法定 The insured's legal heirs" in text


def test_the_territorial_scope_never_lists_the_home_country() -> None:
    census = {
        "members": [
            {"member_id": "A1", "name": "甲", "age": 40, "occupation_class": 2, "country": "KE"},
            {"member_id": "A2", "name": "乙", "age": 40, "occupation_class": 2, "country": "CN"},
        ]
    }
    request = make_request(census, {"add": {"sum_insured": "500000"}})
    quote = priced(request)
    assert {m.country for m in quote.members} == {"KE", "CN"}
    html = render_html("policy-schedule", data_for(request, quote))
    scope = html[html.index("承保区域") : html.index("报价编号")]
    assert "肯尼亚 Kenya (KE)" in scope
    assert "中国" not in scope and "(CN)" not in scope
