"""The endorsement form of a policy (批改) as data: read from a submitted form, turned into
the JSON request the endorsement service takes, and the service's problems mapped back
to the form's fields. Pure (no Litestar), like quoting/web/pages/_quote_form.py.

Field names (each input's ``id`` is given beside it, so an error links to it):

- ``effective`` (the first day of the change) and ``reason``;
- members who join as repeated fields ``add_<column>`` (one value per row, blank rows
  skipped; ids ``add-r-<column>``) for the columns of :data:`ADD_COLUMNS`, or a census
  file ``census_file`` (CSV/XLSX of named members);
- members who leave: ``remove`` once per ticked member id (id ``remove-k``, ``k`` the
  member's place in the list of members covered);
- members who change: repeated ``change_<column>`` for :data:`CHANGE_COLUMNS` (ids
  ``change-r-<column>``; a row without a member is skipped, blank fields keep the
  member's own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quoting.errors import Problem
from quoting.schemas import EndorsementRequest
from quoting.web.pages._quote_form import CensusRowProblem, FormErrors

__all__ = ["ADD_COLUMNS", "CHANGE_COLUMNS", "EndorseForm", "endorse_errors"]

FormData = Mapping[str, Sequence[str]]
#: The census fields of a member who joins, in the form's order.
ADD_COLUMNS = (
    "member_id",
    "name",
    "name_en",
    "country",
    "date_of_birth",
    "age",
    "sex",
    "occupation_class",
    "site",
    "passport_no",
)
#: What the form may change of a member (the API also takes name, code and passport).
CHANGE_COLUMNS = ("member_id", "occupation_class", "site", "country")
#: Blank rows in a new form, and added by "add rows" without JavaScript.
ADD_ROWS = 3
CHANGE_ROWS = 2
MAX_ROWS = 500
_WHOLE = re.compile(r"^\d{1,3}$")
Row = dict[str, str]


def _blank(columns: Sequence[str]) -> Row:
    return dict.fromkeys(columns, "")


def _is_blank(row: Row) -> bool:
    return not any(v.strip() for v in row.values())


def _rows(data: FormData, prefix: str, columns: Sequence[str]) -> list[Row]:
    values = [list(data.get(f"{prefix}_{c}") or ())[:MAX_ROWS] for c in columns]
    width = max((len(v) for v in values), default=0)
    return [
        {c: str(v[r]) if r < len(v) else "" for c, v in zip(columns, values, strict=True)}
        for r in range(width)
    ]


@dataclass
class EndorseForm:
    """Everything the endorsement form holds, as typed."""

    effective: str = ""
    reason: str = ""
    add: list[Row] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    change: list[Row] = field(default_factory=list)

    @classmethod
    def new(cls) -> EndorseForm:
        """An empty form with blank rows to add and change members."""
        return cls(
            add=[_blank(ADD_COLUMNS) for _ in range(ADD_ROWS)],
            change=[_blank(CHANGE_COLUMNS) for _ in range(CHANGE_ROWS)],
        )

    @classmethod
    def parse(cls, data: FormData) -> EndorseForm:
        """The form as submitted (unknown fields ignored; at most ``MAX_ROWS`` rows)."""

        def one(name: str) -> str:
            values = data.get(name) or ()
            return str(values[0]) if values else ""

        return cls(
            effective=one("effective"),
            reason=one("reason"),
            add=_rows(data, "add", ADD_COLUMNS),
            remove=list(dict.fromkeys(str(v) for v in data.get("remove") or ()))[:MAX_ROWS],
            change=_rows(data, "change", CHANGE_COLUMNS),
        )

    @classmethod
    def from_request(cls, request: EndorsementRequest) -> EndorseForm:
        """The form that makes ``request`` (a confirmed preview shown again)."""

        def text(value: object) -> str:
            return "" if value is None else str(value)

        return cls(
            effective=request.effective.isoformat(),
            reason=request.reason,
            add=[{c: text(getattr(m, c)) for c in ADD_COLUMNS} for m in request.add]
            or [_blank(ADD_COLUMNS)],
            remove=[r.member_id for r in request.remove],
            change=[{c: text(getattr(m, c)) for c in CHANGE_COLUMNS} for m in request.change]
            or [_blank(CHANGE_COLUMNS)],
        )

    def apply(self, action: str) -> bool:
        """Carry out ``add-rows`` or ``add-changes`` (more blank rows); False for any other
        action (then the form is to be priced)."""
        if action == "add-rows":
            self.add.extend(_blank(ADD_COLUMNS) for _ in range(ADD_ROWS))
        elif action == "add-changes":
            self.change.extend(_blank(CHANGE_COLUMNS) for _ in range(CHANGE_ROWS))
        else:
            return False
        return True

    def request(self, with_file: bool = False) -> tuple[dict[str, Any], list[int], list[int]]:
        """The JSON request of the form, and the form rows the request's ``add`` and
        ``change`` entries came from. Values go as typed and trimmed (a class of digits
        as a number); what is wrong with them is the service's to say, at the field.
        ``with_file``: the joiners come as a file, so typed rows are sent only if any (the
        service then says it takes one or the other)."""
        body: dict[str, Any] = {"effective": self.effective.strip(), "reason": self.reason.strip()}
        add_rows = [r for r, row in enumerate(self.add) if not _is_blank(row)]
        change_rows = [r for r, row in enumerate(self.change) if row["member_id"].strip()]
        if add_rows or not with_file:
            body["add"] = [_member(self.add[r]) for r in add_rows]
        body["remove"] = [{"member_id": m} for m in self.remove]
        body["change"] = [_member(self.change[r]) for r in change_rows]
        return body, add_rows, change_rows


def _member(row: Row) -> dict[str, Any]:
    """A census row or change as the request has it: blank fields left out."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        text = value.strip()
        if not text:
            continue
        if name in ("occupation_class", "age") and _WHOLE.match(text):
            out[name] = int(text)
        elif name == "sex":
            out[name] = text.upper()
        else:
            out[name] = text
    return out


def _field_of(
    path: tuple[str | int, ...],
    add_rows: list[int],
    change_rows: list[int],
    removed: list[str],
    members: list[str],
) -> str | None:
    """The form field a request path belongs to, or None (the problem is general)."""
    if path in (("effective",), ("reason",)):
        return str(path[0])
    if path == ("census",):
        return "census_file"
    head, index = path[0] if path else None, path[1] if len(path) > 1 else None
    rest = str(path[2]) if len(path) > 2 else None
    if head == "add":
        if not isinstance(index, int):
            return "add"
        row = add_rows[index] if index < len(add_rows) else index
        return f"add-{row}-{rest}" if rest in ADD_COLUMNS else f"add-{row}-member_id"
    if head == "change" and isinstance(index, int):
        row = change_rows[index] if index < len(change_rows) else index
        return f"change-{row}-{rest}" if rest in CHANGE_COLUMNS else f"change-{row}-member_id"
    if head == "remove" and isinstance(index, int) and index < len(removed):
        member = removed[index]
        return f"remove-{members.index(member)}" if member in members else "remove"
    return None


def _english(problem: Problem) -> str:
    return problem.message


def endorse_errors(
    problems: Sequence[Problem],
    requested: tuple[list[int], list[int]],
    removed: list[str],
    members: list[str],
    say: Callable[[Problem], str] = _english,
) -> FormErrors:
    """Where each problem goes on the form: beside its field, in the census file's table
    (problems naming a file, row or column), or above the form. ``requested`` is the add
    and change rows of :meth:`EndorseForm.request`, ``removed`` the member ids ticked,
    ``members`` those the form lists (their places are the check boxes' ids)."""
    errors = FormErrors()
    for problem in problems:
        if problem.file is not None or problem.row is not None or problem.column is not None:
            errors.census_rows.append(CensusRowProblem(problem.row, problem.column, say(problem)))
            continue
        target = _field_of(problem.path, *requested, removed, members)
        if target is None:
            where = problem.location
            errors.general.append(f"{where}: {say(problem)}" if where else say(problem))
        else:
            errors.add(target, say(problem))
    return errors
