"""Rate limits per API key: 429 with Retry-After, in process or shared through Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.conftest import REDIS_URL, Api, ApiFactory, example_request, redis_reachable

TARIFF = "/api/v1/tariffs/current"
QUOTES = "/api/v1/quotes"

needs_redis = pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable")


def fresh_window() -> None:
    """The limit counts in fixed one-minute windows: don't start a test at a window's end,
    where the requests could straddle two windows."""
    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.05)


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
    fresh_window()
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
    fresh_window()
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
    fresh_window()
    for _ in range(3):
        assert one.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert_rate_limited(one.client.get(TARIFF, headers=broker.headers))
    assert two.client.get(TARIFF, headers=broker.headers).status_code == 200
