"""Settings, one dataclass per concern, read from the environment once.

| variable | default | meaning |
| --- | --- | --- |
| QUOTING_DATABASE_URL | sqlite:///var/quoting.sqlite3 | SQLAlchemy URL; ``postgresql+psycopg://…`` for PostgreSQL |
| QUOTING_REDIS_URL | (unset) | Redis for shared rate-limit state; in-process when unset |
| QUOTING_RATE_LIMIT | 600/minute | requests per API key in any window (``N/second|minute|hour``, or ``N/K seconds``) |
| QUOTING_AUTH_FAIL_LIMIT | 30/minute | requests without a valid key (and preflights) per client address |
| QUOTING_MAX_BODY_BYTES | 12000000 | largest request body (413 beyond) |
| QUOTING_ACCESS_LOG | on | one JSON line per request on the ``quoting.access`` logger; ``off`` to stop |
| QUOTING_TARIFFS | tariffs/ of the project | folder of tariff versions |
| QUOTING_TIMEZONE | Asia/Shanghai | the insurer's time zone: its date is the business date quotes are priced and bound on |
| QUOTING_BUSINESS_DATE | (unset) | ``YYYY-MM-DD`` pins the business date (training and demo environments, tests); time still moves. Unset in production |
| QUOTING_SECURE_COOKIES | off | ``on`` behind HTTPS: the pages' cookies get ``Secure`` |
| QUOTING_SESSION_IDLE | 8 hours | a page session ends after this long unused (``N seconds|minutes|hours``) |
| QUOTING_SESSION_LIFETIME | 24 hours | and this long after sign-in at the latest |
| QUOTING_SIGNIN_ACCOUNT_LIMIT | 5/15 minutes | failed sign-ins per typed name; then refused (429) until the window passes |
| QUOTING_SIGNIN_ADDRESS_LIMIT | 20/15 minutes | failed sign-ins per client address |
| QUOTING_BOOK_SITE_LIMIT | 200000000 | the book's largest AD&D sum insured on one site (CNY), across policyholders; a bind beyond it is referred |
| QUOTING_BOOK_COUNTRY_LIMIT | 2000000000 | and in one country |
| QUOTING_DOCUMENT_CACHE | ``documents/`` beside the SQLite file (``var/documents`` for other databases) | folder of rendered documents, keyed by everything they show (docs/documents.md); ``off`` renders every request |
| QUOTING_INSURER_*, QUOTING_ASSISTANCE_*, QUOTING_WORDING_*, QUOTING_DISPUTE, QUOTING_PUBLIC_URL | demo brand | the insurer on documents: see quoting/branding.py |
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quoting.branding import Brand
from quoting.clock import DEFAULT_TIMEZONE, Clock, FixedClock
from quoting.errors import SettingError
from quoting.tariff.files import DEFAULT_TARIFF_ROOT
from quoting.underwriting import BookLimits

__all__ = [
    "DEFAULT_TIMEZONE",
    "ApiSettings",
    "BookLimits",
    "Clock",
    "DatabaseSettings",
    "DocumentSettings",
    "FixedClock",
    "PageSettings",
    "RateLimitSettings",
    "Settings",
]

_WINDOWS = {"second": 1, "minute": 60, "hour": 3600}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour)s?\s*")
_DURATION = re.compile(r"\s*(\d+)\s*(second|minute|hour)s?\s*")


#: A SQLite file under ``var/`` of the directory the command runs in (the repository root
#: in the README's commands): data belongs beside the deployment, never in the package.
DEFAULT_DATABASE_URL = "sqlite:///var/quoting.sqlite3"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = DEFAULT_DATABASE_URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def _rate(name: str, text: str) -> tuple[int, int]:
    """``"600/minute"`` → (600, 60); ``"5/2 seconds"`` → (5, 2)."""
    m = _RATE.fullmatch(text)
    if m is None or int(m[1]) < 1 or m[2] == "0":
        raise SettingError(f"{name}={text!r}: use N/second, N/minute, N/hour or N/K seconds")
    return int(m[1]), int(m[2] or 1) * _WINDOWS[m[3]]


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    requests: int = 600
    window_seconds: int = 60
    redis_url: str | None = None
    # Requests without a valid API key (and CORS preflights) per client address.
    auth_fail_requests: int = 30
    auth_fail_window_seconds: int = 60

    @classmethod
    def parse(
        cls, text: str, redis_url: str | None, auth_fail: str = "30/minute"
    ) -> RateLimitSettings:
        """``"600/minute"`` → 600 requests per 60 s (and likewise ``auth_fail``)."""
        requests, window = _rate("QUOTING_RATE_LIMIT", text)
        fail_requests, fail_window = _rate("QUOTING_AUTH_FAIL_LIMIT", auth_fail)
        return cls(requests, window, redis_url, fail_requests, fail_window)


def _duration(name: str, text: str) -> int:
    """``"8 hours"`` → 28800 seconds."""
    m = _DURATION.fullmatch(text)
    if m is None or int(m[1]) < 1:
        raise SettingError(f"{name}={text!r}: use N seconds, N minutes or N hours")
    return int(m[1]) * _WINDOWS[m[2]]


def _switch(text: str) -> bool:
    return text.strip().lower() not in ("off", "0", "false", "no", "")


@dataclass(frozen=True, slots=True)
class PageSettings:
    """The agent and underwriter pages: cookies, session lengths, sign-in limits."""

    secure_cookies: bool = False
    session_idle_seconds: int = 8 * 3600
    session_lifetime_seconds: int = 24 * 3600
    # Failed sign-ins per typed name and per client address in any span of the window.
    signin_account_limit: tuple[int, int] = (5, 900)
    signin_address_limit: tuple[int, int] = (20, 900)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PageSettings:
        """The page settings of ``env`` (see the table above)."""
        return cls(
            secure_cookies=_switch(env.get("QUOTING_SECURE_COOKIES", "off")),
            session_idle_seconds=_duration(
                "QUOTING_SESSION_IDLE", env.get("QUOTING_SESSION_IDLE", "8 hours")
            ),
            session_lifetime_seconds=_duration(
                "QUOTING_SESSION_LIFETIME", env.get("QUOTING_SESSION_LIFETIME", "24 hours")
            ),
            signin_account_limit=_rate(
                "QUOTING_SIGNIN_ACCOUNT_LIMIT",
                env.get("QUOTING_SIGNIN_ACCOUNT_LIMIT", "5/15 minutes"),
            ),
            signin_address_limit=_rate(
                "QUOTING_SIGNIN_ADDRESS_LIMIT",
                env.get("QUOTING_SIGNIN_ADDRESS_LIMIT", "20/15 minutes"),
            ),
        )


@dataclass(frozen=True, slots=True)
class ApiSettings:
    max_body_bytes: int = 12_000_000
    page_size_max: int = 200
    access_log: bool = True


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """Where rendered documents are kept (None: rendered on every request)."""

    cache_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], database_url: str) -> DocumentSettings:
        """``QUOTING_DOCUMENT_CACHE``: a folder, ``off``, or unset for the data folder's
        ``documents/`` (beside a SQLite database file, else ``var/documents``)."""
        text = env.get("QUOTING_DOCUMENT_CACHE", "").strip()
        if text.lower() in ("off", "0", "false", "no"):
            return cls(None)
        if text:
            return cls(Path(text))
        prefix = "sqlite:///"
        if database_url.startswith(prefix) and database_url[len(prefix) :] not in ("", ":memory:"):
            return cls(Path(database_url[len(prefix) :].split("?")[0]).parent / "documents")
        return cls(Path("var") / "documents")


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    pages: PageSettings = field(default_factory=PageSettings)
    tariff_root: Path = DEFAULT_TARIFF_ROOT
    clock: Clock = field(default_factory=Clock)
    brand: Brand = field(default_factory=Brand)
    book_limits: BookLimits = field(default_factory=BookLimits)
    documents: DocumentSettings = field(default_factory=DocumentSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        redis_url = env.get("QUOTING_REDIS_URL") or None
        database_url = env.get("QUOTING_DATABASE_URL") or DEFAULT_DATABASE_URL
        return cls(
            database=DatabaseSettings(database_url),
            rate_limit=RateLimitSettings.parse(
                env.get("QUOTING_RATE_LIMIT", "600/minute"),
                redis_url,
                env.get("QUOTING_AUTH_FAIL_LIMIT", "30/minute"),
            ),
            api=ApiSettings(
                max_body_bytes=int(env.get("QUOTING_MAX_BODY_BYTES", "12000000")),
                access_log=env.get("QUOTING_ACCESS_LOG", "on").strip().lower()
                not in ("off", "0", "false", "no"),
            ),
            pages=PageSettings.from_env(env),
            tariff_root=Path(env.get("QUOTING_TARIFFS") or DEFAULT_TARIFF_ROOT),
            clock=Clock.from_env(env),
            brand=Brand.from_env(env),
            book_limits=_book_limits(env),
            documents=DocumentSettings.from_env(env, database_url),
        )


def _book_limits(env: Mapping[str, str]) -> BookLimits:
    """The book limits of ``env``: positive amounts in the base currency."""
    default = BookLimits()
    values = []
    for name, fallback in (
        ("QUOTING_BOOK_SITE_LIMIT", default.site_sum_insured),
        ("QUOTING_BOOK_COUNTRY_LIMIT", default.country_sum_insured),
    ):
        text = env.get(name, "").strip().replace("_", "").replace(",", "")
        try:
            value = float(text) if text else fallback
        except ValueError:
            raise SettingError(f"{name}={text!r}: give an amount, e.g. 200000000") from None
        if not value > 0 or value == float("inf"):
            raise SettingError(f"{name}={text!r}: must be a positive amount")
        values.append(value)
    return BookLimits(values[0], values[1])
