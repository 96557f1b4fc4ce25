"""The new-quote form as data: read from a submitted form, turned into the JSON request
the quotation service takes, and the service's problems mapped back to the form's fields.

Pure (no Litestar): ``QuoteForm.parse`` takes the form's fields as a mapping of name to
every value sent under it, so the unit tests drive it with plain dicts.

Field names of the form (each also the ``id`` of its input, so an error links to it):

- ``policyholder_name``, ``credit_code``, ``period_start``, ``period_end``, ``currency``;
- ``commission`` (blank: the tariff's default; ``0.15`` or ``15%``) and the claims
  experience ``experience_start``, ``experience_end``, ``experience_member_years``,
  ``experience_claim_count``, ``experience_incurred_claims`` (all blank: none);
- ``census_mode`` (``grid`` or ``upload``) and the file ``census_file``;
- per plan ``i`` (``plan_count`` of them): ``plan-i-name``, ``plan-i-name_zh`` (the
  Chinese name the documents print beside it; blank: none), ``plan-i-classes`` (one value
  per ticked class), per cover ``plan-i-<cover>`` (ticked: the plan has it) and
  ``plan-i-<cover>-<field>`` (its amounts);
- the headcount grid as repeated fields ``grid_country``, ``grid_class``,
  ``grid_age_band`` and ``grid_headcount``, one value per row (blank rows are skipped);
  row ``r``'s inputs have the ids ``grid-r-country`` … ``grid-r-headcount``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from quoting.errors import Problem
from quoting.plans import COVER_FIELDS, PRESETS, PlanPreset, preset

__all__ = [
    "CLASSES",
    "GRID_COLUMNS",
    "CensusRowProblem",
    "FormErrors",
    "GridRow",
    "PlanForm",
    "QuoteForm",
    "form_errors",
]

FormData = Mapping[str, Sequence[str]]
#: The occupation classes a plan may be given (class 9 is never insurable).
CLASSES = (1, 2, 3, 4, 5, 6)
#: Columns of the headcount grid: form suffix → the census group's field.
GRID_COLUMNS = {
    "country": "country",
    "class": "occupation_class",
    "age_band": "age_band",
    "headcount": "headcount",
}
_GRID_FIELD_TO_COLUMN = {v: k for k, v in GRID_COLUMNS.items()} | {"age": "age_band"}
#: Blank rows of the grid in a new form, and added by "add rows" without JavaScript.
BLANK_ROWS = 5
MAX_PLANS = 20
MAX_GRID_ROWS = 500
_INTEGER = re.compile(r"^\d{1,9}$")
_AMOUNT_NOISE = re.compile(r"[,\s_，]")
_TOP_FIELDS: dict[tuple[str | int, ...], str] = {
    ("policyholder", "name"): "policyholder_name",
    ("policyholder", "credit_code"): "credit_code",
    ("policyholder",): "policyholder_name",
    ("period", "start"): "period_start",
    ("period", "end"): "period_end",
    ("period",): "period_start",
    ("currency",): "currency",
    ("commission",): "commission",
    ("experience",): "experience_start",
    **{("experience", f): f"experience_{f}" for f in ("start", "end", "member_years")},
    **{("experience", f): f"experience_{f}" for f in ("claim_count", "incurred_claims")},
}
#: The claims experience's fields (SPEC §3 step 3), as the request names them.
EXPERIENCE_FIELDS = ("start", "end", "member_years", "claim_count", "incurred_claims")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


@dataclass
class GridRow:
    """One row of the headcount grid, as typed."""

    country: str = ""
    occupation_class: str = ""
    age_band: str = ""
    headcount: str = ""

    def is_blank(self) -> bool:
        """Nothing typed in any cell."""
        return not any(v.strip() for v in dataclasses.astuple(self))


@dataclass
class PlanForm:
    """One plan as typed: its name, classes and, per cover, whether it is included and
    its amounts (text as typed)."""

    name: str
    classes: list[int]
    covers: dict[str, bool]
    amounts: dict[str, dict[str, str]]
    name_zh: str = ""

    @classmethod
    def from_preset(cls, found: PlanPreset, locale: str) -> PlanForm:
        """The preset's covers and amounts, every cover of the tariff listed (those the
        preset leaves out unticked, with the amounts of the fullest preset to start from)."""
        fullest = PRESETS[-1].covers
        return cls(
            name=found.name(locale),
            # The documents print the Chinese name beside an English one.
            name_zh=found.name_zh if locale == "en" else "",
            classes=list(found.classes),
            covers={code: code in found.covers for code in COVER_FIELDS},
            amounts={
                code: dict(found.covers.get(code) or fullest.get(code) or {})
                for code in COVER_FIELDS
            },
        )


@dataclass
class QuoteForm:
    """Everything the new-quote form holds, exactly as typed (so a re-rendered form shows
    it again)."""

    policyholder_name: str = ""
    credit_code: str = ""
    period_start: str = ""
    period_end: str = ""
    currency: str = "CNY"
    commission: str = ""
    experience: dict[str, str] = field(default_factory=lambda: dict.fromkeys(EXPERIENCE_FIELDS, ""))
    census_mode: str = "grid"
    plans: list[PlanForm] = field(default_factory=list)
    grid: list[GridRow] = field(default_factory=list)

    @classmethod
    def new(cls, today: dt.date, locale: str) -> QuoteForm:
        """A fresh form: cover from the first of next month for a year, the office and
        site presets, blank grid rows."""
        start = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
        return cls(
            period_start=start.isoformat(),
            period_end=end.isoformat(),
            plans=[PlanForm.from_preset(preset(k), locale) for k in ("office", "site")],
            grid=[GridRow() for _ in range(BLANK_ROWS)],
        )

    @classmethod
    def parse(cls, data: FormData) -> QuoteForm:
        """The form as submitted (unknown fields are ignored; at most ``MAX_PLANS`` plans
        and ``MAX_GRID_ROWS`` rows are read)."""

        def one(name: str, default: str = "") -> str:
            values = data.get(name) or ()
            return str(values[0]) if values else default

        try:
            count = max(0, min(int(one("plan_count", "0")), MAX_PLANS))
        except ValueError:
            count = 0
        plans = [_parse_plan(data, i, one) for i in range(count)]
        columns = [list(data.get(f"grid_{c}") or ())[:MAX_GRID_ROWS] for c in GRID_COLUMNS]
        width = max((len(c) for c in columns), default=0)
        grid = [GridRow(*(str(c[r]) if r < len(c) else "" for c in columns)) for r in range(width)]
        return cls(
            policyholder_name=one("policyholder_name"),
            credit_code=one("credit_code"),
            period_start=one("period_start"),
            period_end=one("period_end"),
            currency=one("currency", "CNY"),
            commission=one("commission"),
            experience={f: one(f"experience_{f}") for f in EXPERIENCE_FIELDS},
            census_mode="upload" if one("census_mode") == "upload" else "grid",
            plans=plans,
            grid=grid,
        )

    def apply(self, action: str, locale: str, preset_key: str = "") -> bool:
        """Carry out a button of the form other than "price" (``add-rows``, ``add-plan``
        with ``preset_key``, ``remove-plan-<i>``, ``remove-row-<r>``); False when
        ``action`` is none of them (then the form is to be priced)."""
        if action == "add-rows":
            self.grid.extend(GridRow() for _ in range(BLANK_ROWS))
        elif action == "add-plan":
            if len(self.plans) < MAX_PLANS:
                found = next((p for p in PRESETS if p.key == preset_key), PRESETS[0])
                plan = PlanForm.from_preset(found, locale)
                taken = {p.name for p in self.plans}
                n = 2
                while plan.name in taken:
                    plan.name, n = f"{found.name(locale)} {n}", n + 1
                self.plans.append(plan)
        elif m := re.fullmatch(r"remove-(plan|row)-(\d+)", action):
            items: list[Any] = self.plans if m[1] == "plan" else self.grid
            index = int(m[2])
            if index < len(items):
                del items[index]
        else:
            return False
        return True

    def request(self) -> tuple[dict[str, Any], list[int]]:
        """The JSON request of the form (without a census in ``upload`` mode: the file is
        sent beside it) and, per census group, the grid row it came from.

        Values go as typed, trimmed, amounts without thousands separators, whole numbers
        as numbers; what is wrong with them is for the service to say, at the field."""
        body: dict[str, Any] = {
            "policyholder": {
                "name": self.policyholder_name.strip(),
                "credit_code": self.credit_code.strip().upper(),
            },
            "period": {"start": self.period_start.strip(), "end": self.period_end.strip()},
            "currency": self.currency.strip(),
            "plans": [_plan_request(p) for p in self.plans],
        }
        if self.commission.strip():
            body["commission"] = _commission(self.commission)
        if any(v.strip() for v in self.experience.values()):
            body["experience"] = _experience_request(self.experience)
        rows = [r for r, row in enumerate(self.grid) if not row.is_blank()]
        if self.census_mode == "grid":
            body["census"] = {"groups": [_group_request(self.grid[r]) for r in rows]}
        return body, rows


def _parse_plan(data: FormData, i: int, one: Any) -> PlanForm:
    prefix = f"plan-{i}"
    classes = []
    for value in data.get(f"{prefix}-classes") or ():
        if str(value).isdigit() and int(value) in CLASSES and int(value) not in classes:
            classes.append(int(value))
    return PlanForm(
        name=one(f"{prefix}-name"),
        name_zh=one(f"{prefix}-name_zh"),
        classes=sorted(classes),
        covers={code: bool(one(f"{prefix}-{code}")) for code in COVER_FIELDS},
        amounts={
            code: {f.name: one(f"{prefix}-{code}-{f.name}") for f in fields}
            for code, fields in COVER_FIELDS.items()
        },
    )


def _number(text: str, whole: bool) -> str | int:
    text = _AMOUNT_NOISE.sub("", text)
    return int(text) if whole and _INTEGER.match(text) else text


def _plan_request(plan: PlanForm) -> dict[str, Any]:
    covers = {
        code: {
            f.name: _number(plan.amounts.get(code, {}).get(f.name, ""), f.name == "max_days")
            for f in COVER_FIELDS[code]
        }
        for code, included in plan.covers.items()
        if included
    }
    body: dict[str, Any] = {"name": plan.name.strip(), "covers": covers}
    if plan.name_zh.strip():
        body["name_zh"] = plan.name_zh.strip()
    if plan.classes:
        body["classes"] = plan.classes
    return body


def _commission(text: str) -> str:
    """The commission as the request's fraction: ``0.15`` as it is, ``15%`` as ``0.15``
    (exactly: Decimal); anything else as typed, for the service to refuse at the field."""
    value = _AMOUNT_NOISE.sub("", text)
    percent = value.endswith(("%", "％"))
    value = value.rstrip("%％")
    if not _DECIMAL.match(value):
        return text.strip()
    return str(Decimal(value) / 100) if percent else value


def _experience_request(typed: Mapping[str, str]) -> dict[str, Any]:
    """The claims experience: dates as typed, member-years as a number, the claim count a
    whole number, incurred claims an amount; a blank field is sent empty (``null``), so
    the service says it is missing at its field."""
    body: dict[str, Any] = {}
    for name in EXPERIENCE_FIELDS:
        text = typed.get(name, "").strip()
        if not text:
            body[name] = None
        elif name == "member_years":
            number = _AMOUNT_NOISE.sub("", text)
            body[name] = float(number) if _DECIMAL.match(number) else text
        elif name == "claim_count":
            body[name] = _number(text, whole=True)
        elif name == "incurred_claims":
            body[name] = _number(text, whole=False)
        else:
            body[name] = text
    return body


def _group_request(row: GridRow) -> dict[str, Any]:
    group: dict[str, Any] = {
        "country": row.country.strip(),
        "occupation_class": _number(row.occupation_class, whole=True),
        "headcount": _number(row.headcount, whole=True),
    }
    band = row.age_band.strip().replace("–", "-").replace(" ", "")
    if band:
        group["age_band"] = band
    return group


@dataclass(frozen=True, slots=True)
class CensusRowProblem:
    """A problem of an uploaded census file: its row (as the spreadsheet numbers it),
    column and message."""

    row: int | None
    column: str | None
    message: str


@dataclass
class FormErrors:
    """Problems placed on the form: by field id, the census file's rows, and the rest."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    census_rows: list[CensusRowProblem] = field(default_factory=list)
    general: list[str] = field(default_factory=list)

    def add(self, field_id: str, message: str) -> None:
        """One more message beside ``field_id``."""
        messages = self.fields.setdefault(field_id, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.census_rows or self.general)

    def summary(self) -> list[tuple[str, str]]:
        """Every field's messages as ``(field id, message)``, in the order they came."""
        return [(f, m) for f, messages in self.fields.items() for m in messages]


def _field_of(path: tuple[str | int, ...], grid_rows: list[int], mode: str) -> str | None:
    """The form field a request path belongs to, or None (then the problem is general)."""
    if path in _TOP_FIELDS:
        return _TOP_FIELDS[path]
    if path[:1] == ("plans",) and len(path) > 1 and isinstance(path[1], int):
        prefix = f"plan-{path[1]}"
        rest = path[2:]
        if rest[:1] == ("covers",) and len(rest) >= 2:
            return f"{prefix}-{rest[1]}" + (f"-{rest[2]}" if len(rest) > 2 else "")
        if rest[:1] in (("name",), ("classes",), ("name_zh",)):
            return f"{prefix}-{rest[0]}"
        return f"{prefix}-name"
    if path[:1] == ("plans",):
        return "plan-0-name"
    if path[:1] == ("census",):
        if mode == "upload":
            return "census_file"
        if len(path) > 2 and path[1] == "groups" and isinstance(path[2], int):
            row = grid_rows[path[2]] if path[2] < len(grid_rows) else path[2]
            column = _GRID_FIELD_TO_COLUMN.get(str(path[3])) if len(path) > 3 else None
            return f"grid-{row}-{column}" if column else f"grid-{row}"
        return "grid"
    return None


def _english(problem: Problem) -> str:
    return problem.message


def form_errors(
    problems: Sequence[Problem],
    form: QuoteForm,
    grid_rows: list[int],
    say: Callable[[Problem], str] = _english,
) -> FormErrors:
    """Where each of the service's problems goes on the form: beside its field, in the
    census file's table (problems that name a file, row or column), or above the form.
    ``grid_rows`` is the second value of :meth:`QuoteForm.request`; ``say`` words each
    problem (the page's language: quoting/web/pages/_messages.py; default its English
    message)."""
    errors = FormErrors()
    for problem in problems:
        if problem.file is not None or problem.row is not None or problem.column is not None:
            errors.census_rows.append(CensusRowProblem(problem.row, problem.column, say(problem)))
            continue
        target = _field_of(problem.path, grid_rows, form.census_mode)
        if target is None:
            where = problem.location
            errors.general.append(f"{where}: {say(problem)}" if where else say(problem))
        else:
            errors.add(target, say(problem))
    return errors
