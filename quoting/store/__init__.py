"""Persistence: accounts, API keys and quotes in SQLite (default) or PostgreSQL."""

from quoting.store._store import (
    ROLES,
    Account,
    ApiKeyRow,
    BindRefused,
    IdempotencyConflict,
    NewQuote,
    PolicyRow,
    QuoteRow,
    Store,
    hash_api_key,
    is_valid_id,
    new_api_key,
)

__all__ = [
    "ROLES",
    "Account",
    "ApiKeyRow",
    "BindRefused",
    "IdempotencyConflict",
    "NewQuote",
    "PolicyRow",
    "QuoteRow",
    "Store",
    "hash_api_key",
    "is_valid_id",
    "new_api_key",
]
