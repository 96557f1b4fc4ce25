"""API-key authentication, role guards and the per-key rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
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
    """A guard letting through only accounts with one of ``roles`` (else 403).

    Litestar answers ``OPTIONS`` itself (204 with ``Allow``) with a handler it adds to each
    path and that inherits the controller's guards; a preflight carries no credentials
    and that answer shows no data, so it needs no role. Anything else reaching the guard
    without an account is unauthenticated (401), never a server error.
    """

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if isinstance(handler, HTTPRouteHandler) and handler.http_methods == {HttpMethod.OPTIONS}:
            return
        account = connection.scope.get("user")
        if not isinstance(account, Account):
            raise NotAuthorizedException("Send your API key as 'Authorization: Bearer <key>'.")
        if account.role not in roles:
            raise PermissionDeniedException(
                f"This needs one of the roles {', '.join(roles)}; your account is a {account.role}."
            )

    return guard
