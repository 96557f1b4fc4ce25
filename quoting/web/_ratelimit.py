"""Fixed-window rate limits per API key, in process or shared through Redis.

A window of ``window_seconds`` allows ``requests`` requests; the next one is refused
with the seconds left until the window ends (sent as ``Retry-After``). With Redis the
count is one atomic ``INCR`` shared by every app process.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Protocol

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "make_rate_limiter"]


class RateLimiter(Protocol):
    async def hit(self, identity: str) -> int:
        """Count one request; return 0 when allowed, else the seconds to wait."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Counts in this process only (the default, for one process)."""

    def __init__(self, requests: int, window_seconds: int) -> None:
        self.requests = requests
        self.window = window_seconds
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, identity: str) -> int:
        now = time.time()
        window = int(now // self.window)
        async with self._lock:
            start, count = self._counts.get(identity, (window, 0))
            if start != window:
                start, count = window, 0
                if len(self._counts) > 100_000:  # forget old windows of idle keys
                    self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            count += 1
            self._counts[identity] = (start, count)
        if count <= self.requests:
            return 0
        return max(1, math.ceil((window + 1) * self.window - now))

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Counts in Redis, shared by every process that uses the same server."""

    def __init__(self, url: str, requests: int, window_seconds: int) -> None:
        from redis import asyncio as aioredis

        self.requests = requests
        self.window = window_seconds
        self._redis = aioredis.from_url(url)

    async def hit(self, identity: str) -> int:
        now = time.time()
        window = int(now // self.window)
        key = f"quoting:ratelimit:{identity}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window + 1)
            count, _ = await pipe.execute()
        if int(count) <= self.requests:
            return 0
        return max(1, math.ceil((window + 1) * self.window - now))

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(requests: int, window_seconds: int, redis_url: str | None) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, requests, window_seconds)
    return MemoryRateLimiter(requests, window_seconds)
