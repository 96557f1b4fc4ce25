"""A policy's documents as of any version of its member list, and the certificates of the
members an endorsement adds or changes, through the broker API on SQLite and PostgreSQL.

The small example (E001 李娜 in Indonesia, E002 Wang Qiang in Kenya; calendar year 2027)
is bound, then endorsed three times: E003 joins on 1 March (version 2), E002 leaves on
1 July (version 3), E001 moves to Weda Bay on 15 September (version 4). What the PDFs say
is read back with pypdf; certificates are read as HTML (one PDF page each is slow)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pypdf

from quoting.clock import FixedClock
from tests.api.conftest import Api, ApiFactory, Caller
from tests.api.test_binding_api import assert_problem
from tests.api.test_endorsements_api import POLICIES, endorse, joiner, policy_of

VERIFY = re.compile(r"/verify/([0-9a-f]{24}-[0-9]+-[A-Z2-7]{16})")
ENDORSEMENTS = (
    {"effective": "2027-03-01", "add": [joiner("E003", site="Mombasa port")], "reason": "join"},
    {"effective": "2027-07-01", "remove": [{"member_id": "E002"}], "reason": "rotation"},
    {"effective": "2027-09-15", "change": [{"member_id": "E001", "site": "Weda Bay"}]},
)


def endorsed(api: Api, broker: Caller) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The bound policy and its three endorsements."""
    policy = policy_of(api, broker)
    results = []
    for body in ENDORSEMENTS:
        response = endorse(api, broker, policy["id"], body)
        assert response.status_code == 201, response.text
        results.append(response.json())
    return policy, results


def pdf_text(response: Any) -> str:
    assert response.status_code == 200, response.text
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def grouped(amount: str) -> str:
    return f"{Decimal(amount):,.2f}"


def test_the_member_list_and_schedule_as_of_each_version(api: Api) -> None:
    broker, other = api.account("broker"), api.account("broker")
    policy, results = endorsed(api, broker)
    pid, number = policy["id"], policy["policy_number"]
    docs = f"{POLICIES}/{pid}/documents"

    def total(version: int) -> str:
        body = api.client.get(f"{POLICIES}/{pid}?version={version}", headers=broker.headers)
        return str(body.json()["total_premium"])

    # Version 1 is the policy as bound: the two members, the bound premium.
    first = pdf_text(api.client.get(f"{docs}/member-list.pdf?version=1", headers=broker.headers))
    assert "E001" in first and "E002" in first and "E003" not in first
    assert f"合计 Total · 2 人 members {grouped(policy['total_premium'])}" in first

    # The default is the newest version (4): a row per member and period of cover.
    newest = api.client.get(f"{docs}/member-list.pdf", headers=broker.headers)
    assert newest.headers["content-disposition"] == (
        f'attachment; filename="{number}-v4-member-list.pdf"'
    )
    text = pdf_text(newest)
    assert total(4) == results[2]["totals"]["premium"]
    assert f"合计 Total · 3 人 members {grouped(total(4))}" in text
    # E002 left on 1 July: covered to 30 June; E003 joined on 1 March; E001 moved site
    # on 15 September: the old site to the 14th, the new one from the 15th.
    assert "2027-01-01 – 2027-06-30" in text
    assert "2027-03-01 – 2027-12-31" in text
    assert "2027-01-01 – 2027-09-14" in text and "2027-09-15 – 2027-12-31" in text
    # A member's rows are together, in certificate number order (E001, E002, E003).
    assert text.index("2027-09-14") < text.index("2027-09-15") < text.index("E002")
    assert "Weda Bay" in text and "Morowali" in text and "Mombasa port" in text
    # E003's row is their segment as the first endorsement priced it (306/365 of the
    # annual line: the endorsement's own premium).
    assert grouped(results[0]["premium"]) in text

    # The schedule as of version 3 states it and the endorsement it follows, with the
    # version's totals (the bound premium plus the first two endorsements').
    schedule = api.client.get(f"{docs}/policy-schedule.pdf?version=3", headers=broker.headers)
    text = pdf_text(schedule)
    assert schedule.headers["content-disposition"].endswith(f'"{number}-v3-policy-schedule.pdf"')
    e02 = results[1]["number"]
    assert f"第 3 版（共 4 版）：依据批单 {e02}" in text
    assert f"Version 3 of 4, following endorsement {e02} effective July 1, 2027" in text
    expected = Decimal(policy["total_premium"]) + sum(Decimal(r["premium"]) for r in results[:2])
    assert total(3) == f"{expected:.2f}"
    assert f"Total premium (VAT included) {policy['currency']} {grouped(total(3))}" in text

    # The HTML schedule of version 1 says it is the policy as bound.
    as_bound = api.client.get(f"{docs}/policy-schedule.html?version=1", headers=broker.headers)
    assert "Version 1 of 4, as bound" in as_bound.text

    assert_problem(
        api.client.get(f"{docs}/member-list.pdf?version=9", headers=broker.headers),
        404,
        "not-found",
    )
    assert (
        api.client.get(f"{docs}/member-list.pdf?version=0", headers=broker.headers).status_code
        == 400
    )
    assert_problem(
        api.client.get(f"{docs}/member-list.html?version=2", headers=other.headers),
        404,
        "not-found",
    )


def test_a_policy_never_endorsed_keeps_its_documents_as_bound(api: Api) -> None:
    broker = api.account("broker")
    policy = policy_of(api, broker)
    docs = f"{POLICIES}/{policy['id']}/documents"
    plain = api.client.get(f"{docs}/policy-schedule.html", headers=broker.headers)
    first = api.client.get(f"{docs}/policy-schedule.html?version=1", headers=broker.headers)
    assert plain.status_code == first.status_code == 200
    assert plain.text == first.text and "Policy version" not in plain.text
    assert plain.headers["content-disposition"] == (
        f'inline; filename="{policy["policy_number"]}-policy-schedule.html"'
    )
    assert_problem(
        api.client.get(f"{docs}/policy-schedule.html?version=2", headers=broker.headers),
        404,
        "not-found",
    )


def test_certificates_for_members_an_endorsement_adds_or_changes(
    api: Api, api_with: ApiFactory
) -> None:
    broker, other = api.account("broker"), api.account("broker")
    policy, results = endorsed(api, broker)
    pid, number = policy["id"], policy["policy_number"]

    def certificates(seq: int, fmt: str = "html", caller: Caller = broker) -> Any:
        return api.client.get(
            f"{POLICIES}/{pid}/endorsements/{seq}/documents/certificates.{fmt}",
            headers=caller.headers,
        )

    # E01 added E003: one certificate, the next number after the two bound members,
    # covered from the effective date.
    joined = certificates(1)
    assert joined.status_code == 200, joined.text
    html = joined.text
    assert html.count('class="certificate"') == 1
    assert f"{number}-00003" in html and "Worker E003" in html
    assert "from 00:00 on March 1, 2027 to 24:00 on December 31, 2027" in html
    [code] = set(VERIFY.findall(html))
    in_july = api_with(clock=FixedClock.on(dt.date(2027, 7, 15)))
    page = in_july.client.get(f"/verify/{code}")
    assert page.status_code == 200 and "有效" in page.text
    assert "2027年3月1日 – 2027年12月31日" in page.text
    pdf = certificates(1, "pdf")
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="{results[0]["number"]}-certificates.pdf"'
    )
    assert f"Certificate no. {number}-00003" in pdf_text(pdf)

    # E02 only removes E002: no certificates.
    assert_problem(certificates(2), 409, "no-certificates")
    # E03 changed E001's site: E001's certificate (their number) from 15 September.
    changed = certificates(3).text
    assert changed.count('class="certificate"') == 1 and f"{number}-00001" in changed
    assert "from 00:00 on September 15, 2027" in changed
    # The policy's certificates (newest version): one per member, current terms; E001
    # covered without a break since 1 January, E002 to the day they left.
    whole = api.client.get(f"{POLICIES}/{pid}/documents/certificates.html", headers=broker.headers)
    assert whole.text.count('class="certificate"') == 3
    assert "from 00:00 on January 1, 2027 to 24:00 on December 31, 2027" in whole.text
    assert "to 24:00 on June 30, 2027" in whole.text
    assert_problem(certificates(1, caller=other), 404, "not-found")
    assert_problem(certificates(9), 404, "not-found")

    # The cancellation is the policy's last endorsement: no certificates either.
    cancel = api.client.post(
        f"{POLICIES}/{pid}/cancel",
        json={"effective": "2027-10-01", "reason": "project ends", "initiator": "insurer"},
        headers=broker.headers,
    )
    assert cancel.status_code == 201, cancel.text
    assert_problem(certificates(4), 409, "no-certificates")
    schedule = api.client.get(
        f"{POLICIES}/{pid}/documents/policy-schedule.html", headers=broker.headers
    )
    assert f"following endorsement {cancel.json()['number']} (cancellation)" in schedule.text


def test_a_referred_endorsements_certificates_wait_for_the_approval(api: Api) -> None:
    broker, underwriter = api.account("broker"), api.account("underwriter")
    pid = policy_of(api, broker)["id"]
    body = {"effective": "2027-07-01", "add": [joiner("E003", country="Belarus")]}
    referred = endorse(api, broker, pid, body)
    assert referred.json()["status"] == "referred", referred.text
    url = f"{POLICIES}/{pid}/endorsements/1/documents/certificates.html"
    assert_problem(api.client.get(url, headers=broker.headers), 409, "endorsement-referred")
    approved = api.client.post(
        f"{POLICIES}/{pid}/endorsements/1/approve", headers=underwriter.headers
    )
    assert approved.status_code == 200, approved.text
    issued = api.client.get(url, headers=broker.headers)
    assert issued.status_code == 200 and "from 00:00 on July 1, 2027" in issued.text
