"""API-key authentication, role guards, and the per-key and per-address rate limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.enums import HttpMethod
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from quoting.services.accounts import authenticate
from quoting.store import Account, UnitOfWorkFactory, hash_api_key
from quoting.web._problems import ProblemError
from quoting.web._ratelimit import RateLimiter

__all__ = ["ApiKeyAuthMiddleware", "KeyCache", "client_address", "requires_role"]

# An account found by its key is remembered this long, sparing a database read on all
# but one request per key per second; a revoked key or a disabled account is therefore
# refused by every process within this many seconds (the read costs well under 1 ms).
KEY_CACHE_SECONDS = 1.0


class KeyCache:
    """Accounts by key hash, each kept for ``ttl`` seconds after its database read."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[str, tuple[float, Account]] = {}

    def get(self, key_hash: str) -> Account | None:
        """The account read for this key less than ``ttl`` seconds ago, else None."""
        hit = self._items.get(key_hash)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key_hash: str, account: Account) -> None:
        """Remember the account just read for this key."""
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key_hash] = (time.monotonic() + self.ttl, account)


def _limited(wait: int, what: str) -> ProblemError:
    return ProblemError(
        429,
        f"Rate limit reached for {what}; retry in {wait} s.",
        headers={"Retry-After": str(wait)},
    )


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The peer's address as the ASGI server saw it. Behind a reverse proxy this is the
    proxy's: run uvicorn with ``--proxy-headers``/``--forwarded-allow-ips`` for the proxy
    only; ``X-Forwarded-For`` from anyone else is never trusted here."""
    return connection.client.host if connection.client else "unknown"


class ApiKeyAuthMiddleware(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer <key>`` → the key's account as ``request.user``.

    Requests without a valid key count against a limit per client address, checked
    before any database lookup; ``OPTIONS`` (CORS preflight, which never carries
    credentials) passes without a key but counts against that limit too.
    """

    def __init__(self, app: ASGIApp, exclude: str | list[str] | None = None) -> None:
        """Like Litestar's, but ``OPTIONS`` comes here too (to be counted)."""
        super().__init__(app, exclude=exclude, exclude_http_methods=[])

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """The account of the request's key; 401 without one, 429 past a limit."""
        state = connection.app.state
        limiter: RateLimiter = state.rate_limiter
        address = client_address(connection)
        if connection.scope.get("method") == HttpMethod.OPTIONS:
            if wait := await limiter.hit("address", address):
                raise _limited(wait, "requests without an API key from your address")
            return AuthenticationResult(user=None, auth=None)
        header = connection.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            await _refused(limiter, address)
            raise NotAuthorizedException("Send your API key as 'Authorization: Bearer <key>'.")
        key_hash = hash_api_key(key)
        cache: KeyCache = state.key_cache
        account = cache.get(key_hash)
        if account is None:
            if wait := await limiter.exhausted("address", address):
                raise _limited(wait, "failed authentications from your address")
            uow: UnitOfWorkFactory = state.units_of_work
            account = await anyio.to_thread.run_sync(authenticate, uow, key)
            if account is None:
                await _refused(limiter, address)
                raise NotAuthorizedException("The API key is not valid.")
            cache.put(key_hash, account)
        if wait := await limiter.hit("key", key_hash):
            raise _limited(wait, "this API key")
        return AuthenticationResult(user=account, auth=key_hash)


async def _refused(limiter: RateLimiter, address: str) -> None:
    """Count a failed authentication; past the address's limit that is a 429, not a 401."""
    if wait := await limiter.hit("address", address):
        raise _limited(wait, "failed authentications from your address")


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
