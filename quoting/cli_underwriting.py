"""The underwriters' commands of ``quoting``: ``referrals list``, ``audit``, ``exposure``
(on the database of QUOTING_DATABASE_URL, as the insurer's own tool)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from quoting.services import Context
    from quoting.store import UnitOfWorkFactory

__all__ = ["add_parsers", "run"]

COMMANDS = ("referrals", "audit", "exposure")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_parsers(sub: Any) -> None:
    """The ``referrals``, ``audit`` and ``exposure`` commands."""
    r = sub.add_parser("referrals", help="the referral queue (uses QUOTING_DATABASE_URL)")
    rsub = r.add_subparsers(dest="referrals_command", required=True)
    listing = rsub.add_parser("list", help="referred quotes, oldest first")
    listing.add_argument(
        "--state",
        default="open",
        choices=("open", "waiting", "information_requested", "approved", "declined", "all"),
    )
    listing.add_argument("--reason", help="a reason code, e.g. occupation_class")
    listing.add_argument("--country", help="an ISO country code of a member, e.g. ID")
    listing.add_argument("--limit", type=int, default=50)
    a = sub.add_parser("audit", help="the audit trail, oldest first (uses QUOTING_DATABASE_URL)")
    a.add_argument("--subject", help="a quote, policy, account or key id")
    a.add_argument("--kind", help="an event kind; 'referral' also matches referral.*")
    a.add_argument("--account", help="who acted (account id)")
    a.add_argument("--since", type=_date, help="on or after this day (UTC)")
    a.add_argument("--limit", type=int, default=200)
    a.add_argument("--format", choices=("table", "json"), default="table")
    e = sub.add_parser(
        "exposure", help="the book's AD&D and evacuation sums insured per site and country"
    )
    e.add_argument(
        "action",
        nargs="?",
        choices=("rebuild",),
        help="rebuild: make every policy's exposure rows again from its newest version "
        "(policies bound before the book existed; endorsements and cancellations made "
        "before exposure followed them)",
    )
    e.add_argument("--on", type=_date, help="the date (default: today, the business date)")
    e.add_argument("--country", help="one ISO country code")


def run(args: argparse.Namespace, out: TextIO, uow: UnitOfWorkFactory, ctx: Context) -> None:
    """Run one of :data:`COMMANDS`."""
    if args.command == "referrals":
        _referrals(args, out, uow, ctx)
    elif args.command == "audit":
        _audit(args, out, uow, ctx)
    else:
        _exposure(args, out, uow, ctx)


def _referrals(args: argparse.Namespace, out: TextIO, uow: UnitOfWorkFactory, ctx: Context) -> None:
    from quoting.services.referrals import list_referrals
    from quoting.store import REFERRAL_STATES, ReferralFilter

    states = {"open": ("waiting", "information_requested"), "all": REFERRAL_STATES}.get(
        args.state, (args.state,)
    )
    where = ReferralFilter(tuple(states), args.reason, args.country, max(1, args.limit), 0)
    items, total = list_referrals(uow, ctx, where)
    print(f"{total} referral(s), oldest first", file=out)
    for item in items:
        r, q = item.referral, item.quote
        age = item.age.total_seconds() / 86400
        print(
            f"{q.id}  {r.state:<21} {age:5.1f} d  {q.headcount:>6} members  "
            f"{q.currency} {q.total_premium:>14}  {q.policyholder}",
            file=out,
        )
        print(f"    reasons: {', '.join(r.reason_codes)}  countries: {', '.join(r.countries)}",
              file=out)  # fmt: skip
        asked = r.sent_by or q.owner_id
        note = f"  message: {r.message}" if r.message else ""
        print(f"    asked by {asked}{note}", file=out)
        if r.question:
            print(f"    question: {r.question}  answer: {r.answer or '(none yet)'}", file=out)
        if r.escalation:
            print(f"    needs: {r.escalation}", file=out)


def _audit(args: argparse.Namespace, out: TextIO, uow: UnitOfWorkFactory, ctx: Context) -> None:
    from quoting.services.audit import audit_trail
    from quoting.store import EventFilter

    since = dt.datetime.combine(args.since, dt.time(), dt.UTC) if args.since else None
    where = EventFilter(args.subject, args.kind, args.account, since, None, max(1, args.limit))
    events, total = audit_trail(uow, ctx, where)
    if args.format == "json":
        rows = [
            {
                "id": e.id,
                "occurred_at": e.occurred_at.isoformat(),
                "kind": e.kind,
                "subject_id": e.subject_id,
                "account_id": e.account_id,
                "data": e.data,
            }
            for e in events
        ]
        print(json.dumps({"total": total, "items": rows}, ensure_ascii=False, indent=2), file=out)
        return
    print(f"{total} event(s)", file=out)
    for e in events:
        who = e.account_id or "(insurer's tools)"
        print(f"#{e.id} {e.occurred_at:%Y-%m-%d %H:%M:%S} UTC  {e.kind:<30} {e.subject_id}  by {who}",
              file=out)  # fmt: skip
        for key, value in sorted(e.data.items()):
            text = (
                json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            )
            print(f"    {key}: {text}", file=out)


def _exposure(args: argparse.Namespace, out: TextIO, uow: UnitOfWorkFactory, ctx: Context) -> None:
    from quoting.services.exposure import book_exposure

    if args.action == "rebuild":
        from quoting.services.policy_exposure import rebuild_exposure

        done = rebuild_exposure(uow, ctx)
        print(f"exposure rebuilt: {done.policies} policies, {done.rows} rows", file=out)
        return

    book = book_exposure(uow, ctx, args.on, args.country)
    limits = book.limits
    print(
        f"book in force on {book.on} (CNY); limits: site {limits.site_sum_insured:,.0f}, "
        f"country {limits.country_sum_insured:,.0f}",
        file=out,
    )
    print("sites, largest AD&D sum insured first:", file=out)
    for s in book.sites:
        flag = "  OVER LIMIT" if s.over_limit else ""
        print(
            f"  {s.country} {s.site or '(no site)':<40} {s.policies:>3} policies "
            f"{s.headcount:>6} members  AD&D {s.add_sum_insured:>18,.2f}  "
            f"evac {s.evac_sum_insured:>16,.2f}{flag}",
            file=out,
        )
        print(f"     policyholders: {', '.join(s.policyholders)}", file=out)
    print("countries:", file=out)
    for c in book.countries:
        flag = "  OVER LIMIT" if c.over_limit else ""
        print(
            f"  {c.country} {c.policies:>3} policies {c.headcount:>6} members  "
            f"AD&D {c.add_sum_insured:>18,.2f}  evac {c.evac_sum_insured:>16,.2f}{flag}",
            file=out,
        )
