"""The access log: one JSON object per HTTP request on the ``quoting.access`` logger.

Each line has ``time`` (UTC, when the request arrived), ``method``, ``path`` (without the
query string, which can carry names), ``status``, ``duration_ms``, ``account`` (the
authenticated account's id, else null), ``client`` (the peer address) and, on a 500,
``incident`` (the number the problem body shows). Never the Authorization header, a
query string or a body.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from quoting.store import Account
from quoting.web._problems import INCIDENT_STATE_KEY

__all__ = ["AccessLogMiddleware"]

log = logging.getLogger("quoting.access")


class AccessLogMiddleware:
    """Wraps the whole application, so it also sees answers made outside any route (404,
    405, and the 401/429 of the authentication middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request and log one line about it, whatever happens."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = dt.datetime.now(dt.UTC)
        start = time.perf_counter()
        status = 500  # unless a response starts: an error escaped every handler

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            log.info(json.dumps(_line(scope, arrived, status, time.perf_counter() - start)))


def _line(scope: Scope, arrived: dt.datetime, status: int, seconds: float) -> dict[str, Any]:
    user = scope.get("user")
    user = getattr(user, "account", user)  # a page's signed-in user: their account
    client = scope.get("client")
    line: dict[str, Any] = {
        "time": arrived.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": scope.get("method"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "account": user.id if isinstance(user, Account) else None,
        "client": client[0] if client else None,
    }
    incident = (scope.get("state") or {}).get(INCIDENT_STATE_KEY)
    if incident is not None:
        line["incident"] = incident
    return line
