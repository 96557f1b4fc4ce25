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

from quoting.documents import certificate_numbers, initials, parse_certificate_code, tag_matches
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
        request = msgspec.json.decode(quote_row.request_json, type=QuoteRequest)
        every = _segments(work, policy.id, request, quote)
        certificate = _certificate(quote, request, every, parsed.number)
        if certificate is None or not tag_matches(parsed, certificate[0], document_secret(work)):
            raise NotFound(_UNKNOWN)
    member_id, name, name_en, start, end = certificate
    segments = [s for s in every if s.member.member_id == member_id]
    on = ctx.today()
    state, ended_on = _state(segments, start, end, on)
    return CertificateCheck(
        state=state,
        initials=initials(name, name_en),
        start=start,
        end=end,
        ended_on=ended_on,
        on=on,
    )


def _certificate(
    quote: Quote, request: QuoteRequest, segments: list[VersionMember], number: int
) -> tuple[str, str, str | None, dt.date, dt.date] | None:
    """Certificate ``number``: member id, name, passport name, and its period — a bound
    member's as bound; a member who joined by endorsement (numbered after the bound ones,
    in the order they joined) from their first covered day to the end their cover was
    given."""
    if 1 <= number <= len(quote.members):
        member = quote.members[number - 1]
        census = {m.member_id: m for m in request.census.members or []}
        entry = census.get(member.member_id)
        name_en = entry.name_en if entry else None
        return member.member_id, member.name, name_en, member.start, member.end
    by_number = {n: member_id for member_id, n in certificate_numbers(segments).items()}
    member_id = by_number.get(number) if number > len(quote.members) else None
    own = [s for s in segments if s.member.member_id == member_id]
    if member_id is None or not own:
        return None
    row = own[-1].member
    start = min(s.start for s in own)
    end = max(s.member.end or s.end for s in own)
    return member_id, row.name, row.name_en, start, end
