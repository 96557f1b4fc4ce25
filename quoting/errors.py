"""The exceptions a user can cause, in one tree.

Every error carries a list of :class:`Problem` entries, each naming where the problem is
(a file, a field path or a census row and column) and what is wrong, so that all problems
of one input are reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CensusError",
    "Problem",
    "QuotingError",
    "RequestError",
    "TariffError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input.

    ``location`` is a JSON-pointer-like path (``/plans/0/covers/add/sum_insured``), a
    census position (``row 7, column date_of_birth``) or a tariff position
    (``countries.csv row 12, column tier``).
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class QuotingError(Exception):
    """Base of every error a user can cause; carries one or more problems."""

    title = "Invalid input"

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class TariffError(QuotingError):
    """A tariff folder is missing, unreadable or fails validation."""

    title = "Invalid tariff"


class RequestError(QuotingError):
    """A quote request fails validation (fields, plans, references between them)."""

    title = "Invalid quote request"


class CensusError(QuotingError):
    """A census file or list has bad rows; every bad row is listed.

    ``rows`` holds the (row number, member or group) pairs that were valid, and for the
    others the dict of their fields that were, so that checks of a later stage (the
    tariff's) can still report on them in the same answer.
    """

    title = "Invalid census"

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        super().__init__(problems)
        self.rows: list[tuple[int, object]] = []
