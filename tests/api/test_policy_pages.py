"""The policy pages in process (SQLite and PostgreSQL): an agent lists their policies,
opens one from the list and from its bound quote, previews an endorsement with its exact
premium (nothing stored), confirms it once (a second click with the same key stores
nothing), sees it in the history with its documents; problems show beside their fields
with the typed values kept; another agent's policy is a 404; CSRF and roles as on the
quote pages.

The policy (tariff 2026.2, see tests/golden/test_endorsements_golden.py): calendar year
2027, sickness death 100,000 only, 40 members in Serbia, class 2, age 40: 111.64 a
member, 4,465.60 in all. Divisor 1 − 0.12 − 0.05 − 0.15 = 0.68, volatility α = 0.03.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.api.test_pages_api import Pages, _pages
from tests.api.test_quote_pages import _signed_in, _token

QUOTES = "/api/v1/quotes"


@pytest.fixture
def pages(database_url: str) -> Iterator[Pages]:
    yield from _pages(database_url)


def _member(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "member_id": f"E{i:03d}",
        "name": f"Worker {i}",
        "age": 40,
        "occupation_class": 2,
        "country": "RS",
        **extra,
    }


def _policy(pages: Pages, key: str) -> tuple[str, str]:
    """The 40-member calendar-2027 policy, quoted through the API with the agent's key and
    bound from the quote page: (policy id, quote id)."""
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": [_member(i) for i in range(1, 41)]},
    }
    headers = {"Authorization": f"Bearer {key}"}
    quote = pages.client.post(QUOTES, json=body, headers=headers)
    assert quote.status_code == 201, quote.text
    assert quote.json()["total_premium"] == "4465.60"  # 40 × 111.64
    quote_id = quote.json()["id"]
    page = pages.client.get(f"/quotes/{quote_id}")
    bound = pages.client.post(
        f"/quotes/{quote_id}/bind", data={"_csrf": _token(page.text)}, follow_redirects=False
    )
    assert bound.status_code == 303, bound.text
    return pages.store.policy_for_quote(quote_id).id, quote_id


def _hidden(text: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', text)
    assert found is not None, name
    return found[1].replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def _endorse(pages: Pages, policy_id: str, **fields: Any) -> Any:
    form = pages.client.get(f"/policies/{policy_id}/endorse")
    assert form.status_code == 200, form.text
    data = {"_csrf": _token(form.text), "action": "preview", **fields}
    return pages.client.post(f"/policies/{policy_id}/endorse", data=data)


def _count(pages: Pages, policy_id: str, key: str) -> int:
    listed = pages.client.get(
        f"/api/v1/policies/{policy_id}/endorsements", headers={"Authorization": f"Bearer {key}"}
    )
    assert listed.status_code == 200, listed.text
    return int(listed.json()["total"])


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found is not None, element_id
    return found[1]


def _amount(html: str, element_id: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.-]", "", _text(html, element_id)))


def test_the_policy_list_and_page_show_the_bound_policy(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    policy_id, quote_id = _policy(pages, key)
    home = pages.client.get("/")
    assert 'id="nav-policies"' in home.text
    listed = pages.client.get("/policies")
    assert listed.status_code == 200
    number = pages.store.policy_for_quote(quote_id).policy_number
    assert f'<a href="/policies/{policy_id}">{number}</a>' in listed.text
    assert "中国测试工程有限公司" in listed.text and "有效" in listed.text
    assert "¥4,465.60" in listed.text and ">40<" in listed.text
    quote_page = pages.client.get(f"/quotes/{quote_id}").text
    assert f'href="/policies/{policy_id}"' in quote_page

    page = pages.client.get(f"/policies/{policy_id}")
    assert page.status_code == 200
    assert _amount(page.text, "total-premium") == Decimal("4465.60")
    assert _text(page.text, "headcount") == "40" and _text(page.text, "version") == "1"
    assert _text(page.text, "covered") == "40"  # on 1 January 2027: before it, none are
    assert 'id="no-endorsements"' in page.text and 'id="no-claims"' in page.text
    assert _text(page.text, "claims-count") == "0"
    assert f"/policies/{policy_id}/documents/policy-schedule.pdf?version=1" in page.text
    schedule = pages.client.get(f"/policies/{policy_id}/documents/policy-schedule.pdf?version=1")
    assert schedule.status_code == 200 and schedule.content.startswith(b"%PDF")
    assert f'href="/policies/{policy_id}/endorse"' in page.text
    pages.client.post("/language", data={"_csrf": _token(page.text), "locale": "en", "next": "/"})
    english = pages.client.get("/policies").text
    assert "My policies" in english and "Policy in force" in english
    assert "Versions of the member list" in pages.client.get(f"/policies/{policy_id}").text


def test_preview_shows_the_exact_premium_and_confirm_stores_it_once(pages: Pages) -> None:
    """E041 joins on 1 July 2027: 1 Jul–31 Dec = 184 days. In the group of 41 the
    volatility loading is α·√(P·SI/41) = 0.03·√(6,000,000/41) = 11.476381, so the annual
    line is (60 + 11.476381)/0.68 × 1.06 = 111.419064; × 184/365 = 56.167419 → 56.17,
    VAT 56.17 × 0.06/1.06 = 3.179 → 3.18. New total 4,465.60 + 56.17 = 4,521.77."""
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    row = {"member_id": "E041", "name": "Worker 41", "country": "RS", "occupation_class": "2"}
    preview = _endorse(
        pages,
        policy_id,
        effective="2027-07-01",
        reason="joins the Belgrade site",
        **{f"add_{k}": [v, ""] for k, v in row.items()},
        add_age=["40", ""],  # as the bound members: age factor 1.00
    )
    assert preview.status_code == 200, preview.text
    assert _amount(preview.text, "preview-premium") == Decimal("56.17")
    assert _amount(preview.text, "preview-vat") == Decimal("3.18")
    assert _amount(preview.text, "preview-total") == Decimal("4521.77")
    assert _text(preview.text, "preview-headcount") == "41"
    assert "184" in preview.text and 'value="joins the Belgrade site"' in preview.text
    assert _count(pages, policy_id, key) == 0  # a preview stores nothing

    confirm = {
        "_csrf": _token(preview.text),
        "request_json": _hidden(preview.text, "request_json"),
        "idempotency_key": _hidden(preview.text, "idempotency_key"),
        "seq": _hidden(preview.text, "seq"),
    }
    first = pages.client.post(
        f"/policies/{policy_id}/endorse/confirm", data=confirm, follow_redirects=False
    )
    assert first.status_code == 303, first.text
    assert first.headers["location"] == f"/policies/{policy_id}?done=1#endorsements"
    again = pages.client.post(
        f"/policies/{policy_id}/endorse/confirm", data=confirm, follow_redirects=False
    )
    assert again.status_code == 303  # the double click: the same endorsement, not a second
    assert _count(pages, policy_id, key) == 1

    page = pages.client.get(f"/policies/{policy_id}?done=1").text
    assert 'id="endorsement-stored"' in page
    assert _amount(page, "total-premium") == Decimal("4521.77")
    assert _text(page, "version") == "2" and _text(page, "headcount") == "41"
    assert f"/policies/{policy_id}/documents/member-list.pdf?version=2" in page
    document = pages.client.get(f"/policies/{policy_id}/endorsements/1/documents/endorsement.pdf")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert f'href="/policies/{policy_id}/endorsements/1/documents/endorsement.pdf"' in page
    missing = pages.client.get(f"/policies/{policy_id}/endorsements/1/documents/other.pdf")
    assert missing.status_code == 404
    # The member who joined has a certificate of their own.
    assert 'id="endorsement-1-certificates"' in page
    certificate = pages.client.get(
        f"/policies/{policy_id}/endorsements/1/documents/certificates.pdf"
    )
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")


def test_a_removal_is_a_refund_and_a_stale_preview_is_not_stored(pages: Pages) -> None:
    """E007 leaves from 1 October: unused 1 Oct–31 Dec = 92 of 365 days; refund 111.64 ×
    92/365 = 28.139 → −28.14, VAT −1.59; new total 4,465.60 − 28.14 = 4,437.46."""
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    form = pages.client.get(f"/policies/{policy_id}/endorse").text
    assert 'name="remove" value="E007"' in form
    preview = _endorse(pages, policy_id, effective="2027-10-01", remove=["E007"])
    assert preview.status_code == 200, preview.text
    assert _amount(preview.text, "preview-premium") == Decimal("-28.14")
    assert _amount(preview.text, "preview-vat") == Decimal("-1.59")
    assert _amount(preview.text, "preview-total") == Decimal("4437.46")
    assert "退费" in preview.text  # a refund says so
    stale = {
        "_csrf": _token(preview.text),
        "request_json": _hidden(preview.text, "request_json"),
        "idempotency_key": _hidden(preview.text, "idempotency_key"),
        "seq": _hidden(preview.text, "seq"),
    }
    other = _endorse(pages, policy_id, effective="2027-10-01", remove=["E008"])
    done = pages.client.post(
        f"/policies/{policy_id}/endorse/confirm",
        data={
            "_csrf": _token(other.text),
            "request_json": _hidden(other.text, "request_json"),
            "idempotency_key": _hidden(other.text, "idempotency_key"),
            "seq": _hidden(other.text, "seq"),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    refused = pages.client.post(f"/policies/{policy_id}/endorse/confirm", data=stale)
    assert refused.status_code == 409 and "请重新预览此次变更" in refused.text
    assert 'name="remove" value="E007" checked' in refused.text  # the request is kept
    assert _count(pages, policy_id, key) == 1


def _confirm_fields(preview: str) -> dict[str, str]:
    return {
        "_csrf": _token(preview),
        "request_json": _hidden(preview, "request_json"),
        "idempotency_key": _hidden(preview, "idempotency_key"),
        "seq": _hidden(preview, "seq"),
    }


def test_a_referred_endorsement_shows_it_awaits_an_underwriter(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    joiner = {"member_id": "E041", "name": "W", "country": "Belarus", "age": "40"}
    preview = _endorse(
        pages,
        policy_id,
        effective="2027-07-01",
        add_occupation_class=["2"],
        **{f"add_{k}": [v] for k, v in joiner.items()},
    )
    assert preview.status_code == 200, preview.text
    assert 'id="preview-referred"' in preview.text and "country_refer" in preview.text
    stored = pages.client.post(
        f"/policies/{policy_id}/endorse/confirm",
        data=_confirm_fields(preview.text),
        follow_redirects=False,
    )
    assert stored.status_code == 303
    page = pages.client.get(stored.headers["location"]).text
    assert "待核保人批准" in page and 'id="endorsement-pending"' in page
    assert 'id="endorse"' not in page and _text(page, "version") == "1"
    form = pages.client.get(f"/policies/{policy_id}/endorse").text
    assert 'id="endorsement-pending"' in form
    again = _endorse(pages, policy_id, effective="2027-08-01", remove=["E001"])
    assert again.status_code == 409 and "该保单另有一份批改待核保人批准" in again.text
    refused = pages.client.post(
        f"/policies/{policy_id}/endorsements/1/approve", data={"_csrf": _token(form)}
    )
    assert refused.status_code == 403  # agents do not approve

    _signed_in(pages, "underwriter")
    review = pages.client.get(f"/policies/{policy_id}").text
    assert 'id="approve-endorsement"' in review and "country_refer" in review
    approved = pages.client.post(
        f"/policies/{policy_id}/endorsements/1/approve",
        data={"_csrf": _token(review)},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    after = pages.client.get(approved.headers["location"]).text
    assert 'id="endorsement-approved"' in after and _text(after, "version") == "2"
    assert _text(after, "headcount") == "41" and 'id="approve-endorsement"' not in after


def test_problems_show_beside_their_fields_with_the_values_kept(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    outside = _endorse(pages, policy_id, effective="2028-02-01", reason="late")
    assert outside.status_code == 422
    assert 'id="effective-error"' in outside.text and 'value="2028-02-01"' in outside.text
    assert 'aria-invalid="true" aria-describedby="effective-error"' in outside.text
    bad_row = _endorse(
        pages,
        policy_id,
        effective="2027-07-01",
        add_member_id=["", "E041"],
        add_name=["", "Worker 41"],
        add_country=["", "RS"],
        add_date_of_birth=["", "1986-02-30"],
        add_occupation_class=["", "2"],
    )
    assert bad_row.status_code == 422
    assert 'id="add-1-date_of_birth-error"' in bad_row.text  # the form's second row
    assert 'value="Worker 41"' in bad_row.text
    unknown = _endorse(
        pages, policy_id, effective="2027-07-01", change_member_id=["E002"], change_site=[""]
    )
    assert unknown.status_code == 422 and 'id="change-0-member_id-error"' in unknown.text
    csv = "member_id,name,country,age,occupation_class\nE041,Worker 41,RS,40,2\nE042,,RS,200,2\n"
    with_file = pages.client.post(
        f"/policies/{policy_id}/endorse",
        data={"_csrf": _token(bad_row.text), "action": "preview", "effective": "2027-07-01"},
        files={"census_file": ("joiners.csv", csv.encode(), "text/csv")},
    )
    assert with_file.status_code == 422, with_file.text
    problems = re.search(r'id="census-problems".*?</table>', with_file.text, re.DOTALL)
    assert problems is not None and "<td>3</td>" in problems[0]  # the file's third row
    wrong_type = pages.client.post(
        f"/policies/{policy_id}/endorse",
        data={"_csrf": _token(bad_row.text), "action": "preview", "effective": "2027-07-01"},
        files={"census_file": ("joiners.txt", b"E041", "text/plain")},
    )
    assert wrong_type.status_code == 422 and 'id="census_file-error"' in wrong_type.text
    assert _count(pages, policy_id, key) == 0


def test_the_rows_buttons_work_without_javascript(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    blank = {f"add_{c}": ["", "", ""] for c in ("member_id", "name", "country")}
    more = _endorse(pages, policy_id, action="add-rows", effective="2027-05-01", **blank)
    assert more.status_code == 200
    assert 'id="add-5-member_id"' in more.text and 'value="2027-05-01"' in more.text
    assert 'id="preview"' not in more.text


def test_another_agents_policy_is_a_404_and_an_underwriter_sees_it(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    _signed_in(pages)
    assert "E001" not in pages.client.get("/policies").text
    for path in (
        f"/policies/{policy_id}",
        f"/policies/{policy_id}/endorse",
        f"/policies/{policy_id}/endorsements/1/documents/endorsement.pdf",
    ):
        assert pages.client.get(path).status_code == 404, path
    _signed_in(pages, "underwriter")
    assert f'href="/policies/{policy_id}"' in pages.client.get("/policies").text
    assert pages.client.get(f"/policies/{policy_id}").status_code == 200


def test_the_policy_pages_need_a_signed_in_agent_and_a_csrf_token(pages: Pages) -> None:
    anonymous = pages.client.get("/policies", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (
        303,
        "/signin?next=/policies",
    )
    _broker, broker_key = pages.store.create_account("Broker", "broker", "0.15")
    with_key = pages.client.get(
        "/policies", headers={"Authorization": f"Bearer {broker_key}"}, follow_redirects=False
    )
    assert with_key.status_code == 303  # an API key does not open the pages
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    no_token = pages.client.post(
        f"/policies/{policy_id}/endorse", data={"effective": "2027-07-01", "remove": ["E001"]}
    )
    assert no_token.status_code == 403
    confirm = pages.client.post(
        f"/policies/{policy_id}/endorse/confirm",
        data={"request_json": '{"effective": "2027-07-01", "remove": [{"member_id": "E001"}]}'},
    )
    assert confirm.status_code == 403 and _count(pages, policy_id, key) == 0
    _signed_in(pages, "admin")
    assert pages.client.get("/policies").status_code == 403


def test_a_cancelled_policy_shows_its_cancellation_and_takes_no_change(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    body = {"effective": "2027-07-01", "reason": "project finished", "initiator": "insurer"}
    cancelled = pages.client.post(
        f"/api/v1/policies/{policy_id}/cancel",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
    )
    assert cancelled.status_code == 201, cancelled.text
    listed = pages.client.get("/policies").text
    assert "自 2027年7月1日 起退保" in listed
    page = pages.client.get(f"/policies/{policy_id}").text
    assert 'id="endorse"' not in page and "已退保的保单不再接受变更" in page
    assert _amount(page, "total-premium") == Decimal(cancelled.json()["totals"]["premium"])
    assert re.search(r'id="endorsement-1">.*?退保', page, re.DOTALL)
    document = pages.client.get(f"/policies/{policy_id}/endorsements/1/documents/endorsement.pdf")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    refused = _endorse(pages, policy_id, effective="2027-08-01", remove=["E001"])
    assert refused.status_code == 409 and 'id="policy-cancelled"' in refused.text


def test_the_claims_experience_shows_as_the_api_reports_it(database_url: str) -> None:
    """Claims are recorded on 15 April 2027 (a second app on the same database, with that
    business date): the page's summary is the API's, the loss ratio as a percentage."""
    first = _pages(database_url)
    pages = next(first)
    agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    april_app = _pages(database_url, QUOTING_BUSINESS_DATE="2027-04-15")
    april = next(april_app)
    try:
        assert april.sign_in(agent.name).status_code == 303
        headers = {"Authorization": f"Bearer {key}"}
        claims = [
            {"member_id": "E001", "cover": "sdeath", "loss_date": "2027-03-20", "paid": "800.50"},
            {"member_id": "E002", "cover": "sdeath", "loss_date": "2027-04-01"}
            | {"outstanding": "1500", "status": "open", "reference": "R-2"},
        ]
        made = april.client.post(
            f"/api/v1/policies/{policy_id}/claims", json={"claims": claims}, headers=headers
        )
        assert made.status_code == 201, made.text
        summary = april.client.get(f"/api/v1/policies/{policy_id}/claims", headers=headers)
        expected = summary.json()["summary"]
        page = april.client.get(f"/policies/{policy_id}").text
        assert _text(page, "claims-count") == "2"
        assert _amount(page, "claims-incurred") == Decimal("2300.50")  # 800.50 + 1,500
        assert _amount(page, "claims-earned") == Decimal(expected["earned_premium"])
        ratio = Decimal(expected["loss_ratio"]) * 100  # a fraction: shown as a percentage
        assert _text(page, "claims-loss-ratio") == f"{ratio.normalize():f}%"
        listed = re.search(r'id="claims-list".*?</table>', page, re.DOTALL)
        assert listed is not None and "R-2" in listed[0] and "E002 Worker 2" in listed[0]
        assert "未结" in listed[0] and "¥1,500.00" in listed[0]
    finally:
        next(april_app, None)
        next(first, None)


def test_prepare_the_renewal_from_the_policy_page_then_bind_it(pages: Pages) -> None:
    """The renewal quote opens with its change against the expiring 4,465.60, whose parts
    add up to its premium; a double click makes one quote; once it is bound the policy
    shows its renewal and offers no second one."""
    _agent, key = _signed_in(pages)
    policy_id, _quote_id = _policy(pages, key)
    page = pages.client.get(f"/policies/{policy_id}")
    assert 'id="prepare-renewal"' in page.text
    data = {"_csrf": _token(page.text), "key": _hidden(page.text, "key")}
    made = pages.client.post(f"/policies/{policy_id}/renewal", data=data, follow_redirects=False)
    assert made.status_code == 303, made.text
    renewal_url = made.headers["location"].split("#")[0]
    again = pages.client.post(f"/policies/{policy_id}/renewal", data=data, follow_redirects=False)
    assert again.headers["location"].split("#")[0] == renewal_url  # one quote
    quote = pages.client.get(renewal_url)
    assert quote.status_code == 200 and 'id="renewal"' in quote.text
    assert f'href="/policies/{policy_id}"' in quote.text
    parts = [
        _amount(quote.text, f"{p}-change") for p in ("census", "tariff", "terms", "experience")
    ]
    assert Decimal("4465.60") + sum(parts) == _amount(quote.text, "total-premium")
    bound = pages.client.post(
        f"{renewal_url}/bind", data={"_csrf": _token(quote.text)}, follow_redirects=False
    )
    assert bound.status_code == 303, bound.text
    after = pages.client.get(f"/policies/{policy_id}")
    assert 'id="renewed-by"' in after.text and 'id="prepare-renewal"' not in after.text
    refused = pages.client.post(
        f"/policies/{policy_id}/renewal", data={"_csrf": _token(after.text)}
    )
    assert refused.status_code == 409 and 'id="renewal-error"' in refused.text
    without_token = pages.client.post(f"/policies/{policy_id}/renewal", data={})
    assert without_token.status_code == 403


def _confirmed(pages: Pages, policy_id: str, preview: Any) -> None:
    assert preview.status_code == 200, preview.text
    done = pages.client.post(
        f"/policies/{policy_id}/endorse/confirm",
        data=_confirm_fields(preview.text),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_three_endorsements_on_the_pages_joining_leaving_and_changing_site(pages: Pages) -> None:
    """E041 joins on 1 July: 56.17 (184/365 of 111.419064 in the group of 41, see above).
    E007 leaves on 1 October: −28.14 (92/365 of the 111.64 paid). E010 moves to the Novi
    Sad site on 1 November (61 days left): refund 111.64 × 61/365 = 18.6577 → −18.66 and
    the same terms again in the group of 40 (E007 gone, E041 in): 111.641304 × 61/365 =
    18.6578 → 18.66; premium 0.00 (the site changes no rate of sickness death). Totals
    4,465.60 + 56.17 − 28.14 + 0.00 = 4,493.63; four versions, three 批单."""
    _agent, key = _signed_in(pages)
    policy_id, _quote = _policy(pages, key)
    row = {"member_id": "E041", "name": "Worker 41", "country": "RS", "occupation_class": "2"}
    joining = _endorse(
        pages,
        policy_id,
        effective="2027-07-01",
        **{f"add_{k}": [v, ""] for k, v in row.items()},
        add_age=["40", ""],
    )
    assert _amount(joining.text, "preview-premium") == Decimal("56.17")
    _confirmed(pages, policy_id, joining)
    leaving = _endorse(pages, policy_id, effective="2027-10-01", remove=["E007"])
    assert _amount(leaving.text, "preview-premium") == Decimal("-28.14")
    _confirmed(pages, policy_id, leaving)
    moving = _endorse(
        pages,
        policy_id,
        effective="2027-11-01",
        change_member_id=["E010"],
        change_site=["Novi Sad"],
    )
    assert _amount(moving.text, "preview-premium") == Decimal("0.00")
    assert _amount(moving.text, "preview-total") == Decimal("4493.63")
    _confirmed(pages, policy_id, moving)
    page = pages.client.get(f"/policies/{policy_id}").text
    assert _amount(page, "total-premium") == Decimal("4493.63") and _text(page, "version") == "4"
    for seq in (1, 2, 3):
        href = f"/policies/{policy_id}/endorsements/{seq}/documents/endorsement.pdf"
        assert f'href="{href}"' in page
        assert pages.client.get(href).content.startswith(b"%PDF")
    api = pages.client.get(
        f"/api/v1/policies/{policy_id}/members?on=2027-11-01",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    sites = {m["member_id"]: m.get("site") for m in api["members"]}
    assert api["count"] == 40 and "E007" not in sites and sites["E010"] == "Novi Sad"
