"""Persistence: accounts, API keys and quotes in SQLite (default) or PostgreSQL."""

from quoting.store._store import (
    ROLES,
    Account,
    IdempotencyConflict,
    NewQuote,
    QuoteRow,
    Store,
    hash_api_key,
    new_api_key,
)

__all__ = [
    "ROLES",
    "Account",
    "IdempotencyConflict",
    "NewQuote",
    "QuoteRow",
    "Store",
    "hash_api_key",
    "new_api_key",
]
