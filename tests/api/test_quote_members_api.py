"""A quote's members over the API: paged, one member's trace on demand, a large quote's
response with its first page, and quotes stored before quotes were columnar."""

from __future__ import annotations

import copy
import json
import zlib
from typing import Any

import sqlalchemy as sa

from quoting.store._tables import quotes
from tests.api.conftest import EXAMPLES, Api
from tests.api.test_quotes_api import QUOTES, create

EXAMPLE = json.loads((EXAMPLES / "construction_company.json").read_text("utf-8"))


def body_with(members: int) -> dict[str, Any]:
    """The construction company's request with ``members`` of its members, cycled."""
    body = copy.deepcopy(EXAMPLE)
    body.pop("as_of", None)
    pool = body["census"]["members"]
    census = []
    for i in range(members):
        member = copy.deepcopy(pool[i % len(pool)])
        member["member_id"] = f"{member['member_id']}-{i}"
        member.pop("passport_no", None)
        census.append(member)
    body["census"] = {"members": census}
    return body


def test_members_are_paged_and_each_member_has_its_trace(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker, body_with(30))
    assert "members_page" not in quote  # a small quote: everything inline, as before
    members = quote["members"]
    first = api.client.get(f"{QUOTES}/{quote['id']}/members?limit=20", headers=broker.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["offset"], page["limit"]) == (len(members), 0, 20)
    assert page["next"] == f"{QUOTES}/{quote['id']}/members?offset=20&limit=20"
    rest = api.client.get(page["next"], headers=broker.headers).json()
    assert rest["next"] is None
    listed = page["items"] + rest["items"]
    assert [m["member_id"] for m in listed] == [m["member_id"] for m in members]
    # Premiums per cover as in the quote, without the trace.
    for got, want in zip(listed, members, strict=True):
        assert [(x["cover"], x["premium"], x["vat"]) for x in got["lines"]] == [
            (x["cover"], x["premium"], x["vat"]) for x in want["lines"]
        ]
        assert all(x["factors"] == {} for x in got["lines"])
    one = members[7]
    member = api.client.get(
        f"{QUOTES}/{quote['id']}/members/{one['member_id']}", headers=broker.headers
    )
    assert member.status_code == 200
    assert member.json() == one  # every line's factors, as the quote shows them


def test_members_of_another_brokers_quote_or_an_unknown_member_are_not_found(api: Api) -> None:
    owner, other = api.account(), api.account()
    quote = create(api, owner, body_with(3))
    base = f"{QUOTES}/{quote['id']}/members"
    assert api.client.get(base, headers=other.headers).status_code == 404
    member = quote["members"][0]["member_id"]
    assert api.client.get(f"{base}/{member}", headers=other.headers).status_code == 404
    missing = api.client.get(f"{base}/NOBODY", headers=owner.headers)
    assert missing.status_code == 404
    assert "NOBODY" in missing.json()["detail"]
    too_many = api.client.get(f"{base}?limit=1001", headers=owner.headers)
    assert too_many.status_code == 400


def test_a_large_quote_answers_with_its_first_page_and_where_the_rest_is(api: Api) -> None:
    broker = api.account()
    response = api.client.post(QUOTES, json=body_with(560), headers=broker.headers)
    assert response.status_code == 201, response.text
    quote = response.json()
    quoted = 560 - len(quote["declined"])  # the example has members in declined countries
    assert quoted > 500
    assert quote["members_page"] == {
        "offset": 0,
        "limit": 100,
        "total": quoted,
        "next": f"{QUOTES}/{quote['id']}/members?offset=100&limit=100",
    }
    assert len(quote["members"]) == 100
    assert all(x["factors"] == {} for m in quote["members"] for x in m["lines"])
    got = api.client.get(f"{QUOTES}/{quote['id']}", headers=broker.headers).json()
    assert got == quote
    # Totals still reconcile: every member's premium over every page, plus adjustments.
    cents = 0
    url: str | None = f"{QUOTES}/{quote['id']}/members?limit=1000"
    while url:
        page = api.client.get(url, headers=broker.headers).json()
        cents += sum(round(float(m["premium"]) * 100) for m in page["items"])
        url = page["next"]
    cents += sum(round(float(a["premium"]) * 100) for a in quote["adjustments"])
    assert cents == round(float(quote["total_premium"]) * 100)


def test_a_quote_stored_before_quotes_were_columnar_still_reads(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker, body_with(12))
    url = f"{QUOTES}/{quote['id']}"
    columnar = api.client.get(url, headers=broker.headers).content
    # Store it in the old form: the wire quote's JSON, zlib-compressed.
    record = json.loads(columnar)
    old = {k: v for k, v in record.items() if k not in _RECORD_FIELDS}
    old_json = json.dumps(old, ensure_ascii=False, separators=(",", ":")).encode()
    with api.store.engine.begin() as conn:
        conn.execute(
            sa.update(quotes)
            .where(quotes.c.id == quote["id"])
            .values(result=zlib.compress(old_json, 1))
        )
    again = api.client.get(url, headers=broker.headers)
    assert again.status_code == 200
    assert again.json() == record
    member = quote["members"][3]
    one = api.client.get(f"{url}/members/{member['member_id']}", headers=broker.headers)
    assert one.json() == member
    page = api.client.get(f"{url}/members?offset=10", headers=broker.headers).json()
    assert [m["member_id"] for m in page["items"]] == [
        m["member_id"] for m in quote["members"][10:]
    ]
    csv = api.client.get(f"{url}/members.csv", headers=broker.headers)
    assert csv.status_code == 200 and member["member_id"] in csv.text


_RECORD_FIELDS = {
    "id",
    "number",
    "created_at",
    "valid_until",
    "links",
    "approved_at",
    "policy_number",
    "policy",
}


def _all(api: Api, caller: Any, url: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while url:
        page = api.client.get(url, headers=caller.headers).json()
        items += page["items"]
        url = page["next"]
    return items


def test_a_large_quote_carries_its_first_declined_members_and_sites_and_pages_the_rest(
    api: Api,
) -> None:
    """900 members, every third in Afghanistan (declined; the example declines a few
    more), each at a site of their own: the response holds 100 declined members and 100
    sites and says where the rest are; paging them gives every one, and the sites'
    allocated loadings add up to the quote's accumulation loading."""
    broker = api.account()
    body = body_with(900)
    for i, member in enumerate(body["census"]["members"]):
        member["site"] = f"Site {i}"
        if i % 3 == 0:
            member["country"] = "Afghanistan"
    response = api.client.post(QUOTES, json=body, headers=broker.headers)
    assert response.status_code == 201, response.text
    quote = response.json()
    qid = quote["id"]
    declined_total = quote["declined_page"]["total"]
    quoted = quote["members_page"]["total"]
    assert quoted + declined_total == 900 and quoted > 500 and declined_total >= 300
    assert len(quote["declined"]) == 100 and len(quote["rating"]["sites"]) == 100
    assert quote["declined_page"] == {
        "offset": 0,
        "limit": 100,
        "total": declined_total,
        "next": f"{QUOTES}/{qid}/declined?offset=100&limit=100",
    }
    assert quote["sites_page"]["total"] == quoted  # one site per quoted member
    assert quote["sites_page"]["next"] == f"{QUOTES}/{qid}/sites?offset=100&limit=100"
    declined = _all(api, broker, f"{QUOTES}/{qid}/declined?limit=150")
    assert len(declined) == declined_total and declined[:100] == quote["declined"]
    ids = {d["member_id"].split("-")[-1] for d in declined}
    assert {str(i) for i in range(0, 900, 3)} <= ids
    sites = _all(api, broker, f"{QUOTES}/{qid}/sites?limit=1000")
    assert len(sites) == quoted and sites[:100] == quote["rating"]["sites"]
    allocated = sum(s["allocated_loading"] for s in sites)
    assert abs(allocated - quote["rating"]["accumulation_loading"]) < 1e-6 * max(1.0, allocated)
    assert api.client.get(f"{QUOTES}/{qid}", headers=broker.headers).json() == quote
    other = api.account()
    assert api.client.get(f"{QUOTES}/{qid}/sites", headers=other.headers).status_code == 404
    assert api.client.get(f"{QUOTES}/{qid}/declined", headers=other.headers).status_code == 404


def test_a_small_quote_carries_every_declined_member_and_site(api: Api) -> None:
    broker = api.account()
    quote = api.client.post(QUOTES, json=body_with(60), headers=broker.headers).json()
    assert "declined_page" not in quote and "sites_page" not in quote
    sites = api.client.get(f"{QUOTES}/{quote['id']}/sites", headers=broker.headers).json()
    assert sites["items"] == quote["rating"]["sites"] and sites["next"] is None
