"""Errors as RFC 9457 problem details (``application/problem+json``), in one place.

Every problem has ``type`` (a URI naming the kind of problem), ``title``, ``status``,
``detail`` and ``instance`` (the request path); validation problems add ``errors``, one
entry per problem with a JSON ``pointer`` into the request (or the census file's ``row``
and ``column``) and a plain ``detail``. Server errors never carry a stack trace.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from quoting.errors import CensusError, Problem, QuotingError, TariffError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ProblemDetails",
    "ProblemError",
    "exception_handlers",
    "problem_response",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: A problem response lists at most this many errors (a census of 100,000 rows with an
#: unknown country would otherwise answer with megabytes of the same message).
MAX_LISTED_PROBLEMS = 1_000
log = logging.getLogger("quoting.web")
# Where the 500 handler leaves its incident number in the request's state.
INCIDENT_STATE_KEY = "incident"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_TYPES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


class ErrorItem(msgspec.Struct, omit_defaults=True):
    """One validation problem: where (a JSON pointer, or a census file row and column) and what."""

    detail: str
    pointer: str | None = None
    row: int | None = None
    column: str | None = None


class ProblemDetails(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ErrorItem] | None = None


class ProblemError(Exception):
    """Raise from a handler to answer with a problem of the given status and type."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[ErrorItem] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _TYPES.get(status, "error")
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.errors = errors


def error_item(problem: Problem, *, census_file: bool = False) -> ErrorItem:
    """Locate one problem: census file rows keep their row and column, fields get a pointer;
    problems of a census file as a whole point at the census."""
    if problem.row is not None or census_file:
        return ErrorItem(
            detail=problem.message, pointer="/census", row=problem.row, column=problem.column
        )
    return ErrorItem(detail=problem.message, pointer=problem.pointer)


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    title: str | None = None,
    errors: list[ErrorItem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ProblemDetails]:
    body = ProblemDetails(
        type=f"/problems/{kind or _TYPES.get(status, 'error')}",
        title=title or _TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _quoting_error(request: Request[Any, Any, Any], exc: QuotingError) -> Response[ProblemDetails]:
    """The one map from the error tree to problem details: status, type and title are the
    error class's own; input errors list their problems (at most MAX_LISTED_PROBLEMS),
    refusals give their message."""
    if exc.status >= 500:
        log.error("%s while serving %s: %s", exc.title.lower(), request.url.path, exc)
        detail = exc.public_detail if isinstance(exc, TariffError) else None
        return problem_response(request, exc.status, detail)
    detail, errors = exc.detail, None
    if exc.lists_problems:
        census_file = isinstance(exc, CensusError)
        errors = [
            error_item(p, census_file=census_file) for p in exc.problems[:MAX_LISTED_PROBLEMS]
        ]
        if len(exc.problems) > MAX_LISTED_PROBLEMS:
            detail = (
                f"{len(exc.problems):,} problems with the request; "
                f"the first {MAX_LISTED_PROBLEMS:,} are listed."
            )
    return problem_response(
        request, exc.status, detail, kind=exc.problem_type, title=exc.title, errors=errors
    )


def _problem_error(request: Request[Any, Any, Any], exc: ProblemError) -> Response[ProblemDetails]:
    return problem_response(
        request,
        exc.status,
        exc.detail,
        kind=exc.kind,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
    )


def _validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[ProblemDetails]:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = item.get("key") or ""
            source = item.get("source") or ""
            errors.append(
                ErrorItem(
                    detail=str(item.get("message", "")),
                    pointer=f"/{key}" if key else None,
                    column=source or None,
                )
            )
    return problem_response(request, 400, exc.detail, errors=errors or None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ProblemDetails]:
    status = exc.status_code
    if status >= 500:
        return _internal(request, exc)
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="quoting"')
    return problem_response(request, status, exc.detail, headers=headers or None)


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    incident = secrets.token_hex(6)
    # The access log line of this request names the incident too (quoting/web/_access.py).
    request.scope.setdefault("state", {})[INCIDENT_STATE_KEY] = incident
    log.exception("incident %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        f"Something went wrong on our side (incident {incident}); it has been logged.",
    )


exception_handlers: dict[Any, Any] = {
    QuotingError: _quoting_error,
    ProblemError: _problem_error,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _internal,
}
