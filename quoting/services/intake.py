"""What a client sends, checked: a quote request decoded with every problem at once, a
census file merged into it, and the date windows around the business date."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from quoting.census import MAX_CENSUS_PROBLEMS, read_census_numbered
from quoting.clock import Clock
from quoting.errors import CensusError, FieldPath, Problem, QuotingError, RequestError, TariffError
from quoting.rating_input import field_problems
from quoting.schemas import (
    CensusGroup,
    CensusMember,
    QuoteRequest,
    check_row,
)
from quoting.tariff.registry import tariff_in_force
from quoting.validation import problem_from_validation

__all__ = [
    "date_problems",
    "decode_request",
    "merge_census_file",
    "relocate_to_file_rows",
]


def _field_problems(raw: dict[str, Any]) -> tuple[list[Problem], dict[str, Any]]:
    """Convert each top-level field (and each census row) on its own, so that one bad
    field does not hide the others. Returns the problems and the fields that converted."""
    problems: list[Problem] = []
    good: dict[str, Any] = {}
    fields = {f.encode_name: f for f in msgspec.structs.fields(QuoteRequest)}
    for key in raw:
        if key not in fields:
            problems.append(Problem.of("field.unknown", path=(key,)))
    for name, field in fields.items():
        if name not in raw:
            if field.required:
                problems.append(Problem.of("field.required", path=(name,)))
            continue
        if name == "census" and isinstance(raw[name], dict):
            census = raw[name]
            for key, model in (("members", CensusMember), ("groups", CensusGroup)):
                rows = census.get(key)
                if not isinstance(rows, list):
                    continue
                entries: list[tuple[int, Any]] = []
                for i, row in enumerate(rows):
                    try:
                        entries.append((i, msgspec.convert(row, model)))
                    except msgspec.ValidationError as exc:
                        found, values = _row_field_problems(row, model, ("census", key, i), exc)
                        problems.extend(found)
                        # The fields that converted are still checked against the tariff.
                        entries.append((i, values))
                    if len(problems) >= MAX_CENSUS_PROBLEMS:
                        # A census this bad is most likely the wrong data: listing every
                        # cell of 100,000 rows would cost the server seconds per request.
                        del problems[MAX_CENSUS_PROBLEMS - 1 :]
                        problems.append(
                            Problem.of(
                                "request.too_many_problems",
                                path=("census", key),
                                most=f"{MAX_CENSUS_PROBLEMS:,}",
                                last_row=i,
                            )
                        )
                        break
                good[f"census.{key}"] = entries
        try:
            good[name] = msgspec.convert(raw[name], field.type)
        except msgspec.ValidationError as exc:
            problem = problem_from_validation(exc, (name,))
            if not any(p.path[:1] == (name,) for p in problems):
                problems.append(problem)
    return problems, good


def _row_field_problems(
    row: Any,
    model: type[CensusMember] | type[CensusGroup],
    where: FieldPath,
    exc: msgspec.ValidationError,
) -> tuple[list[Problem], dict[str, Any]]:
    """Every problem of one census row (msgspec stops at the first): each bad field, the
    cross-field checks the good fields allow. Returns them with the fields that converted
    (to check against the tariff too)."""
    if not isinstance(row, dict):
        return [problem_from_validation(exc, where)], {}
    check = check_row(model, row)
    found = [Problem.of("census_row.unknown_field", path=(*where, name)) for name in check.unknown]
    found += [
        problem_from_validation(field_exc, (*where, name))
        for name, field_exc in check.errors.items()
    ]
    found += [Problem.of("field.required", path=(*where, name)) for name in check.missing]
    found += [
        dataclasses.replace(problem, path=(*where, name) if name else where)
        for name, problem in check.cross
    ]
    return found or [problem_from_validation(exc, where)], check.values


def _census_problems(
    good: dict[str, Any], tariff_root: str | Path, today: dt.date
) -> list[Problem]:
    """Tariff checks (countries, occupations) of the census rows, of every field that
    converted even in a row with bad fields."""
    period = good.get("period")
    entries: list[tuple[FieldPath, Any]] = [
        (("census", key, i), entry)
        for key in ("members", "groups")
        for i, entry in good.get(f"census.{key}", [])
    ]
    return _tariff_checks(
        entries, good.get("as_of") or today, period.start if period else None, tariff_root
    )


def _tariff_checks(
    entries: list[tuple[FieldPath, Any]],
    as_of: dt.date,
    start: dt.date | None,
    tariff_root: str | Path,
) -> list[Problem]:
    """:func:`field_problems` of census entries, each given with its location, as a
    struct or as the dict of its fields that converted, under the tariff in force on
    ``as_of`` (none when there is no such tariff)."""
    try:
        tariff = tariff_in_force(as_of, tariff_root)
    except TariffError:
        return []
    problems = []
    for where, entry in entries:
        values = entry if isinstance(entry, dict) else msgspec.structs.asdict(entry)
        problems += field_problems(values, where, tariff, start)
    return problems


def decode_request(
    data: bytes | str,
    *,
    tariff_root: str | Path | None = None,
    today: dt.date | None = None,
) -> QuoteRequest:
    """Decode and validate a JSON quote request.

    On failure every problem is reported at once: each field and each census row is
    checked on its own and, given ``tariff_root``, the well-formed census rows are also
    checked against the tariff (unknown countries and occupations).
    """
    if isinstance(data, str):
        data = data.encode()
    try:
        return msgspec.json.decode(data, type=QuoteRequest)
    except msgspec.ValidationError as exc:
        first = problem_from_validation(exc)
    except msgspec.DecodeError as exc:
        raise RequestError(Problem.of("request.invalid_json", detail=str(exc))) from None
    except RecursionError:
        raise RequestError(Problem.of("request.too_deep")) from None
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:  # pragma: no cover - the typed decode saw it first
        raise RequestError(Problem.of("request.invalid_json", detail=str(exc))) from None
    except RecursionError:
        raise RequestError(Problem.of("request.too_deep")) from None
    if not isinstance(raw, dict):
        raise RequestError(Problem.of("request.not_object"))
    problems, good = _field_problems(raw)
    if not problems:  # a cross-field check of the request as a whole
        problems = [first]
    if tariff_root is not None:
        problems += _census_problems(good, tariff_root, today or Clock.from_env().today())
    raise RequestError(problems)


def relocate_to_file_rows(error: QuotingError, row_numbers: list[int]) -> QuotingError:
    """Move problems of census entries (``("census", "members", i, field)``) to the census
    file's row and column, for a request whose census came from a file."""
    problems = []
    for p in error.problems:
        entry = p.path[2] if p.path[:1] == ("census",) and len(p.path) > 2 else None
        if isinstance(entry, int) and entry < len(row_numbers):
            column = p.path[3] if len(p.path) > 3 else None
            problems.append(
                dataclasses.replace(
                    p,
                    path=(),
                    row=row_numbers[entry],
                    column=None if column is None else str(column),
                )
            )
        else:
            problems.append(p)
    return type(error)(problems)


def merge_census_file(
    raw_request: bytes,
    data: bytes,
    filename: str,
    *,
    tariff_root: str | Path,
    today: dt.date,
    replace: bool = False,
) -> tuple[bytes, list[int]]:
    """Put a census file's rows into a JSON request (replacing its census).

    Returns the merged request and each entry's row number in the file. A census already
    in the request is an error unless ``replace`` (the CLI's ``--census`` replaces it). A file with bad
    rows raises :class:`CensusError` listing those and, for the rows that were valid, the
    tariff's checks too (unknown countries or occupations), all at once.
    """
    try:
        body = msgspec.json.decode(raw_request)
    except msgspec.DecodeError as exc:
        raise RequestError(Problem.of("request.invalid_json", detail=str(exc))) from None
    except RecursionError:
        raise RequestError(Problem.of("request.too_deep")) from None
    if not isinstance(body, dict):
        raise RequestError(Problem.of("request.not_object"))
    if "census" in body and not replace:
        raise RequestError(Problem.of("request.census_twice", path=("census",)))
    try:
        census, numbers = read_census_numbered(data, filename)
    except CensusError as exc:
        extra: list[Problem] = []
        if exc.rows:
            extra = _file_row_problems(exc.rows, body, tariff_root, today)
        error = CensusError(sorted([*exc.problems, *extra], key=_row_order))
        raise error from None
    body["census"] = msgspec.to_builtins(census)
    return msgspec.json.encode(body), numbers


def _row_order(problem: Problem) -> tuple[int, str]:
    return (problem.row or 0, problem.location)


def _file_row_problems(
    rows: list[tuple[int, object]], body: dict[str, Any], tariff_root: str | Path, today: dt.date
) -> list[Problem]:
    try:
        as_of = dt.date.fromisoformat(str(body.get("as_of") or today))
        start = dt.date.fromisoformat(str(body["period"]["start"]))
    except (KeyError, TypeError, ValueError):
        as_of, start = today, None
    # Each row's problems come back at (row number, field): the file's row and column.
    found = _tariff_checks([((n,), e) for n, e in rows], as_of, start, tariff_root)
    return [
        dataclasses.replace(
            p, path=(), row=int(p.path[0]), column=str(p.path[1]) if len(p.path) > 1 else None
        )
        for p in found
    ]


#: Windows around the business date, in days (a year is taken as 366 days, so that a
#: window never falls a day short across a 29 February).
PERIOD_START_DAYS_BACK = 366
PERIOD_START_DAYS_AHEAD = 2 * 366
#: Member cover dates: as far back as a period may start, as far ahead as it may end.
COVER_DAYS_AHEAD = 3 * 366
#: An underwriter's as-of date: as far back and ahead as a period may start.
AS_OF_DAYS_BACK = PERIOD_START_DAYS_BACK
AS_OF_DAYS_AHEAD = PERIOD_START_DAYS_AHEAD
#: Claims experience: at most ten years back, and over by the business date.
EXPERIENCE_DAYS_BACK = 10 * 366


def _window(
    path: FieldPath, value: dt.date | None, low: dt.date, high: dt.date, what: str
) -> list[Problem]:
    """``value`` outside ``low`` to ``high``: the problem ``date.window_<what>``."""
    if value is None or low <= value <= high:
        return []
    return [
        Problem.of(f"date.window_{what}", path=path, value=str(value), low=str(low), high=str(high))
    ]


def date_problems(request: QuoteRequest, today: dt.date) -> list[Problem]:
    """Dates of the request outside their windows around the business date ``today``:
    the as-of date, the period start, members' cover dates and the claims experience."""
    back = today - dt.timedelta(days=PERIOD_START_DAYS_BACK)
    problems = _window(
        ("as_of",),
        request.as_of,
        today - dt.timedelta(days=AS_OF_DAYS_BACK),
        today + dt.timedelta(days=AS_OF_DAYS_AHEAD),
        "as_of",
    )
    problems += _window(
        ("period", "start"),
        request.period.start,
        back,
        today + dt.timedelta(days=PERIOD_START_DAYS_AHEAD),
        "period_start",
    )
    ahead = today + dt.timedelta(days=COVER_DAYS_AHEAD)
    for i, member in enumerate(request.census.members or []):
        for name in ("start", "end"):
            problems += _window(
                ("census", "members", i, name),
                getattr(member, name),
                back,
                ahead,
                "member_cover",
            )
    e = request.experience
    if e is not None:
        low = today - dt.timedelta(days=EXPERIENCE_DAYS_BACK)
        what = "experience"
        problems += _window(("experience", "start"), e.start, low, today, what)
        problems += _window(("experience", "end"), e.end, low, today, what)
    return problems
