"""The insurer's clock, and a stopped one for tests: the business date quotes are priced
and bound on.

``QUOTING_BUSINESS_DATE=YYYY-MM-DD`` pins the business date (training and demo
environments, tests); time itself still moves, so sessions, rate limits and the audit
trail's timestamps stay real. Unset in production."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from quoting.errors import SettingError

__all__ = ["DEFAULT_TIMEZONE", "Clock", "FixedClock"]

DEFAULT_TIMEZONE = "Asia/Shanghai"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Clock:
    """The insurer's clock: ``today()`` is the business date in the insurer's time zone.

    Quotes are priced, backdating is judged and quotes are bound on this date, whatever
    the time zone of the server or of the client. With ``business_date`` set, ``today()``
    is that date whatever the time (``now()`` still moves).
    """

    timezone: str = DEFAULT_TIMEZONE
    business_date: dt.date | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingError(
                f"QUOTING_TIMEZONE={self.timezone!r}: use an IANA time zone like Asia/Shanghai"
            ) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Clock:
        """The clock of ``QUOTING_TIMEZONE`` and ``QUOTING_BUSINESS_DATE`` in ``env``
        (default: the process environment)."""
        env = os.environ if env is None else env
        pinned = (env.get("QUOTING_BUSINESS_DATE") or "").strip()
        return cls(env.get("QUOTING_TIMEZONE") or DEFAULT_TIMEZONE, _business_date(pinned))

    def now(self) -> dt.datetime:
        """The current time, aware, in the insurer's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone))

    def today(self) -> dt.date:
        """The business date: the pinned one, else today's date in the insurer's time zone."""
        if self.business_date is not None:
            return self.business_date
        return self.now().date()


def _business_date(text: str) -> dt.date | None:
    """The date of ``QUOTING_BUSINESS_DATE``, None when unset."""
    if not text:
        return None
    if _ISO_DATE.fullmatch(text):
        with suppress(ValueError):  # e.g. 2026-02-30
            return dt.date.fromisoformat(text)
    raise SettingError(
        f"QUOTING_BUSINESS_DATE={text!r}: give a date as YYYY-MM-DD (it pins the business "
        "date for training and demo environments and tests; unset it in production)"
    )


@dataclass(frozen=True, slots=True)
class FixedClock(Clock):
    """A clock stopped at ``at`` (a test seam): ``today()`` is always the same date."""

    at: dt.datetime = dt.datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo(DEFAULT_TIMEZONE))

    @classmethod
    def on(cls, day: dt.date) -> FixedClock:
        """A clock stopped at noon of ``day`` in the insurer's time zone."""
        return cls(at=dt.datetime.combine(day, dt.time(12), ZoneInfo(DEFAULT_TIMEZONE)))

    def now(self) -> dt.datetime:
        """The fixed time, in the insurer's time zone."""
        return self.at.astimezone(ZoneInfo(self.timezone))
