"""Texts of the quote pages that come from the services, said in the customer's words in
both languages: referral and decline reasons by their codes, and the service's most
common input problems. A message the catalogue does not know is shown as the service
wrote it.

``_`` here only marks a text for Babel's extraction (the catalogues translate it when
shown, through :func:`say`)."""

from __future__ import annotations

from collections.abc import Callable

from quoting.web.pages._i18n import PageLocale, translations

__all__ = ["DECLINE_WORDS", "REFERRAL_WORDS", "STATUS_WORDS", "say", "sayer"]


def _(message: str) -> str:
    return message


#: What each referral code means for the customer.
REFERRAL_WORDS = {
    "country_refer": _("Cover in one of the countries needs an underwriter's approval."),
    "occupation_class": _("Some members' occupations are above the class we accept automatically."),
    "sum_insured_limit": _("An amount of cover is above what we accept automatically."),
    "group_sum_insured": _("The group's total sum insured is above what we accept automatically."),
    "site_accumulation": _("Too much cover is concentrated on one site."),
    "experience_loss_ratio": _("The group's past claims are high."),
    "experience_discount": _(
        "The claims experience gives a discount beyond what we allow automatically."
    ),
    "backdated_period": _("The cover starts before today."),
    "adjustment_authority": _("The premium adjustment is beyond the automatic authority."),
}
#: Why a member is not covered, by decline code.
DECLINE_WORDS = {
    "country_declined": _("We do not cover this country."),
    "occupation_uninsurable": _("This occupation (class 9) cannot be insured."),
    "age_out_of_range": _("The age is outside the ages we cover."),
    "period_outside_policy": _("The member's dates lie outside the policy period."),
}
STATUS_WORDS = {
    "accepted": _("Accepted"),
    "referred": _("Referred to an underwriter"),
    "declined": _("Declined"),
}
#: The service's input problems met most often on the form.
_PROBLEMS = (
    _("check character does not match"),
    _("Invalid decimal string"),
    _("expected a whole number, got text"),
    _("give exactly one of age and age_band"),
    _("the census is empty"),
    _("a plan needs at least one cover"),
    _("plans: plan names must be unique"),
    _("end: must not be before start"),
    _("is required"),
    _("choose a census file (.csv or .xlsx), or type the headcount grid instead"),
    _("the census file must be .csv or .xlsx"),
    _("the census file is larger than 10 MB"),
)
#: The labels of the covers' inputs (quoting/plans.py ``COVER_FIELDS``).
_COVER_FIELD_LABELS = (
    _("Sum insured"),
    _("Annual limit"),
    _("Deductible per claim"),
    _("Share paid (0 to 1)"),
    _("Limit"),
    _("Daily benefit"),
    _("Most days a year (30, 60, 90, 180 or 365)"),
)


def say(locale: PageLocale, message: str) -> str:
    """``message`` in ``locale`` when the catalogue has it, else as it is (plain text:
    the template escapes it)."""
    return str(translations(locale).gettext(message))


def sayer(locale: PageLocale) -> Callable[[str], str]:
    """:func:`say` for one language."""
    return lambda message: say(locale, message)
