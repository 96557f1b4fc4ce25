"""Golden figures of the documents as of a policy version, on the in-memory store: the
40-member policy of tests/golden/test_endorsements_golden.py (111.64 a member, VAT 6.32,
4,465.60 for 40; its module docstring has the hand calculation).

- E01, effective 1 July 2027: E041 joins, E040 leaves. E041 pays 111.641304 × 184/365 =
  56.28 (VAT 3.19); E040 is refunded 111.64 × 184/365 = 56.28 (VAT 3.19) and keeps
  111.64 − 56.28 = 55.36 for 1 January – 30 June. Version 2: 4,465.60.
- E02, effective 1 October: E007 leaves, refunded 111.64 × 92/365 = 28.14 (VAT 1.59),
  keeps 111.64 − 28.14 = 83.50 for 1 January – 30 September. Version 3: 4,465.60 − 28.14
  = 4,437.46; VAT 40 × 6.32 − 1.59 = 251.21.
"""

from __future__ import annotations

import re

import pytest

from quoting.services.documents import policy_document
from quoting.services.policy_documents import endorsement_certificates
from quoting.store.memory import InMemoryDatabase
from tests.golden.test_endorsements_golden import BROKER, bound_policy, ctx, member, post


@pytest.fixture
def db() -> InMemoryDatabase:
    database = InMemoryDatabase()
    with database.unit_of_work() as uow:
        uow.accounts.add(BROKER)
        uow.commit()
    return database


def rows(html: str) -> dict[str, tuple[str, str]]:
    """Each member-list row by member id: its period cell (the 11th, shown when a period
    differs from the policy's) and its premium (the last cell)."""
    found: dict[str, tuple[str, str]] = {}
    for row in re.findall(r"<tr>\s*(.*?)</tr>", html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
        if len(cells) > 11 and re.fullmatch(r"E\d{3}", cells[1]):
            found[cells[1]] = (cells[10], cells[-1])
    return found


def test_the_member_list_and_schedule_of_version_3_by_hand(db: InMemoryDatabase) -> None:
    policy_id = bound_policy(db)
    first = post(
        db,
        policy_id,
        {"effective": "2027-07-01", "add": [member(41)], "remove": [{"member_id": "E040"}]},
    )
    second = post(db, policy_id, {"effective": "2027-10-01", "remove": [{"member_id": "E007"}]})
    assert (first.premium, second.premium, second.totals.premium) == ("0.00", "-28.14", "4437.46")

    body, name = policy_document(db.unit_of_work, ctx(), policy_id, "member-list", "html", None, 3)
    html = body.decode()
    assert name.endswith("-v3-member-list.html")
    listed = rows(html)
    assert len(listed) == 41  # E001–E041, each insured at some time
    assert listed["E040"] == ("2027-01-01 – 2027-06-30", "55.36")
    assert listed["E041"] == ("2027-07-01 – 2027-12-31", "56.28")
    assert listed["E007"] == ("2027-01-01 – 2027-09-30", "83.50")
    assert listed["E001"] == ("全期 full term", "111.64")
    assert '合计 Total · 41 人 members</td><td class="num">4,437.46' in html

    schedule = policy_document(
        db.unit_of_work, ctx(), policy_id, "policy-schedule", "html", None, 3
    )[0].decode()
    assert "Version 3 of 3, following endorsement " + second.number in schedule
    # The premium by cover is the version's lines summed: sickness death only.
    assert re.search(r"<td class=\"num\">4,437\.46</td><td class=\"num\">251\.21</td>", schedule)
    assert "CNY 4,437.46" in schedule and "CNY 251.21" in schedule

    # The joiner's certificate: number 41 (after the 40 bound), from the effective date.
    certificates = endorsement_certificates(db.unit_of_work, ctx(), policy_id, 1, "html")[0]
    text = certificates.decode()
    assert text.count('class="certificate"') == 1
    assert "-00041" in text and "Worker 41" in text
    assert "from 00:00 on July 1, 2027 to 24:00 on December 31, 2027" in text
