"""Texts of the quote pages that come from the services, in both languages: the quote
statuses and the service's most common input problems (referral and decline reasons are
the documents' customer texts, from quoting.documents). A message the catalogue does not
know is shown as the service wrote it.

``_`` here only marks a text for Babel's extraction (the catalogues translate it when
shown, through :func:`say`)."""

from __future__ import annotations

from collections.abc import Callable

from quoting.web.pages._i18n import PageLocale, translations

__all__ = ["STATUS_WORDS", "say", "sayer"]


def _(message: str) -> str:
    return message


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
