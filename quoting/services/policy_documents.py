"""A policy's documents as of any version of its member list (policy schedule, member
list, certificates), and the certificates of the members an endorsement added or changed.

Version 1 is the bound quote (its documents are those of binding); a later version prints
its own members and totals with the same templates (``quoting.documents.version_data``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from quoting.documents import (
    DocumentData,
    SegmentTerms,
    VersionNote,
    certificates_from,
    certificates_per_member,
    document_data,
    version_data,
)
from quoting.errors import EndorsementReferred, NoCertificates, NotFound
from quoting.policies import version_total_cents
from quoting.pricing import cents_to_text
from quoting.rating_input import age_last_birthday
from quoting.schemas import PricedEndorsement, VersionMember
from quoting.services._context import Context
from quoting.services.documents import (
    _render,
    keep,
    kept_document,
    policy_document_inputs,
)
from quoting.services.endorsements import _State, _state, segment_place, version_members
from quoting.store import UnitOfWork, UnitOfWorkFactory
from quoting.tariff import Tariff
from quoting.tariff.registry import registry_for

__all__ = ["endorsement_certificates", "policy_document_as_of"]


def _terms(state: _State, members: list[VersionMember], tariff: Tariff) -> list[SegmentTerms]:
    """What the documents print of each segment: country and plan as priced (else as the
    exposure rows resolve them), occupation class, age at the segment's start."""
    place = segment_place(state, tariff)
    bound = {m.member_id: m for m in state.quote.members}
    out = []
    for segment in members:
        row = segment.member
        country, plan = place(segment)
        as_bound = bound.get(row.member_id)
        occupation = tariff.occupations.get((row.occupation_code or "").strip().upper())
        cls = row.occupation_class or (occupation.occupation_class if occupation else None)
        born = row.date_of_birth
        age = age_last_birthday(born, segment.start) if born is not None else None
        out.append(
            SegmentTerms(
                segment=segment,
                country=country,
                plan=plan,
                occupation_class=cls or (as_bound.occupation_class if as_bound else 0),
                age=age if age is not None else (as_bound.age if as_bound else 0),
            )
        )
    return out


def _note(state: _State, number: int) -> VersionNote:
    """Which endorsement made version ``number`` (none for version 1, as bound)."""
    for row in state.endorsements:
        if row.policy_version == number and number > 1:
            record = msgspec.json.decode(row.result_json, type=PricedEndorsement)
            issued = record.approved_at or record.created_at
            return VersionNote(
                number=number,
                latest=state.version,
                endorsement=record.number,
                effective=record.effective,
                issued=issued.date(),
                cancellation=record.cancellation is not None,
            )
    return VersionNote(number=number, latest=state.version)


def _as_of(
    work: UnitOfWork, ctx: Context, state: _State, number: int, inputs: dict[str, Any]
) -> DocumentData:
    """The documents' data of the policy of ``state`` (whose documents' ``inputs`` are
    read) as of version ``number``, read in ``work``: the bound quote's for version 1
    (with a note once there are others)."""
    data = document_data(**inputs)
    if state.version == number == 1:  # never endorsed: the documents as bound
        return data
    members = version_members(work, state, number)
    note = _note(state, number)
    if number == 1:
        return dataclasses.replace(data, version=note)
    tariff = registry_for(ctx.tariff_root).by_hash(state.quote.tariff.hash)
    premium, vat = version_total_cents(members, state.adjustment_cents)
    return version_data(
        data,
        _terms(state, members, tariff),
        premium=cents_to_text(premium),
        vat=cents_to_text(vat),
        note=note,
        secret=inputs["secret"],
    )


def policy_document_as_of(
    uow: UnitOfWorkFactory,
    ctx: Context,
    policy_id: str,
    document: str,
    fmt: str,
    fonts_url: str | None = None,
    version: int | None = None,
) -> tuple[bytes, str]:
    """A policy's document (``policy-schedule``, ``member-list``, ``certificates``) as of
    version ``version`` of its member list (default: the newest), with a file name that
    names the version once the policy has several; :class:`NotFound` for a version it
    does not have. Certificates are one per member, with the terms of their last segment
    in the version."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
        number = state.version if version is None else version
        name = state.policy.policy_number + (f"-v{number}" if state.version > 1 else "")
        # A version's members never change once written: the bound inputs, the version
        # and the newest version (the note printed on an older one) are its whole key.
        inputs = policy_document_inputs(work, ctx, state.policy, state.quote_row)
        key, body = kept_document(
            ctx, document, fmt, inputs, fonts_url, version=number, latest=state.version
        )
        if body is not None:
            return body, f"{name}-{document}.{fmt}"
        data = _as_of(work, ctx, state, number, inputs)
    if document == "certificates" and number > 1:
        data = certificates_per_member(data)
    body = _render(document, fmt, data, fonts_url)
    keep(ctx, key, fmt, body)
    return body, f"{name}-{document}.{fmt}"


def endorsement_certificates(
    uow: UnitOfWorkFactory,
    ctx: Context,
    policy_id: str,
    seq: int,
    fmt: str,
    fonts_url: str | None = None,
) -> tuple[bytes, str]:
    """The certificates (保险凭证) of the members endorsement ``seq`` added or changed to
    new terms, each covered from its effective date, as the endorsement's version shows
    them. :class:`NoCertificates` for an endorsement that adds nobody (removals only, a
    cancellation); :class:`EndorsementReferred` while it awaits an underwriter."""
    with uow() as work:
        state = _state(work, ctx, policy_id)
        row = work.endorsements.get(state.policy.id, seq)
        if row is None:
            raise NotFound(f"No endorsement {seq} of policy {policy_id}.")
        record = msgspec.json.decode(row.result_json, type=PricedEndorsement)
        joined = {m.member_id for m in record.members if m.kind == "addition"}
        if record.cancellation is not None or not joined:
            what = "is the policy's cancellation" if record.cancellation else "only removes members"
            raise NoCertificates(
                f"endorsement {record.number} {what}; it adds no member and has no certificates"
            )
        if record.policy_version is None:
            raise EndorsementReferred(
                f"endorsement {record.number} awaits an underwriter's approval; its "
                "certificates are issued once it is approved"
            )
        inputs = policy_document_inputs(work, ctx, state.policy, state.quote_row)
        data = _as_of(work, ctx, state, record.policy_version, inputs)
    data = certificates_from(data, joined, record.effective)
    return _render("certificates", fmt, data, fonts_url), f"{record.number}-certificates.{fmt}"
