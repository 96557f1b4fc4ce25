"""The public check of a certificate of insurance (``/verify/{code}``, the certificate's QR
code): is the person insured today, under a genuine certificate?

Anybody may ask (a hospital abroad, a visa office), so the answer holds the least that
answers it: valid or not, the insured's initials and the period of cover — no name, date
of birth, passport, policyholder or premium. A code that is malformed, names no policy or
certificate, or whose keyed tag does not match is "not found", all alike, so the answer
tells nobody which policies exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import msgspec

from quoting.documents import initials, parse_certificate_code, tag_matches
from quoting.errors import NotFound
from quoting.policies import version_one
from quoting.schemas import Quote, QuoteRequest, VersionMember
from quoting.services._context import Context
from quoting.services.documents import document_secret
from quoting.store import UnitOfWork, UnitOfWorkFactory

__all__ = ["CertificateCheck", "verify_certificate"]

#: ``in_force``: valid today; ``not_yet``: cover starts later; ``expired``: the period
#: has ended; ``ended_early``: the member left the policy (or it ended) before the period's end.
CertificateState = Literal["in_force", "not_yet", "expired", "ended_early"]
_MEMBERS = msgspec.json.Decoder(list[VersionMember])
_UNKNOWN = "No certificate has this code."


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """What the verification page shows."""

    state: CertificateState
    initials: str
    start: dt.date
    end: dt.date
    #: the last day covered when cover ended before the certificate's end
    ended_on: dt.date | None
    on: dt.date

    @property
    def valid(self) -> bool:
        return self.state == "in_force"


def _segments(
    work: UnitOfWork, policy_id: str, request: QuoteRequest, quote: Quote
) -> list[VersionMember]:
    latest = work.endorsements.latest_version(policy_id)
    if latest is None:
        return version_one(request, quote)
    return _MEMBERS.decode(latest.members_json)


def _state(
    segments: list[VersionMember], start: dt.date, end: dt.date, on: dt.date
) -> tuple[CertificateState, dt.date | None]:
    if any(s.start <= on <= s.end for s in segments):
        return "in_force", None
    last = max((s.end for s in segments), default=start - dt.timedelta(days=1))
    if on < start and last >= start:
        return "not_yet", None
    if last < end:
        return "ended_early", last
    return "expired", None


def verify_certificate(uow: UnitOfWorkFactory, ctx: Context, code: str) -> CertificateCheck:
    """The state of the certificate of ``code`` on the business date; ``NotFound`` for a
    code that is not one of our certificates."""
    parsed = parse_certificate_code(code)
    if parsed is None:
        raise NotFound(_UNKNOWN)
    with uow() as work:
        policy = work.policies.get(parsed.policy_id)
        quote_row = work.quotes.get(policy.quote_id) if policy else None
        if policy is None or quote_row is None or not quote_row.result_json:
            raise NotFound(_UNKNOWN)
        assert quote_row.request_json is not None
        quote = msgspec.json.decode(quote_row.result_json, type=Quote)
        if not 1 <= parsed.number <= len(quote.members):
            raise NotFound(_UNKNOWN)
        member = quote.members[parsed.number - 1]
        if not tag_matches(parsed, member.member_id, document_secret(work)):
            raise NotFound(_UNKNOWN)
        request = msgspec.json.decode(quote_row.request_json, type=QuoteRequest)
        segments = [
            s
            for s in _segments(work, policy.id, request, quote)
            if s.member.member_id == member.member_id
        ]
    on = ctx.today()
    state, ended_on = _state(segments, member.start, member.end, on)
    census = {m.member_id: m for m in request.census.members or []}
    entry = census.get(member.member_id)
    return CertificateCheck(
        state=state,
        initials=initials(member.name, entry.name_en if entry else None),
        start=member.start,
        end=member.end,
        ended_on=ended_on,
        on=on,
    )
