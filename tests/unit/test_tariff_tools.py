"""The underwriter's tariff tools: diff cell by cell, publishing (refusals, manifest, the
registry refusing an edited published version), the impact figures and the reference book."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from quoting.clock import FixedClock
from quoting.errors import PublishRefused, TariffError
from quoting.impact import band_of, figures_from_columns, figures_of_quote, summarise
from quoting.services import Context
from quoting.services.impact import book_from_folder, price_book, tariff_impact
from quoting.services.quotation import price_columns, price_under, quote_request
from quoting.services.tariffs import PublishVersion, diff_versions, publish_version
from quoting.store.memory import InMemoryDatabase, InMemoryUnitOfWork
from quoting.tariff.diff import diff_as_dict, format_diff
from quoting.tariff.files import content_hash, load_tariff, read_manifest
from quoting.tariff.registry import TariffRegistry
from tests.support import ROOT, TARIFF_DIR, root_with_2026_2

BOOK = ROOT / "tariffs" / "book"


def set_cell(folder: Path, file: str, key: str, column: str, value: str) -> None:
    path = folder / file
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == key:
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def new_version(base: Path, name: str, effective: str) -> Path:
    """A copy of the shipped tariff renamed ``name``, effective ``effective``."""
    folder = base / name
    shutil.copytree(TARIFF_DIR, folder)
    toml = folder / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('version = "2026.2"', f'version = "{name}"')
    text = text.replace("effective_date = 2026-10-01", f"effective_date = {effective}")
    toml.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A tariff root with 2026.2 published, as shipped (and nothing after it)."""
    return root_with_2026_2(tmp_path)


def ctx_on(root: Path, day: dt.date = dt.date(2026, 11, 29)) -> Context:
    return Context(clock=FixedClock.on(day), tariff_root=root)


# ------------------------------------------------------------------------------ diff


def test_diff_shows_exactly_a_country_factor_a_band_and_an_added_occupation(
    root: Path, tmp_path: Path
) -> None:
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(draft, "countries.csv", "ID", "accident", "1.35")
    toml = draft / "tariff.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "rate_by_class = [0.32, 0.45, 0.65, 0.95, 1.40, 2.05]",
            "rate_by_class = [0.32, 0.45, 0.65, 1.00, 1.40, 2.05]",
        ),
        encoding="utf-8",
    )
    with (draft / "occupations.csv").open("a", encoding="utf-8") as f:
        f.write("W99,4,Tunnel boring machine operator,盾构机司机\n")

    diff = diff_versions(root, "2026.2", draft)

    got = {(c.file, c.row, c.column, c.old, c.new) for c in diff.changes}
    assert got == {
        ("countries.csv", "ID", "accident", "0.98", "1.35"),
        ("tariff.toml", "covers.add.rate_by_class", "class 4", 0.95, 1.0),
        ("tariff.toml", "tariff", "version", "2026.2", "2027.1"),
        ("tariff.toml", "tariff", "effective_date", "2026-10-01", "2027-01-01"),
    }
    assert [(r.file, r.key, r.values["name_zh"]) for r in diff.added] == [
        ("occupations.csv", "W99", "盾构机司机")
    ]
    assert diff.removed == []
    counts = {s.file: (s.cells_changed, s.rows_changed, s.rows_added) for s in diff.summary}
    assert counts == {
        "countries.csv": (1, 1, 0),
        "occupations.csv": (0, 0, 1),
        "tariff.toml": (3, 2, 0),
    }
    table = format_diff(diff)
    assert "ID (Indonesia)  accident  0.98 → 1.35" in table
    assert "covers.add.rate_by_class  class 4" in table and "0.95 → 1.0" in table
    assert "+ code=W99, class=4" in table
    assert msgspec.json.decode(msgspec.json.encode(diff_as_dict(diff)))["added"][0]["key"] == "W99"


def test_diff_labels_age_bands_and_reports_removed_rows(root: Path, tmp_path: Path) -> None:
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    toml = draft / "tariff.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "age_factors = [1.00, 1.00, 1.00, 1.05, 1.15, 1.30, 1.50]",
            "age_factors = [1.00, 1.00, 1.00, 1.05, 1.20, 1.30, 1.50]",
        ),
        encoding="utf-8",
    )
    occupations = (draft / "occupations.csv").read_text(encoding="utf-8").splitlines()
    (draft / "occupations.csv").write_text(
        "\n".join(line for line in occupations if not line.startswith("N03,")) + "\n",
        encoding="utf-8",
    )
    diff = diff_versions(root, draft / ".." / "2027.1", draft)
    assert diff.identical
    diff = diff_versions(root, "2026.2", draft)
    assert ("covers.add.age_factors", "age 56-60", 1.15, 1.2) in {
        (c.row, c.column, c.old, c.new) for c in diff.changes
    }
    assert [r.key for r in diff.removed] == ["N03"]


def test_diff_of_an_unknown_version_names_the_versions_there_are(root: Path) -> None:
    with pytest.raises(TariffError, match=r"no tariff version '2031.1'.*there are: 2026.2"):
        diff_versions(root, "2026.2", "2031.1")


# --------------------------------------------------------------------------- publish


def test_publishing_copies_the_version_in_and_records_it(root: Path, tmp_path: Path) -> None:
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(draft, "countries.csv", "ID", "accident", "1.35")
    published = publish_version(ctx_on(root), PublishVersion(draft, "li.na"))

    assert published.created and published.folder == root / "2027.1"
    assert content_hash(root / "2027.1") == content_hash(draft)
    manifest = {p.version: p for p in read_manifest(root)}
    assert manifest["2027.1"].content_hash == content_hash(draft)
    assert manifest["2027.1"].by == "li.na"
    assert manifest["2027.1"].effective_date == dt.date(2027, 1, 1)
    assert manifest["2026.2"].content_hash == content_hash(TARIFF_DIR)
    registry = TariffRegistry(root, in_force_seconds=0)
    assert registry.in_force(dt.date(2026, 12, 31)).version == "2026.2"
    assert registry.in_force(dt.date(2027, 1, 1)).version == "2027.1"
    # The same content again changes nothing.
    again = publish_version(ctx_on(root), PublishVersion(draft, "someone else"))
    assert not again.created and again.publication.by == "li.na"


def test_publishing_writes_a_tariff_published_event(root: Path, tmp_path: Path) -> None:
    database = InMemoryDatabase()
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    publish_version(
        ctx_on(root), PublishVersion(draft, "li.na"), lambda: InMemoryUnitOfWork(database)
    )
    with InMemoryUnitOfWork(database) as work:
        events = work.events.all("2027.1")
    assert [(e.kind, e.data["by"], e.data["effective_date"]) for e in events] == [
        ("tariff.published", "li.na", "2027-01-01")
    ]
    assert events[0].data["content_hash"] == content_hash(draft)


@pytest.mark.parametrize(
    ("version", "effective", "edit", "message"),
    [
        ("2026.2", "2027-01-01", False, "was published on 2026-12-03 with other content"),
        ("2027.1", "2026-10-01", False, "not after the latest published version 2026.2"),
        ("2027.1", "2026-11-01", False, "before today"),
        ("2027.1", "2027-01-01", True, ""),
    ],
)
def test_publishing_refusals(
    root: Path, tmp_path: Path, version: str, effective: str, edit: bool, message: str
) -> None:
    draft = new_version(tmp_path, version, effective)
    if edit:  # fails validation: the problem names file, row and column
        set_cell(draft, "countries.csv", "ID", "tier", "7")
        with pytest.raises(TariffError, match=r"countries.csv row \d+, column tier: 7 is outside"):
            publish_version(ctx_on(root), PublishVersion(draft, "x"))
    else:
        with pytest.raises(PublishRefused, match=message):
            publish_version(ctx_on(root), PublishVersion(draft, "x"))
    assert [p.version for p in read_manifest(root)] == ["2026.2"]
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [
        "2026.2",
        "published.toml",
    ]


def test_a_version_folder_of_that_name_with_other_content_is_refused(
    root: Path, tmp_path: Path
) -> None:
    new_version(root, "2027.1", "2027-01-01")  # an unpublished folder already in the root
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(draft, "countries.csv", "ID", "accident", "1.35")
    with pytest.raises(PublishRefused, match=r"already exists in .* with other content"):
        publish_version(ctx_on(root), PublishVersion(draft, "x"))


def test_the_registry_refuses_an_edited_published_version(root: Path) -> None:
    registry = TariffRegistry(root, in_force_seconds=0)
    assert registry.in_force(dt.date(2026, 12, 1)).version == "2026.2"
    set_cell(root / "2026.2", "countries.csv", "ID", "accident", "1.35")
    with pytest.raises(TariffError, match=r"was published on 2026-12-03 .* cannot change"):
        registry.in_force(dt.date(2026, 12, 1))


def test_a_root_without_manifest_loads_as_before(tmp_path: Path) -> None:
    shutil.copytree(TARIFF_DIR, tmp_path / "2026.2")
    set_cell(tmp_path / "2026.2", "countries.csv", "ID", "accident", "1.35")
    assert TariffRegistry(tmp_path).in_force(dt.date(2026, 12, 1)).version == "2026.2"


def test_the_shipped_manifest_records_the_shipped_versions() -> None:
    recorded = {e.version: e.content_hash for e in read_manifest(ROOT / "tariffs")}
    shipped = {v: content_hash(ROOT / "tariffs" / v) for v in ("2026.2", "2027.1")}
    assert recorded == shipped


def test_diff_labels_a_frequency_by_class_and_age_band() -> None:
    """2027.1 rates evacuation by class and age band: its ``frequency`` is still by class
    and ``frequency_age_factors`` by age band."""
    diff = diff_versions(ROOT / "tariffs", "2026.2", "2027.1")
    found = {(c.row, c.column): (c.old, c.new) for c in diff.changes}
    assert found[("covers.evac.frequency", "class 1")] == (0.002, 0.0008)
    assert found[("covers.evac.frequency_age_factors", "age 56-60")] == (None, 1.9)
    assert found[("covers.evac", "frequency_by")] == ("class", "class_and_age_band")


# ---------------------------------------------------------------------------- impact


def test_bands_put_a_change_on_a_bound_nearer_zero() -> None:
    cases = {-10.01: "< −10 %", -10: "−10…−5 %", -5: "−10…−5 %", -4.99: "−5…0 %", 0: "0 %"}
    cases |= {0.01: "0…+5 %", 5: "0…+5 %", 5.01: "+5…+10 %", 10: "+5…+10 %", 10.5: "> +10 %"}
    assert {c: band_of(c) for c in cases} == cases


def test_impact_on_three_quotes_reconciles_with_their_own_totals(tmp_path: Path) -> None:
    """Indonesia's accident factor 0.98 → 1.35 moves only the quotes with members there."""
    book_dir = tmp_path / "book"
    book_dir.mkdir()
    for name in ("08-gwadar-port", "13-hanoi-metro", "28-multi-country-hq"):
        shutil.copy(BOOK / f"{name}.json", book_dir)
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(draft, "countries.csv", "ID", "accident", "1.35")
    old, new = load_tariff(TARIFF_DIR), load_tariff(draft)
    book = book_from_folder(book_dir, dt.date(2026, 11, 29))
    pairs = price_book(old, new, book)
    report = summarise("2026.2", "2027.1", pairs)

    # By hand: each quote's total in CNY = its total × its FX rate (1 for CNY, 7.12 for USD).
    def cny(total: str, fx: float) -> Decimal:
        return (Decimal(total) * Decimal(repr(fx))).quantize(Decimal("0.01"))

    assert report.total_old == sum(cny(p.old.total_premium, p.old.fx_rate) for p in pairs)  # type: ignore[union-attr]
    assert report.total_new == sum(cny(p.new.total_premium, p.new.fx_rate) for p in pairs)  # type: ignore[union-attr]
    gwadar = next(p for p in pairs if p.name == "08-gwadar-port")
    assert gwadar.old.currency == "USD"  # type: ignore[union-attr]
    assert report.moves[0].old_premium == cny(gwadar.old.total_premium, 7.12)  # type: ignore[union-attr]
    # Only the multi-country quote has members in Indonesia: it alone moves, up.
    assert [m.name for m in report.affected] == ["28-multi-country-hq"]
    (moved,) = report.affected
    assert moved.change > 0
    assert moved.change_percent == pytest.approx(float(moved.change / moved.old_premium * 100))
    assert dict(report.bands) == {
        "< −10 %": 0,
        "−10…−5 %": 0,
        "−5…0 %": 0,
        "0 %": 2,
        "0…+5 %": 1 if moved.change_percent < 5 else 0,  # type: ignore[operator]
        "+5…+10 %": 0 if moved.change_percent < 5 else 1,  # type: ignore[operator]
        "> +10 %": 0,
    }
    assert report.percentiles[0] == 0 and report.percentiles[100] == moved.change_percent
    indonesia = next(b for b in report.by_country if b.key == "ID")
    assert indonesia.change > 0 and report.by_country[0].key == "ID"
    # The breakdowns add up to the line totals, per side.
    by_cover_old = sum((b.old_premium for b in report.by_cover), Decimal(0))
    by_country_old = sum((b.old_premium for b in report.by_country), Decimal(0))
    assert by_cover_old == by_country_old


def test_a_tariff_that_declines_a_country_shows_status_changes_and_new_declines(
    root: Path, tmp_path: Path
) -> None:
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(draft, "countries.csv", "VN", "status", "decline")
    set_cell(draft, "countries.csv", "TH", "status", "refer")
    book_dir = tmp_path / "book"
    book_dir.mkdir()
    for name in ("13-hanoi-metro", "31-thailand-hsr"):
        shutil.copy(BOOK / f"{name}.json", book_dir)
    book = book_from_folder(book_dir, dt.date(2026, 11, 29))
    impact = tariff_impact(ctx_on(root), "2026.2", draft, book)
    report = impact.report
    hanoi = next(m for m in report.moves if m.name == "13-hanoi-metro")
    assert hanoi.old_status == "accepted" and hanoi.new_status == "declined"
    assert len(hanoi.newly_declined) == 60 and hanoi.new_premium == 0
    thai = next(m for m in report.moves if m.name == "31-thailand-hsr")
    assert (thai.old_status, thai.new_status) == ("accepted", "referred")
    assert {m.name for m in report.status_changes} == {"13-hanoi-metro", "31-thailand-hsr"}
    assert impact.seconds > 0


def test_figures_from_the_engine_columns_equal_those_of_the_built_quote(tmp_path: Path) -> None:
    """The impact sums the engine's columns instead of building every member line: for
    every request of the book, under a changed tariff too, its figures are the quote's."""
    draft = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(draft, "countries.csv", "VN", "status", "decline")
    set_cell(draft, "countries.csv", "ID", "accident", "1.35")
    for tariff in (load_tariff(TARIFF_DIR), load_tariff(draft)):
        for item in book_from_folder(BOOK, dt.date(2026, 11, 29)):
            resolved, priced = price_columns(item.request, tariff, today=item.today)
            quote = price_under(item.request, tariff, today=item.today, trace=False)
            assert figures_from_columns(resolved, priced, item.today) == figures_of_quote(quote)


def test_every_request_of_the_reference_book_prices_under_the_shipped_tariff() -> None:
    files = sorted(BOOK.glob("*.json"))
    assert len(files) >= 30
    assert sum(f.stat().st_size for f in files) < 3_000_000
    book = book_from_folder(BOOK, dt.date(2026, 11, 29))
    sizes, currencies, kinds, covers, countries, statuses = [], set(), set(), set(), set(), set()
    for item in book:
        quote = quote_request(item.request, tariff_root=ROOT / "tariffs", trace=False)
        assert quote.tariff.version == "2026.2"
        sizes.append(quote.headcount + quote.declined_headcount)
        currencies.add(quote.currency)
        census = item.request.census
        kinds.add("members" if census.members is not None else "groups")
        covers |= {c for p in item.request.plans for c in p.covers.codes()}
        countries |= {r.key for r in quote.summary.by_country}
        statuses.add(quote.status)
        if quote.declined:
            statuses.add("has declined members")
    assert min(sizes) == 5 and max(sizes) == 5000
    assert currencies == {"CNY", "USD"} and kinds == {"members", "groups"}
    assert covers == {"add", "amed", "smed", "evac", "sdeath", "hcash"}
    assert len(countries) >= 25
    assert {"accepted", "referred", "has declined members"} <= statuses


def test_the_html_report_escapes_what_it_shows(tmp_path: Path) -> None:
    import dataclasses

    from quoting.impact import PricedPair
    from quoting.impact_report import impact_html

    tariff = load_tariff(TARIFF_DIR)
    (item,) = book_from_folder(BOOK, dt.date(2026, 11, 29))[12:13]
    (pair,) = price_book(tariff, tariff, [item])
    assert pair.old is not None and pair.new is not None
    evil = dataclasses.replace(pair.old, policyholder="<script>alert(1)</script>")
    dearer = dataclasses.replace(pair.new, total_premium=pair.new.total_premium + 100)
    page = impact_html(summarise("a<b", "2026.2", [PricedPair("q", evil, dearer)]))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&lt;b" in page
    assert page.count("<svg") == 5


def test_concurrent_publications_are_all_recorded(root: Path, tmp_path: Path) -> None:
    """The manifest is read, extended and replaced under a lock: none is lost."""
    from concurrent.futures import ThreadPoolExecutor

    drafts = [new_version(tmp_path, f"2027.{i}", f"2027-0{i}-01") for i in range(1, 6)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(
            pool.map(
                lambda d: _try_publish(root, d),
                drafts,
            )
        )
    published = [p.version for p in read_manifest(root)]
    # Each either published or was refused for coming after a later date already published.
    assert set(published) == {"2026.2", *(v for v in results if v)}
    assert published[1:] == sorted(published[1:])


def _try_publish(root: Path, draft: Path) -> str | None:
    try:
        return publish_version(ctx_on(root), PublishVersion(draft, "x")).publication.version
    except PublishRefused:
        return None
