"""Read a census upload (CSV, XLSX or JSON) into a :class:`~quoting.schemas.Census`.

Every problem of the file is collected and raised at once as a :class:`CensusError`, each
naming its spreadsheet row and column (``row 7, column date_of_birth``). CSV and XLSX
share one core, :func:`census_from_rows`, which maps English and Chinese headers to field
names, normalises cell values (dates, sex, whole numbers) and validates every row with
msgspec. Rows come back in file order; empty rows are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import chain, islice
from typing import Any
from xml.parsers import expat

import msgspec

from quoting._bulk import collector_paused
from quoting.census._xlsx import MAX_CENSUS_COLUMNS, Formula, XlsxError, read_first_sheet
from quoting.errors import CensusError, Problem, ProblemValueError
from quoting.schemas import Census, CensusGroup, CensusMember, check_row
from quoting.validation import plain_problem

__all__ = [
    "MAX_CENSUS_BYTES",
    "MAX_CENSUS_ROWS",
    "census_from_rows",
    "read_census",
    "read_table",
]

MAX_CENSUS_BYTES = 10 * 1024 * 1024
MAX_CENSUS_ROWS = 100_000
#: A census file stops being read after this many problems: a file that bad is most likely
#: the wrong file, and listing every cell of it would cost the server and the reader alike.
MAX_CENSUS_PROBLEMS = 1_000

ACCEPTED_FORMATS = (".csv", ".xlsx", ".json")

# Canonical field name -> accepted header aliases (compared after _header_key).
_ALIASES: dict[str, tuple[str, ...]] = {
    "member_id": ("id", "member id", "no", "序号", "编号", "工号"),
    "name": ("姓名", "full name"),
    "name_en": ("姓名拼音", "拼音", "护照姓名", "passport name", "english name", "name (passport)"),
    "sex": ("性别", "gender"),
    "date_of_birth": ("dob", "birth date", "birthday", "出生日期"),
    "age": ("年龄",),
    "passport_no": ("passport", "passport number", "护照号", "护照号码"),
    "occupation_class": ("class", "职业类别", "类别"),
    "occupation_code": ("occupation", "职业代码", "工种代码"),
    "country": ("country code", "国家", "国家/地区", "派驻国家"),
    "site": ("项目", "项目地点", "工地", "project"),
    "start": ("start date", "起保日期", "开始日期"),
    "end": ("end date", "终止日期", "结束日期"),
    "headcount": ("人数", "count"),
    "age_band": ("年龄段",),
}

_MEMBER_FIELDS: tuple[str, ...] = tuple(CensusMember.__struct_fields__)
_GROUP_FIELDS: tuple[str, ...] = tuple(CensusGroup.__struct_fields__)
_MEMBER_REQUIRED = ("member_id", "name", "country")
_GROUP_REQUIRED = ("country", "occupation_class", "headcount")

_DATE_FIELDS = frozenset({"date_of_birth", "start", "end"})
_INT_FIELDS = frozenset({"age", "occupation_class", "headcount"})
_SEX_VALUES = {"m": "M", "male": "M", "男": "M", "f": "F", "female": "F", "女": "F"}

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_MSGSPEC_PATH = re.compile(r"^(?P<msg>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)


def _header_key(text: str) -> str:
    """Compare headers case-, width- and spacing-insensitively; ``_`` counts as a space."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    return " ".join(text.split()).rstrip(".:：").strip()


_HEADER_LOOKUP: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    for _name in (_field, *_names):
        _HEADER_LOOKUP[_header_key(_name)] = _field


class _BadValue(Exception):
    """A cell value that cannot be normalised: the problem ``code`` of the cell's value as
    the user typed it (quoted)."""

    def __init__(self, code: str, value: object) -> None:
        self.problem = Problem.of(code, value=f"'{value}'")
        super().__init__(self.problem.message)


#: Blank rows after which a sheet is taken to end.
MAX_BLANK_ROWS = 1000

# --------------------------------------------------------------------------- entry point


def read_census(data: bytes, filename: str) -> Census:
    """Read a census file; the format comes from the extension of ``filename``.

    Raises :class:`CensusError` listing every problem of the file at once.
    """
    return read_census_numbered(data, filename)[0]


def read_census_numbered(data: bytes, filename: str) -> tuple[Census, list[int]]:
    """:func:`read_census`, also returning each census entry's row number in the file."""
    with collector_paused():
        return _read_numbered(data, filename)


def _read_numbered(data: bytes, filename: str) -> tuple[Census, list[int]]:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in ACCEPTED_FORMATS:
        xls = suffix in (".xls", ".xlsm", ".et", ".numbers")
        raise CensusError(
            Problem.of(
                "census.file_type_xls" if xls else "census.file_type",
                file=filename,
                formats=", ".join(ACCEPTED_FORMATS[:-1]),
                last=ACCEPTED_FORMATS[-1],
            )
        )
    if len(data) > MAX_CENSUS_BYTES:
        raise CensusError(
            Problem.of(
                "census.file_too_large",
                file=filename,
                size=f"{len(data) / 1024 / 1024:.1f}",
                most=MAX_CENSUS_BYTES // (1024 * 1024),
            )
        )
    if suffix == ".json":
        return _read_json(data, filename)
    read = _read_csv if suffix == ".csv" else _read_xlsx
    header_row, header, records = read(data, filename)
    return _census_from_table(header_row, header, records, filename, texts_only=read is _read_csv)


def read_table(
    data: bytes,
    filename: str,
    aliases: Mapping[str, tuple[str, ...]],
    dates: frozenset[str] = frozenset(),
) -> list[tuple[int, dict[str, object]]]:
    """A CSV or XLSX file of another kind of rows (claims, …) with the census readers'
    bounds, encodings and header checks: each non-blank row as a dict keyed by field
    name (headers matched to a field or one of its ``aliases``, as census headers are;
    other columns are a problem), with its row number; the ``dates`` fields read as the
    census reads dates (2027-04-02, 2027/4/2, 20270402, a spreadsheet date). Raises
    :class:`CensusError` with every problem."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in (".csv", ".xlsx"):
        raise CensusError(Problem("the file must be a .csv or .xlsx file", file=filename))
    if len(data) > MAX_CENSUS_BYTES:
        raise CensusError(
            Problem(
                f"the file may be at most {MAX_CENSUS_BYTES // (1024 * 1024)} MB", file=filename
            )
        )
    read = _read_csv if suffix == ".csv" else _read_xlsx
    header_row, header, records = read(data, filename)
    lookup = {_header_key(n): f for f, names in aliases.items() for n in (f, *names)}
    problems: list[Problem] = []
    names: list[str | None] = []
    for cell in header:
        text = "" if cell is None or isinstance(cell, Formula) else str(cell).strip()
        field = lookup.get(_header_key(text)) if text else None
        if text and field is None:
            known = ", ".join(aliases)
            problems.append(
                Problem(
                    f"unknown column {text!r}; the columns are {known}", row=header_row, column=text
                )
            )
        elif field is not None and field in names:
            problems.append(Problem(f"column {field!r} appears twice", row=header_row, column=text))
        names.append(field)
    if problems:
        raise CensusError(problems)
    rows = []
    for number, values in records:
        cells = {f: v for f, v in zip(names, values, strict=False) if f is not None}
        if _is_blank(cells.values()):
            continue
        for field in dates & cells.keys():
            try:
                cells[field] = _clean_value("start", cells[field])  # read as a cover date
            except _BadValue as exc:
                problems.append(Problem(str(exc), row=number, column=field))
        rows.append((number, cells))
    if problems:
        raise CensusError(problems)
    return rows


# --------------------------------------------------------------------------- shared core


def census_from_rows(rows: list[dict[str, object]], *, first_row_number: int) -> Census:
    """Build a census from spreadsheet-like rows (one dict per row, keyed by header).

    Headers may be field names or any accepted alias (English or Chinese). A ``headcount``
    column makes an aggregated census of :class:`CensusGroup`; otherwise rows are
    :class:`CensusMember`. ``rows[i]`` is reported as ``row first_row_number + i``; rows
    whose cells are all empty are skipped. Raises :class:`CensusError` with every problem.
    """
    headers: dict[str, None] = {}
    for row in rows:
        headers.update(dict.fromkeys(row))
    header_row = first_row_number - 1 if first_row_number > 1 else None
    numbered = enumerate(rows, start=first_row_number)
    return _build(numbered, list(headers), header_row)[0]


def _build(
    numbered: Iterable[tuple[int, Mapping[str, object]]],
    headers: list[str],
    header_row: int | None,
    done: tuple[list[Any], list[int]] | None = None,
) -> tuple[Census, list[int]]:
    """Validate rows given with their row numbers; see :func:`census_from_rows`.

    ``done`` are the rows (and their numbers) that came before ``numbered``, already
    validated without a problem (by :func:`_fast_rows`)."""
    columns, problems = _map_headers(headers, header_row)
    if columns is None:
        raise CensusError(problems)
    is_groups = "headcount" in columns.values()
    target: type[CensusMember] | type[CensusGroup] = CensusGroup if is_groups else CensusMember
    required = _GROUP_REQUIRED if is_groups else _MEMBER_REQUIRED

    built, numbers = done or ([], [])
    partial: list[tuple[int, dict[str, Any]]] = []
    count = len(built)
    for number, row in numbered:
        if _is_blank(row.values()):
            continue
        count += 1
        if count > MAX_CENSUS_ROWS:
            raise CensusError(_too_many_rows(None))
        record: dict[str, object] = {}
        row_problems: list[Problem] = []
        for header, value in row.items():
            field = columns.get(header)
            if field is None:
                continue
            try:
                clean = _clean_value(field, value)
            except _BadValue as exc:
                row_problems.append(replace(exc.problem, row=number, column=field))
                continue
            if clean is not None:
                record[field] = clean
        for field in required:
            if field not in record and not any(p.column == field for p in row_problems):
                row_problems.append(Problem.of("census.cell_empty", row=number, column=field))
        if row_problems:
            # The other cells of a row with bad cells are still checked.
            bad_cells = {p.column for p in row_problems if p.column is not None}
            more, values = _row_problems(target, record, number, bad_cells)
            problems.extend(sorted([*row_problems, *more], key=lambda p: p.location))
            partial.append((number, values))
            if len(problems) >= MAX_CENSUS_PROBLEMS:
                break
            continue
        try:
            built.append(msgspec.convert(record, target))
            numbers.append(number)
        except msgspec.ValidationError as exc:
            more, values = _row_problems(target, record, number, set())
            problems.extend(more or [_problem_from_msgspec(exc, number, record)])
            partial.append((number, values))
            if len(problems) >= MAX_CENSUS_PROBLEMS:
                break
    if len(problems) >= MAX_CENSUS_PROBLEMS:
        del problems[MAX_CENSUS_PROBLEMS - 1 :]
        problems.append(_too_many_problems(partial[-1][0] if partial else 0))
    if problems:
        raise _with_rows(CensusError(problems), numbers, built, partial)
    return _census(built, is_groups, None, numbers)


def _map_headers(
    headers: Sequence[str], header_row: int | None
) -> tuple[dict[str, str] | None, list[Problem]]:
    """Map header -> field. Returns ``None`` as the mapping when rows cannot be read."""
    columns: dict[str, str] = {}
    problems: list[Problem] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        field = _HEADER_LOOKUP.get(_header_key(str(header)))
        if field is None:
            unknown.append(header)
            continue
        if field in seen:
            problems.append(
                Problem.of(
                    "census.columns_same_field",
                    row=header_row,
                    column=header,
                    first=seen[field],
                    second=header,
                    field=field,
                )
            )
            continue
        seen[field] = header
        columns[header] = field
    is_groups = "headcount" in seen
    fields = _GROUP_FIELDS if is_groups else _MEMBER_FIELDS
    kind = "groups" if is_groups else "members"
    accepted = ", ".join(fields)
    for header in unknown:
        problems.append(
            Problem.of(
                f"census.column_unknown_{kind}",
                row=header_row,
                column=header,
                header=header,
                fields=accepted,
            )
        )
    for header, field in list(columns.items()):
        if field not in fields:
            del columns[header]
            problems.append(
                Problem.of(
                    f"census.column_not_for_{kind}",
                    row=header_row,
                    column=header,
                    header=header,
                    field=field,
                    fields=accepted,
                )
            )
    missing = False
    for field in _GROUP_REQUIRED if is_groups else _MEMBER_REQUIRED:
        if field not in seen:
            missing = True
            names = ", ".join(_ALIASES[field])
            problems.append(
                Problem.of("census.column_missing", row=header_row, field=field, names=names)
            )
    return (None if missing else columns), problems


def _is_blank(values: Iterable[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _clean_value(field: str, value: object) -> object:
    """Normalise one cell for ``field``; ``None`` means absent. Raises :class:`_BadValue`."""
    if isinstance(value, Formula):
        raise _BadValue("census.cell_formula", value.text)
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if field in _DATE_FIELDS:
        return _to_date(value)
    if field in _INT_FIELDS:
        return _to_int(value)
    if field == "sex":
        key = _header_key(str(value))
        if key not in _SEX_VALUES:
            raise _BadValue("census.cell_sex", value)
        return _SEX_VALUES[key]
    if isinstance(value, bool):
        raise _BadValue("census.cell_not_text", value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        raise _BadValue("census.cell_date_not_text", value)
    return value


def _to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise _BadValue("census.cell_time_of_day", value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is not None and not isinstance(value, bool):
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    return dt.date(*(int(g) for g in match.groups()))
                except ValueError:
                    break
    raise _BadValue("date.invalid", value)


def _to_int(value: object) -> int:
    if isinstance(value, bool):
        raise _BadValue("census.cell_whole_number", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE_NUMBER.match(value):
        return int(value.split(".")[0])
    raise _BadValue("census.cell_whole_number", value)


def _census(
    rows: list[Any], is_groups: bool, filename: str | None, numbers: list[int]
) -> tuple[Census, list[int]]:
    if not rows:
        raise CensusError(Problem.of("census.no_data_rows", file=filename))
    try:
        return (Census(groups=rows) if is_groups else Census(members=rows)), numbers
    except ValueError as exc:  # a check of the whole census: its total headcount
        found = exc.problem if isinstance(exc, ProblemValueError) else Problem(str(exc))
        raise CensusError(replace(found, file=filename, column="headcount")) from None


def _with_rows(
    error: CensusError,
    numbers: list[int],
    rows: list[Any],
    partial: list[tuple[int, dict[str, Any]]] | None = None,
) -> CensusError:
    """Attach the rows that were valid, and the valid fields of the others, so later
    checks (the tariff's) can still report on them."""
    valid: list[tuple[int, object]] = list(zip(numbers, rows, strict=True))
    error.rows = sorted([*valid, *(partial or [])], key=lambda r: r[0])
    return error


def _too_many_problems(last_row: int) -> Problem:
    return Problem.of(
        "census.too_many_problems", most=f"{MAX_CENSUS_PROBLEMS:,}", last_row=last_row
    )


def _too_many_rows(filename: str | None) -> Problem:
    return Problem.of("census.too_many_rows", file=filename, most=f"{MAX_CENSUS_ROWS:,}")


# --------------------------------------------------------------------------- column by column

#: Rows cleaned and validated together by :func:`_fast_rows`: a few calls per column for
#: a large census, little work lost when a chunk has a problem and is read again row by row.
_CHUNK_ROWS = 4096
_PLAIN_TEXT = frozenset(_MEMBER_FIELDS + _GROUP_FIELDS) - _DATE_FIELDS - _INT_FIELDS - {"sex"}


def _fast_rows(
    records: Iterable[_Record],
    names: list[str | None],
    header_names: list[str],
    header_row: int | None,
    texts_only: bool,
) -> tuple[list[Any], list[int], Iterable[_Record]]:
    """Validate records a chunk at a time, column by column, while every row of a chunk
    is good: (the rows built, their numbers, the records left). The records left start
    at the first chunk with anything to report (a bad cell, a value under no header,
    too many rows, …), for :func:`_build` to read row by row and report exactly as it
    always has. A census whose headers have a problem is left whole to :func:`_build`."""
    columns, problems = _map_headers(header_names, header_row)
    if columns is None or problems:
        return [], [], records
    is_groups = "headcount" in columns.values()
    required = _GROUP_REQUIRED if is_groups else _MEMBER_REQUIRED
    fields = [columns[name] for name in names if name is not None]
    if any(field not in fields for field in required):
        return [], [], records
    target: Any = list[CensusGroup] if is_groups else list[CensusMember]
    chunks = _ChunkReader(names, fields, required, texts_only)
    built: list[Any] = []
    numbers: list[int] = []
    it = iter(records)
    while chunk := list(islice(it, _CHUNK_ROWS)):
        try:
            chunk_numbers, rows = chunks.clean(chunk)
            if len(built) + len(rows) > MAX_CENSUS_ROWS:
                raise _RowByRow
            entries = msgspec.convert([dict(zip(fields, row, strict=True)) for row in rows], target)
        except (_RowByRow, msgspec.ValidationError):
            return built, numbers, chain(chunk, it)
        built += entries
        numbers += chunk_numbers
    return built, numbers, ()


class _RowByRow(Exception):
    """A chunk of rows has something to report: read it row by row."""


class _ChunkReader:
    """Cleans chunks of records column by column, remembering each column's cleaned
    values (a census has a few dozen countries and classes, some thousands of birth
    dates: each is cleaned once)."""

    def __init__(
        self, names: list[str | None], fields: list[str], required: tuple[str, ...], texts: bool
    ) -> None:
        self.width = len(names)
        self.picks = [i for i, name in enumerate(names) if name is not None]
        self.unnamed = [i for i, name in enumerate(names) if name is None]
        self.fields = fields
        self.required = [j for j, field in enumerate(fields) if field in required]
        self.caches: list[dict[object, object]] = [{} for _ in fields]
        self.texts_only = texts

    def clean(self, chunk: list[_Record]) -> tuple[list[int], list[tuple[object, ...]]]:
        """The chunk's row numbers and rows, cleaned (a ``None`` is an empty cell); raises
        :class:`_RowByRow` when any cell of the chunk has a problem. (The readers leave
        out blank rows.)"""
        width = self.width
        if any(len(values) > width and not _is_blank(values[width:]) for _, values in chunk):
            raise _RowByRow
        grid = [
            values if len(values) == width else [*values[:width], *[None] * (width - len(values))]
            for _, values in chunk
        ]
        cells = list(zip(*grid, strict=True))
        if any(not _is_blank(cells[i]) for i in self.unnamed):
            raise _RowByRow  # a value under no header
        try:
            cleaned = [
                _clean_column(field, cells[i], cache, self.texts_only)
                for i, field, cache in zip(self.picks, self.fields, self.caches, strict=True)
            ]
        except _BadValue:
            raise _RowByRow from None
        if any(None in cleaned[j] for j in self.required):
            # A required cell empty (or a row blank but for cells past the header, which
            # are values under no header): reported row by row.
            raise _RowByRow
        return [number for number, _ in chunk], list(zip(*cleaned, strict=True))


def _clean_column(
    field: str, values: Sequence[object], cache: dict[object, object], texts_only: bool
) -> list[object]:
    """:func:`_clean_value` of every cell of one column, once per distinct value (kept in
    ``cache``); raises :class:`_BadValue` at the first bad one."""
    if texts_only and field in _PLAIN_TEXT:
        # What _clean_value makes of a text for a text field.
        return [value.strip() or None for value in values]  # type: ignore[attr-defined]
    # 1, 1.0 and True are one dict key but not one cell: numbers are keyed with their type.
    keys = values if texts_only else [_cache_key(value) for value in values]
    for key in set(keys).difference(cache):
        cache[key] = _clean_value(field, key[1] if isinstance(key, tuple) else key)
    return [cache[key] for key in keys]


def _cache_key(value: object) -> object:
    cls = value.__class__
    return (cls, value) if cls is float or cls is bool else value


# --------------------------------------------------------------------------- msgspec errors


def _row_problems(
    target: type[CensusMember] | type[CensusGroup],
    record: Mapping[str, object],
    row: int,
    bad_cells: set[str],
) -> tuple[list[Problem], dict[str, Any]]:
    """Every problem of a row msgspec refused (it stops at the first), besides the cells
    already found bad; returns them with the fields that converted."""
    check = check_row(target, record, bad_cells)
    found = [Problem.of("census.not_a_field", row=row, column=name) for name in check.unknown]
    found += [
        replace(_cell_problem(exc, record.get(name)), row=row, column=name)
        for name, exc in check.errors.items()
    ]
    found += [Problem.of("census.cell_missing", row=row, column=name) for name in check.missing]
    found += [replace(p, row=row, column=n or None) for n, p in check.cross]
    return found, check.values


def _message(exc: msgspec.ValidationError) -> str:
    """msgspec's message without its `` - at `$…` `` path."""
    return str(exc).rpartition(" - at `$")[0] or str(exc)


def _cell_problem(exc: msgspec.ValidationError, value: object) -> Problem:
    """One cell's msgspec error as a problem (a check of ours keeps its own)."""
    if isinstance(exc.__cause__, ProblemValueError):
        return exc.__cause__.problem
    return plain_problem(_message(exc), value)


def _problem_from_msgspec(
    exc: msgspec.ValidationError, number: int, row: Mapping[str, object]
) -> Problem:
    """Turn a msgspec ``ValidationError`` on one row into a located problem."""
    cause = exc.__cause__
    if isinstance(cause, ProblemValueError):  # a check of ours, with its field
        return replace(cause.problem, row=number, column=cause.field)
    message = str(exc)
    if m := _MSGSPEC_PATH.match(message):
        path = m["path"]
        field = re.match(r"\.(\w+)", path)
        if field is None:  # `$` itself: a cross-field (__post_init__) failure
            # Checks that concern one field start their message with its name.
            field_name, sep, rest = m["msg"].partition(": ")
            if sep and re.fullmatch(r"[a-z_]+", field_name):
                return Problem(rest, row=number, column=field_name)
            return Problem(m["msg"], row=number)
        name = field[1]
        return replace(plain_problem(m["msg"], row.get(name)), row=number, column=name)
    if m := re.fullmatch(r"([a-z_]+): (.+)", message, flags=re.DOTALL):
        # A one-field check in __post_init__.
        return Problem(m[2], row=number, column=m[1])
    if m := re.fullmatch(r"Object missing required field `(\w+)`", message):
        return Problem.of("census.cell_missing", row=number, column=m[1])
    if m := re.fullmatch(r"Object contains unknown field `([^`]*)`", message):
        return Problem.of("census.not_a_field", row=number, column=m[1])
    return replace(plain_problem(message, None), row=number)


# --------------------------------------------------------------------------- JSON


def _read_json(data: bytes, filename: str) -> tuple[Census, list[int]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # Every row is an object (or, wrongly, a list): counting their opening brackets bounds
    # what decoding costs (3 bytes of `{},` become a 64-byte dict) before msgspec builds
    # them. A bracket inside a text counts too; 100,000 of them is no real census.
    if data.count(b"{") + data.count(b"[") > MAX_CENSUS_ROWS + 2:
        raise CensusError(_too_many_rows(filename))
    try:
        doc = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise CensusError(
            Problem.of("census.json_invalid", file=filename, detail=str(exc))
        ) from None
    except RecursionError:
        raise CensusError(Problem.of("census.json_too_deep", file=filename)) from None
    is_groups = False
    if isinstance(doc, dict):
        keys = sorted(map(str, doc))
        if keys in (["members"], ["groups"]):
            is_groups = keys == ["groups"]
            rows = doc[keys[0]]
        else:
            raise CensusError(
                Problem.of("census.json_shape", file=filename, keys=", ".join(keys) or "(none)")
            )
    else:
        rows = doc
    if not isinstance(rows, list):
        raise CensusError(Problem.of("census.json_not_list", file=filename))
    if len(rows) > MAX_CENSUS_ROWS:
        raise CensusError(_too_many_rows(filename))
    target: type[CensusMember] | type[CensusGroup] = CensusGroup if is_groups else CensusMember
    try:  # every row at once; a census with a problem is read again row by row, to report it
        entries = msgspec.convert(rows, list[target])  # type: ignore[valid-type]
        return _census(entries, is_groups, filename, list(range(1, len(rows) + 1)))
    except msgspec.ValidationError:
        pass
    built: list[Any] = []
    numbers: list[int] = []
    partial: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(Problem.of("census.json_row_not_object", row=number))
            continue
        try:
            built.append(msgspec.convert(row, target))
            numbers.append(number)
        except msgspec.ValidationError as exc:
            more, values = _row_problems(target, row, number, set())
            problems.extend(more or [_problem_from_msgspec(exc, number, row)])
            partial.append((number, values))
        if len(problems) >= MAX_CENSUS_PROBLEMS:
            del problems[MAX_CENSUS_PROBLEMS - 1 :]
            problems.append(_too_many_problems(number))
            break
    if problems:
        raise _with_rows(CensusError(problems), numbers, built, partial)
    return _census(built, is_groups, filename, numbers)


# --------------------------------------------------------------------------- CSV and XLSX

_Record = tuple[int, Sequence[object]]


def _census_from_table(
    header_row: int,
    header: Sequence[object],
    records: Iterable[_Record],
    filename: str,
    *,
    texts_only: bool = False,
) -> tuple[Census, list[int]]:
    """Turn a header and numbered records into census rows (``texts_only``: every value
    is a ``str``, as in a CSV file)."""
    problems: list[Problem] = []
    names: list[str | None] = []
    for index, cell in enumerate(header, start=1):
        if isinstance(cell, Formula):
            problems.append(Problem.of("census.header_formula", row=header_row, column=str(index)))
            names.append(None)
            continue
        text = "" if cell is None else str(cell).strip()
        names.append(text or None)
    raw_seen: set[str] = set()
    for name in names:
        if name is not None and name in raw_seen:
            problems.append(
                Problem.of("census.column_twice", row=header_row, column=name, name=name)
            )
        if name is not None:
            raw_seen.add(name)
    if problems:
        raise CensusError(problems)
    header_names = [name for name in names if name is not None]

    # Column by column while every row is good; from the first chunk of rows with a
    # problem on, one row's dict at a time, so that every problem is reported as ever.
    built, numbers, rest = _fast_rows(records, names, header_names, header_row, texts_only)
    rows = _row_dicts(rest, names, header_names, problems)
    try:
        census = _build(rows, header_names, header_row, (built, numbers))
    except CensusError as exc:
        combined = CensusError(problems + exc.problems)
        combined.rows = exc.rows
        raise combined from None
    if problems:
        error = CensusError(problems)
        error.rows = list(zip(census[1], census[0].members or census[0].groups or [], strict=True))
        raise error
    return census


def _row_dicts(
    records: Iterable[_Record],
    names: list[str | None],
    header_names: list[str],
    problems: list[Problem],
) -> Iterator[tuple[int, dict[str, object]]]:
    """Each record as a dict keyed by header; a column with values under no header is one
    problem (at its first value), however many rows it has."""
    reported: set[int] = set()
    for number, values in records:
        row: dict[str, object] = dict.fromkeys(header_names)
        for index, value in enumerate(values):
            name = names[index] if index < len(names) else None
            if name is None:
                if index not in reported and not _is_blank([value]):
                    reported.add(index)
                    problems.append(
                        Problem.of("census.value_without_header", row=number, column=str(index + 1))
                    )
                continue
            row[name] = value
        yield number, row


def _decode_text(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CensusError(Problem.of("census.csv_encoding", file=filename))


def _sniff_delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            counts = {d: line.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


#: Characters of one line of a CSV file; a census line is a few hundred.
MAX_CSV_LINE_CHARS = 65_536
#: What ends a line of a text read with newline="" (io.StringIO, csv).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _csv_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, refusing one longer than ``MAX_CSV_LINE_CHARS`` before the
    csv module makes a list of its (perhaps millions of) fields."""
    lines = io.StringIO(text, newline="")
    number = 0
    while line := lines.readline(MAX_CSV_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_CSV_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise CensusError(
                Problem.of("census.csv_line_too_long", row=number, most=f"{MAX_CSV_LINE_CHARS:,}")
            )
        yield line


def _read_csv(data: bytes, filename: str) -> tuple[int, list[object], Iterable[_Record]]:
    """Read a CSV census; as in spreadsheets, only the first ``MAX_CENSUS_COLUMNS`` count."""
    text = _decode_text(data, filename)
    # The csv module reads the lines of a file opened with newline="" as _csv_lines does;
    # only a text with a line too long needs reading line by line (to say which).
    short = len(text) <= MAX_CSV_LINE_CHARS or (
        max(map(len, _LINE_BREAK.split(text))) <= MAX_CSV_LINE_CHARS
    )
    lines = io.StringIO(text, newline="") if short else _csv_lines(text)
    reader = csv.reader(lines, delimiter=_sniff_delimiter(text))
    header_row = 0
    header: list[object] = []
    records: list[_Record] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if len(cells) > MAX_CENSUS_COLUMNS:
                del cells[MAX_CENSUS_COLUMNS:]
            if not "".join(cells).strip():  # blank (the same as _is_blank for texts)
                continue
            if not header_row:
                header_row, header = number, list(cells)
                continue
            records.append((number, cells))
            if len(records) > MAX_CENSUS_ROWS:
                raise CensusError(_too_many_rows(filename))
    except csv.Error as exc:
        raise CensusError(
            Problem.of("census.csv_unreadable", row=number + 1, detail=str(exc))
        ) from None
    if not header_row:
        raise CensusError(Problem.of("census.no_header_row", file=filename))
    return header_row, header, records


def _read_xlsx(data: bytes, filename: str) -> tuple[int, list[object], Iterator[_Record]]:
    """The first sheet's header row and an iterator of its records, read once, streaming
    and within bounds (see :mod:`._xlsx`): the records are parsed only as they are asked
    for, so a census that stops early (too many problems) stops the parse too.

    Formulas whose value was never saved become :class:`Formula` markers, as does text
    that starts like a formula; a run of more than ``MAX_BLANK_ROWS`` blank rows ends the
    sheet, so a stray cell far below costs nothing.
    """
    rows = _xlsx_rows(data, filename)
    first = next(rows, None)
    if first is None:
        raise CensusError(Problem.of("census.sheet_blank", file=filename))
    header_row, header = first
    return header_row, list(header), rows


def _xlsx_rows(data: bytes, filename: str) -> Iterator[_Record]:
    """The sheet's non-blank rows (header first) with their numbers; problems of the
    workbook itself as :class:`CensusError`."""
    last = 0
    count = 0
    try:
        for number, values in read_first_sheet(data):
            cells = [_xlsx_cell(v) for v in values]
            if number - last > MAX_BLANK_ROWS + 1:
                return
            if _is_blank(cells):
                continue
            last = number
            count += 1
            if count > MAX_CENSUS_ROWS + 1:
                raise CensusError(_too_many_rows(filename))
            yield number, cells
    except XlsxError as exc:
        column = None if exc.column is None else str(exc.column)
        problem = (
            replace(exc.problem, file=filename)
            if exc.row is None
            else replace(exc.problem, row=exc.row, column=column)
        )
        raise CensusError(problem) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, expat.ExpatError) as exc:
        raise CensusError(
            Problem.of("census.xlsx_unreadable", file=filename, detail=str(exc))
        ) from None


def _xlsx_cell(value: object) -> object:
    """A cell's value, or a :class:`Formula` when it is text that looks like one."""
    if isinstance(value, str) and value.lstrip().startswith("="):
        return Formula(value.strip())
    return value
