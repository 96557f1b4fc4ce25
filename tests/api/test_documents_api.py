"""Documents through the broker API: a broker binds the small example quote and downloads
the quote letter, schedule of benefits, policy schedule, member list and certificates, as
PDF and as HTML. What the PDFs say is read back with pypdf.

Rendering a PDF takes up to a second, so each backend gets one app, one bound quote and
one download of each document for the whole module (fetched on first use, then reused).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from litestar.testing import TestClient

from api import create_app
from tests.api.conftest import Api, Caller, example_request, make_settings
from tests.support import StoreProbe

QUOTES = "/api/v1/quotes"
POLICIES = "/api/v1/policies"
QUOTE_DOCUMENTS = ("quote-letter", "benefits")
POLICY_DOCUMENTS = ("policy-schedule", "member-list", "certificates")
CHINESE_NAME = "中路海外工程建设有限公司"


def grouped(amount: str) -> str:
    """A stored amount ("31720.91") as documents show it ("31,720.91")."""
    return f"{Decimal(amount):,.2f}"


def flat(text: str) -> str:
    """Text with every run of whitespace made one space (PDF lines wrap anywhere)."""
    return " ".join(text.split())


@dataclass
class Bound:
    """One backend's app with a broker's bound example quote and its downloaded documents."""

    api: Api
    broker: Caller
    quote: dict[str, Any]
    policy: dict[str, Any]
    _responses: dict[str, Any] = field(default_factory=dict)
    _pages: dict[str, list[str]] = field(default_factory=dict)

    def url(self, filename: str) -> str:
        name = filename.rpartition(".")[0]
        if name in QUOTE_DOCUMENTS:
            return f"{QUOTES}/{self.quote['id']}/documents/{filename}"
        return f"{POLICIES}/{self.policy['id']}/documents/{filename}"

    def get(self, filename: str) -> Any:
        """The broker's download of a document (each one fetched once per backend)."""
        if filename not in self._responses:
            self._responses[filename] = self.api.client.get(
                self.url(filename), headers=self.broker.headers
            )
        return self._responses[filename]

    def pages(self, name: str) -> list[str]:
        """The text of each page of a PDF document, whitespace flattened."""
        if name not in self._pages:
            response = self.get(f"{name}.pdf")
            assert response.status_code == 200, response.text
            reader = pypdf.PdfReader(io.BytesIO(response.content))
            self._pages[name] = [flat(page.extract_text()) for page in reader.pages]
        return self._pages[name]

    def text(self, name: str) -> str:
        return " ".join(self.pages(name))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bound(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bound]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('documents') / 'quoting.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    settings = make_settings(url, QUOTING_RATE_LIMIT="10000/minute")
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        api = Api(client, store, settings)
        broker = api.account(name="Harbour Insurance Brokers")
        created = client.post(QUOTES, json=json.loads(example_request()), headers=broker.headers)
        assert created.status_code == 201, created.text
        quote = created.json()
        assert quote["status"] == "accepted"
        response = client.post(f"{QUOTES}/{quote['id']}/bind", headers=broker.headers)
        assert response.status_code == 201, response.text
        yield Bound(api, broker, quote, response.json())
        store.dispose()


def assert_not_found(response: Any) -> dict[str, Any]:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/not-found"
    assert problem["status"] == 404
    return problem


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("name", QUOTE_DOCUMENTS + POLICY_DOCUMENTS)
def test_each_document_downloads_as_a_pdf_attachment(bound: Bound, name: str) -> None:
    response = bound.get(f"{name}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    match = re.fullmatch(r'attachment; filename="([^"/\\]+)"', disposition)
    assert match, disposition
    filename = match.group(1)
    assert filename.endswith(f"{name}.pdf")
    reference = bound.quote["id"] if name in QUOTE_DOCUMENTS else bound.policy["policy_number"]
    assert reference in filename
    assert response.content.startswith(b"%PDF-")
    assert b"%%EOF" in response.content[-1024:]
    assert len(bound.pages(name)) >= 1


@pytest.mark.parametrize("name", QUOTE_DOCUMENTS + POLICY_DOCUMENTS)
def test_each_document_is_also_html(bound: Bound, name: str) -> None:
    response = bound.get(f"{name}.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "charset=utf-8" in response.headers["content-type"].lower()
    assert 'filename="' in response.headers["content-disposition"]
    assert response.headers["content-disposition"].rstrip('"').endswith(f"{name}.html")
    html = response.text
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert CHINESE_NAME in html


def test_the_policy_links_lead_to_its_documents(bound: Bound) -> None:
    links = bound.policy["links"]["documents"]
    for name in POLICY_DOCUMENTS:
        for fmt in ("pdf", "html"):
            assert links[f"{name}.{fmt}"] == bound.url(f"{name}.{fmt}")


# --------------------------------------------------------------------------- content


def test_the_quote_letter_shows_policyholder_premium_and_vat(bound: Bound) -> None:
    text = bound.text("quote-letter")
    quote = bound.quote
    assert CHINESE_NAME in text
    assert "China Road Overseas Engineering Co., Ltd." in text
    assert "91110000MA01ABCD52" in text
    # The quote's number for people, never its database id or the tariff hash.
    assert re.fullmatch(r"BJ20\d\d-\d{6}", quote["number"]), quote["number"]
    assert quote["number"] in text
    assert quote["id"] not in text
    assert quote["tariff"]["hash"] not in text
    assert "报价函" in text and "Quotation" in text
    assert f"CNY {grouped(quote['total_premium'])}" in text
    assert f"CNY {grouped(quote['total_vat'])}" in text
    assert "Harbour Insurance Brokers" in text
    # Premium by country and class, and the member count.
    for row in quote["summary"]["by_country"]:
        assert grouped(row["premium"]) in text
    assert f"{quote['headcount']} insured members" in text


def test_the_schedule_of_benefits_lists_every_plan_and_cover(bound: Bound) -> None:
    text = bound.text("benefits")
    assert "保障计划表" in text and "Schedule of Benefits" in text
    assert "Plan A — management and engineers" in text
    assert "Plan B — site workers" in text
    assert "CNY 1,000,000" in text  # plan A's AD&D sum insured
    assert "CNY 300,000" in text  # plan B's sickness medical limit
    assert "90%" in text and "80%" in text  # co-insurance


def test_the_policy_schedule_shows_number_period_and_premium(bound: Bound) -> None:
    text = bound.text("policy-schedule")
    number = bound.policy["policy_number"]
    assert number in text
    assert CHINESE_NAME in text
    assert "自2027年1月1日零时起至2027年12月31日二十四时止" in text
    assert "from 00:00 on January 1, 2027 to 24:00 on December 31, 2027" in text
    assert "印度尼西亚 Indonesia (ID)" in text and "肯尼亚 Kenya (KE)" in text
    assert f"CNY {grouped(bound.quote['total_premium'])}" in text
    assert f"CNY {grouped(bound.quote['total_vat'])}" in text


def test_the_member_list_names_every_member_with_premium(bound: Bound) -> None:
    text = bound.text("member-list")
    assert bound.policy["policy_number"] in text
    for member in bound.quote["members"]:
        assert member["name"] in text
        assert grouped(member["premium"]) in text
    assert "E12345678" in text  # 李娜's passport
    assert grouped(bound.quote["total_premium"]) in text


def test_certificates_have_one_page_per_member_in_english_first(bound: Bound) -> None:
    pages = bound.pages("certificates")
    members = bound.quote["members"]
    number = bound.policy["policy_number"]
    assert len(pages) == len(members)
    codes = set()
    for index, (page, member) in enumerate(zip(pages, members, strict=True), start=1):
        assert member["name"] in page
        assert number in page
        assert f"{number}-{index:05d}" in page  # the certificate number
        assert re.search(r"Certificate of Insurance\s*保险凭证", page), page
        assert page.index("This certifies") < page.index("兹证明")
        code = re.search(r"Verification code: ([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4})", page)
        assert code, page
        assert f"验证码：{code.group(1)}" in page
        codes.add(code.group(1))
    assert len(codes) == len(members)


def test_totals_in_the_documents_equal_the_stored_quote(bound: Bound) -> None:
    stored = bound.api.client.get(f"{QUOTES}/{bound.quote['id']}", headers=bound.broker.headers)
    assert stored.status_code == 200
    quote = stored.json()
    assert quote["total_premium"] == bound.policy["total_premium"]
    total = grouped(quote["total_premium"])
    for name in ("quote-letter", "policy-schedule", "member-list"):
        assert total in bound.text(name), name
    # And the members' premiums add up to it in the member list.
    member_sum = sum(Decimal(m["premium"]) for m in quote["members"]) + sum(
        (Decimal(a["premium"]) for a in quote["adjustments"]), Decimal(0)
    )
    assert member_sum == Decimal(quote["total_premium"])


# --------------------------------------------------------------------------- errors and access


@pytest.mark.parametrize(
    "where, filename",
    [
        ("quote", "nope.pdf"),
        ("quote", "quote-letter.docx"),
        ("quote", "quote-letter"),
        ("quote", "policy-schedule.pdf"),
        ("policy", "quote-letter.pdf"),
        ("policy", "certificates.txt"),
    ],
)
def test_an_unknown_document_is_a_404_problem(bound: Bound, where: str, filename: str) -> None:
    base = (
        f"{QUOTES}/{bound.quote['id']}" if where == "quote" else f"{POLICIES}/{bound.policy['id']}"
    )
    response = bound.api.client.get(f"{base}/documents/{filename}", headers=bound.broker.headers)
    problem = assert_not_found(response)
    assert filename in problem["detail"]


def test_another_broker_cannot_download_the_documents(bound: Bound) -> None:
    other = bound.api.account()
    for filename in (
        "quote-letter.pdf",
        "benefits.html",
        "policy-schedule.pdf",
        "member-list.html",
    ):
        assert_not_found(bound.api.client.get(bound.url(filename), headers=other.headers))
    missing = f"{POLICIES}/pol_000000000000000000000000/documents/certificates.html"
    assert_not_found(bound.api.client.get(missing, headers=bound.broker.headers))
    missing = f"{QUOTES}/q_000000000000000000000000/documents/quote-letter.html"
    assert_not_found(bound.api.client.get(missing, headers=bound.broker.headers))


def test_documents_need_an_api_key_and_underwriters_may_read_them(bound: Bound) -> None:
    assert bound.api.client.get(bound.url("quote-letter.html")).status_code == 401
    assert bound.api.client.get(bound.url("certificates.html")).status_code == 401
    underwriter = bound.api.account("underwriter")
    response = bound.api.client.get(bound.url("member-list.html"), headers=underwriter.headers)
    assert response.status_code == 200
    assert bound.policy["policy_number"] in response.text


def test_an_unbound_quote_has_a_quote_letter_but_no_policy(bound: Bound) -> None:
    api, broker = bound.api, bound.broker
    body = json.loads(example_request())
    quote = api.client.post(QUOTES, json=body, headers=broker.headers).json()
    response = api.client.get(
        f"{QUOTES}/{quote['id']}/documents/quote-letter.html", headers=broker.headers
    )
    assert response.status_code == 200
    assert quote["number"] in response.text and quote["id"] not in response.text
    assert body["policyholder"]["name"] in response.text
    # Numbers follow on: this quote was stored after the bound one.
    first, second = (int(q["number"].rsplit("-", 1)[1]) for q in (bound.quote, quote))
    assert second > first
    listed = api.client.get(QUOTES, headers=broker.headers).json()["items"]
    assert {q["id"]: q["number"] for q in listed}[quote["id"]] == quote["number"]


# --------------------------------------------------------------------------- fonts in a browser

FONT_URL = re.compile(
    r'@font-face \{ font-family: "([^"]+)"; font-weight: (\d+); src: url\("([^"]+)"\)'
)


@pytest.mark.parametrize("name", QUOTE_DOCUMENTS + POLICY_DOCUMENTS)
def test_an_html_document_loads_its_fonts_from_the_server(bound: Bound, name: str) -> None:
    html = bound.get(f"{name}.html").text
    faces = FONT_URL.findall(html)
    assert [(family, weight) for family, weight, _ in faces] == [
        ("Noto Sans", "400"),
        ("Noto Sans", "700"),
        ("Noto Sans SC", "400"),
        ("Noto Sans SC", "700"),
    ]
    assert 'font-family: "Noto Sans", "Noto Sans SC"' in html
    for _, _, url in faces:
        # An absolute URL of this server (a saved document still finds its fonts) …
        assert re.fullmatch(
            r"http://testserver\.local/documents/fonts/NotoSans(SC)?-(Regular|Bold)\.[0-9a-f]{12}\.ttf",
            url,
        ), url
        # … that answers without a key, as a font a browser may keep for a year.
        response = bound.api.client.get(url.removeprefix("http://testserver.local"))
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "font/ttf"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        digest = url.rsplit(".", 2)[-2]
        assert response.headers["etag"] == f'"{digest}"'
        assert hashlib.sha256(response.content).hexdigest().startswith(digest)
        assert response.content[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    # The document's CSP lets it load them (same origin), and nothing else.
    csp = bound.get(f"{name}.html").headers["content-security-policy"]
    assert "font-src 'self'" in csp and "script-src" not in csp


@pytest.mark.parametrize(
    "path",
    [
        "/documents/fonts/NotoSans-Regular.ttf",  # the file's own name: not published
        "/documents/fonts/NotoSans-Regular.000000000000.ttf",
        "/documents/fonts/OFL.txt",
        "/documents/fonts/subset_fonts.py",
        "/documents/fonts/..%2F..%2Fpyproject.toml",
        "/documents/fonts/%2E%2E%2Fdocuments%2Fbase.html",
        "/documents/fonts/..%5C..%5Cpyproject.toml",
    ],
)
def test_only_the_published_fonts_are_served(bound: Bound, path: str) -> None:
    response = bound.api.client.get(path)
    assert response.status_code == 404, (path, response.headers.get("content-type"))
    assert b"[project]" not in response.content and b"<html" not in response.content
