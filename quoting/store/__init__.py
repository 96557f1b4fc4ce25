"""Persistence: repositories per aggregate (accounts and keys, quotes, policies, the pages'
sessions) and the
events of service calls, behind a unit of work — SQL (SQLite by default, PostgreSQL by
URL) or in memory (:mod:`quoting.store.memory`, the fake of the unit tests).

The SQL side (SQLAlchemy, Alembic) is imported when first used, so that code that only
needs the records — the CLI pricing offline, say — starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quoting.store._records import (
    REFERRAL_STATES,
    ROLES,
    Account,
    ApiKeyRow,
    ClaimRow,
    Conflict,
    EndorsementRow,
    Event,
    EventFilter,
    ExposureRow,
    NewApiKey,
    PolicyRow,
    PolicyVersionRow,
    QuoteRow,
    ReferralFilter,
    ReferralRow,
    WebSession,
    hash_api_key,
    is_valid_id,
    new_api_key,
    new_id,
)
from quoting.store._repositories import QuoteFilter, UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from quoting.store._database import Database
    from quoting.store._redis_sessions import RedisSessionStore
    from quoting.store._sql import SqlUnitOfWork

__all__ = [
    "REFERRAL_STATES",
    "ROLES",
    "Account",
    "ApiKeyRow",
    "ClaimRow",
    "Conflict",
    "Database",
    "EndorsementRow",
    "Event",
    "EventFilter",
    "ExposureRow",
    "NewApiKey",
    "PolicyRow",
    "PolicyVersionRow",
    "QuoteFilter",
    "QuoteRow",
    "RedisSessionStore",
    "ReferralFilter",
    "ReferralRow",
    "SqlUnitOfWork",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WebSession",
    "hash_api_key",
    "is_valid_id",
    "new_api_key",
    "new_id",
]


def __getattr__(name: str) -> Any:
    if name == "Database":
        from quoting.store._database import Database

        return Database
    if name == "RedisSessionStore":
        from quoting.store._redis_sessions import RedisSessionStore

        return RedisSessionStore
    if name == "SqlUnitOfWork":
        from quoting.store._sql import SqlUnitOfWork

        return SqlUnitOfWork
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
