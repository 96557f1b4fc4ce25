"""What a customer reads about the underwriting decision, in Chinese and English.

The engine's referral and decline messages are for underwriters ("occupation class above 5
needs an underwriter", "add: group total sum insured 597,800,000 above 300,000,000"). A
document prints instead the customer text of each reason, chosen by its code: plain words,
cover names instead of cover codes, no limits, hashes or database ids. A referral has two
texts: while it waits for an underwriter, and once approved (the policy's special
conditions). Pure: reads the quote, its request and the tariff model, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from quoting.schemas import DeclinedMember, MemberQuote, Quote, QuoteRequest, Referral
from quoting.tariff import COVER_CODES, Tariff

__all__ = [
    "DECLINE_TEXTS",
    "REFERRAL_TEXTS",
    "Condition",
    "CustomerText",
    "Status",
    "conditions",
    "decline_texts",
    "quote_status",
]

#: Member ids printed in one condition before "… and N others".
_MAX_IDS = 8


@dataclass(frozen=True, slots=True)
class CustomerText:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Condition:
    """A referral as the customer reads it: ``pending`` until an underwriter approves it,
    ``agreed`` once approved (then a special condition of the policy)."""

    code: str
    pending: CustomerText
    agreed: CustomerText


@dataclass(frozen=True, slots=True)
class Status:
    """The one status a document shows: ``kind`` is its style (``accepted``,
    ``referred``, ``declined``, ``approved``, ``bound``)."""

    kind: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class _Facts:
    quote: Quote
    request: QuoteRequest
    tariff: Tariff

    def members(self, ids: Iterable[str]) -> list[MemberQuote]:
        wanted = set(ids)
        return [m for m in self.quote.members if m.member_id in wanted]

    def cover(self, code: str) -> CustomerText:
        """A cover's name, the English one as it reads inside a sentence."""
        params = self.tariff.params.covers[code]
        en = params.name_en
        return CustomerText(params.name_zh, en[:1].lower() + en[1:] if en[1:2].islower() else en)

    def country(self, code: str) -> CustomerText:
        country = self.tariff.countries[self.tariff.country_index[code]]
        return CustomerText(country.name_zh, country.name_en)


def _joined(items: Sequence[CustomerText]) -> CustomerText:
    return CustomerText("、".join(i.zh for i in items), ", ".join(i.en for i in items))


def _who(facts: _Facts, members: list[MemberQuote]) -> CustomerText:
    """The members a condition concerns: employee ids of a named census (the first few),
    a headcount of an aggregated one."""
    if facts.request.census.members is None:
        count = sum(m.headcount for m in members)
        return CustomerText(f"{count} 人", f"{count} members")
    ids = [m.member_id for m in members]
    if len(ids) <= _MAX_IDS:
        return CustomerText("、".join(ids), ", ".join(ids))
    shown, rest = ids[:_MAX_IDS], len(ids) - _MAX_IDS
    return CustomerText(
        "、".join(shown) + f" 等 {len(ids)} 人", ", ".join(shown) + f" and {rest} others"
    )


Texts = list[tuple[CustomerText, CustomerText]]


def _country_refer(facts: _Facts, referral: Referral) -> Texts:
    codes = sorted({m.country for m in facts.members(referral.member_ids)})
    names = _joined([facts.country(c) for c in codes])
    return [
        (
            CustomerText(
                f"派驻{names.zh}的人员需经核保", f"Cover in {names.en} needs underwriting"
            ),
            CustomerText(
                f"派驻{names.zh}的人员按约定承保", f"Members in {names.en} are insured as agreed"
            ),
        )
    ]


def _occupation_class(facts: _Facts, referral: Referral) -> Texts:
    members = facts.members(referral.member_ids)
    out = []
    for cls in sorted({m.occupation_class for m in members}):
        who = _who(facts, [m for m in members if m.occupation_class == cls])
        out.append(
            (
                CustomerText(
                    f"第{cls}类职业人员 {who.zh} 需经核保",
                    f"Class {cls} workers {who.en} need underwriting",
                ),
                CustomerText(
                    f"第{cls}类职业人员 {who.zh} 按约定承保",
                    f"Class {cls} workers {who.en} are insured as agreed",
                ),
            )
        )
    return out


def _sum_insured_limit(facts: _Facts, referral: Referral) -> Texts:
    """Each plan and cover whose amount is above the tariff's automatic limit (worked out
    again from the plans: the message names a cover code and the limit)."""
    used = {m.plan for m in facts.members(referral.member_ids)}
    out = []
    for plan in facts.request.plans:
        if plan.name not in used:
            continue
        for code in COVER_CODES:
            cover = getattr(plan.covers, code)
            if cover is None:
                continue
            amount = (
                getattr(cover, "sum_insured", None)
                or getattr(cover, "limit", None)
                or getattr(cover, "daily_benefit", None)
            )
            if amount is None or float(amount) <= facts.tariff.params.covers[code].auto_limit:
                continue
            name = facts.cover(code)
            out.append(
                (
                    CustomerText(
                        f"{plan.name_zh or plan.name}：{name.zh}的保险金额需经核保",
                        f"{plan.name}: the amount of {name.en} needs underwriting",
                    ),
                    CustomerText(
                        f"{plan.name_zh or plan.name}：{name.zh}按本保险单载明的保险金额承保",
                        f"{plan.name}: {name.en} is insured for the amount this schedule states",
                    ),
                )
            )
    return out


def _group_sum_insured(facts: _Facts, referral: Referral) -> Texts:
    name = facts.cover(facts.tariff.params.accumulation.cover)
    return [
        (
            CustomerText(
                f"全体被保险人的{name.zh}保险金额合计较高，需经核保",
                f"The group's total {name.en} sum insured is high and needs underwriting",
            ),
            CustomerText(
                f"全体被保险人的{name.zh}保险金额合计经核保同意承保",
                f"The group's total {name.en} sum insured is accepted by underwriting",
            ),
        )
    ]


def _site_accumulation(facts: _Facts, referral: Referral) -> Texts:
    sites = sorted({m.site for m in facts.members(referral.member_ids) if m.site})
    name = facts.cover(facts.tariff.params.accumulation.cover)
    where = CustomerText("、".join(sites), ", ".join(sites)) if sites else None
    at_zh = f"项目地点 {where.zh} " if where else "部分项目地点"
    at_en = f"at {where.en}" if where else "at some sites"
    return [
        (
            CustomerText(
                f"{at_zh}人员集中，{name.zh}保险金额累积需经核保",
                f"Many members work together {at_en}: their accumulated {name.en} sum "
                "insured needs underwriting",
            ),
            CustomerText(
                f"{at_zh}人员集中，{name.zh}保险金额累积经核保同意承保",
                f"The accumulated {name.en} sum insured {at_en} is accepted by underwriting",
            ),
        )
    ]


def _fixed(
    pending_zh: str, pending_en: str, agreed_zh: str, agreed_en: str
) -> Callable[..., Texts]:
    def texts(facts: _Facts, referral: Referral) -> Texts:
        return [(CustomerText(pending_zh, pending_en), CustomerText(agreed_zh, agreed_en))]

    return texts


#: The customer texts of every referral code the underwriting rules make.
REFERRAL_TEXTS: dict[str, Callable[[_Facts, Referral], Texts]] = {
    "country_refer": _country_refer,
    "occupation_class": _occupation_class,
    "sum_insured_limit": _sum_insured_limit,
    "group_sum_insured": _group_sum_insured,
    "site_accumulation": _site_accumulation,
    "experience_loss_ratio": _fixed(
        "投保人以往的理赔记录需经核保人审阅",
        "The policyholder's claims history needs an underwriter's review",
        "已依据投保人提供的理赔记录核保",
        "Underwritten on the claims history the policyholder provided",
    ),
    "experience_discount": _fixed(
        "依据理赔记录给予的保险费优惠需经核保",
        "The premium discount for the claims history needs underwriting approval",
        "依据理赔记录给予的保险费优惠经核保同意",
        "The premium discount for the claims history is approved by underwriting",
    ),
    "backdated_period": _fixed(
        "保险期间起始日早于报价日，需经核保",
        "The period of insurance starts before the date of quotation and needs underwriting",
        "保险期间起始日早于报价日，经核保同意承保",
        "Cover from a start date before the date of quotation is accepted by underwriting",
    ),
    "adjustment_authority": _fixed(
        "保险费调整需经核保人审批",
        "The premium adjustment needs an underwriter's approval",
        "保险费调整经核保人审批同意",
        "The premium adjustment is approved by underwriting",
    ),
}
_ANY_REFERRAL = _fixed(
    "本报价需经核保",
    "This quotation needs underwriting",
    "经核保同意承保",
    "Accepted by underwriting",
)


def conditions(quote: Quote, request: QuoteRequest, tariff: Tariff) -> list[Condition]:
    """The customer texts of the quote's referrals, in the quote's order, then the special
    conditions an underwriter put on it when approving it (as the underwriter wrote them)."""
    facts = _Facts(quote, request, tariff)
    out: list[Condition] = []
    for referral in quote.referrals:
        texts = REFERRAL_TEXTS.get(referral.code, _ANY_REFERRAL)(facts, referral)
        out.extend(Condition(referral.code, pending, agreed) for pending, agreed in texts)
    special = quote.underwriting.conditions if quote.underwriting else None
    if special is not None:
        text = CustomerText(special.zh, special.en)
        out.append(Condition("underwriter_conditions", text, text))
    return out


def _census_country(request: QuoteRequest, member_id: str) -> str | None:
    if request.census.members is not None:
        entry = next((m for m in request.census.members if m.member_id == member_id), None)
        return entry.country if entry else None
    groups = request.census.groups or []
    index = int(member_id[1:]) - 1 if member_id[1:].isdigit() else -1
    return groups[index].country if 0 <= index < len(groups) else None


def _country_declined(facts: _Facts, member: DeclinedMember) -> CustomerText:
    text = _census_country(facts.request, member.member_id)
    index = facts.tariff.resolve_country(text) if text else None
    if index is None:
        return CustomerText("该国家/地区不在承保范围内", "Cover is not available in this country")
    country = facts.tariff.countries[index]
    return CustomerText(
        f"该国家/地区（{country.name_zh}）不在承保范围内",
        f"Cover is not available in this country ({country.name_en})",
    )


def _age(facts: _Facts, member: DeclinedMember) -> CustomerText:
    ages = facts.tariff.params.ages
    return CustomerText(
        f"年龄不在可承保范围（{ages.min}至{ages.max}周岁）内",
        f"Age outside the insurable range of {ages.min} to {ages.max}",
    )


#: The customer texts of every decline code (quoting.underwriting.DECLINE_REASONS).
DECLINE_TEXTS: dict[str, Callable[[_Facts, DeclinedMember], CustomerText]] = {
    "country_declined": _country_declined,
    "occupation_uninsurable": lambda facts, member: CustomerText(
        "该职业（第9类）不在承保范围内", "This occupation (class 9) cannot be insured"
    ),
    "age_out_of_range": _age,
    "period_outside_policy": lambda facts, member: CustomerText(
        "个人保障期间超出保险期间", "The member's cover lies outside the period of insurance"
    ),
}


def decline_texts(
    quote: Quote, request: QuoteRequest, tariff: Tariff
) -> dict[str, list[CustomerText]]:
    """Why each declined member is not insured, by member id."""
    facts = _Facts(quote, request, tariff)
    unknown = CustomerText("不予承保", "Not insurable")
    return {
        m.member_id: [
            DECLINE_TEXTS[r.code](facts, m) if r.code in DECLINE_TEXTS else unknown
            for r in m.reasons
        ]
        for m in quote.declined
    }


def quote_status(quote: Quote, *, approved: bool, policy_number: str | None) -> Status:
    """The one status a document shows: bound, else approved, else the quote's own."""
    if policy_number:
        return Status(
            "bound", f"已承保 · 保险单号 {policy_number}", f"Bound as policy {policy_number}"
        )
    if approved and quote.status == "referred":
        return Status("approved", "核保已同意，可出单", "Approved by underwriting, ready to bind")
    return {
        "accepted": Status("accepted", "可承保", "Accepted"),
        "referred": Status("referred", "待核保", "Subject to underwriting"),
        "declined": Status("declined", "不予承保", "Declined"),
    }[quote.status]
