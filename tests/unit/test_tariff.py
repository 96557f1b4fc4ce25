"""The tariff folder: what ships, how versions are picked, and how a bad edit is reported."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tomllib
from pathlib import Path

import pycountry
import pytest

from quoting.errors import Problem, TariffError
from quoting.tariff import COVER_CODES, Tariff
from quoting.tariff.files import load_tariff
from quoting.tariff.registry import tariff_in_force, tariff_versions
from tests.support import TARIFF_DIR

ISO_CODES = {c.alpha_2 for c in pycountry.countries}
CJK = re.compile(r"[\u4e00-\u9fff]")
#: SPEC §4: the short-period table, by months begun.
SHORT_PERIOD = [0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 1.00]
DECREASING = [0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.75, 0.90, 0.95, 1.00]


# --------------------------------------------------------------------------- helpers


def copy_tariff(tmp_path: Path, name: str = "2026.2") -> Path:
    folder = tmp_path / name
    shutil.copytree(TARIFF_DIR, folder)
    return folder


def edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def toml_value(path: Path, section: str, key: str) -> str:
    """The raw value text of ``key`` in ``[section]`` of a TOML file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[_toml_line(lines, section, key)].split("=", 1)[1].strip()


def set_toml(path: Path, section: str, key: str, value: str) -> None:
    """Replace the value of ``key`` in ``[section]`` by ``value`` (raw TOML text)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[_toml_line(lines, section, key)] = f"{key} = {value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def toml_list(path: Path, section: str, key: str) -> list[float]:
    return tomllib.loads(f"v = {toml_value(path, section, key)}")["v"]


def _toml_line(lines: list[str], section: str, key: str) -> int:
    start = lines.index(f"[{section}]")
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("["):
            break
        if re.match(rf"{re.escape(key)}\s*=", lines[i]):
            return i
    raise AssertionError(f"no {key} in [{section}]")


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def edit_country(folder: Path, code: str, column: str, value: str) -> int:
    """Set one cell of a country's row; returns that row's number as the loader counts it."""
    path = folder / "countries.csv"
    rows = read_rows(path)
    col = rows[0].index(column)
    for i, row in enumerate(rows):
        if row[0] == code:
            row[col] = value
            write_rows(path, rows)
            return i + 1  # the header is row 1
    raise AssertionError(f"no row for {code}")


def edit_occupation(folder: Path, code: str, column: str, value: str) -> int:
    """Set one cell of an occupation's row; returns that row's number (header = row 1)."""
    path = folder / "occupations.csv"
    rows = read_rows(path)
    col = rows[0].index(column)
    for i, row in enumerate(rows):
        if row[0] == code:
            row[col] = value
            write_rows(path, rows)
            return i + 1
    raise AssertionError(f"no occupation {code}")


def repeated_band(folder: Path) -> list[int]:
    """The tariff's age bands with the third bound equal to the second."""
    bands = [int(b) for b in toml_list(folder / "tariff.toml", "ages", "band_upper")]
    bands[2] = bands[1]
    return bands


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(TariffError) as exc:
        load_tariff(folder)
    return exc.value.problems


def only_problem(folder: Path) -> Problem:
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    return problems[0]


def country_code(tariff: Tariff, text: str) -> str | None:
    index = tariff.resolve_country(text)
    return None if index is None else tariff.countries[index].code


# --------------------------------------------------------------------------- the default tariff


def test_default_tariff_covers_every_iso_country_exactly_once(tariff: Tariff) -> None:
    codes = [c.code for c in tariff.countries]
    assert len(codes) == 249
    assert len(set(codes)) == 249
    assert set(codes) == ISO_CODES
    assert tariff.country_factors.shape == (249, 4)


def test_default_tariff_countries_are_complete_rows(tariff: Tariff) -> None:
    for c in tariff.countries:
        assert c.alpha3 == pycountry.countries.get(alpha_2=c.code).alpha_3
        assert c.name_en.strip() and CJK.search(c.name_zh), c.code
        assert 1 <= c.tier <= 5
        assert c.status in ("accept", "refer", "decline")
        assert c.source.strip()
    statuses = {c.code: c.status for c in tariff.countries}
    assert statuses["AF"] == "decline"
    assert statuses["ID"] == "accept"


def test_default_tariff_occupations(tariff: Tariff) -> None:
    occupations = tariff.occupations
    assert len(occupations) >= 40
    assert {o.occupation_class for o in occupations.values()} == {1, 2, 3, 4, 5, 6, 9}
    for code, o in occupations.items():
        assert o.code == code
        assert re.search(r"[A-Za-z]", o.name_en), code
        assert CJK.search(o.name_zh), code
    assert occupations["X01"].occupation_class == 6
    assert occupations["N01"].occupation_class == 9


def test_default_tariff_has_all_six_covers(tariff: Tariff) -> None:
    assert set(tariff.params.covers) == set(COVER_CODES)
    assert set(COVER_CODES) == {"add", "amed", "smed", "evac", "sdeath", "hcash"}
    for cover in tariff.params.covers.values():
        assert cover.name_en and CJK.search(cover.name_zh)


def test_default_tariff_header(tariff: Tariff) -> None:
    assert tariff.version == "2026.2"
    assert tariff.effective_date == dt.date(2026, 10, 1)
    assert tariff.params.tariff.base_currency == "CNY"
    assert tariff.params.short_period.factors == SHORT_PERIOD


def test_content_hash_is_stable_and_independent_of_the_folder(tmp_path: Path) -> None:
    first = load_tariff(TARIFF_DIR).content_hash
    second = load_tariff(TARIFF_DIR).content_hash
    assert first == second
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", first)
    copy = copy_tariff(tmp_path)
    assert load_tariff(copy).content_hash == first


def test_content_hash_changes_with_any_rate(tmp_path: Path) -> None:
    original = load_tariff(TARIFF_DIR).content_hash
    folder = copy_tariff(tmp_path)
    toml = folder / "tariff.toml"
    set_toml(
        toml, "volatility", "alpha", str(float(toml_value(toml, "volatility", "alpha")) + 0.01)
    )
    assert load_tariff(folder).content_hash != original


# --------------------------------------------------------------------------- tariff in force


@pytest.fixture()
def two_versions(tmp_path: Path) -> Path:
    root = tmp_path / "tariffs"
    root.mkdir()
    copy_tariff(root, "2026.2")
    later = copy_tariff(root, "2027.1")
    set_toml(root / "2026.2" / "tariff.toml", "tariff", "effective_date", "2026-10-01")
    set_toml(later / "tariff.toml", "tariff", "version", '"2027.1"')
    set_toml(later / "tariff.toml", "tariff", "effective_date", "2027-01-01")
    return root


@pytest.mark.parametrize(
    ("as_of", "version"),
    [
        (dt.date(2026, 10, 1), "2026.2"),
        (dt.date(2026, 12, 31), "2026.2"),
        (dt.date(2027, 1, 1), "2027.1"),
        (dt.date(2031, 6, 30), "2027.1"),
    ],
)
def test_tariff_in_force_picks_latest_effective_on_or_before(
    two_versions: Path, as_of: dt.date, version: str
) -> None:
    assert tariff_in_force(as_of, two_versions).version == version


def test_tariff_in_force_before_the_first_version_is_an_error(two_versions: Path) -> None:
    with pytest.raises(TariffError) as exc:
        tariff_in_force(dt.date(2026, 9, 30), two_versions)
    [problem] = exc.value.problems
    assert problem.location == "as_of"
    assert "no tariff in force on 2026-09-30" in problem.message
    assert "2026-10-01" in problem.message


def test_default_root_has_a_tariff_in_force_from_its_effective_date() -> None:
    assert tariff_in_force(dt.date(2026, 11, 29)).version == "2026.2"
    with pytest.raises(TariffError) as exc:
        tariff_in_force(dt.date(2026, 1, 1))
    assert [p.location for p in exc.value.problems] == ["as_of"]


def test_tariff_in_force_accepts_a_single_tariff_folder() -> None:
    assert tariff_in_force(dt.date(2027, 3, 1), TARIFF_DIR).version == "2026.2"


# --------------------------------------------------------------------------- country names


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ID", "ID"),
        ("IDN", "ID"),
        ("Indonesia", "ID"),
        ("印度尼西亚", "ID"),
        ("id", "ID"),
        ("idn", "ID"),
        ("  INDONESIA ", "ID"),
        ("iNdOnEsIa", "ID"),
        ("UAE", "AE"),
        ("阿联酋", "AE"),
        ("Ivory Coast", "CI"),
        ("KSA", "SA"),
        ("沙特", "SA"),
        ("Turkey", "TR"),
        ("Viet Nam", "VN"),
        ("DRC", "CD"),
        ("Côte d’Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("COTE D IVOIRE", "CI"),
        ("Turkiye", "TR"),
        ("TÜRKIYE", "TR"),
        ("刚果（金）", "CD"),
        ("刚果(金)", "CD"),
        ("Congo-Kinshasa", "CD"),
        ("congo kinshasa", "CD"),
        ("ＵＳＡ", "US"),
        ("Antigua and Barbuda", "AG"),
        ("Antigua & Barbuda", "AG"),
        ("Korea, Republic of", "KR"),
    ],
)
def test_resolve_country(tariff: Tariff, text: str, code: str) -> None:
    assert country_code(tariff, text) == code


@pytest.mark.parametrize("text", ["Atlantis", "XX", "", "Indonesi"])
def test_resolve_country_unknown_is_none(tariff: Tariff, text: str) -> None:
    assert tariff.resolve_country(text) is None


# --------------------------------------------------------------------------- broken copies


def test_several_country_rows_wrong_are_all_reported(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    ad_row = edit_country(folder, "AD", "accident", "high")
    ae_row = edit_country(folder, "AE", "status", "maybe")
    problems = {p.location: p.message for p in problems_of(folder)}
    assert problems.keys() == {
        f"countries.csv row {ad_row}, column accident",
        f"countries.csv row {ae_row}, column status",
    }
    assert (ad_row, ae_row) == (2, 3)
    assert "'high' is not a number" in problems["countries.csv row 2, column accident"]
    assert "must be one of accept, refer, decline" in problems["countries.csv row 3, column status"]


def test_problems_in_every_file_are_reported_together(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    set_toml(folder / "tariff.toml", "volatility", "alpha", '"x"')
    row = edit_country(folder, "FR", "tier", "9")
    occ_row = edit_occupation(folder, "X01", "class", "7")
    locations = {p.location for p in problems_of(folder)}
    assert locations == {
        "tariff.toml [volatility.alpha]",
        f"countries.csv row {row}, column tier",
        f"occupations.csv row {occ_row}, column class",
    }


def test_deleted_country_row_lists_the_missing_code(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    path = folder / "countries.csv"
    write_rows(path, [r for r in read_rows(path) if r[0] not in ("FR", "KE")])
    problem = only_problem(folder)
    assert problem.location == "countries.csv"
    assert "2 ISO countries missing: FR, KE" in problem.message


def test_duplicate_country_code(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    path = folder / "countries.csv"
    rows = read_rows(path)
    rows.append(list(rows[1]))  # Andorra again, as row 251
    write_rows(path, rows)
    problem = only_problem(folder)
    assert problem.location == f"countries.csv row {len(rows)}, column code"
    assert problem.location == "countries.csv row 251, column code"
    assert "AD appears twice" in problem.message


def test_wrong_alpha3(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "ID", "alpha3", "IND")
    problem = only_problem(folder)
    assert problem.location == f"countries.csv row {row}, column alpha3"
    assert "'IND' is not the alpha-3 code of ID (IDN)" in problem.message


def test_unknown_country_code(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "AD", "code", "QQ")
    problems = {p.location: p.message for p in problems_of(folder)}
    assert "is not an ISO 3166-1 alpha-2 code" in problems[f"countries.csv row {row}, column code"]
    assert "AD" in problems["countries.csv"]  # Andorra is now missing


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("6", "6 is outside 1..5"),
        ("0", "0 is outside 1..5"),
        ("high", "is not a whole number 1..5"),
    ],
)
def test_tier_out_of_range(tmp_path: Path, value: str, fragment: str) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "KE", "tier", value)
    problem = only_problem(folder)
    assert problem.location == f"countries.csv row {row}, column tier"
    assert fragment in problem.message


@pytest.mark.parametrize("value", ["0", "-1.2", "10.5"])
def test_country_factor_out_of_range(tmp_path: Path, value: str) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "KE", "security", value)
    problem = only_problem(folder)
    assert problem.location == f"countries.csv row {row}, column security"
    assert "is outside (0, 10]" in problem.message


@pytest.mark.parametrize("value", ["2026-02-30", "30/09/2026", ""])
def test_bad_country_as_of_date(tmp_path: Path, value: str) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "PK", "as_of", value)
    problem = only_problem(folder)
    assert problem.location == f"countries.csv row {row}, column as_of"
    assert "is not a date (YYYY-MM-DD)" in problem.message


def test_empty_chinese_name(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "PK", "name_zh", " ")
    problem = only_problem(folder)
    assert problem.location == f"countries.csv row {row}, column name_zh"
    assert "must not be empty" in problem.message


def test_alias_naming_two_countries(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_country(folder, "KE", "aliases", "Republic of Kenya; Indonesia")
    problem = only_problem(folder)
    assert (problem.file, problem.row, problem.column) == ("countries.csv", row, "aliases")
    assert problem.location == f"countries.csv row {row}, column aliases"
    assert "'Indonesia' also names ID" in problem.message


def test_countries_header_missing_a_column(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    path = folder / "countries.csv"
    write_rows(path, [r[:-1] for r in read_rows(path)])
    problem = only_problem(folder)
    assert problem.location == "countries.csv row 1"  # the header
    assert "missing as_of" in problem.message


def test_toml_type_error_names_the_key(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    set_toml(folder / "tariff.toml", "volatility", "alpha", '"x"')
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [volatility.alpha]"
    assert problem.message == "expected a number, got text"


def test_toml_range_error_names_the_key(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    set_toml(folder / "tariff.toml", "loadings", "expenses", "1.5")
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [loadings.expenses]"
    assert "at most 1.0" in problem.message


def test_unknown_toml_key_is_rejected(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    toml = folder / "tariff.toml"
    alpha = toml_value(toml, "volatility", "alpha")
    set_toml(toml, "volatility", "alpha", f"{alpha}\nbeta = 0.01")
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [volatility]"
    assert "unknown field `beta`" in problem.message


def test_unknown_top_level_table_is_rejected(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    path = folder / "tariff.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[discounts]\nloyalty = 0.1\n")
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [discounts]"
    assert "unknown section" in problem.message


def test_decreasing_short_period_factors(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    set_toml(folder / "tariff.toml", "short_period", "factors", str(DECREASING))
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [short_period.factors]"
    assert "must not decrease" in problem.message


def test_short_period_must_end_at_one(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    set_toml(folder / "tariff.toml", "short_period", "factors", str([*SHORT_PERIOD[:-1], 0.99]))
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [short_period.factors]"
    assert "12-month factor must be 1.0" in problem.message


def test_non_increasing_age_bands(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    set_toml(folder / "tariff.toml", "ages", "band_upper", str(repeated_band(folder)))
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [ages.band_upper]"
    assert "must strictly increase" in problem.message


def test_missing_cover(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    path = folder / "tariff.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("[covers.hcash]")], encoding="utf-8")
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [covers]"
    assert "missing cover(s): hcash" in problem.message


def test_wrong_length_rate_by_class(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    toml = folder / "tariff.toml"
    rates = toml_list(toml, "covers.add", "rate_by_class")
    assert len(rates) == 6
    set_toml(toml, "covers.add", "rate_by_class", str(rates[:5]))
    problem = only_problem(folder)
    assert problem.location == "tariff.toml [covers.add.rate_by_class]"
    assert "needs 6 values" in problem.message
    assert "found 5" in problem.message


def test_several_semantic_toml_problems_are_reported_together(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    toml = folder / "tariff.toml"
    set_toml(toml, "short_period", "factors", str(DECREASING))
    set_toml(toml, "ages", "band_upper", str(repeated_band(folder)))
    set_toml(toml, "loadings", "commission_default", "0.99")
    locations = {p.location for p in problems_of(folder)}
    assert locations == {
        "tariff.toml [short_period.factors]",
        "tariff.toml [ages.band_upper]",
        "tariff.toml [loadings]",
    }


def test_occupation_class_seven(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    row = edit_occupation(folder, "W02", "class", "7")
    problem = only_problem(folder)
    assert problem.location == f"occupations.csv row {row}, column class"
    assert "'7' must be 1-6 or 9" in problem.message


def test_duplicate_occupation_code(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    path = folder / "occupations.csv"
    rows = read_rows(path)
    write_rows(path, [*rows, ["W02", "4", "Welder (pipe)", "管道焊工"]])
    problem = only_problem(folder)
    assert problem.location == f"occupations.csv row {len(rows) + 1}, column code"
    assert "W02 appears twice" in problem.message


@pytest.mark.parametrize("name", ["tariff.toml", "countries.csv", "occupations.csv"])
def test_missing_file(tmp_path: Path, name: str) -> None:
    folder = copy_tariff(tmp_path)
    (folder / name).unlink()
    problem = only_problem(folder)
    assert problem.location == name
    assert problem.message == "file is missing"


def test_invalid_toml_syntax(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    edit_text(folder / "tariff.toml", "[volatility]", "[volatility")
    problem = only_problem(folder)
    assert problem.location == "tariff.toml"
    assert "not valid TOML" in problem.message


def test_not_a_folder(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "nowhere")
    assert problem.location == str(tmp_path / "nowhere")
    assert "is not a tariff folder" in problem.message


def test_error_message_lists_every_problem(tmp_path: Path) -> None:
    folder = copy_tariff(tmp_path)
    edit_country(folder, "AD", "accident", "high")
    edit_country(folder, "AE", "status", "maybe")
    with pytest.raises(TariffError) as exc:
        load_tariff(folder)
    text = str(exc.value)
    assert "countries.csv row 2, column accident: 'high' is not a number" in text
    assert "countries.csv row 3, column status: 'maybe' must be one of" in text


def _two_versions(tmp_path: Path) -> Path:

    root = tmp_path / "tariffs"
    shutil.copytree(TARIFF_DIR, root / "2026.2")
    draft = root / "2027.1"
    shutil.copytree(TARIFF_DIR, draft)
    toml = draft / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('version = "2026.2"', 'version = "2027.1"').replace(
        "effective_date = 2026-10-01", "effective_date = 2027-06-01"
    )
    toml.write_text(text, encoding="utf-8")
    return root


def test_a_broken_draft_for_later_does_not_stop_todays_quotes(tmp_path: Path) -> None:
    root = _two_versions(tmp_path)
    toml = root / "2027.1" / "tariff.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("alpha = 0.03", 'alpha = "x"'), encoding="utf-8"
    )
    assert tariff_in_force(dt.date(2026, 12, 1), root).version == "2026.2"
    with pytest.raises(TariffError) as exc:
        tariff_in_force(dt.date(2027, 7, 1), root)
    assert [p.location for p in exc.value.problems] == ["2027.1/tariff.toml [volatility.alpha]"]


def test_versions_are_picked_by_effective_date(tmp_path: Path) -> None:
    root = _two_versions(tmp_path)
    assert tariff_in_force(dt.date(2027, 5, 31), root).version == "2026.2"
    assert tariff_in_force(dt.date(2027, 6, 1), root).version == "2027.1"
    assert [t.version for t in tariff_versions(root)] == ["2026.2", "2027.1"]


def test_two_folders_with_one_version_are_rejected(tmp_path: Path) -> None:

    root = _two_versions(tmp_path)
    shutil.copytree(TARIFF_DIR, root / "copy")
    with pytest.raises(TariffError) as exc:
        tariff_in_force(dt.date(2026, 12, 1), root)
    messages = [str(p) for p in exc.value.problems]
    assert messages == [
        "copy/tariff.toml [tariff]: version 2026.2 is also that of 2026.2; each version needs its own",
        "copy/tariff.toml [tariff]: effective date 2026-10-01 is also that of 2026.2; each version needs its own",
    ]


def test_congo_alone_is_ambiguous(tariff: Tariff) -> None:
    assert tariff.resolve_country("Congo") is None
    assert tariff.countries[tariff.resolve_country("Congo - Kinshasa")].code == "CD"
    assert tariff.countries[tariff.resolve_country("Republic of the Congo")].code == "CG"
