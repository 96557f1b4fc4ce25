"""The audit trail: every event of every service call (who, when, what, before and
after), append-only in the database, read by underwriters and admins."""

from __future__ import annotations

from quoting.services._context import Context
from quoting.services.exposure import require_underwriter
from quoting.store import Event, EventFilter, UnitOfWorkFactory

__all__ = ["audit_trail"]


def audit_trail(
    uow: UnitOfWorkFactory, ctx: Context, where: EventFilter
) -> tuple[list[Event], int]:
    """A page of the events that match ``where``, oldest first, and how many match
    (underwriters and admins; the insurer's own tools)."""
    require_underwriter(ctx, "The audit trail")
    with uow() as work:
        return work.events.find(where)
