"""Persistence: repositories per aggregate (accounts and keys, quotes, policies, the pages'
sessions) and the
events of service calls, behind a unit of work — SQL (SQLite by default, PostgreSQL by
URL) or in memory (:mod:`quoting.store.memory`, the fake of the unit tests)."""

from quoting.store._database import Database
from quoting.store._records import (
    ROLES,
    Account,
    ApiKeyRow,
    Conflict,
    Event,
    NewApiKey,
    PolicyRow,
    QuoteRow,
    WebSession,
    hash_api_key,
    is_valid_id,
    new_api_key,
    new_id,
)
from quoting.store._repositories import QuoteFilter, UnitOfWork, UnitOfWorkFactory
from quoting.store._sql import SqlUnitOfWork

__all__ = [
    "ROLES",
    "Account",
    "ApiKeyRow",
    "Conflict",
    "Database",
    "Event",
    "NewApiKey",
    "PolicyRow",
    "QuoteFilter",
    "QuoteRow",
    "SqlUnitOfWork",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WebSession",
    "hash_api_key",
    "is_valid_id",
    "new_api_key",
    "new_id",
]
