"""Passwords of the pages: argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended profile), the rules a new password follows, and the name it signs in with."""

from __future__ import annotations

import functools
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from quoting.errors import Problem, QuotingError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "check_password",
    "hash_password",
    "signin_name",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
#: Longer passwords are refused: hashing megabytes would be a cheap way to load the server.
MAX_PASSWORD_LENGTH = 256
#: The roles that sign in to the pages; brokers use the API with keys only.
PAGE_ROLES = ("agent", "underwriter", "admin")


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _decoy() -> str:
    # Verified against when no account has the name, so that an unknown name takes as long
    # to refuse as a wrong password (the time does not tell which names exist).
    return _hasher().hash("decoy password, never valid")


def signin_name(name: str) -> str:
    """The form a name is compared in at sign-in: NFKC, case-folded, spaces squeezed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def check_password(password: str) -> None:
    """Refuse a password that is too short or too long (``password`` problem)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise QuotingError(
            Problem(f"must have at least {MIN_PASSWORD_LENGTH} characters", path=("password",))
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise QuotingError(
            Problem(f"must have at most {MAX_PASSWORD_LENGTH} characters", path=("password",))
        )


def hash_password(password: str) -> str:
    """The argon2id hash of a password that passed :func:`check_password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs a new hash): ``password_hash`` None (no such account) costs the same
    time and never matches."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False, False
    try:
        _hasher().verify(password_hash or _decoy(), password)
    except (VerificationError, InvalidHashError):
        return False, False
    if password_hash is None:
        return False, False
    return True, _hasher().check_needs_rehash(password_hash)
