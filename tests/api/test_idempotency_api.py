"""`Idempotency-Key` on POST /api/v1/quotes: retries are safe, even when they race."""

from __future__ import annotations

import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api.conftest import Api, Caller, example_request

QUOTES = "/api/v1/quotes"
CSV = (
    "member_id,name,sex,date_of_birth,occupation_class,country\n"
    "W001,Li Ming,M,1980-01-02,4,Kenya\n"
    "W002,Wang Fang,F,1990-05-06,2,ID\n"
)


def new_key() -> str:
    return f"test-{secrets.token_hex(8)}"


def post(api: Api, caller: Caller, key: str, content: bytes | None = None) -> Any:
    return api.client.post(
        QUOTES,
        content=content if content is not None else example_request(),
        headers={**caller.headers, "Content-Type": "application/json", "Idempotency-Key": key},
    )


def other_body() -> bytes:
    body = json.loads(example_request())
    body["census"]["members"][1]["occupation_class"] = 3
    return json.dumps(body).encode()


def assert_reused_key_problem(response: Any, original_id: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/idempotency-key-reused"
    assert problem["status"] == 422
    assert problem["title"]
    assert original_id in problem["detail"]
    assert problem["instance"] == QUOTES


def test_same_key_and_body_return_the_original_quote(api: Api) -> None:
    broker = api.account()
    key = new_key()
    before = api.store.count_quotes()
    first = post(api, broker, key)
    second = post(api, broker, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert api.store.count_quotes() == before + 1
    assert api.client.get(QUOTES, headers=broker.headers).json()["total"] == 1


def test_the_same_json_with_other_spacing_and_key_order_is_the_same_request(api: Api) -> None:
    broker = api.account()
    key = new_key()
    body = json.loads(example_request())
    first = post(api, broker, key, json.dumps(body).encode())
    reordered = dict(reversed(list(body.items())))
    second = post(api, broker, key, json.dumps(reordered, indent=4, ensure_ascii=False).encode())
    assert second.status_code == 201, second.text
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_a_problem(api: Api) -> None:
    broker = api.account()
    key = new_key()
    before = api.store.count_quotes()
    first = post(api, broker, key)
    assert first.status_code == 201
    assert_reused_key_problem(post(api, broker, key, other_body()), first.json()["id"])
    assert api.store.count_quotes() == before + 1
    # The original is still replayed.
    assert post(api, broker, key).json()["id"] == first.json()["id"]


def test_one_key_used_by_two_brokers_gives_two_quotes(api: Api) -> None:
    broker_a, broker_b = api.account(), api.account()
    key = new_key()
    before = api.store.count_quotes()
    a, b = post(api, broker_a, key), post(api, broker_b, key)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert "Idempotent-Replayed" not in b.headers
    assert api.store.count_quotes() == before + 2
    # Another body under the same key is fine for the other broker too.
    assert post(api, api.account(), key, other_body()).status_code == 201


def test_a_failed_request_does_not_use_up_the_key(api: Api) -> None:
    broker = api.account()
    key = new_key()
    assert post(api, broker, key, b'{"policyholder": {}}').status_code == 422
    response = post(api, broker, key)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers


def test_an_overlong_key_is_a_problem(api: Api) -> None:
    broker = api.account()
    before = api.store.count_quotes()
    response = post(api, broker, "k" * 256)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert api.store.count_quotes() == before
    assert post(api, broker, "k" * 255).status_code == 201


def test_multipart_uploads_are_idempotent_too(api: Api) -> None:
    broker = api.account()
    key = new_key()
    part = json.loads(example_request())
    del part["census"]

    def upload(census: str) -> Any:
        return api.client.post(
            QUOTES,
            files={
                "request": (None, json.dumps(part)),
                "census": ("census.csv", census.encode(), "text/csv"),
            },
            headers={**broker.headers, "Idempotency-Key": key},
        )

    before = api.store.count_quotes()
    first, again = upload(CSV), upload(CSV)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    changed = upload(CSV.replace("Wang Fang", "Wang Li"))
    assert_reused_key_problem(changed, first.json()["id"])
    assert api.store.count_quotes() == before + 1


def _race(api: Api, bodies: list[bytes], key: str, broker: Caller) -> list[Any]:
    """POST every body at the same moment from its own thread (one shared TestClient)."""
    barrier = threading.Barrier(len(bodies))

    def send(body: bytes) -> Any:
        barrier.wait(timeout=10)
        return post(api, broker, key, body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_concurrent_duplicates_store_one_quote(api: Api) -> None:
    broker = api.account()
    key = new_key()
    before = api.store.count_quotes()
    responses = _race(api, [example_request()] * 8, key, broker)
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert api.store.count_quotes() == before + 1
    page = api.client.get(QUOTES, headers=broker.headers).json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == responses[0].json()["id"]


def test_concurrent_requests_with_one_key_and_two_bodies_store_one_quote(api: Api) -> None:
    broker = api.account()
    key = new_key()
    before = api.store.count_quotes()
    bodies = [example_request(), other_body()] * 4
    responses = _race(api, bodies, key, broker)
    assert api.store.count_quotes() == before + 1
    winners = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(winners) == 1
    (winner,) = winners
    stored = api.client.get(f"{QUOTES}/{winner}", headers=broker.headers).json()
    for response in responses:
        if response.status_code == 201:
            assert response.json() == stored
        else:
            assert_reused_key_problem(response, winner)
    # Each loser sent the other body than the winner.
    statuses: dict[bytes, set[int]] = {body: set() for body in bodies}
    for body, response in zip(bodies, responses, strict=True):
        statuses[body].add(response.status_code)
    assert sorted(map(sorted, statuses.values())) == [[201], [422]]
