"""API-key authentication, role guards and the per-key rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from quoting.store import Account, Store, hash_api_key
from quoting.web._problems import ProblemError
from quoting.web._ratelimit import RateLimiter

__all__ = ["ApiKeyAuthMiddleware", "KeyCache", "requires_role"]

# An account found by its key is remembered this long, sparing a database read per
# request; a revoked key therefore stops working within this many seconds.
KEY_CACHE_SECONDS = 30.0


class KeyCache:
    def __init__(self, ttl: float = KEY_CACHE_SECONDS, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[str, tuple[float, Account]] = {}

    def get(self, key_hash: str) -> Account | None:
        hit = self._items.get(key_hash)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key_hash: str, account: Account) -> None:
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key_hash] = (time.monotonic() + self.ttl, account)


class ApiKeyAuthMiddleware(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer <key>`` → the key's account as ``request.user``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise NotAuthorizedException("Send your API key as 'Authorization: Bearer <key>'.")
        key = key.strip()
        state = connection.app.state
        cache: KeyCache = state.key_cache
        store: Store = state.store
        key_hash = hash_api_key(key)
        account = cache.get(key_hash)
        if account is None:
            account = await anyio.to_thread.run_sync(store.account_for_key, key)
            if account is None:
                raise NotAuthorizedException("The API key is not valid.")
            cache.put(key_hash, account)
        limiter: RateLimiter = state.rate_limiter
        wait = await limiter.hit(key_hash)
        if wait:
            raise ProblemError(
                429,
                f"Rate limit reached for this API key; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        return AuthenticationResult(user=account, auth=key_hash)


def requires_role(
    *roles: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard letting through only accounts with one of ``roles`` (else 403)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        account: Account = connection.user
        if account.role not in roles:
            raise PermissionDeniedException(
                f"This needs one of the roles {', '.join(roles)}; your account is a {account.role}."
            )

    return guard
