"""The `quoting tariff diff | impact | publish` commands, as an underwriter runs them."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest

from quoting.cli import main
from tests.support import BUSINESS_DATE, ROOT, root_with_2026_2
from tests.unit.test_tariff_tools import new_version, set_cell

BOOK = ROOT / "tariffs" / "book"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    folder = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(folder, "countries.csv", "ID", "accident", "1.35")
    return folder


def test_diff_table_and_json(draft: Path) -> None:
    code, out, _ = run("tariff", "diff", "2026.2", str(draft))
    assert code == 0
    assert "ID (Indonesia)  accident  0.98 → 1.35" in out
    code, out, _ = run("tariff", "diff", "2026.2", str(draft), "--format", "json")
    data = json.loads(out)
    assert {
        "file": "countries.csv",
        "row": "ID",
        "row_label": "Indonesia",
        "column": "accident",
        "old": "0.98",
        "new": "1.35",
    } in data["changes"]


def test_impact_prints_the_movers_and_writes_html(draft: Path, tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    for name in ("13-hanoi-metro", "28-multi-country-hq"):
        shutil.copy(BOOK / f"{name}.json", book)
    html = tmp_path / "impact.html"
    code, out, err = run(
        "tariff", "impact", "2026.2", str(draft), "--book", str(book), "--html", str(html)
    )
    assert code == 0, err
    assert "quotes: 2 priced, 1 affected" in out
    assert "28-multi-country-hq" in out.split("quotes moving most")[1]
    page = html.read_text(encoding="utf-8")
    assert page.count('role="img"') == 5 and "<script" not in page
    assert "28-multi-country-hq" in page
    code, out, _ = run(
        "tariff", "impact", "2026.2", str(draft), "--book", str(book), "--format", "json"
    )
    data = json.loads(out)
    assert data["quotes"] == 2 and data["quotes_affected"] == 1
    assert [b["quotes"] for b in data["bands"]][3] == 1  # one quote at exactly 0 %


def test_publish_then_refuse_an_edit(
    draft: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no var/ database here: no event is written
    monkeypatch.delenv("QUOTING_DATABASE_URL", raising=False)
    root = root_with_2026_2(tmp_path)
    # The command checks the effective date against the business date: make it later.
    effective = (BUSINESS_DATE + dt.timedelta(days=60)).isoformat()
    toml = draft / "tariff.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("2027-01-01", effective), encoding="utf-8"
    )
    code, out, err = run("tariff", "publish", str(draft), "--root", str(root), "--by", "li.na")
    assert code == 0, err
    assert out.startswith(f"published: tariff 2027.1 effective {effective}")
    code, out, _ = run("tariff", "check", str(root))
    assert code == 0 and "ok: tariff 2027.1" in out
    code, out, _ = run("tariff", "versions", "--root", str(root))
    first, second = out.splitlines()
    assert first.startswith("2026.2") and first.endswith("← in force today")
    assert second.startswith(f"2027.1       effective {effective}  published ")
    assert "by li.na" in second and "in force" not in second
    set_cell(root / "2027.1", "countries.csv", "KE", "accident", "2.00")
    code, _, err = run("tariff", "check", str(root))
    assert code == 2 and "a published version cannot change" in err
    set_cell(draft, "countries.csv", "KE", "accident", "2.00")
    code, _, err = run("tariff", "publish", str(draft), "--root", str(root))
    assert code == 2 and "was published on" in err and "with other content" in err


def test_publish_writes_the_event_when_a_database_is_configured(
    draft: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import StoreProbe

    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    monkeypatch.setenv("QUOTING_DATABASE_URL", url)
    root = root_with_2026_2(tmp_path)
    effective = (BUSINESS_DATE + dt.timedelta(days=30)).isoformat()
    toml = draft / "tariff.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("2027-01-01", effective), encoding="utf-8"
    )
    code, out, err = run("tariff", "publish", str(draft), "--root", str(root), "--by", "li.na")
    assert code == 0, err
    assert "event tariff.published written" in out
    probe = StoreProbe(url)
    with probe.uow() as work:
        (event,) = work.events.all("2027.1")
    probe.dispose()
    assert (event.kind, event.data["by"], event.data["effective_date"]) == (
        "tariff.published",
        "li.na",
        effective,
    )
