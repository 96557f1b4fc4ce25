"""Rate limits: per API key and, for requests without a valid key, per client address;
429 with Retry-After, as moving windows in process or shared through Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.conftest import REDIS_URL, Api, ApiFactory, example_request, redis_reachable

TARIFF = "/api/v1/tariffs/current"
QUOTES = "/api/v1/quotes"

needs_redis = pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable")


def assert_rate_limited(response: Any) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/rate-limited"
    assert problem["status"] == 429
    assert problem["title"] and problem["detail"]
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60
    return int(retry_after)


def check_limit(limited: Api) -> None:
    first, other = limited.account(), limited.account()
    for _ in range(3):
        assert limited.client.get(TARIFF, headers=first.headers).status_code == 200
    assert_rate_limited(limited.client.get(TARIFF, headers=first.headers))
    # Every endpoint counts against the same key; nothing is stored past the limit.
    before = limited.store.count_quotes()
    post = limited.client.post(
        QUOTES,
        content=example_request(),
        headers={**first.headers, "Content-Type": "application/json"},
    )
    assert_rate_limited(post)
    assert limited.store.count_quotes() == before
    # Another key is unaffected, and so are the unauthenticated endpoints.
    for _ in range(3):
        assert limited.client.get(TARIFF, headers=other.headers).status_code == 200
    assert_rate_limited(limited.client.get(TARIFF, headers=other.headers))
    for _ in range(5):
        assert limited.client.get("/health").status_code == 200


def test_in_process_limit_answers_429_with_retry_after(api_with: ApiFactory) -> None:
    check_limit(api_with(QUOTING_RATE_LIMIT="3/minute"))


@needs_redis
def test_redis_limit_answers_429_with_retry_after(api_with: ApiFactory) -> None:
    check_limit(api_with(QUOTING_RATE_LIMIT="3/minute", QUOTING_REDIS_URL=REDIS_URL))


@needs_redis
def test_redis_limit_is_shared_by_two_app_processes(api_with: ApiFactory) -> None:
    one = api_with(QUOTING_RATE_LIMIT="3/minute", QUOTING_REDIS_URL=REDIS_URL)
    two = api_with(QUOTING_RATE_LIMIT="3/minute", QUOTING_REDIS_URL=REDIS_URL)
    broker = one.account()
    assert one.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert two.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert one.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert_rate_limited(two.client.get(TARIFF, headers=broker.headers))
    assert_rate_limited(one.client.get(TARIFF, headers=broker.headers))


def test_in_process_limits_are_per_app(api_with: ApiFactory) -> None:
    """Without Redis each process counts alone (documented: in-process stores otherwise)."""
    one = api_with(QUOTING_RATE_LIMIT="3/minute")
    two = api_with(QUOTING_RATE_LIMIT="3/minute")
    broker = one.account()
    for _ in range(3):
        assert one.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert_rate_limited(one.client.get(TARIFF, headers=broker.headers))
    assert two.client.get(TARIFF, headers=broker.headers).status_code == 200


def passes_in_any_window(api: Api, headers: dict[str, str], window: float, seconds: float) -> None:
    """Send requests back to back for ``seconds``, starting just before a whole multiple of
    ``window`` (where a fixed window would open a fresh count), and check that no span of
    ``window`` seconds let more than the limit (5) through."""
    time.sleep((window - 0.3 - time.time() % window) % window)
    passed: list[tuple[float, float]] = []  # (sent, answered) of each request let through
    end = time.time() + seconds
    while time.time() < end:
        sent = time.time()
        response = api.client.get(TARIFF, headers=headers)
        if response.status_code == 200:
            passed.append((sent, time.time()))
        else:
            assert 1 <= assert_rate_limited(response) <= window
    assert len(passed) >= 5
    # The server let request j through at least `window` after request i (j = i + 5): its
    # decisions lie between sending and answering, so this holds for the client's clock too.
    for (sent_i, _), (_, answered_j) in zip(passed, passed[5:], strict=False):
        assert answered_j - sent_i >= window, [round(p[0] % 60, 3) for p in passed]


def test_no_more_than_the_limit_passes_in_any_window_span(api_with: ApiFactory) -> None:
    limited = api_with(QUOTING_RATE_LIMIT="5/second")
    passes_in_any_window(limited, limited.account().headers, window=1.0, seconds=1.6)


@needs_redis
def test_no_more_than_the_limit_passes_in_any_window_span_with_redis(
    api_with: ApiFactory,
) -> None:
    limited = api_with(QUOTING_RATE_LIMIT="5/second", QUOTING_REDIS_URL=REDIS_URL)
    passes_in_any_window(limited, limited.account().headers, window=1.0, seconds=1.6)


def test_retry_after_is_the_wait_until_a_request_passes(api_with: ApiFactory) -> None:
    limited = api_with(QUOTING_RATE_LIMIT="2/2 seconds")
    broker = limited.account()
    for _ in range(2):
        assert limited.client.get(TARIFF, headers=broker.headers).status_code == 200
    wait = assert_rate_limited(limited.client.get(TARIFF, headers=broker.headers))
    assert wait == 2
    time.sleep(wait)
    assert limited.client.get(TARIFF, headers=broker.headers).status_code == 200


def count_key_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys looked up in the database from now on."""
    from quoting.store._sql import SqlAccounts

    looked_up: list[str] = []
    original = SqlAccounts.by_key_hash

    def by_key_hash(self: SqlAccounts, key_hash: str) -> Any:
        looked_up.append(key_hash)
        return original(self, key_hash)

    monkeypatch.setattr(SqlAccounts, "by_key_hash", by_key_hash)
    return looked_up


def check_failed_authentication_limit(limited: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    broker = limited.account()
    assert limited.client.get(TARIFF, headers=broker.headers).status_code == 200  # cached
    looked_up = count_key_lookups(monkeypatch)
    bad = {"Authorization": "Bearer qk_guessed"}
    assert limited.client.get(TARIFF, headers=bad).status_code == 401
    assert limited.client.get(TARIFF).status_code == 401  # no key counts too
    assert limited.client.get(TARIFF, headers=bad).status_code == 401
    assert len(looked_up) == 2
    for headers in (bad, {}, {"Authorization": "Bearer qk_another_guess"}):
        retry_after = assert_rate_limited(limited.client.get(TARIFF, headers=headers))
        assert retry_after <= 60
    assert len(looked_up) == 2, "refused before the database lookup"
    # A key this process already knows keeps working; health stays open.
    assert limited.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert limited.client.get("/health").status_code == 200


def test_failed_authentication_is_limited_per_address(
    api_with: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_failed_authentication_limit(api_with(QUOTING_AUTH_FAIL_LIMIT="3/minute"), monkeypatch)


def forget_address_counts() -> None:
    """Every test client has the address ``testclient``: start its Redis counts afresh."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("quoting:ratelimit:*address*testclient*"):
        client.delete(key)


@needs_redis
def test_failed_authentication_is_limited_per_address_with_redis(
    api_with: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_address_counts()
    limited = api_with(QUOTING_AUTH_FAIL_LIMIT="3/minute", QUOTING_REDIS_URL=REDIS_URL)
    check_failed_authentication_limit(limited, monkeypatch)
    forget_address_counts()


def test_preflight_counts_against_the_address_limit(api_with: ApiFactory) -> None:
    limited = api_with(QUOTING_AUTH_FAIL_LIMIT="3/minute")
    for _ in range(3):
        assert limited.client.options(QUOTES).status_code == 204
    assert_rate_limited(limited.client.options(QUOTES))
