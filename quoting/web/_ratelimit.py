"""Rate limits as moving windows (the ``limits`` library), shared through Redis when set.

Two limits of the API: ``requests`` per ``window`` per API key, and, per client address,
requests that carry no valid key (failed authentication and CORS preflights); and two of
the pages' sign-in: failed sign-ins per typed name and per client address. A moving window
lets no more than N requests through in *any* span of the window's length; a refused
request gets the seconds until one would be allowed (sent as ``Retry-After``).

With Redis every app process shares the counts. When Redis fails, counting falls back to
this process (one warning per outage, not one per request) and Redis is tried again
every ``retry_seconds``; requests are served throughout.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

__all__ = ["Limit", "RateLimiter", "StoreState"]

log = logging.getLogger("quoting.web.ratelimit")

# Redis answers in well under a millisecond; a server that takes longer than this is
# treated as down, so a slow or black-holed Redis never stalls requests for long.
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0

Limit = Literal["key", "address", "signin_name", "signin_address"]
#: Failed sign-ins allowed per typed name and per address (requests, window seconds).
DEFAULT_SIGNIN_LIMITS = ((5, 900), (20, 900))
StoreState = Literal["in-process", "redis", "degraded"]
T = TypeVar("T")


def _item(requests: int, window_seconds: int) -> RateLimitItem:
    return RateLimitItemPerSecond(requests, window_seconds)


class RateLimiter:
    """The per-key and per-address limits of one app, in memory or in Redis."""

    def __init__(
        self,
        per_key: tuple[int, int],
        per_address: tuple[int, int],
        redis_url: str | None = None,
        retry_seconds: float = REDIS_RETRY_SECONDS,
        signin: tuple[tuple[int, int], tuple[int, int]] = DEFAULT_SIGNIN_LIMITS,
    ) -> None:
        self.items: dict[Limit, RateLimitItem] = {
            "key": _item(*per_key),
            "address": _item(*per_address),
            "signin_name": _item(*signin[0]),
            "signin_address": _item(*signin[1]),
        }
        self.retry_seconds = retry_seconds
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        self._redis_url = redis_url
        self._pool: Any = None
        if redis_url:
            from redis.asyncio import ConnectionPool

            # Our own pool, so that close() can release it.
            self._pool = ConnectionPool.from_url(
                redis_url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            storage = RedisStorage(
                "async+" + redis_url,
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix="quoting:ratelimit",
                connection_pool=self._pool,
            )
            self._redis = MovingWindowRateLimiter(storage)
        self._down_since: float | None = None
        self._retry_at = 0.0

    @property
    def state(self) -> StoreState:
        """Where counts are kept right now."""
        if self._redis is None:
            return "in-process"
        return "redis" if self._down_since is None else "degraded"

    async def hit(self, limit: Limit, identity: str) -> int:
        """Count one request; return 0 when allowed, else the seconds to wait."""
        item = self.items[limit]
        allowed = await self._call(lambda s: s.hit(item, limit, identity))
        return 0 if allowed else await self._wait(limit, identity)

    async def exhausted(self, limit: Limit, identity: str) -> int:
        """Without counting: 0 when one more request would be allowed, else the wait."""
        item = self.items[limit]
        allowed = await self._call(lambda s: s.test(item, limit, identity))
        return 0 if allowed else await self._wait(limit, identity)

    async def clear(self, limit: Limit, identity: str) -> None:
        """Forget the counts of one identity (e.g. a name's failures after a sign-in)."""
        item = self.items[limit]
        await self._call(lambda s: s.clear(item, limit, identity))

    async def check(self) -> StoreState:
        """Ping Redis (if used) and return the state, for the health check."""
        if self._redis is not None:
            await self._call(_ping)
        return self.state

    async def close(self) -> None:
        """Release the Redis connections, if any."""
        if self._pool is not None:
            await self._pool.disconnect()

    async def _wait(self, limit: Limit, identity: str) -> int:
        stats = await self._call(lambda s: s.get_window_stats(self.items[limit], limit, identity))
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _call(self, operation: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        """Run ``operation`` on Redis while it answers, else on this process's counts."""
        if self._redis is not None and self._redis_due():
            try:
                result = await operation(self._redis)
            except StorageError as exc:
                self._redis_failed(exc)
            else:
                if self._down_since is not None:
                    log.warning(
                        "rate-limit store: Redis answers again after %.0f s; counts are shared",
                        time.monotonic() - self._down_since,
                    )
                    self._down_since = None
                return result
        return await operation(self._memory)

    def _redis_due(self) -> bool:
        if self._down_since is None:
            return True
        now = time.monotonic()
        if now < self._retry_at:
            return False
        # One request tries Redis again; the others keep counting here meanwhile.
        self._retry_at = now + self.retry_seconds
        return True

    def _redis_failed(self, exc: StorageError) -> None:
        now = time.monotonic()
        if self._down_since is None:
            log.warning(
                "rate-limit store: Redis at %s failed (%s); counting in this process, "
                "retrying every %.0f s",
                _redacted(self._redis_url or ""),
                exc.storage_error,
                self.retry_seconds,
            )
            self._down_since = now
        self._retry_at = now + self.retry_seconds


async def _ping(strategy: MovingWindowRateLimiter) -> None:
    # The storages answer a failed PING with False rather than an error.
    if not await strategy.storage.check():
        raise StorageError(ConnectionError("no answer to PING"))


def _redacted(url: str) -> str:
    """The Redis URL without a password, for the log."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}" if credentials or at else url
