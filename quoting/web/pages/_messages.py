"""Texts of the quote pages that come from the services, in both languages: the quote
statuses and the services' input problems (referral and decline reasons are the
documents' customer texts, from quoting.documents).

A problem is said by its code (:func:`say_problem`): the catalogue's message of the code's
English template (quoting/problem_messages.py), filled in with the problem's parameters
(those that are words of ours translated too). A problem without a code is shown as the
service wrote it (English).

``_`` here only marks a text for Babel's extraction (the catalogues translate it when
shown, through :func:`say`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quoting.errors import Problem
from quoting.problem_messages import PARAM_WORDS, PROBLEM_MESSAGES
from quoting.web.pages._i18n import PageLocale, translations

__all__ = ["STATUS_WORDS", "problem_sayer", "say", "say_problem", "sayer"]


def _(message: str) -> str:
    return message


STATUS_WORDS = {
    "accepted": _("Accepted"),
    "referred": _("Referred to an underwriter"),
    "declined": _("Declined"),
}
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


_WORDS = frozenset(PARAM_WORDS)


def _param(locale: PageLocale, value: Any) -> Any:
    """A parameter as the message shows it: words of ours (``the value``, ``a whole
    number or text``) in ``locale``, the user's values as they are."""
    if not isinstance(value, str):
        return value
    if value in _WORDS:
        return say(locale, value)
    parts = value.split(" or ")
    if len(parts) > 1 and all(p in _WORDS for p in parts):
        return say(locale, " or ").join(say(locale, p) for p in parts)
    return value


def say_problem(locale: PageLocale, problem: Problem) -> str:
    """What is wrong, in ``locale``: the catalogue's message of the problem's code with its
    parameters, else the problem's own (English) message."""
    if problem.code not in PROBLEM_MESSAGES:
        return say(locale, problem.message)
    template = say(locale, PROBLEM_MESSAGES[problem.code])
    if not problem.params:
        return template
    return template % {k: _param(locale, v) for k, v in problem.params.items()}


def problem_sayer(locale: PageLocale) -> Callable[[Problem], str]:
    """:func:`say_problem` for one language."""
    return lambda problem: say_problem(locale, problem)
