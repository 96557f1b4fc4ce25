"""What a document shows: the stored quote, its request, the tariff it was priced under,
who arranged it and, once bound, the policy. Built once, rendered by any template."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import msgspec

from quoting.branding import Brand
from quoting.documents._names import LatinName, latin_name
from quoting.documents._verify import certificate_code
from quoting.documents._wording import (
    Condition,
    CustomerText,
    Status,
    conditions,
    decline_texts,
    quote_status,
)
from quoting.errors import TariffError
from quoting.schemas import CensusMember, MemberQuote, Quote, QuoteRequest, printable
from quoting.tariff import COVER_CODES, Tariff
from quoting.tariff.registry import tariff_in_force, tariff_versions

__all__ = [
    "Brand",
    "DocumentData",
    "MemberRow",
    "PlanBenefit",
    "VersionNote",
    "document_data",
    "member_row",
]


@dataclass(frozen=True, slots=True)
class PlanBenefit:
    """One cover of a plan as a document shows it (amounts in the quote currency)."""

    code: str
    name_zh: str
    name_en: str
    amount: Decimal
    amount_label_zh: str
    amount_label_en: str
    deductible: Decimal | None = None
    coinsurance: Decimal | None = None
    max_days: int | None = None


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A priced member with the census details the quote itself does not carry."""

    number: int
    quote: MemberQuote
    sex: str | None
    date_of_birth: dt.date | None
    passport_no: str | None
    occupation_zh: str
    occupation_en: str
    country_zh: str
    country_en: str
    sums_insured: dict[str, Decimal]
    certificate_number: str = ""
    verification_code: str = ""
    #: the name as in the passport (the census's ``name_en``, else pinyin, marked)
    latin_name: LatinName = field(default_factory=lambda: LatinName(""))
    #: the code of the public verification page ``/verify/{code}`` (once bound)
    verify_code: str = ""


@dataclass(frozen=True, slots=True)
class CensusTotal:
    """The total row of the census tables (by country, by class): members and their
    premiums, before the minimum-premium adjustments (shown apart)."""

    headcount: int
    premium: Decimal
    adjustments: Decimal

    @property
    def per_member(self) -> Decimal:
        if not self.headcount:
            return Decimal(0)
        return (self.premium / self.headcount).quantize(Decimal("0.01"), ROUND_HALF_UP)


def census_total(quote: Quote) -> CensusTotal:
    """Sums of the census table rows (exact: decimal strings added as decimals)."""
    return CensusTotal(
        headcount=sum(row.headcount for row in quote.summary.by_country),
        premium=sum((Decimal(row.premium) for row in quote.summary.by_country), Decimal(0)),
        adjustments=sum((Decimal(a.premium) for a in quote.adjustments), Decimal(0)),
    )


def vat_exempt(quote: Quote, tariff: Tariff) -> frozenset[str]:
    """The covers whose premium carries no VAT by the tariff's exemption (medical cover
    of a policy of a year or more): their VAT reads 免税 / exempt, not 0.00."""
    return frozenset(
        row.key
        for row in quote.summary.by_cover
        if tariff.params.covers[row.key].vat_exempt_min_months is not None
        and Decimal(row.vat) == 0
        and Decimal(row.premium) > 0
    )


@dataclass(frozen=True, slots=True)
class VersionNote:
    """Which version of a policy's member list a document shows (set once the policy has
    more than one): ``endorsement`` is the number of the endorsement that made it, in
    effect from ``effective`` and issued on ``issued`` (None for version 1, as bound)."""

    number: int
    latest: int
    endorsement: str | None = None
    effective: dt.date | None = None
    issued: dt.date | None = None
    cancellation: bool = False


@dataclass(frozen=True, slots=True)
class DocumentData:
    """Everything one quote's or policy's documents show."""

    quote_id: str
    created_at: dt.datetime
    valid_until: dt.date
    quote: Quote
    request: QuoteRequest
    tariff: Tariff
    arranged_by: str
    arranged_role: str
    brand: Brand
    plans: dict[str, list[PlanBenefit]]
    members: list[MemberRow]
    policy_number: str | None = None
    bound_at: dt.datetime | None = None
    countries: list[tuple[str, str, str]] = field(default_factory=list)
    #: an underwriter approved the (referred) quote
    approved: bool = False
    #: not a stored quote (the CLI's offline letter): printed with a DRAFT watermark
    draft: bool = False
    #: the quote's number for people (BJ2026-000123); the id when it has none
    quote_number: str = ""
    #: the one status the documents show
    status: Status = field(default_factory=lambda: Status("accepted", "可承保", "Accepted"))
    #: the referrals as the customer reads them
    conditions: list[Condition] = field(default_factory=list)
    #: why each declined member is not insured, by member id
    declined_texts: dict[str, list[CustomerText]] = field(default_factory=dict)
    policy_id: str | None = None
    #: the version of the policy's member list shown (None: as bound, the only one)
    version: VersionNote | None = None

    @property
    def wording(self) -> tuple[str, str, str]:
        """The policy wording: Chinese name, English name, filing number (备案编号) — the
        tariff's ``[wording]``, else the brand's default."""
        w = self.tariff.params.wording
        if w is not None:
            return w.name_zh, w.name_en, w.filing_number
        b = self.brand
        return b.wording_zh, b.wording_en, b.wording_filing

    def usd(self, amount: Decimal | str) -> Decimal | None:
        """An amount of the quote currency in US dollars at the tariff's rate (CNY per
        USD), to the dollar, for certificates read abroad; None for a quote in dollars."""
        if self.quote.currency == "USD":
            return None
        rate = Decimal(str(self.tariff.params.fx.USD))
        return (Decimal(str(amount)) / rate).quantize(Decimal(1), ROUND_HALF_UP)

    @property
    def total_premium(self) -> Decimal:
        return Decimal(self.quote.total_premium)

    @property
    def cover_columns(self) -> list[tuple[str, str, str]]:
        """The covers of any plan, in the tariff's order: (code, Chinese, English)."""
        present = {b.code for rows in self.plans.values() for b in rows}
        return [(c, *COVER_COLUMNS[c]) for c in COVER_CODES if c in present]

    @property
    def member_periods_differ(self) -> bool:
        """Some member's cover starts or ends apart from the policy period."""
        q = self.quote
        return any(m.start != q.period_start or m.end != q.period_end for m in q.members)

    @property
    def plan_names_zh(self) -> dict[str, str]:
        """The plans' Chinese names, where the request gives them (by plan name)."""
        return {p.name: p.name_zh for p in self.request.plans if p.name_zh}

    @property
    def overseas_countries(self) -> list[tuple[str, str, str]]:
        """The territorial scope of an overseas policy: the insured members' countries,
        never the home country."""
        return [c for c in self.countries if c[0] != HOME_COUNTRY]

    @property
    def census_total(self) -> CensusTotal:
        return census_total(self.quote)

    @property
    def vat_exempt(self) -> frozenset[str]:
        return vat_exempt(self.quote, self.tariff)


def _tariff_of(quote: Quote, tariff_root: str | Path) -> Tariff:
    """The tariff the quote was priced under (by version and hash), else the one in force."""
    in_force = tariff_in_force(quote.as_of, tariff_root)
    if in_force.version == quote.tariff.version:
        return in_force
    try:
        for tariff in tariff_versions(tariff_root):
            if tariff.version == quote.tariff.version and tariff.content_hash == quote.tariff.hash:
                return tariff
    except TariffError:
        pass
    return in_force


#: The insurer's home country: an overseas policy's territorial scope never lists it.
HOME_COUNTRY = "CN"

#: Column headings of the member list's amounts (short: the list has a column per cover).
COVER_COLUMNS = {
    "add": ("意外身故伤残", "AD&D"),
    "amed": ("意外医疗", "Accident medical"),
    "smed": ("疾病医疗", "Sickness medical"),
    "evac": ("救援转运", "Evacuation"),
    "sdeath": ("疾病身故", "Sickness death"),
    "hcash": ("住院津贴/日", "Hospital cash / day"),
}

_AMOUNT_LABELS = {
    "add": ("保险金额", "Sum insured"),
    "sdeath": ("保险金额", "Sum insured"),
    "amed": ("年度限额", "Annual limit"),
    "smed": ("年度限额", "Annual limit"),
    "evac": ("限额", "Limit"),
    "hcash": ("每日津贴", "Daily benefit"),
}


def _plans(request: QuoteRequest, tariff: Tariff) -> dict[str, list[PlanBenefit]]:
    out: dict[str, list[PlanBenefit]] = {}
    for plan in request.plans:
        rows = []
        for code in COVER_CODES:
            cover = getattr(plan.covers, code)
            if cover is None:
                continue
            params = tariff.params.covers[code]
            label_zh, label_en = _AMOUNT_LABELS[code]
            amount = (
                getattr(cover, "sum_insured", None)
                or getattr(cover, "limit", None)
                or cover.daily_benefit
            )
            rows.append(
                PlanBenefit(
                    code=code,
                    name_zh=params.name_zh,
                    name_en=params.name_en,
                    amount=Decimal(amount),
                    amount_label_zh=label_zh,
                    amount_label_en=label_en,
                    deductible=getattr(cover, "deductible", None),
                    coinsurance=getattr(cover, "coinsurance", None),
                    max_days=getattr(cover, "max_days", None),
                )
            )
        out[plan.name] = rows
    return out


def verification_code(
    policy_number: str, certificate_number: str, member_id: str, secret: str
) -> str:
    """A short code a hospital or visa office can read to the assistance line, which
    recomputes it from the policy to confirm the certificate is genuine. Keyed with the
    insurer's secret, so it cannot be made up from what the certificate shows."""
    message = f"{policy_number}|{certificate_number}|{member_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    code = digest[:12].upper()
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def _printable_strings(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_printable_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _printable_strings(v) for k, v in value.items()}
    return value


def _stored_request(request_json: bytes) -> QuoteRequest:
    """A stored request; control characters in text stored before they were refused become
    U+FFFD first, so that the documents of such quotes can still be made."""
    return msgspec.convert(_printable_strings(msgspec.json.decode(request_json)), QuoteRequest)


def _member_rows(
    quote: Quote,
    census: dict[str, CensusMember],
    plans: dict[str, list[PlanBenefit]],
    tariff: Tariff,
    policy_number: str | None,
    secret: str,
    policy_id: str | None = None,
) -> list[MemberRow]:
    """One row per priced member: census details, names in both languages, sums insured,
    certificate number, verification code and verification page code (once bound)."""
    return [
        member_row(
            number,
            number,
            m,
            census.get(m.member_id),
            plans,
            tariff,
            policy_number,
            secret,
            policy_id,
        )
        for number, m in enumerate(quote.members, start=1)
    ]


def member_row(
    number: int,
    certificate_no: int,
    m: MemberQuote,
    entry: CensusMember | None,
    plans: dict[str, list[PlanBenefit]],
    tariff: Tariff,
    policy_number: str | None,
    secret: str,
    policy_id: str | None = None,
) -> MemberRow:
    """A priced member's row, ``number`` in its list, with the details of its census row
    ``entry``; ``certificate_no`` makes its certificate number and codes (once bound)."""
    country = tariff.countries[tariff.country_index[m.country]]
    occupation = None
    if entry is not None and entry.occupation_code:
        occupation = tariff.occupations.get(entry.occupation_code.strip().upper())
    sums = {b.code: b.amount for b in plans.get(m.plan, [])}
    certificate = f"{policy_number}-{certificate_no:05d}" if policy_number else ""
    return MemberRow(
        number=number,
        quote=m,
        sex=entry.sex if entry else None,
        date_of_birth=entry.date_of_birth if entry else None,
        passport_no=entry.passport_no if entry else None,
        occupation_zh=occupation.name_zh if occupation else f"{m.occupation_class}类职业",
        occupation_en=occupation.name_en if occupation else f"Class {m.occupation_class}",
        country_zh=country.name_zh,
        country_en=country.name_en,
        sums_insured=sums,
        certificate_number=certificate,
        verification_code=(
            verification_code(policy_number, certificate, m.member_id, secret)
            if policy_number
            else ""
        ),
        latin_name=latin_name(m.name, entry.name_en if entry else None),
        verify_code=(
            certificate_code(policy_id, certificate_no, m.member_id, secret) if policy_id else ""
        ),
    )


def document_data(
    *,
    quote_id: str,
    created_at: dt.datetime,
    valid_until: dt.date,
    result_json: bytes,
    request_json: bytes,
    arranged_by: str,
    arranged_role: str,
    tariff_root: str | Path,
    policy_number: str | None = None,
    bound_at: dt.datetime | None = None,
    brand: Brand | None = None,
    approved: bool = False,
    secret: str = "",
    draft: bool = False,
    quote_number: str | None = None,
    policy_id: str | None = None,
) -> DocumentData:
    """Gather everything the documents of one quote (or policy) show; with ``policy_id``
    the certificates get the codes of their verification page."""
    quote = msgspec.json.decode(result_json, type=Quote)
    request = _stored_request(request_json)
    tariff = _tariff_of(quote, tariff_root)
    census: dict[str, CensusMember] = {m.member_id: m for m in request.census.members or []}
    plans = _plans(request, tariff)
    members = _member_rows(quote, census, plans, tariff, policy_number, secret, policy_id)
    codes = sorted({m.country for m in quote.members})
    countries = [
        (
            c,
            tariff.countries[tariff.country_index[c]].name_zh,
            tariff.countries[tariff.country_index[c]].name_en,
        )
        for c in codes
    ]
    return DocumentData(
        quote_id=quote_id,
        created_at=created_at,
        valid_until=valid_until,
        quote=quote,
        request=request,
        tariff=tariff,
        arranged_by=arranged_by,
        arranged_role=arranged_role,
        brand=brand or Brand(),
        plans=plans,
        members=members,
        policy_number=policy_number,
        bound_at=bound_at,
        countries=countries,
        approved=approved,
        draft=draft,
        quote_number=quote_number or quote_id,
        status=quote_status(quote, approved=approved, policy_number=policy_number),
        conditions=conditions(quote, request, tariff),
        declined_texts=decline_texts(quote, request, tariff),
        policy_id=policy_id,
    )
