"""Endorsements through the broker API on SQLite and PostgreSQL: the worked example
(members joining, leaving, changing site), versions and members on a date, who sees
what, row problems as pointers, idempotency, referral and approval, and two endorsements
of one policy at once (no lost update)."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

from tests.api.conftest import Api, Caller
from tests.api.test_binding_api import assert_problem, bound, create, small_body

POLICIES = "/api/v1/policies"


def joiner(member_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "name": f"Worker {member_id}",
        "date_of_birth": "1990-05-20",
        "occupation_class": 3,
        "country": "Kenya",
        **extra,
    }


def policy_of(api: Api, caller: Caller) -> dict[str, Any]:
    return bound(api, caller, create(api, caller, small_body())["id"])


def endorse(api: Api, caller: Caller, policy_id: str, body: dict[str, Any], **headers: str) -> Any:
    return api.client.post(
        f"{POLICIES}/{policy_id}/endorsements", json=body, headers={**caller.headers, **headers}
    )


def test_three_endorsements_reconcile_with_versions_and_members_on_dates(api: Api) -> None:
    broker = api.account("broker")
    policy = policy_of(api, broker)
    pid, bound_total = policy["id"], Decimal(policy["total_premium"])
    bodies = [
        {"effective": "2027-03-01", "add": [joiner("E003"), joiner("E004")], "reason": "join"},
        {"effective": "2027-07-01", "remove": [{"member_id": "E002"}], "reason": "rotation"},
        {"effective": "2027-09-15", "change": [{"member_id": "E003", "site": "Mombasa"}]},
    ]
    results = []
    for n, body in enumerate(bodies, start=1):
        response = endorse(api, broker, pid, body)
        assert response.status_code == 201, response.text
        result = response.json()
        assert response.headers["location"] == f"{POLICIES}/{pid}/endorsements/{n}"
        assert result["number"] == f"{policy['policy_number']}-E{n:02d}"
        assert (result["status"], result["policy_version"]) == ("accepted", n + 1)
        lines = [line for m in result["members"] for line in m["lines"]]
        assert Decimal(result["premium"]) == sum(Decimal(line["premium"]) for line in lines)
        results.append(result)
    assert Decimal(results[0]["premium"]) > 0 > Decimal(results[1]["premium"])
    expected = bound_total + sum(Decimal(r["premium"]) for r in results)
    assert Decimal(results[-1]["totals"]["premium"]) == expected
    newest = api.client.get(f"{POLICIES}/{pid}", headers=broker.headers).json()
    assert (newest["version"], newest["latest_version"]) == (4, 4)
    assert Decimal(newest["total_premium"]) == expected
    assert newest["headcount"] == 4  # E001–E004 were insured at some time
    [listed_policy] = api.client.get(POLICIES, headers=broker.headers).json()["items"]
    assert (listed_policy["total_premium"], listed_policy["headcount"]) == (
        newest["total_premium"],
        4,
    )
    assert listed_policy["version"] == 4
    first = api.client.get(f"{POLICIES}/{pid}?version=1", headers=broker.headers).json()
    assert Decimal(first["total_premium"]) == bound_total and first["version"] == 1
    missing = api.client.get(f"{POLICIES}/{pid}?version=9", headers=broker.headers)
    assert_problem(missing, 404, "not-found")

    def covered(on: str) -> list[str]:
        body = api.client.get(f"{POLICIES}/{pid}/members?on={on}", headers=broker.headers).json()
        assert body["on"] == on and body["count"] == len(body["members"])
        return sorted(m["member_id"] for m in body["members"])

    assert covered("2027-02-28") == ["E001", "E002"]
    assert covered("2027-03-01") == ["E001", "E002", "E003", "E004"]
    assert covered("2027-07-01") == ["E001", "E003", "E004"]
    on_site = api.client.get(f"{POLICIES}/{pid}/members?on=2027-09-15", headers=broker.headers)
    sites = {m["member_id"]: m["site"] for m in on_site.json()["members"]}
    assert sites["E003"] == "Mombasa"
    listed = api.client.get(f"{POLICIES}/{pid}/endorsements", headers=broker.headers).json()
    assert [e["number"] for e in listed["items"]] == [r["number"] for r in results]
    one = api.client.get(f"{POLICIES}/{pid}/endorsements/2", headers=broker.headers).json()
    assert one == results[1]


def test_another_broker_sees_no_policy_and_cannot_endorse_it(api: Api) -> None:
    owner, other = api.account("broker"), api.account("broker")
    pid = policy_of(api, owner)["id"]
    body = {"effective": "2027-07-01", "remove": [{"member_id": "E002"}]}
    assert_problem(endorse(api, other, pid, body), 404, "not-found")
    assert_problem(
        api.client.get(f"{POLICIES}/{pid}/members?on=2027-07-01", headers=other.headers),
        404,
        "not-found",
    )
    assert_problem(
        api.client.get(f"{POLICIES}/{pid}/endorsements", headers=other.headers), 404, "not-found"
    )


def test_bad_rows_are_422_with_pointers(api: Api) -> None:
    broker = api.account("broker")
    pid = policy_of(api, broker)["id"]
    body = {
        "effective": "2027-07-01",
        "add": [joiner("E001")],
        "remove": [{"member_id": "E999"}],
        "change": [{"member_id": "E002", "site": "x"}, {"member_id": "E002", "site": "y"}],
    }
    problem = assert_problem(endorse(api, broker, pid, body), 422, "invalid-request")
    pointers = sorted(e["pointer"] for e in problem["errors"])
    assert pointers == ["/add/0/member_id", "/change/1/member_id", "/remove/0/member_id"]
    late = {"effective": "2028-02-01", "remove": [{"member_id": "E002"}]}
    problem = assert_problem(endorse(api, broker, pid, late), 422, "invalid-request")
    assert [e["pointer"] for e in problem["errors"]] == ["/effective"]
    typo = {"effective": "2027-07-01", "remove": [{"member": "E002"}]}
    assert_problem(endorse(api, broker, pid, typo), 422, "invalid-request")


def test_idempotency_key_replays_the_endorsement(api: Api) -> None:
    broker = api.account("broker")
    pid = policy_of(api, broker)["id"]
    body = {"effective": "2027-07-01", "remove": [{"member_id": "E002"}]}
    first = endorse(api, broker, pid, body, **{"Idempotency-Key": "rotation-7"})
    again = endorse(api, broker, pid, body, **{"Idempotency-Key": "rotation-7"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = {"effective": "2027-08-01", "remove": [{"member_id": "E001"}]}
    reused = endorse(api, broker, pid, other, **{"Idempotency-Key": "rotation-7"})
    assert_problem(reused, 422, "idempotency-key-reused")


def test_a_referred_endorsement_applies_when_another_underwriter_approves(api: Api) -> None:
    broker, underwriter = api.account("broker"), api.account("underwriter")
    pid = policy_of(api, broker)["id"]
    body = {"effective": "2027-07-01", "add": [joiner("E003", country="Belarus")]}
    response = endorse(api, broker, pid, body)
    assert response.status_code == 201, response.text
    referred = response.json()
    assert referred["status"] == "referred" and referred["policy_version"] is None
    assert [r["code"] for r in referred["referrals"]] == ["country_refer"]
    blocked = endorse(
        api, broker, pid, {"effective": "2027-08-01", "remove": [{"member_id": "E001"}]}
    )
    assert_problem(blocked, 409, "endorsement-pending")
    assert_problem(
        api.client.post(f"{POLICIES}/{pid}/endorsements/1/approve", headers=broker.headers),
        403,
        "forbidden",
    )
    approved = api.client.post(
        f"{POLICIES}/{pid}/endorsements/1/approve", headers=underwriter.headers
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["policy_version"]) == ("approved", 2)
    newest = api.client.get(f"{POLICIES}/{pid}", headers=broker.headers).json()
    assert newest["version"] == 2 and newest["total_premium"] == referred["totals"]["premium"]


def test_two_endorsements_at_once_are_serialised_without_a_lost_update(api: Api) -> None:
    broker = api.account("broker")
    policy = policy_of(api, broker)
    pid = policy["id"]
    bodies = [
        {"effective": "2027-05-01", "add": [joiner("E010")]},
        {"effective": "2027-06-01", "add": [joiner("E011")]},
    ]
    results: list[Any] = [None, None]
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        results[i] = endorse(api, broker, pid, bodies[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    done = sorted((r.json() for r in results), key=lambda e: e["seq"])
    assert [e["policy_version"] for e in done] == [2, 3]
    assert done[1]["base_version"] == 2  # priced on the version the first one made
    covered = api.client.get(f"{POLICIES}/{pid}/members?on=2027-06-01", headers=broker.headers)
    assert {"E010", "E011"} <= {m["member_id"] for m in covered.json()["members"]}
    total = Decimal(policy["total_premium"]) + sum(Decimal(e["premium"]) for e in done)
    assert Decimal(done[1]["totals"]["premium"]) == total


def test_an_endorsement_priced_on_a_version_made_meanwhile_is_priced_again(
    api: Api, monkeypatch: Any
) -> None:
    """Both endorsements are priced on version 1 before either writes (a barrier holds
    them): the policy lock and the version check let one write, and the other is priced
    again on version 2 — so neither change is lost."""
    import dataclasses
    import json

    from quoting.services import endorsements as service

    broker = api.account("broker")
    pid = policy_of(api, broker)["id"]
    real_store, barrier, priced_on = service._store, threading.Barrier(2), []

    def store(*args: Any) -> bool:
        priced_on.append(args[2].version)
        if len(priced_on) <= 2:
            barrier.wait(timeout=20)
        return real_store(*args)

    monkeypatch.setattr(service, "_store", store)
    with api.store.uow() as work:
        account = work.accounts.get(broker.id)
    ctx = dataclasses.replace(api.store.context, account=account)
    bodies = [
        {"effective": "2027-05-01", "add": [joiner("E020")]},
        {"effective": "2027-05-01", "remove": [{"member_id": "E001"}]},
    ]
    done: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda b=b: done.append(
                service.endorse(api.store.uow, ctx, service.Endorse(pid, json.dumps(b).encode()))
            )
        )
        for b in bodies
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(priced_on) == [1, 1, 2]
    assert sorted(d.endorsement.policy_version for d in done) == [2, 3]
    members = api.client.get(f"{POLICIES}/{pid}/members?on=2027-05-01", headers=broker.headers)
    assert sorted(m["member_id"] for m in members.json()["members"]) == ["E002", "E020"]


def test_the_endorsement_document_shows_the_change_and_the_new_totals(api: Api) -> None:
    broker, other = api.account("broker"), api.account("broker")
    policy = policy_of(api, broker)
    pid = policy["id"]
    body = {
        "effective": "2027-07-01",
        "add": [joiner("E003", name="赵磊 <Zhao>")],
        "remove": [{"member_id": "E002"}],
        "reason": "七月轮换",
    }
    result = endorse(api, broker, pid, body).json()
    base = f"{POLICIES}/{pid}/endorsements/1/documents"
    html = api.client.get(f"{base}/endorsement.html", headers=broker.headers)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = html.text
    assert result["number"] in text and "批单" in text and "七月轮换" in text
    assert "赵磊 &lt;Zhao&gt;" in text  # escaped
    premium = Decimal(result["premium"])
    shown = f"{abs(premium):,.2f}"
    assert shown in text
    assert ("应退保险费" if premium < 0 else "应交保险费") in text
    assert f"{Decimal(result['totals']['premium']):,.2f}" in text
    pdf = api.client.get(f"{base}/endorsement.pdf", headers=broker.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="{result["number"]}-endorsement.pdf"'
    )
    assert_problem(api.client.get(f"{base}/letter.pdf", headers=broker.headers), 404, "not-found")
    assert_problem(
        api.client.get(f"{base}/endorsement.html", headers=other.headers), 404, "not-found"
    )


JOINERS_CSV = (
    "member_id,name,sex,date_of_birth,occupation_class,country,site\n"
    "W001,Li Ming,M,1980-01-02,4,Kenya,Mombasa port\n"
    "W002,Wang Fang,F,1990-05-06,2,印度尼西亚,\n"
)


def upload(api: Api, caller: Caller, policy_id: str, request: dict[str, Any], csv: str) -> Any:
    files = {
        "request": (None, json.dumps(request)),
        "census": ("joiners.csv", csv.encode(), "text/csv"),
    }
    return api.client.post(
        f"{POLICIES}/{policy_id}/endorsements", files=files, headers=caller.headers
    )


def test_members_who_join_can_come_as_a_census_file(api: Api) -> None:
    broker = api.account("broker")
    pid = policy_of(api, broker)["id"]
    response = upload(api, broker, pid, {"effective": "2027-07-01"}, JOINERS_CSV)
    assert response.status_code == 201, response.text
    added = [(m["member_id"], m["kind"], m["days"]) for m in response.json()["members"]]
    assert added == [("W001", "addition", 184), ("W002", "addition", 184)]
    # A bad row of the file is reported at its row and column.
    bad = JOINERS_CSV.replace("W001", "W003").replace(
        "W002,Wang Fang,F,1990-05-06,2,印度尼西亚", "W004,Wang Fang,F,1990-05-06,2,Atlantis"
    )
    problem = assert_problem(
        upload(api, broker, pid, {"effective": "2027-08-01"}, bad), 422, "invalid-request"
    )
    assert [(e.get("row"), e.get("column")) for e in problem["errors"]] == [(3, "country")]
    both = {"effective": "2027-08-01", "add": [joiner("E009")]}
    problem = assert_problem(upload(api, broker, pid, both, JOINERS_CSV), 422, "invalid-request")
    assert [e["pointer"] for e in problem["errors"]] == ["/add"]
