"""Who is acting, on which business date, under which tariffs: what every service call
is given besides its unit of work and its command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from quoting.branding import Brand
from quoting.clock import Clock
from quoting.documents import DocumentCache
from quoting.errors import Forbidden
from quoting.store import Account, Event
from quoting.underwriting import BookLimits

__all__ = ["Context", "visible_owner"]

#: Roles that see every account's quotes and policies.
_SEE_ALL = ("underwriter", "admin")


def visible_owner(account: Account) -> str | None:
    """Brokers and agents see their own quotes and policies; underwriters and admins all."""
    return None if account.role in _SEE_ALL else account.id


@dataclass(frozen=True, slots=True)
class Context:
    """The acting account (None for the insurer's own tools, e.g. the CLI), the insurer's
    clock, the folder of tariff versions, the insurer's brand on documents and the limits
    of its accumulation book, and where rendered documents are kept (None: nowhere)."""

    clock: Clock
    tariff_root: Path
    account: Account | None = None
    brand: Brand = field(default_factory=Brand)
    book_limits: BookLimits = field(default_factory=BookLimits)
    document_cache: DocumentCache | None = None

    def acting(self) -> Account:
        """The acting account; services that need one refuse to run without it."""
        if self.account is None:
            raise Forbidden("this needs an account")
        return self.account

    def today(self) -> dt.date:
        """The business date."""
        return self.clock.today()

    def now(self) -> dt.datetime:
        """The current time in UTC (the time stamps of stored rows and events)."""
        return self.clock.now().astimezone(dt.UTC)

    def event(self, kind: str, subject_id: str, **data: object) -> Event:
        """An event of this call, by the acting account, now."""
        account_id = self.account.id if self.account else None
        return Event(kind, subject_id, account_id, self.now(), dict(data))
