"""Binding quotes into policies through the broker API: the bind rules (declined, referred
until approved, expired, twice, another broker's quote), approval by underwriters, the
policies endpoints and unique policy numbers under concurrent binds."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from quoting.clock import FixedClock
from quoting.errors import QuoteExpired
from quoting.services import Context
from quoting.services.binding import bind_quote
from tests.api.conftest import EXAMPLES, Api, ApiFactory, Caller, example_request

QUOTES = "/api/v1/quotes"
POLICIES = "/api/v1/policies"
POLICY_NUMBER = re.compile(r"^GA(\d{4})(\d{7})$")
POLICY_DOCUMENTS = {
    f"{name}.{fmt}"
    for name in ("policy-schedule", "member-list", "certificates")
    for fmt in ("pdf", "html")
}


# --------------------------------------------------------------------------- helpers


def small_body() -> dict[str, Any]:
    """The small example: two members, accepted on standard terms."""
    return json.loads(example_request())


def declined_body() -> dict[str, Any]:
    """Every member in Afghanistan, where the tariff declines cover: the quote is declined."""
    body = small_body()
    for member in body["census"]["members"]:
        member["country"] = "Afghanistan"
    return body


def referred_body() -> dict[str, Any]:
    """The construction company example: class 6 members need an underwriter."""
    return json.loads((EXAMPLES / "construction_company.json").read_text(encoding="utf-8"))


def create(api: Api, caller: Caller, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.client.post(QUOTES, json=body or small_body(), headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def bind(api: Api, caller: Caller, quote_id: str) -> Any:
    return api.client.post(f"{QUOTES}/{quote_id}/bind", headers=caller.headers)


def approve(api: Api, caller: Caller, quote_id: str) -> Any:
    return api.client.post(f"{QUOTES}/{quote_id}/approve", headers=caller.headers)


def bound(api: Api, caller: Caller, quote_id: str) -> dict[str, Any]:
    response = bind(api, caller, quote_id)
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == f"/problems/{kind}"
    assert problem["title"]
    assert problem["detail"]
    return problem


def sequence(policy_number: str) -> int:
    match = POLICY_NUMBER.match(policy_number)
    assert match, policy_number
    return int(match.group(2))


def listed(api: Api, caller: Caller, **params: Any) -> dict[str, Any]:
    response = api.client.get(POLICIES, headers=caller.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def set_valid_until(api: Api, quote_id: str, day: dt.date) -> None:
    with api.store.engine.begin() as conn:
        updated = conn.execute(
            sa.text("UPDATE quotes SET valid_until = :day WHERE id = :id"),
            {"day": day, "id": quote_id},
        )
        assert updated.rowcount == 1


def race(count: int, call: Any) -> list[Any]:
    """Run ``call(i)`` for i in range(count) from ``count`` threads released at once."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=30)
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


# --------------------------------------------------------------------------- binding


def test_binding_an_accepted_quote_creates_a_policy_with_the_quotes_totals(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    assert quote["status"] == "accepted"

    before = dt.datetime.now(dt.UTC)
    response = bind(api, broker, quote["id"])
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    policy = response.json()

    assert policy["id"].startswith("pol_")
    match = POLICY_NUMBER.match(policy["policy_number"])
    assert match, policy["policy_number"]
    # Numbered in the year of the business date it is bound on.
    assert int(match.group(1)) == api.settings.clock.today().year
    assert policy["quote_id"] == quote["id"]
    assert policy["status"] == "in_force"
    created_at = dt.datetime.fromisoformat(policy["created_at"])
    assert before - dt.timedelta(seconds=1) <= created_at <= dt.datetime.now(dt.UTC)

    # The policy carries exactly what was quoted.
    assert policy["total_premium"] == quote["total_premium"]
    assert policy["total_vat"] == quote["total_vat"]
    assert policy["currency"] == quote["currency"]
    assert policy["headcount"] == quote["headcount"]
    assert policy["tariff_version"] == quote["tariff"]["version"]
    assert policy["policyholder"] == small_body()["policyholder"]["name"]
    assert policy["credit_code"] == small_body()["policyholder"]["credit_code"]
    assert (policy["period_start"], policy["period_end"]) == ("2027-01-01", "2027-12-31")

    links = policy["links"]
    assert links["self"] == f"{POLICIES}/{policy['id']}"
    assert response.headers["Location"] == links["self"]
    assert links["quote"] == f"{QUOTES}/{quote['id']}"
    assert set(links["documents"]) == POLICY_DOCUMENTS
    for filename, url in links["documents"].items():
        assert url == f"{POLICIES}/{policy['id']}/documents/{filename}"

    fetched = api.client.get(links["self"], headers=broker.headers)
    assert fetched.status_code == 200
    assert fetched.json() == policy
    # The quote itself is unchanged by binding.
    again = api.client.get(links["quote"], headers=broker.headers).json()
    assert again["total_premium"] == quote["total_premium"]
    assert again["members"] == quote["members"]


def test_binding_twice_is_a_conflict_naming_the_policy(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    policy = bound(api, broker, quote["id"])

    problem = assert_problem(bind(api, broker, quote["id"]), 409, "already-bound")
    assert policy["policy_number"] in problem["detail"]
    assert problem["instance"] == f"{QUOTES}/{quote['id']}/bind"
    # Still one policy.
    page = listed(api, broker)
    assert page["total"] == 1
    assert [p["policy_number"] for p in page["items"]] == [policy["policy_number"]]


def test_a_declined_quote_cannot_be_bound(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker, declined_body())
    assert quote["status"] == "declined"

    problem = assert_problem(bind(api, broker, quote["id"]), 409, "quote-declined")
    assert quote["id"] in problem["detail"]
    assert listed(api, broker)["total"] == 0
    # Nor can an underwriter approve it into a bindable quote.
    underwriter = api.account("underwriter")
    assert_problem(approve(api, underwriter, quote["id"]), 409, "not-referred")
    assert_problem(bind(api, broker, quote["id"]), 409, "quote-declined")


def test_a_referred_quote_binds_only_after_an_underwriter_approves_it(api: Api) -> None:
    broker = api.account()
    underwriter = api.account("underwriter")
    quote = create(api, broker, referred_body())
    assert quote["status"] == "referred"

    problem = assert_problem(bind(api, broker, quote["id"]), 409, "quote-referred")
    assert "underwriter" in problem["detail"]
    assert listed(api, broker)["total"] == 0

    before = dt.datetime.now(dt.UTC)
    response = approve(api, underwriter, quote["id"])
    assert response.status_code == 200, response.text
    approval = response.json()
    assert approval["quote_id"] == quote["id"]
    assert approval["approved_by"] == underwriter.id
    approved_at = dt.datetime.fromisoformat(approval["approved_at"])
    assert before - dt.timedelta(seconds=1) <= approved_at <= dt.datetime.now(dt.UTC)
    assert approval["links"]["self"] == f"{QUOTES}/{quote['id']}"

    policy = bound(api, broker, quote["id"])
    assert policy["quote_id"] == quote["id"]
    assert policy["total_premium"] == quote["total_premium"]
    assert policy["headcount"] == quote["headcount"]
    assert listed(api, broker)["total"] == 1


@pytest.mark.parametrize("role", ["broker", "agent", "admin"])
def test_only_underwriters_may_approve(api: Api, role: str) -> None:
    broker = api.account()
    quote = create(api, broker, referred_body())
    caller = broker if role == "broker" else api.account(role)
    problem = assert_problem(approve(api, caller, quote["id"]), 403, "forbidden")
    assert "underwriter" in problem["detail"]
    # The refused approval left the quote unbindable.
    assert_problem(bind(api, broker, quote["id"]), 409, "quote-referred")


def test_approving_a_quote_that_is_not_referred_or_does_not_exist(api: Api) -> None:
    broker = api.account()
    underwriter = api.account("underwriter")
    accepted = create(api, broker)
    problem = assert_problem(approve(api, underwriter, accepted["id"]), 409, "not-referred")
    assert "accepted" in problem["detail"]
    assert_problem(approve(api, underwriter, "q_000000000000000000000000"), 404, "not-found")


def test_an_expired_quote_cannot_be_bound(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    yesterday = api.settings.clock.today() - dt.timedelta(days=1)
    set_valid_until(api, quote["id"], yesterday)

    problem = assert_problem(bind(api, broker, quote["id"]), 409, "quote-expired")
    assert yesterday.isoformat() in problem["detail"]
    assert listed(api, broker)["total"] == 0


def test_a_quote_binds_on_its_last_valid_day_and_not_the_day_after(api: Api) -> None:
    broker = api.account()
    account = api.store.get_account(broker.id)
    assert account is not None
    first, second = create(api, broker), create(api, broker)
    valid_until = dt.date.fromisoformat(first["valid_until"])

    def on(day: dt.date) -> Context:
        return Context(FixedClock.on(day), api.settings.tariff_root, account)

    with pytest.raises(QuoteExpired):
        bind_quote(api.store.uow, on(valid_until + dt.timedelta(days=1)), first["id"])
    assert api.store.policy_for_quote(first["id"]) is None

    policy = bind_quote(api.store.uow, on(valid_until), second["id"]).policy
    assert policy.quote_id == second["id"]
    assert policy.owner_id == broker.id
    assert POLICY_NUMBER.match(policy.policy_number)


def test_another_brokers_quote_is_not_found_and_stays_bindable(api: Api) -> None:
    owner, other = api.account(), api.account()
    quote = create(api, owner)

    problem = assert_problem(bind(api, other, quote["id"]), 404, "not-found")
    assert quote["id"] in problem["detail"]
    assert_problem(bind(api, other, "q_000000000000000000000000"), 404, "not-found")
    assert listed(api, other)["total"] == 0

    policy = bound(api, owner, quote["id"])
    assert policy["quote_id"] == quote["id"]


def test_binding_needs_an_api_key(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)
    response = api.client.post(f"{QUOTES}/{quote['id']}/bind")
    assert response.status_code == 401
    assert api.client.get(POLICIES).status_code == 401
    assert listed(api, broker)["total"] == 0


# --------------------------------------------------------------------------- policies


def test_brokers_see_only_their_own_policies_and_underwriters_see_all(api: Api) -> None:
    alice, bob = api.account(), api.account()
    underwriter = api.account("underwriter")
    alice_policies = [bound(api, alice, create(api, alice)["id"]) for _ in range(2)]
    bob_policy = bound(api, bob, create(api, bob)["id"])

    page = listed(api, alice)
    assert page["total"] == 2
    assert page["next"] is None
    # Newest first.
    assert [p["id"] for p in page["items"]] == [p["id"] for p in alice_policies[::-1]]
    assert page["items"][0] == alice_policies[1]
    page = listed(api, bob)
    assert page["total"] == 1
    assert [p["id"] for p in page["items"]] == [bob_policy["id"]]

    # Pages.
    first = listed(api, alice, limit=1)
    assert [p["id"] for p in first["items"]] == [alice_policies[1]["id"]]
    assert first["next"] == f"{POLICIES}?limit=1&offset=1"
    second = api.client.get(first["next"], headers=alice.headers).json()
    assert [p["id"] for p in second["items"]] == [alice_policies[0]["id"]]
    assert second["next"] is None

    # Another broker's policy does not exist for you.
    assert_problem(
        api.client.get(bob_policy["links"]["self"], headers=alice.headers), 404, "not-found"
    )
    assert_problem(
        api.client.get(alice_policies[0]["links"]["self"], headers=bob.headers), 404, "not-found"
    )
    assert_problem(
        api.client.get(f"{POLICIES}/pol_000000000000000000000000", headers=alice.headers),
        404,
        "not-found",
    )

    # The underwriter sees all of them (the database may hold other tests' policies too).
    everyone = {p["id"] for p in listed(api, underwriter, limit=200)["items"]}
    mine = {p["id"] for p in [*alice_policies, bob_policy]}
    assert mine <= everyone
    for policy in [*alice_policies, bob_policy]:
        response = api.client.get(policy["links"]["self"], headers=underwriter.headers)
        assert response.status_code == 200
        assert response.json() == policy


# --------------------------------------------------------------------------- concurrency


def test_concurrent_binds_of_one_quote_make_exactly_one_policy(api: Api) -> None:
    broker = api.account()
    quote = create(api, broker)

    responses = race(8, lambda _: bind(api, broker, quote["id"]))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    (winner,) = [r.json() for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, "already-bound")
            assert winner["policy_number"] in problem["detail"]
    page = listed(api, broker)
    assert page["total"] == 1
    assert page["items"][0]["policy_number"] == winner["policy_number"]


def test_concurrent_binds_of_many_quotes_get_distinct_consecutive_numbers(api: Api) -> None:
    broker = api.account()
    quote_ids = [create(api, broker)["id"] for _ in range(20)]
    lock = threading.Lock()
    pending = list(quote_ids)

    def bind_some(_: int) -> list[Any]:
        done: list[Any] = []
        while True:
            with lock:
                if not pending:
                    return done
                quote_id = pending.pop()
            done.append(bind(api, broker, quote_id))

    responses = [r for batch in race(8, bind_some) for r in batch]

    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    policies = [r.json() for r in responses]
    assert sorted(p["quote_id"] for p in policies) == sorted(quote_ids)
    numbers = [p["policy_number"] for p in policies]
    assert len(set(numbers)) == 20
    # No number skipped or repeated: twenty consecutive numbers of one year.
    assert len({n[:6] for n in numbers}) == 1
    sequences = sorted(sequence(n) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 20))
    assert listed(api, broker)["total"] == 20


def test_two_app_instances_on_one_database_never_share_a_policy_number(
    api: Api, api_with: ApiFactory
) -> None:
    """Like two server processes: each app has its own store and connection pool."""
    other = api_with()
    broker = api.account()
    quote_ids = [create(api, broker)["id"] for _ in range(12)]
    apps = [api, other]

    responses = race(12, lambda i: bind(apps[i % 2], broker, quote_ids[i]))

    assert [r.status_code for r in responses] == [201] * 12, [r.text for r in responses]
    numbers = [r.json()["policy_number"] for r in responses]
    assert len(set(numbers)) == 12
    sequences = sorted(sequence(n) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 12))

    # And one quote raced from both apps still binds once.
    quote = create(api, broker)
    responses = race(6, lambda i: bind(apps[i % 2], broker, quote["id"]))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5, [
        r.text for r in responses
    ]


def test_the_quote_shows_its_approval_and_policy(api: Api) -> None:
    broker, underwriter = api.account(), api.account("underwriter")
    quote = create(
        api,
        broker,
        json.loads((EXAMPLES / "construction_company.json").read_text(encoding="utf-8"))
        | {"as_of": None},
    )
    url = f"/api/v1/quotes/{quote['id']}"
    before = api.client.get(url, headers=broker.headers).json()
    assert (before["approved_at"], before["policy_number"], before["policy"]) == (None, None, None)
    assert api.client.post(f"{url}/approve", headers=underwriter.headers).status_code == 200
    policy = api.client.post(f"{url}/bind", headers=broker.headers).json()
    after = api.client.get(url, headers=broker.headers).json()
    assert after["approved_at"] is not None
    assert after["policy_number"] == policy["policy_number"]
    assert after["policy"] == policy["links"]["self"]
