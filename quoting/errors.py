"""Every error a user can cause, in one tree; each class knows its HTTP status and type.

Two shapes of error:

- *input errors* (:class:`RequestError`, :class:`CensusError`, a tariff not in force on
  the date…) carry a list of :class:`Problem` entries, each naming where the problem is
  (a field path, a census row and column) and what is wrong, so that all problems of one
  input are reported at once;
- *refusals* (:class:`NotFound`, the bind refusals, :class:`IdempotencyKeyReused`…) carry
  one message saying why.

``status``, ``problem_type`` and ``title`` are class attributes: the web layer maps the
tree once (quoting/web/_problems.py) and the CLI prints the problems. Only
:class:`TariffError` (broken tariff files, our own fault) is a 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any, ClassVar

from quoting.problem_messages import message_of

__all__ = [
    "AlreadyBound",
    "AuthorityExceeded",
    "BindRefused",
    "BookAccumulation",
    "CensusError",
    "DocumentNotAvailable",
    "DraftError",
    "EndorsementPending",
    "EndorsementReferred",
    "FieldPath",
    "Forbidden",
    "IdempotencyKeyReused",
    "MalformedRequest",
    "NoCertificates",
    "NoTariffInForce",
    "NotFound",
    "NotReferred",
    "PolicyCancelled",
    "PolicyChanged",
    "Problem",
    "ProblemValueError",
    "PublishRefused",
    "QuoteDeclined",
    "QuoteExpired",
    "QuotePeriodOver",
    "QuoteReferred",
    "QuotingError",
    "ReferralClosed",
    "Refusal",
    "RequestError",
    "SelfApproval",
    "TariffError",
    "TooLarge",
    "UnsupportedMediaType",
]


#: A place in a JSON document (field names and list indexes), or a key path in a file.
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, and where: structured, so that nothing has to be
    parsed back from text.

    - ``path``: where in the JSON request (``("plans", 0, "covers", "add",
      "sum_insured")``), or the key path in a file (``tariff.toml [covers.add.rate]``);
    - ``file``: the file, when the input is one (a census upload, ``countries.csv``);
    - ``row`` and ``column``: the row number (as a spreadsheet shows it) and the column;
    - ``message``: what is wrong, in plain (English) words;
    - ``code`` and ``params``: the same as data, a stable code of
      :data:`quoting.problem_messages.PROBLEM_MESSAGES` and the values its message names
      (the pages say it in the user's language by them); ``None`` for a message no code
      covers (shown as it is). Make a coded problem with :meth:`of`.

    ``location`` is the place as a person reads it (``plans[0].covers.add.sum_insured``,
    ``row 7, column date_of_birth``, ``countries.csv row 12, column tier``) and ``pointer``
    the JSON pointer (RFC 6901) of ``path``.
    """

    message: str
    _: KW_ONLY
    path: FieldPath = ()
    file: str | None = None
    row: int | None = None
    column: str | None = None
    code: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def of(
        cls,
        code: str,
        /,
        *,
        path: FieldPath = (),
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **params: Any,
    ) -> Problem:
        """The problem ``code`` (its English message filled in with ``params``) at a place."""
        return cls(
            message_of(code, params),
            path=path,
            file=file,
            row=row,
            column=column,
            code=code,
            params=params,
        )

    @property
    def pointer(self) -> str:
        """``path`` as a JSON pointer (``/plans/0/name``); ``""`` is the whole document."""
        escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in self.path)
        return "".join(f"/{p}" for p in escaped)

    @property
    def dotted(self) -> str:
        """``path`` as ``plans[0].covers.add``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
        return text

    @property
    def location(self) -> str:
        """Where, as a person reads it (``""`` for the input as a whole)."""
        parts = [self.file] if self.file else []
        if self.path:
            parts.append(f"[{self.dotted}]" if self.file else self.dotted)
        if self.row is not None:
            parts.append(f"row {self.row}")
        where = " ".join(parts)
        if self.column is not None:
            where = f"{where}, column {self.column}" if where else f"column {self.column}"
        return where

    def within(self, *prefix: str | int) -> Problem:
        """The same problem, its path under ``prefix``."""
        return replace(self, path=(*prefix, *self.path))

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message


class ProblemValueError(ValueError):
    """A check inside a wire Struct (``__post_init__``) that failed, as msgspec wants it (a
    ``ValueError`` whose text is ``"field: message"``), keeping its :class:`Problem`: msgspec
    chains it as the ``__cause__`` of its ``ValidationError``, so the code and parameters
    survive without reading the text back (quoting/validation.py)."""

    def __init__(self, problem: Problem, field: str | None = None) -> None:
        super().__init__(f"{field}: {problem.message}" if field else problem.message)
        self.problem = problem
        self.field = field


class SettingError(ValueError):
    """A setting (an environment variable) the product cannot use: the message names it
    and says what to give. Raised when settings are read, before anything runs."""


class QuotingError(Exception):
    """Base of every error a user can cause; carries one or more problems."""

    status: ClassVar[int] = 422
    problem_type: ClassVar[str] = "invalid-request"
    title: ClassVar[str] = "Invalid input"
    #: True: the answer counts the problems and lists each with its location; False
    #: (a refusal): its one message is the answer's detail.
    lists_problems: ClassVar[bool] = True

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def detail(self) -> str:
        """What is wrong, in one sentence (the problem details' ``detail``)."""
        if self.lists_problems:
            count = len(self.problems)
            return f"{count} problem{'s' * (count != 1)} with the request; see errors."
        return str(self)


class TariffError(QuotingError):
    """A tariff folder is missing, unreadable or fails validation: the insurer's files,
    so a server error for an API client (the CLI's ``tariff check`` lists the problems)."""

    status = 500
    problem_type = "internal-error"
    title = "Invalid tariff"
    #: What an API client is told (the problems name the insurer's files).
    public_detail: ClassVar[str] = "The tariff in force could not be loaded."


class NoTariffInForce(TariffError):
    """No tariff is in force on the requested date: the client's date, so a 422."""

    status = 422
    problem_type = "invalid-request"


class RequestError(QuotingError):
    """A quote request fails validation (fields, plans, references between them)."""

    title = "Invalid quote request"


class CensusError(QuotingError):
    """A census file or list has bad rows; every bad row is listed.

    ``rows`` holds the (row number, member or group) pairs that were valid, and for the
    others the dict of their fields that were, so that checks of a later stage (the
    tariff's) can still report on them in the same answer.
    """

    problem_type = "invalid-census"
    title = "Invalid census"

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        super().__init__(problems)
        self.rows: list[tuple[int, object]] = []


class Refusal(QuotingError):
    """A request that is well formed but refused; its message says why."""

    lists_problems = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedRequest(Refusal):
    """A body that is not shaped as the route needs (e.g. a multipart part missing)."""

    title = "Unprocessable request"


class NotFound(Refusal):
    """No such quote, policy, account or key among those the caller may see."""

    status = 404
    problem_type = "not-found"
    title = "Not found"


class Forbidden(Refusal):
    """The caller may see the thing but not do this to it."""

    status = 403
    problem_type = "forbidden"
    title = "Forbidden"


class SelfApproval(Forbidden):
    """An underwriter tried to approve a quote they made themselves."""

    title = "Approval needs a second underwriter"


class AuthorityExceeded(Forbidden):
    """A decision beyond the underwriter's own authority; the message names each limit
    and the quote's referral records what it needs (referred upward)."""

    problem_type = "authority-exceeded"
    title = "Beyond your authority"


class ReferralClosed(Refusal):
    """A referral action that does not fit the referral's state (decided already, no
    question open, or no referral at all)."""

    status = 409
    problem_type = "referral-closed"
    title = "Referral not open for this"


class BindRefused(Refusal):
    """A quote that cannot be bound; the subclass says why."""

    status = 409
    title = "Quote cannot be bound"


class QuoteDeclined(BindRefused):
    """The quote was declined."""

    problem_type = "quote-declined"


class QuoteReferred(BindRefused):
    """The quote is referred and no underwriter has approved it."""

    problem_type = "quote-referred"


class BookAccumulation(QuoteReferred):
    """Binding would push a site or country of the insurer's book over its limit: the
    quote is referred (``book_accumulation``) and an underwriter must approve it."""

    problem_type = "book-accumulation"


class QuoteExpired(BindRefused):
    """The quote's validity is over."""

    problem_type = "quote-expired"


class QuotePeriodOver(BindRefused):
    """The quote's policy period has ended."""

    problem_type = "quote-period-over"


class AlreadyBound(BindRefused):
    """The quote is bound already; ``policy_number`` names its policy."""

    problem_type = "already-bound"

    def __init__(self, message: str, policy_number: str) -> None:
        super().__init__(message)
        self.policy_number = policy_number


class NotReferred(Refusal):
    """Approval asked for a quote that is not referred."""

    status = 409
    problem_type = "not-referred"
    title = "Nothing to approve"


class EndorsementPending(Refusal):
    """A policy's endorsement awaits an underwriter: no other change until it is decided
    (it was priced on the member list as it is now)."""

    status = 409
    problem_type = "endorsement-pending"
    title = "An endorsement awaits approval"


class PolicyCancelled(Refusal):
    """The policy is cancelled: no endorsement and no second cancellation."""

    status = 409
    problem_type = "policy-cancelled"
    title = "The policy is cancelled"


class PolicyChanged(Refusal):
    """A confirmed preview of an endorsement no longer holds: the policy had another
    endorsement since (the pages' "Confirm" stores only what was shown)."""

    status = 409
    problem_type = "policy-changed"
    title = "The policy changed since the preview"


class PolicyRenewed(Refusal):
    """The policy is renewed already: one renewal policy per policy."""

    status = 409
    problem_type = "policy-renewed"
    title = "The policy is renewed already"


class RenewalOutdated(Refusal):
    """A renewal quote priced on a version of the policy that has changed since (an
    endorsement came between): quote the renewal again."""

    status = 409
    problem_type = "renewal-outdated"
    title = "The policy changed since the renewal was quoted"


class IdempotencyKeyReused(Refusal):
    """An idempotency key sent again with another request."""

    problem_type = "idempotency-key-reused"
    title = "Idempotency key reused"


class DocumentNotAvailable(Refusal):
    """The document cannot be made for this quote or policy (the message says why)."""

    problem_type = "document-not-available"
    title = "Unprocessable request"


class NoCertificates(Refusal):
    """An endorsement that adds nobody (a removal only, a cancellation) has no
    certificates."""

    status = 409
    problem_type = "no-certificates"
    title = "The endorsement has no certificates"


class EndorsementReferred(Refusal):
    """A referred endorsement is not in force: its certificates wait for the approval."""

    status = 409
    problem_type = "endorsement-referred"
    title = "The endorsement awaits approval"


class TooLarge(Refusal):
    """An upload larger than its limit."""

    status = 413
    problem_type = "too-large"
    title = "Request too large"


class UnsupportedMediaType(Refusal):
    """A body or file of a type the route does not read."""

    status = 415
    problem_type = "unsupported-media-type"
    title = "Unsupported media type"


class DraftError(QuotingError):
    """An uploaded tariff draft that cannot be taken in: a file of another type, an
    archive with unsafe or missing members; every problem names the file (member)."""

    problem_type = "invalid-tariff-draft"
    title = "Invalid tariff draft"


class PublishRefused(Refusal):
    """A tariff version that may not be published as it is (a version or effective date
    taken, an effective date in the past or not after the latest published one)."""

    status = 409
    problem_type = "tariff-publish-refused"
    title = "Tariff version not published"
