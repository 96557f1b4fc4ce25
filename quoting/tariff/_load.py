"""Load a tariff folder, validate every file, and freeze it for pricing.

A tariff folder holds ``tariff.toml`` (parameters), ``countries.csv`` (the country risk
table) and ``occupations.csv`` (occupations and their classes). Loading checks types,
ranges, monotone bands and complete tables and reports *every* problem at once, each
naming its file and row or key.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
import re
import threading
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt
import pycountry

from quoting.errors import NoTariffInForce, Problem, TariffError
from quoting.tariff._model import COUNTRY_FACTORS, COVER_CODES, CoverParams, TariffParams
from quoting.validation import problem_from_validation

__all__ = [
    "COUNTRY_STATUSES",
    "DEFAULT_TARIFF_ROOT",
    "Country",
    "Occupation",
    "Tariff",
    "load_tariff",
    "normalise_name",
    "tariff_in_force",
    "tariff_versions",
]

DEFAULT_TARIFF_ROOT = Path(__file__).resolve().parents[2] / "tariffs"
DATA_FILES = ("tariff.toml", "countries.csv", "occupations.csv")
COUNTRY_STATUSES = ("accept", "refer", "decline")
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
OCCUPATION_COLUMNS = ("code", "class", "name_en", "name_zh")
OCCUPATION_CLASSES = (1, 2, 3, 4, 5, 6, 9)
MAX_COUNTRY_FACTOR = 10.0


@dataclass(frozen=True, slots=True)
class Country:
    """One row of the country risk table."""

    code: str
    alpha3: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...]
    tier: int
    accident: float
    medical_cost: float
    evacuation: float
    security: float
    status: str
    source: str
    as_of: dt.date


@dataclass(frozen=True, slots=True)
class Occupation:
    """One occupation of the occupation-class list."""

    code: str
    occupation_class: int
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True, eq=False)
class Tariff:
    """A validated, immutable tariff version with lookup tables for pricing."""

    path: Path
    params: TariffParams
    countries: tuple[Country, ...]
    occupations: dict[str, Occupation]
    content_hash: str
    country_index: dict[str, int] = field(repr=False)
    country_names: dict[str, int] = field(repr=False)
    #: shape (n_countries, 4): accident, medical_cost, evacuation, security factors
    country_factors: npt.NDArray[np.float64] = field(repr=False)
    country_tier: npt.NDArray[np.int64] = field(repr=False)
    #: 0 accept, 1 refer, 2 decline
    country_status: npt.NDArray[np.int64] = field(repr=False)

    @property
    def version(self) -> str:
        return self.params.tariff.version

    @property
    def effective_date(self) -> dt.date:
        return self.params.tariff.effective_date

    def resolve_country(self, text: str) -> int | None:
        """Index of the country named by an ISO alpha-2/alpha-3 code or English or Chinese name."""
        return self.country_names.get(normalise_name(text))

    def age_band(self, age: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Index of the age band of each age (ages must lie within the tariff's limits)."""
        upper = np.asarray(self.params.ages.band_upper, dtype=np.int64)
        return np.searchsorted(upper, age, side="left").astype(np.int64)


_PUNCTUATION = re.compile(r"[\s.,'’()\-_/]+")


@functools.lru_cache(maxsize=8192)
def normalise_name(text: str) -> str:
    """Fold case, accents, full-width forms, punctuation and ``&`` so names compare loosely."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    folded = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    folded = folded.casefold().replace("&", " and ")
    return _PUNCTUATION.sub(" ", folded).strip()


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem(path.name, "file is missing"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, f"cannot be read: {exc}"))
    return None


def _parse_params(text: str, problems: list[Problem]) -> TariffParams | None:
    """Decode tariff.toml section by section so that every section's error is reported."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem("tariff.toml", f"not valid TOML: {exc}"))
        return None
    fields = {f.encode_name: f for f in msgspec.structs.fields(TariffParams)}
    before = len(problems)
    for key in raw:
        if key not in fields:
            problems.append(
                Problem(f"tariff.toml [{key}]", f"unknown section; known: {', '.join(fields)}")
            )
    converted: dict[str, object] = {}
    for name, spec in fields.items():
        if name not in raw:
            problems.append(Problem(f"tariff.toml [{name}]", "section is missing"))
            continue
        value = raw[name]
        covers = name == "covers" and isinstance(value, dict)
        parts = [(k, v) for k, v in value.items()] if covers else [("", value)]
        result: dict[str, object] = {}
        for key, part in parts:
            try:
                decoded = msgspec.convert(part, CoverParams if covers else spec.type)
            except msgspec.ValidationError as exc:
                problem = problem_from_validation(exc, f"{name}.{key}." if covers else f"{name}.")
                problems.append(Problem(f"tariff.toml [{problem.location}]", problem.message))
                continue
            if covers:
                result[key] = decoded
            else:
                converted[name] = decoded
        if covers:
            converted[name] = result
    if len(problems) > before:
        return None
    return TariffParams(**converted)  # type: ignore[arg-type]


def _check_params(p: TariffParams, problems: list[Problem]) -> None:
    def bad(key: str, message: str) -> None:
        problems.append(Problem(f"tariff.toml [{key}]", message))

    n_bands = len(p.ages.band_upper)
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

    heads = [b.min_headcount for b in p.group_size]
    if heads[0] != 1:
        bad("group_size", "the first band must start at min_headcount = 1")
    if any(b <= a for a, b in itertools.pairwise(heads)):
        bad("group_size", "min_headcount must strictly increase")

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

    missing = [c for c in COVER_CODES if c not in p.covers]
    if missing:
        bad("covers", f"missing cover(s): {', '.join(missing)}")
    unknown = [c for c in p.covers if c not in COVER_CODES]
    if unknown:
        bad("covers", f"unknown cover(s): {', '.join(unknown)}; known: {', '.join(COVER_CODES)}")

    acc = p.accumulation
    if acc.cover not in p.covers or p.covers[acc.cover].method != "per_mille":
        bad("accumulation.cover", "must name a per_mille cover")

    def need_len(key: str, values: list[float] | None, n: int, what: str) -> None:
        if values is None:
            bad(key, f"required for this method ({n} values, {what})")
        elif len(values) != n:
            bad(key, f"needs {n} values ({what}), found {len(values)}")

    for code, cv in p.covers.items():
        k = f"covers.{code}"
        if cv.method == "per_mille":
            need_len(f"{k}.rate_by_class", cv.rate_by_class, 6, "occupation classes 1-6")
            need_len(f"{k}.age_factors", cv.age_factors, n_bands, "one per age band")
        elif cv.method == "frequency_severity":
            n = 6 if cv.frequency_by == "class" else n_bands
            if cv.frequency_by is None:
                bad(f"{k}.frequency_by", "required: 'class' or 'age_band'")
            else:
                need_len(f"{k}.frequency", cv.frequency, n, f"by {cv.frequency_by}")
            sev = cv.severity
            if sev is None:
                bad(f"{k}.severity", "required for frequency_severity")
            elif sev.distribution == "lognormal" and sev.sigma is None:
                bad(f"{k}.severity.sigma", "required for a lognormal severity")
            elif sev.distribution == "gamma" and sev.cv is None:
                bad(f"{k}.severity.cv", "required for a gamma severity")
        else:
            n = 6 if cv.amount_by == "class" else n_bands
            if cv.amount_by is None:
                bad(f"{k}.amount_by", "required: 'class' or 'age_band'")
            else:
                need_len(f"{k}.amount", cv.amount, n, f"by {cv.amount_by}")
            need_len(f"{k}.age_factors", cv.age_factors, n_bands, "one per age band")
            for key in ("amount_unit", "max_days_factors", "mean_claim_days"):
                if getattr(cv, key) is None:
                    bad(f"{k}.{key}", "required for per_member")
            for days in cv.max_days_factors or {}:
                if not days.isdigit() or int(days) < 1:
                    bad(
                        f"{k}.max_days_factors",
                        f"key {days!r} must be a whole number of days, 1 or more",
                    )


def _parse_countries(text: str, problems: list[Problem]) -> list[Country]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != COUNTRY_COLUMNS:
        missing = [c for c in COUNTRY_COLUMNS if c not in header]
        extra = [c for c in header if c not in COUNTRY_COLUMNS]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if extra:
            detail.append(f"unexpected {', '.join(extra)}")
        if not detail:
            detail.append(f"columns must be in the order {', '.join(COUNTRY_COLUMNS)}")
        problems.append(Problem("countries.csv header", "; ".join(detail)))
        return []
    iso = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    rows: list[Country] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        where = f"countries.csv row {line}"
        row_problems: list[Problem] = []

        def bad(column: str, message: str, where: str = where, acc: list = row_problems) -> None:
            acc.append(Problem(f"{where}, column {column}", message))

        if None in row or any(v is None for v in row.values()):
            problems.append(Problem(where, "wrong number of fields"))
            continue
        code = row["code"].strip()
        if code not in iso:
            bad("code", f"{code!r} is not an ISO 3166-1 alpha-2 code")
        elif code in seen:
            bad("code", f"{code} appears twice")
        elif row["alpha3"].strip() != iso[code]:
            bad("alpha3", f"{row['alpha3']!r} is not the alpha-3 code of {code} ({iso[code]})")
        seen.add(code)
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
        if row_problems:
            problems.extend(row_problems)
            continue
        aliases = tuple(a.strip() for a in row["aliases"].split(";") if a.strip())
        rows.append(
            Country(
                code=code,
                alpha3=row["alpha3"].strip(),
                name_en=row["name_en"].strip(),
                name_zh=row["name_zh"].strip(),
                aliases=aliases,
                tier=tier,
                status=status,
                source=row["source"].strip(),
                as_of=as_of,
                **factors,
            )
        )
    absent = sorted(set(iso) - seen)
    if absent:
        problems.append(
            Problem("countries.csv", f"{len(absent)} ISO countries missing: {', '.join(absent)}")
        )
    return rows


def _parse_occupations(text: str, problems: list[Problem]) -> dict[str, Occupation]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != OCCUPATION_COLUMNS:
        problems.append(
            Problem("occupations.csv header", f"columns must be {', '.join(OCCUPATION_COLUMNS)}")
        )
        return {}
    out: dict[str, Occupation] = {}
    for line, row in enumerate(reader, start=2):
        where = f"occupations.csv row {line}"
        if None in row or any(v is None for v in row.values()):
            problems.append(Problem(where, "wrong number of fields"))
            continue
        code = row["code"].strip()
        if not code:
            problems.append(Problem(f"{where}, column code", "must not be empty"))
            continue
        if code in out:
            problems.append(Problem(f"{where}, column code", f"{code} appears twice"))
        try:
            cls = int(row["class"])
        except ValueError:
            cls = -1
        if cls not in OCCUPATION_CLASSES:
            problems.append(Problem(f"{where}, column class", f"{row['class']!r} must be 1-6 or 9"))
            continue
        for col in ("name_en", "name_zh"):
            if not row[col].strip():
                problems.append(Problem(f"{where}, column {col}", "must not be empty"))
        out[code] = Occupation(code, cls, row["name_en"].strip(), row["name_zh"].strip())
    if not out and not problems:
        problems.append(Problem("occupations.csv", "has no occupations"))
    return out


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode() + b"\0")
        digest.update((folder / name).read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def load_tariff(folder: str | Path) -> Tariff:
    """Load and validate one tariff folder.

    Raises :class:`TariffError` listing every problem found (file, row or key, message).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TariffError(Problem(str(folder), "is not a tariff folder"))
    problems: list[Problem] = []
    params: TariffParams | None = None
    toml_text = _read(folder / "tariff.toml", problems)
    if toml_text is not None:
        params = _parse_params(toml_text, problems)
    if params is not None:
        _check_params(params, problems)
    countries_text = _read(folder / "countries.csv", problems)
    countries = _parse_countries(countries_text, problems) if countries_text is not None else []
    occ_text = _read(folder / "occupations.csv", problems)
    occupations = _parse_occupations(occ_text, problems) if occ_text is not None else {}

    names: dict[str, int] = {}
    for i, c in enumerate(countries):
        for name in (c.code, c.alpha3, c.name_en, c.name_zh, *c.aliases):
            key = normalise_name(name)
            other = names.setdefault(key, i)
            if other != i:
                problems.append(
                    Problem(
                        f"countries.csv row for {c.code}, column aliases",
                        f"name {name!r} also names {countries[other].code}",
                    )
                )
    if problems or params is None:
        raise TariffError(problems)

    order = {s: i for i, s in enumerate(COUNTRY_STATUSES)}
    return Tariff(
        path=folder.resolve(),
        params=params,
        countries=tuple(countries),
        occupations=occupations,
        content_hash=_content_hash(folder),
        country_index={c.code: i for i, c in enumerate(countries)},
        country_names=names,
        country_factors=np.array(
            [[getattr(c, f) for f in COUNTRY_FACTORS] for c in countries], dtype=np.float64
        ),
        country_tier=np.array([c.tier for c in countries], dtype=np.int64),
        country_status=np.array([order[c.status] for c in countries], dtype=np.int64),
    )


_cache: dict[Path, tuple[tuple[float, ...], Tariff]] = {}
_cache_lock = threading.Lock()


def _cached(folder: Path) -> Tariff:
    stamps = tuple(
        (folder / n).stat().st_mtime if (folder / n).exists() else 0.0 for n in DATA_FILES
    )
    with _cache_lock:
        hit = _cache.get(folder)
        if hit and hit[0] == stamps:
            return hit[1]
    tariff = load_tariff(folder)
    with _cache_lock:
        _cache[folder] = (stamps, tariff)
    return tariff


@dataclass(frozen=True, slots=True)
class _Header:
    folder: Path
    version: str
    effective_date: dt.date


def _folders(root: Path) -> list[Path]:
    if (root / "tariff.toml").exists():
        return [root.resolve()]
    if not root.is_dir():
        raise TariffError(Problem(str(root), "is not a folder of tariffs"))
    folders = sorted(p.resolve() for p in root.iterdir() if (p / "tariff.toml").exists())
    if not folders:
        raise TariffError(Problem(str(root), "holds no tariff folder (no tariff.toml found)"))
    return folders


#: How long an answer of tariff_in_force is reused before the files are looked at again:
#: edits to tariff files take effect within this many seconds.
IN_FORCE_CACHE_SECONDS = 2.0
_in_force_cache: dict[tuple[str, dt.date], tuple[float, Tariff]] = {}

_header_cache: dict[Path, tuple[tuple[tuple[Path, float], ...], list[_Header]]] = {}


def _headers(root: Path) -> list[_Header]:
    """Version and effective date of every folder; checks they are unique. Re-read only
    when a folder or a tariff.toml changes."""
    folders = _folders(root)
    stamps = tuple((f, (f / "tariff.toml").stat().st_mtime) for f in folders)
    key = root.resolve()
    with _cache_lock:
        hit = _header_cache.get(key)
    if hit is not None and hit[0] == stamps:
        return hit[1]
    headers = _read_headers(folders)
    with _cache_lock:
        _header_cache[key] = (stamps, headers)
    return headers


def _read_headers(folders: list[Path]) -> list[_Header]:
    headers: list[_Header] = []
    problems: list[Problem] = []
    for folder in folders:
        try:
            table = tomllib.loads((folder / "tariff.toml").read_text(encoding="utf-8-sig"))[
                "tariff"
            ]
            version, effective = str(table["version"]), table["effective_date"]
            if not isinstance(effective, dt.date):
                raise TypeError("effective_date is not a date")
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
            problems.append(
                Problem(
                    f"{folder.name}/tariff.toml [tariff]",
                    f"cannot read version and effective_date: {exc}",
                )
            )
            continue
        headers.append(_Header(folder, version, effective))
    for attribute, what in (("version", "version"), ("effective_date", "effective date")):
        seen: dict[object, Path] = {}
        for h in headers:
            key = getattr(h, attribute)
            if key in seen:
                problems.append(
                    Problem(
                        f"{h.folder.name}/tariff.toml [tariff]",
                        f"{what} {key} is also that of {seen[key].name}; each version needs its own",
                    )
                )
            seen.setdefault(key, h.folder)
    if problems:
        raise TariffError(problems)
    return sorted(headers, key=lambda h: h.effective_date)


def _load_named(folder: Path, several: bool) -> Tariff:
    """Load a folder; with several versions around, problems name their folder."""
    try:
        return _cached(folder)
    except TariffError as exc:
        if not several:
            raise
        raise TariffError(
            [Problem(f"{folder.name}/{p.location}", p.message) for p in exc.problems]
        ) from None


def tariff_versions(root: str | Path = DEFAULT_TARIFF_ROOT) -> list[Tariff]:
    """Every tariff version under ``root`` (or ``root`` itself if it is one), oldest
    effective date first. Problems of all folders are reported together."""
    headers = _headers(Path(root))
    several = len(headers) > 1
    tariffs: list[Tariff] = []
    problems: list[Problem] = []
    for h in headers:
        try:
            tariffs.append(_load_named(h.folder, several))
        except TariffError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TariffError(problems)
    return tariffs


def tariff_in_force(as_of: dt.date, root: str | Path = DEFAULT_TARIFF_ROOT) -> Tariff:
    """The tariff with the latest effective date on or before ``as_of``.

    ``root`` is either a folder of tariff versions or one tariff folder. Only the version
    in force is loaded, so a draft for a later date cannot disturb today's quotes.
    """
    key = (str(root), as_of)
    now = time.monotonic()
    with _cache_lock:
        hit = _in_force_cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    tariff = _tariff_in_force(as_of, Path(root))
    with _cache_lock:
        if len(_in_force_cache) > 1024:
            _in_force_cache.clear()
        _in_force_cache[key] = (now + IN_FORCE_CACHE_SECONDS, tariff)
    return tariff


def _tariff_in_force(as_of: dt.date, root: Path) -> Tariff:
    headers = _headers(root)
    in_force = [h for h in headers if h.effective_date <= as_of]
    if not in_force:
        first = headers[0]
        raise NoTariffInForce(
            Problem(
                "as_of",
                f"no tariff in force on {as_of.isoformat()}: the earliest ({first.version}) "
                f"is effective from {first.effective_date.isoformat()}",
            )
        )
    return _load_named(in_force[-1].folder, len(headers) > 1)
