"""The insurer's clock, and a stopped one for tests: the business date quotes are priced
and bound on."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_TIMEZONE", "Clock", "FixedClock"]

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class Clock:
    """The insurer's clock: ``today()`` is the business date in the insurer's time zone.

    Quotes are priced, backdating is judged and quotes are bound on this date, whatever
    the time zone of the server or of the client.
    """

    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"QUOTING_TIMEZONE={self.timezone!r}: use an IANA time zone like Asia/Shanghai"
            ) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Clock:
        """The clock of ``QUOTING_TIMEZONE`` in ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        return cls(env.get("QUOTING_TIMEZONE") or DEFAULT_TIMEZONE)

    def now(self) -> dt.datetime:
        """The current time, aware, in the insurer's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone))

    def today(self) -> dt.date:
        """The business date: today's date in the insurer's time zone."""
        return self.now().date()


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
