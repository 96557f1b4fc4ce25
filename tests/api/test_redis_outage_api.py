"""A Redis outage degrades rate limiting to in-process counting: requests are served,
one warning is logged, ``/health`` says so (200), and Redis is used again once back."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.api.conftest import REDIS_URL, ApiFactory, LogRecords, redis_reachable
from tests.api.test_ratelimit_api import assert_rate_limited

TARIFF = "/api/v1/tariffs/current"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def limiter_warnings(log: LogRecords) -> list[str]:
    return [r.getMessage() for r in log.named("quoting", logging.WARNING)]


def test_unreachable_redis_still_serves_and_limits_in_process(
    api_with: ApiFactory, quoting_log: LogRecords
) -> None:
    limited = api_with(QUOTING_RATE_LIMIT="5/minute", QUOTING_REDIS_URL=CLOSED_PORT_REDIS)
    broker = limited.account()
    for _ in range(5):
        response = limited.client.get(TARIFF, headers=broker.headers)
        assert response.status_code == 200, response.text
    assert_rate_limited(limited.client.get(TARIFF, headers=broker.headers))
    warnings = limiter_warnings(quoting_log)
    assert len(warnings) == 1, warnings
    assert "in this process" in warnings[0]
    assert "127.0.0.1:1" in warnings[0]


def test_health_reports_a_degraded_rate_limit_store_with_200(api_with: ApiFactory) -> None:
    degraded = api_with(QUOTING_REDIS_URL=CLOSED_PORT_REDIS)
    response = degraded.client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] is True
    assert body["dependencies"]["database"]["status"] == "ok"
    store = body["dependencies"]["rate_limit_store"]
    assert store["status"] == "degraded"
    assert "in-process" in store["detail"]


def test_health_without_redis_configured_is_ok(api_with: ApiFactory) -> None:
    body = api_with().client.get("/health").json()
    assert body["status"] == "ok"
    assert body["dependencies"]["rate_limit_store"] == {"status": "ok", "detail": "in-process"}


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable")
def test_health_with_redis_answering_is_ok(api_with: ApiFactory) -> None:
    body = api_with(QUOTING_REDIS_URL=REDIS_URL).client.get("/health").json()
    assert body["status"] == "ok"
    assert body["dependencies"]["rate_limit_store"] == {"status": "ok", "detail": "redis"}


class Relay:
    """A TCP relay from a local port to Redis that can be cut and restored, standing in
    for a Redis outage without touching the shared Redis server."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self.open = False
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self._sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    from urllib.parse import urlsplit

    target = urlsplit(REDIS_URL)
    r = Relay((target.hostname or "127.0.0.1", target.port or 6379))
    yield r
    r.close()


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable")
def test_redis_is_used_again_once_it_answers(
    api_with: ApiFactory, relay: Relay, quoting_log: LogRecords
) -> None:
    app = api_with(QUOTING_REDIS_URL=f"redis://127.0.0.1:{relay.port}/0")
    app.client.app.state.rate_limiter.retry_seconds = 0.2  # type: ignore[attr-defined]
    broker = app.account()
    assert app.client.get(TARIFF, headers=broker.headers).status_code == 200
    assert app.client.get("/health").json()["dependencies"]["rate_limit_store"]["detail"] == "redis"

    relay.cut()
    for _ in range(3):
        assert app.client.get(TARIFF, headers=broker.headers).status_code == 200
    health = app.client.get("/health").json()
    assert health["dependencies"]["rate_limit_store"]["status"] == "degraded"

    relay.restore()
    import time

    time.sleep(0.3)
    assert app.client.get(TARIFF, headers=broker.headers).status_code == 200
    health = app.client.get("/health").json()
    assert health["status"] == "ok"
    assert health["dependencies"]["rate_limit_store"] == {"status": "ok", "detail": "redis"}
    warnings = limiter_warnings(quoting_log)
    assert len(warnings) == 2, warnings  # the outage once, the recovery once
    assert "answers again" in warnings[1]
