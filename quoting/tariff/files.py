"""Load a tariff folder, validate every file, and freeze it for pricing.

A tariff folder holds ``tariff.toml`` (parameters), ``countries.csv`` (the country risk
table) and ``occupations.csv`` (occupations and their classes). Loading checks types,
ranges, monotone bands and complete tables and reports *every* problem at once, each
naming its file and row or key.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec
import numpy as np
import pycountry

from quoting.errors import FieldPath, Problem, TariffError
from quoting.resources import shipped
from quoting.tariff.diff import TABLE_KEYS, FileSet
from quoting.tariff.model import (
    COUNTRY_FACTORS,
    COUNTRY_STATUSES,
    COVER_CODES,
    Country,
    CoverParams,
    FrequencySeverityCover,
    Occupation,
    PerMemberCover,
    PerMilleCover,
    Tariff,
    TariffParams,
    normalise_name,
)
from quoting.validation import problem_from_validation

__all__ = [
    "DATA_FILES",
    "DEFAULT_TARIFF_ROOT",
    "MANIFEST",
    "Publication",
    "content_hash",
    "load_tariff",
    "read_file_set",
    "read_header",
    "read_manifest",
    "with_header",
    "write_manifest",
]

#: The tariff versions shipped with the product.
DEFAULT_TARIFF_ROOT = shipped("tariffs")
#: The files of a tariff folder, in the order the content hash reads them.
TOML, COUNTRIES, OCCUPATIONS = "tariff.toml", "countries.csv", "occupations.csv"
DATA_FILES = (TOML, COUNTRIES, OCCUPATIONS)
COUNTRY_COLUMNS = (
    "code",
    "alpha3",
    "name_en",
    "name_zh",
    "aliases",
    "tier",
    *COUNTRY_FACTORS,
    "status",
    "source",
    "as_of",
)
#: The manifest of published versions, at the top of a folder of versions.
MANIFEST = "published.toml"
OCCUPATION_COLUMNS = ("code", "class", "name_en", "name_zh")
OCCUPATION_CLASSES = (1, 2, 3, 4, 5, 6, 9)
MAX_COUNTRY_FACTOR = 10.0


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem("file is missing", file=path.name))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f"cannot be read: {exc}", file=path.name))
    return None


def _parse_params(text: str, problems: list[Problem]) -> TariffParams | None:
    """Decode tariff.toml section by section so that every section's error is reported."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(f"not valid TOML: {exc}", file=TOML))
        return None
    fields = {f.encode_name: f for f in msgspec.structs.fields(TariffParams)}
    before = len(problems)
    for key in raw:
        if key not in fields:
            problems.append(
                Problem(f"unknown section; known: {', '.join(fields)}", file=TOML, path=(key,))
            )
    converted: dict[str, object] = {}
    for name, spec in fields.items():
        if name not in raw:
            if spec.required:
                problems.append(Problem("section is missing", file=TOML, path=(name,)))
        elif name == "covers" and isinstance(raw[name], dict):
            converted[name] = _parse_covers(raw[name], problems)
        else:
            try:
                converted[name] = msgspec.convert(raw[name], spec.type)
            except msgspec.ValidationError as exc:
                problems.append(replace(problem_from_validation(exc, (name,)), file=TOML))
    if len(problems) > before:
        return None
    return TariffParams(**converted)  # type: ignore[arg-type]


def _parse_covers(raw: dict[str, object], problems: list[Problem]) -> dict[str, CoverParams]:
    """Each cover on its own, so that one cover's error does not hide another's. The
    ``method`` tag picks the cover's struct, so a key its method needs is required."""
    covers: dict[str, CoverParams] = {}
    for code, part in raw.items():
        try:
            covers[code] = msgspec.convert(part, CoverParams)
        except msgspec.ValidationError as exc:
            problem = replace(problem_from_validation(exc, ("covers", code)), file=TOML)
            # msgspec names a missing field in its message; the tariff names it as a key.
            missing = problem.message.removeprefix("Object missing required field `")
            if missing != problem.message:
                problem = Problem(
                    _required(part, problem.path),
                    file=TOML,
                    path=(*problem.path, missing.rstrip("`")),
                )
            problems.append(problem)
    return covers


def _required(part: object, path: FieldPath) -> str:
    """The message for a key the cover's method (or severity's distribution) needs."""
    table = part if isinstance(part, dict) else {}
    if path[-1:] == ("severity",):
        severity = table.get("severity")
        distribution = severity.get("distribution") if isinstance(severity, dict) else None
        return f"required for a {distribution} severity"
    if "method" not in table:
        return "required: 'per_mille', 'frequency_severity' or 'per_member'"
    return f"required for {table['method']}"


def _check_params(p: TariffParams, problems: list[Problem]) -> None:
    """The checks across keys that the Structs' types and ranges cannot express."""

    def bad(key: str, message: str) -> None:
        # ``key`` is a dotted key of tariff.toml, such as ``covers.add.rate_by_class``.
        problems.append(Problem(message, file=TOML, path=tuple(key.split("."))))

    _check_ages_and_bands(p, bad)
    _check_loadings(p, bad)
    _check_covers(p, bad)


_Bad = Callable[[str, str], None]


def _check_ages_and_bands(p: TariffParams, bad: _Bad) -> None:
    if p.ages.min >= p.ages.max:
        bad("ages", "min must be below max")
    upper = p.ages.band_upper
    if any(b <= a for a, b in itertools.pairwise(upper)):
        bad("ages.band_upper", "band upper bounds must strictly increase")
    if upper[0] < p.ages.min:
        bad("ages.band_upper", "the first band must end at or after ages.min")
    if upper[-1] != p.ages.max:
        bad("ages.band_upper", f"the last band must end at ages.max ({p.ages.max})")

    sp = p.short_period.factors
    if any(b < a for a, b in itertools.pairwise(sp)):
        bad("short_period.factors", "factors must not decrease with months")
    if sp[-1] != 1.0:
        bad("short_period.factors", "the 12-month factor must be 1.0")
    if sp[0] <= 0:
        bad("short_period.factors", "the 1-month factor must be above 0")

    scale = p.cancellation.short_period_scale
    if any(b < a for a, b in itertools.pairwise(scale)):
        bad("cancellation.short_period_scale", "the earned shares must not decrease with months")
    if scale[-1] != 1.0:
        bad("cancellation.short_period_scale", "the 12-month share must be 1.0 (all earned)")

    heads = [b.min_headcount for b in p.group_size]
    if heads[0] != 1:
        bad("group_size", "the first band must start at min_headcount = 1")
    if any(b <= a for a, b in itertools.pairwise(heads)):
        bad("group_size", "min_headcount must strictly increase")


def _check_loadings(p: TariffParams, bad: _Bad) -> None:
    ld = p.loadings
    if not ld.commission_min <= ld.commission_default <= ld.commission_max:
        bad("loadings", "need commission_min <= commission_default <= commission_max")
    if ld.commission_max + ld.expenses + ld.profit >= 0.9:
        bad("loadings", "commission_max + expenses + profit must stay below 0.9")

    ex = p.experience
    if not ex.factor_min <= 1.0 <= ex.factor_max:
        bad("experience", "need factor_min <= 1 <= factor_max")

    uw = p.underwriting
    if uw.adjustment_authority > uw.adjustment_max:
        bad("underwriting", "adjustment_authority must not exceed adjustment_max")


def _check_covers(p: TariffParams, bad: _Bad) -> None:
    missing = [c for c in COVER_CODES if c not in p.covers]
    if missing:
        bad("covers", f"missing cover(s): {', '.join(missing)}")
    unknown = [c for c in p.covers if c not in COVER_CODES]
    if unknown:
        bad("covers", f"unknown cover(s): {', '.join(unknown)}; known: {', '.join(COVER_CODES)}")
    if not isinstance(p.covers.get(p.accumulation.cover), PerMilleCover):
        bad("accumulation.cover", "must name a per_mille cover")
    n_bands = len(p.ages.band_upper)
    for code, cover in p.covers.items():
        _COVER_CHECKS[type(cover)](cover, f"covers.{code}", n_bands, bad)


def _need_len(bad: _Bad, key: str, values: list[float], n: int, what: str) -> None:
    if len(values) != n:
        bad(key, f"needs {n} values ({what}), found {len(values)}")


def _by_basis(basis: str, n_bands: int) -> int:
    """Table length for a ``*_by`` basis: one per occupation class 1-6 or per age band."""
    return 6 if basis == "class" else n_bands


def _check_per_mille(cover: PerMilleCover, k: str, n_bands: int, bad: _Bad) -> None:
    _need_len(bad, f"{k}.rate_by_class", cover.rate_by_class, 6, "occupation classes 1-6")
    _need_len(bad, f"{k}.age_factors", cover.age_factors, n_bands, "one per age band")


def _check_frequency_severity(
    cover: FrequencySeverityCover, k: str, n_bands: int, bad: _Bad
) -> None:
    basis = cover.frequency_by
    if basis == "class_and_age_band":
        # λ = frequency[class] × frequency_age_factors[age band]
        _need_len(bad, f"{k}.frequency", cover.frequency, 6, "by class, occupation classes 1-6")
        if cover.frequency_age_factors is None:
            bad(
                f"{k}.frequency_age_factors",
                "required with frequency_by = 'class_and_age_band' (one factor per age band)",
            )
        else:
            _need_len(
                bad,
                f"{k}.frequency_age_factors",
                cover.frequency_age_factors,
                n_bands,
                "one per age band",
            )
        return
    _need_len(bad, f"{k}.frequency", cover.frequency, _by_basis(basis, n_bands), f"by {basis}")
    if cover.frequency_age_factors is not None:
        bad(
            f"{k}.frequency_age_factors",
            f"only used with frequency_by = 'class_and_age_band' (this cover is by {basis}); "
            "remove it or change frequency_by",
        )


def _check_per_member(cover: PerMemberCover, k: str, n_bands: int, bad: _Bad) -> None:
    n = _by_basis(cover.amount_by, n_bands)
    _need_len(bad, f"{k}.amount", cover.amount, n, f"by {cover.amount_by}")
    _need_len(bad, f"{k}.age_factors", cover.age_factors, n_bands, "one per age band")
    for days in cover.max_days_factors:
        if not days.isdigit() or int(days) < 1:
            bad(f"{k}.max_days_factors", f"key {days!r} must be a whole number of days, 1 or more")


#: The cross-key checks of each rating method's cover struct.
_COVER_CHECKS: dict[type, Callable[..., None]] = {
    PerMilleCover: _check_per_mille,
    FrequencySeverityCover: _check_frequency_severity,
    PerMemberCover: _check_per_member,
}


def _parse_countries(text: str, problems: list[Problem]) -> tuple[list[Country], list[int]]:
    """The valid rows of countries.csv, and the line of each."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != COUNTRY_COLUMNS:
        problems.append(Problem(_header_problem(header), file=COUNTRIES, row=1))
        return [], []
    iso = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    rows: list[Country] = []
    lines: list[int] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            problems.append(Problem("wrong number of fields", file=COUNTRIES, row=line))
            continue
        row_problems: list[Problem] = []
        country = _country_row(row, iso, seen, line, row_problems)
        seen.add(row["code"].strip())
        problems.extend(row_problems)
        if country is not None and not row_problems:
            rows.append(country)
            lines.append(line)
    absent = sorted(set(iso) - seen)
    if absent:
        problems.append(
            Problem(f"{len(absent)} ISO countries missing: {', '.join(absent)}", file=COUNTRIES)
        )
    return rows, lines


def _header_problem(header: tuple[str, ...]) -> str:
    missing = [c for c in COUNTRY_COLUMNS if c not in header]
    extra = [c for c in header if c not in COUNTRY_COLUMNS]
    detail = []
    if missing:
        detail.append(f"missing {', '.join(missing)}")
    if extra:
        detail.append(f"unexpected {', '.join(extra)}")
    if not detail:
        detail.append(f"columns must be in the order {', '.join(COUNTRY_COLUMNS)}")
    return "; ".join(detail)


def _country_row(
    row: dict[str, str], iso: dict[str, str], seen: set[str], line: int, acc: list[Problem]
) -> Country | None:
    """Row ``line`` of countries.csv; its problems go to ``acc`` (None when it has any)."""

    def bad(column: str, message: str) -> None:
        acc.append(Problem(message, file=COUNTRIES, row=line, column=column))

    code = row["code"].strip()
    if code not in iso:
        bad("code", f"{code!r} is not an ISO 3166-1 alpha-2 code")
    elif code in seen:
        bad("code", f"{code} appears twice")
    elif row["alpha3"].strip() != iso[code]:
        bad("alpha3", f"{row['alpha3']!r} is not the alpha-3 code of {code} ({iso[code]})")
    for col in ("name_en", "name_zh", "source"):
        if not row[col].strip():
            bad(col, "must not be empty")
    tier = 0
    try:
        tier = int(row["tier"])
        if not 1 <= tier <= 5:
            bad("tier", f"{tier} is outside 1..5")
    except ValueError:
        bad("tier", f"{row['tier']!r} is not a whole number 1..5")
    factors: dict[str, float] = {}
    for col in COUNTRY_FACTORS:
        try:
            factors[col] = float(row[col])
            if not 0.0 < factors[col] <= MAX_COUNTRY_FACTOR:
                bad(col, f"{row[col]} is outside (0, {MAX_COUNTRY_FACTOR:g}]")
        except ValueError:
            bad(col, f"{row[col]!r} is not a number")
    status = row["status"].strip()
    if status not in COUNTRY_STATUSES:
        bad("status", f"{status!r} must be one of {', '.join(COUNTRY_STATUSES)}")
    as_of = dt.date.min
    try:
        as_of = dt.date.fromisoformat(row["as_of"].strip())
    except ValueError:
        bad("as_of", f"{row['as_of']!r} is not a date (YYYY-MM-DD)")
    if acc:
        return None
    return Country(
        code=code,
        alpha3=row["alpha3"].strip(),
        name_en=row["name_en"].strip(),
        name_zh=row["name_zh"].strip(),
        aliases=tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
        tier=tier,
        status=status,
        source=row["source"].strip(),
        as_of=as_of,
        **factors,
    )


def _parse_occupations(text: str, problems: list[Problem]) -> dict[str, Occupation]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != OCCUPATION_COLUMNS:
        problems.append(
            Problem(f"columns must be {', '.join(OCCUPATION_COLUMNS)}", file=OCCUPATIONS, row=1)
        )
        return {}
    out: dict[str, Occupation] = {}
    for line, row in enumerate(reader, start=2):

        def bad(column: str | None, message: str, line: int = line) -> None:
            problems.append(Problem(message, file=OCCUPATIONS, row=line, column=column))

        if None in row or any(v is None for v in row.values()):
            bad(None, "wrong number of fields")
            continue
        code = row["code"].strip()
        if not code:
            bad("code", "must not be empty")
            continue
        if code in out:
            bad("code", f"{code} appears twice")
        try:
            cls = int(row["class"])
        except ValueError:
            cls = -1
        if cls not in OCCUPATION_CLASSES:
            bad("class", f"{row['class']!r} must be 1-6 or 9")
            continue
        for col in ("name_en", "name_zh"):
            if not row[col].strip():
                bad(col, "must not be empty")
        out[code] = Occupation(code, cls, row["name_en"].strip(), row["name_zh"].strip())
    if not out and not problems:
        problems.append(Problem("has no occupations", file=OCCUPATIONS))
    return out


def content_hash(folder: str | Path) -> str:
    """``sha256:`` of the three data files, each preceded by its name, as stored in quotes.

    Only the bytes count, not where the folder lies, so a copy has the same hash.
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode() + b"\0")
        digest.update((folder / name).read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def read_header(folder: Path) -> tuple[str, dt.date]:
    """Version and effective date of a tariff folder, read without validating the rest.

    Raises :class:`TariffError` naming the folder when they cannot be read.
    """
    try:
        text = (folder / "tariff.toml").read_text(encoding="utf-8-sig")
        table = tomllib.loads(text)["tariff"]
        version, effective = str(table["version"]), table["effective_date"]
        if not isinstance(effective, dt.date):
            raise TypeError("effective_date is not a date")
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise TariffError(
            Problem(
                f"cannot read version and effective_date: {exc}",
                file=f"{folder.name}/{TOML}",
                path=("tariff",),
            )
        ) from None
    return version, effective


_SECTION = re.compile(r"^\s*\[")


def with_header(text: str, *, version: str | None = None, effective: dt.date | None = None) -> str:
    """``tariff.toml`` text with the ``[tariff]`` section's ``version`` and/or
    ``effective_date`` set (each line replaced in place, everything else byte for byte).

    Raises :class:`TariffError` naming the key when the section has no such line.
    """
    lines = text.splitlines(keepends=True)
    wanted: dict[str, str | None] = {
        "version": None if version is None else _toml_string(version),
        "effective_date": None if effective is None else effective.isoformat(),
    }
    start = next((i for i, line in enumerate(lines) if line.strip() == "[tariff]"), None)
    end = len(lines)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if _SECTION.match(lines[i])), end)
    for key, value in wanted.items():
        if value is None:
            continue
        pattern = re.compile(rf"^(\s*{key}\s*=\s*)[^#\r\n]*?(\s*(#.*)?)(\r?\n)?$")
        found = (
            None
            if start is None
            else next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        )
        if found is None:
            raise TariffError(Problem("has no such line to set", file=TOML, path=("tariff", key)))
        m = pattern.match(lines[found])
        assert m is not None
        lines[found] = f"{m[1]}{value}{m[2] or ''}{m[4] or ''}"
    return "".join(lines)


def load_tariff(folder: str | Path) -> Tariff:
    """Load and validate one tariff folder.

    Raises :class:`TariffError` listing every problem found (file, row or key, message).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TariffError(Problem("is not a tariff folder", file=str(folder)))
    problems: list[Problem] = []
    params: TariffParams | None = None
    toml_text = _read(folder / "tariff.toml", problems)
    if toml_text is not None:
        params = _parse_params(toml_text, problems)
    if params is not None:
        _check_params(params, problems)
    countries_text = _read(folder / "countries.csv", problems)
    countries, lines = (
        _parse_countries(countries_text, problems) if countries_text is not None else ([], [])
    )
    occ_text = _read(folder / "occupations.csv", problems)
    occupations = _parse_occupations(occ_text, problems) if occ_text is not None else {}
    names = _country_names(countries, lines, problems)
    if problems or params is None:
        raise TariffError(problems)

    order = {s: i for i, s in enumerate(COUNTRY_STATUSES)}
    return Tariff(
        path=str(folder.resolve()),
        params=params,
        countries=tuple(countries),
        occupations=occupations,
        content_hash=content_hash(folder),
        country_index={c.code: i for i, c in enumerate(countries)},
        country_names=names,
        country_factors=np.array(
            [[getattr(c, f) for f in COUNTRY_FACTORS] for c in countries], dtype=np.float64
        ),
        country_tier=np.array([c.tier for c in countries], dtype=np.int64),
        country_status=np.array([order[c.status] for c in countries], dtype=np.int64),
    )


def _country_names(
    countries: list[Country], lines: list[int], problems: list[Problem]
) -> dict[str, int]:
    """Every name of every country (codes, names, aliases), folded; a name two share is a problem."""
    names: dict[str, int] = {}
    for i, c in enumerate(countries):
        for name in (c.code, c.alpha3, c.name_en, c.name_zh, *c.aliases):
            other = names.setdefault(normalise_name(name), i)
            if other != i:
                problems.append(
                    Problem(
                        f"name {name!r} also names {countries[other].code}",
                        file=COUNTRIES,
                        row=lines[i],
                        column="aliases",
                    )
                )
    return names


def read_file_set(folder: str | Path, name: str | None = None) -> FileSet:
    """A tariff folder's files parsed but not validated (for :mod:`quoting.tariff.diff`),
    named ``name`` (default: the folder's name).

    Raises :class:`TariffError` naming the file when one is missing, unreadable, not
    valid TOML or has no header row.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    params: dict[str, object] = {}
    text = _read(folder / "tariff.toml", problems)
    if text is not None:
        try:
            params = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(f"not valid TOML: {exc}", file=TOML))
    tables: dict[str, list[dict[str, str]]] = {}
    for file, key in TABLE_KEYS.items():
        text = _read(folder / file, problems)
        if text is None:
            continue
        reader = csv.DictReader(io.StringIO(text))
        if key not in (reader.fieldnames or ()):
            problems.append(Problem(f"has no {key} column", file=file, row=1))
            continue
        tables[file] = [
            {k: (v if isinstance(v, str) else "") for k, v in row.items() if k is not None}
            for row in reader
        ]
    if problems:
        raise TariffError(
            [
                replace(p, file=f"{folder.name}/{p.file}" if p.file else folder.name)
                for p in problems
            ]
        )
    return FileSet(name or folder.name, params, tables)


@dataclass(frozen=True, slots=True)
class Publication:
    """One published version as the manifest records it."""

    version: str
    effective_date: dt.date
    content_hash: str
    published_at: dt.datetime
    by: str


class _ManifestEntry(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    effective_date: dt.date
    content_hash: str
    published_at: dt.datetime
    by: str


class _Manifest(msgspec.Struct, forbid_unknown_fields=True):
    published: list[_ManifestEntry] = []


_MANIFEST_HEAD = """\
# Published tariff versions, written by `quoting tariff publish` (never edit by hand).
# A listed version is immutable: the registry refuses to load it when its files no
# longer have the content hash recorded here. To change a rate, copy the version to a
# new folder, edit, check, diff, impact and publish that (docs/tariff-workflow.md).
"""


def read_manifest(root: str | Path) -> list[Publication]:
    """The publications recorded in ``root``'s manifest, oldest first; none without one.

    Raises :class:`TariffError` naming the manifest and key when it cannot be read.
    """
    path = Path(root) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        manifest = msgspec.convert(tomllib.loads(text), _Manifest)
    except tomllib.TOMLDecodeError as exc:
        raise TariffError(Problem(f"not valid TOML: {exc}", file=MANIFEST)) from None
    except msgspec.ValidationError as exc:
        raise TariffError(replace(problem_from_validation(exc), file=MANIFEST)) from None
    return [Publication(*msgspec.structs.astuple(e)) for e in manifest.published]


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string for the characters JSON escapes.
    return msgspec.json.encode(text).decode()


def write_manifest(root: str | Path, publications: Sequence[Publication]) -> None:
    """Replace ``root``'s manifest atomically (a reader sees the old or the new one)."""
    parts = [_MANIFEST_HEAD]
    for p in publications:
        at = p.published_at.astimezone(dt.UTC).replace(microsecond=0)
        parts.append(
            "\n[[published]]\n"
            f"version = {_toml_string(p.version)}\n"
            f"effective_date = {p.effective_date.isoformat()}\n"
            f"content_hash = {_toml_string(p.content_hash)}\n"
            f"published_at = {at.isoformat().replace('+00:00', 'Z')}\n"
            f"by = {_toml_string(p.by)}\n"
        )
    path = Path(root) / MANIFEST
    temporary = path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    temporary.write_text("".join(parts), encoding="utf-8")
    os.replace(temporary, path)
