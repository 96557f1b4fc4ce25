"""What changed between two tariff versions, value by value: every changed cell of the
country and occupation tables (by row key and column), every changed parameter of
``tariff.toml`` (by section, key and element: class, age band, months, tier…), rows
added and removed, and counts per file.

Pure: it compares two :class:`FileSet` values, the files as parsed (not validated), so a
draft under edit can be compared before it passes ``tariff check``. Reading the files is
:func:`quoting.tariff.files.read_file_set`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TABLE_KEYS",
    "Change",
    "FileSet",
    "FileSummary",
    "RowChange",
    "TariffDiff",
    "diff_as_dict",
    "diff_file_sets",
    "format_diff",
]

#: The tables of a tariff folder and the column that names their rows.
TABLE_KEYS: dict[str, str] = {"countries.csv": "code", "occupations.csv": "code"}
#: The column shown beside a table row's key, to say what the row is.
_ROW_NAME = {"countries.csv": "name_en", "occupations.csv": "name_en"}

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class FileSet:
    """A tariff folder's files as parsed: ``tariff.toml`` as its TOML tables and each CSV
    table as its rows (column → text), in file order."""

    name: str
    params: Mapping[str, Any]
    tables: Mapping[str, Sequence[Mapping[str, str]]]


@dataclass(frozen=True, slots=True)
class Change:
    """One value that differs: in ``file``, the row (a table row's key such as ``ID``, or
    a parameter's section such as ``covers.add.rate_by_class``) and column (a table
    column, or a key or element such as ``class 4``). ``None`` is a value absent on that
    side."""

    file: str
    row: str
    column: str
    old: Scalar
    new: Scalar
    #: what the row is (a country's or occupation's English name), for people
    row_label: str = ""


@dataclass(frozen=True, slots=True)
class RowChange:
    """A table row added (in the new version only) or removed (in the old only)."""

    file: str
    key: str
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class FileSummary:
    """Counts of one file's changes."""

    file: str
    cells_changed: int = 0
    rows_changed: int = 0
    rows_added: int = 0
    rows_removed: int = 0


@dataclass(frozen=True, slots=True)
class TariffDiff:
    """Everything that differs from ``old`` to ``new``."""

    old: str
    new: str
    changes: list[Change] = field(default_factory=list)
    added: list[RowChange] = field(default_factory=list)
    removed: list[RowChange] = field(default_factory=list)
    summary: list[FileSummary] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """No value differs."""
        return not (self.changes or self.added or self.removed)


def diff_file_sets(old: FileSet, new: FileSet) -> TariffDiff:
    """Every difference from ``old`` to ``new``: tables cell by cell (rows matched by
    their key column, in the new file's order, then removed rows), then ``tariff.toml``
    key by key in the new file's order."""
    changes: list[Change] = []
    added: list[RowChange] = []
    removed: list[RowChange] = []
    summary: list[FileSummary] = []
    for file, key in TABLE_KEYS.items():
        c, a, r = _diff_table(
            file, key, old.tables.get(file, ()), new.tables.get(file, ()), _ROW_NAME[file]
        )
        changes += c
        added += a
        removed += r
        summary.append(FileSummary(file, len(c), len({x.row for x in c}), len(a), len(r)))
    bands = _band_labels(new.params) or _band_labels(old.params)
    toml = _diff_params(_flatten(old.params, bands), _flatten(new.params, bands))
    changes += toml
    summary.append(FileSummary("tariff.toml", len(toml), len({x.row for x in toml})))
    return TariffDiff(old.name, new.name, changes, added, removed, summary)


def _diff_table(
    file: str,
    key: str,
    old_rows: Sequence[Mapping[str, str]],
    new_rows: Sequence[Mapping[str, str]],
    name_column: str,
) -> tuple[list[Change], list[RowChange], list[RowChange]]:
    old_by = {r.get(key, ""): r for r in old_rows}
    new_by = {r.get(key, ""): r for r in new_rows}
    changes: list[Change] = []
    added: list[RowChange] = []
    for row_key, row in new_by.items():
        before = old_by.get(row_key)
        if before is None:
            added.append(RowChange(file, row_key, dict(row)))
            continue
        columns = list(row) + [c for c in before if c not in row]
        label = row.get(name_column) or before.get(name_column) or ""
        for column in columns:
            a, b = before.get(column), row.get(column)
            if a != b:
                changes.append(Change(file, row_key, column, a, b, label))
    removed = [RowChange(file, k, dict(r)) for k, r in old_by.items() if k not in new_by]
    return changes, added, removed


def _diff_params(
    old: dict[tuple[str, str], Scalar], new: dict[tuple[str, str], Scalar]
) -> list[Change]:
    changes = [
        Change("tariff.toml", row, column, old.get((row, column)), value)
        for (row, column), value in new.items()
        if old.get((row, column), _ABSENT) != value
    ]
    changes += [
        Change("tariff.toml", row, column, value, None)
        for (row, column), value in old.items()
        if (row, column) not in new
    ]
    return changes


_ABSENT = object()


def _band_labels(params: Mapping[str, Any]) -> list[str]:
    """``16-25``, ``26-35``… from ``[ages]``; empty when the section is unreadable."""
    ages = params.get("ages")
    try:
        lo, upper = int(ages["min"]), [int(u) for u in ages["band_upper"]]  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return []
    starts = [lo, *(u + 1 for u in upper[:-1])]
    return [f"age {a}-{b}" for a, b in zip(starts, upper, strict=True)]


def _element_label(path: str, index: int, siblings: Mapping[str, Any], bands: list[str]) -> str:
    """What the ``index``-th element of the list at ``path`` stands for."""
    leaf = path.rsplit(".", 1)[-1]
    by = siblings.get(f"{leaf}_by") if leaf in ("frequency", "amount") else None
    # With frequency by class and age band, ``frequency`` is by class and
    # ``frequency_age_factors`` by age band.
    if leaf == "rate_by_class" or by in ("class", "class_and_age_band"):
        return f"class {index + 1}"
    by_band = leaf in ("age_factors", "frequency_age_factors") or by == "age_band"
    if by_band and index < len(bands):
        return bands[index]
    if path == "short_period.factors":
        return f"{index + 1} month{'s' * (index > 0)}"
    if leaf == "event_rate_by_tier":
        return f"tier {index + 1}"
    return f"[{index + 1}]"


def _scalar(value: Any) -> Scalar:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _flatten(params: Mapping[str, Any], bands: list[str]) -> dict[tuple[str, str], Scalar]:
    """Every leaf value as ``(row, column) -> value``: the row is the path of its table,
    the column its key (or an element's label)."""
    out: dict[tuple[str, str], Scalar] = {}

    def walk(path: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            here = f"{path}.{key}" if path else key
            if isinstance(value, Mapping):
                walk(here, value)
            elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                for i, item in enumerate(value):
                    walk(f"{here}[{i + 1}]", item)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    out[(here, _element_label(here, i, table, bands))] = _scalar(item)
            else:
                out[(path or key, key if path else "")] = _scalar(value)

    walk("", params)
    return out


def format_diff(diff: TariffDiff) -> str:
    """The diff as a terminal table: per file, its counts, then each change ``old → new``
    and each row added (+) or removed (−)."""
    lines = [f"tariff diff {diff.old} → {diff.new}"]
    if diff.identical:
        return lines[0] + "\nno differences\n"
    for s in diff.summary:
        lines.append("")
        lines.append(
            f"{s.file}: {s.cells_changed} value{'s' * (s.cells_changed != 1)} changed in "
            f"{s.rows_changed} row{'s' * (s.rows_changed != 1)}, {s.rows_added} added, "
            f"{s.rows_removed} removed"
        )
        mine = [c for c in diff.changes if c.file == s.file]
        rows = [(_row_text(c), c.column, f"{_show(c.old)} → {_show(c.new)}") for c in mine]
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(2)]
        lines += [f"  {a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows]
        for sign, found in (("+", diff.added), ("−", diff.removed)):
            lines += [f"  {sign} {_row_values(r)}" for r in found if r.file == s.file]
    return "\n".join(lines) + "\n"


def _row_text(change: Change) -> str:
    return f"{change.row} ({change.row_label})" if change.row_label else change.row


def _row_values(row: RowChange) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.values.items())


def _show(value: Scalar) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return value if value.strip() == value and value else repr(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def diff_as_dict(diff: TariffDiff) -> dict[str, Any]:
    """The diff as plain data for JSON: ``changes``, ``added``, ``removed``, ``summary``."""
    return {
        "old": diff.old,
        "new": diff.new,
        "identical": diff.identical,
        "summary": [
            {
                "file": s.file,
                "cells_changed": s.cells_changed,
                "rows_changed": s.rows_changed,
                "rows_added": s.rows_added,
                "rows_removed": s.rows_removed,
            }
            for s in diff.summary
        ],
        "changes": [
            {
                "file": c.file,
                "row": c.row,
                "row_label": c.row_label,
                "column": c.column,
                "old": c.old,
                "new": c.new,
            }
            for c in diff.changes
        ],
        "added": [{"file": r.file, "key": r.key, "values": r.values} for r in diff.added],
        "removed": [{"file": r.file, "key": r.key, "values": r.values} for r in diff.removed],
    }
