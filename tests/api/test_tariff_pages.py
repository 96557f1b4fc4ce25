"""The underwriters' tariff pages in process (SQLite and PostgreSQL), on a temporary copy
of the tariff root (never the repository's tariffs/): the versions, the diff of a crafted
change (Indonesia's accident factor raised) cell by cell, the impact page equal to the
CLI's JSON, drafts uploaded as one CSV or a zip, bad drafts with their rows and columns,
unsafe and oversized uploads refused, a draft published for next month from the web
(today's quotes keep the old version, quotes as of the effective date get the new one),
discarded; agents are refused and every form needs its CSRF token."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from quoting.cli import main
from quoting.services import Context, OfflineQuote, price_offline
from quoting.tariff.files import read_header, read_manifest
from quoting.tariff.registry import registry_for
from tests.api.conftest import example_request
from tests.api.test_pages_api import PASSWORD, TOKEN, Pages, _pages
from tests.support import ROOT, root_with_2026_2
from tests.unit.test_tariff_tools import set_cell

TARIFF = ROOT / "tariffs" / "2026.2"
DRAFT_URL = re.compile(r"^/tariffs/drafts/(d_[0-9a-f]{16})$")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A tariff root holding 2026.2 as published (tests publish their own versions)."""
    return root_with_2026_2(tmp_path)


@pytest.fixture
def pages(database_url: str, root: Path) -> Iterator[Pages]:
    yield from _pages(database_url, QUOTING_TARIFFS=str(root))


def _today(pages: Pages) -> dt.date:
    return pages.settings.clock.today()


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _underwriter(pages: Pages, role: str = "underwriter") -> Any:
    account, _key = pages.user("李娜", role=role)
    assert pages.sign_in(account.name, PASSWORD).status_code == 303
    return account


def _token(pages: Pages, path: str = "/tariffs") -> str:
    page = pages.client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found is not None
    return found[1]


def _countries_with_indonesia_raised(tmp_path: Path) -> bytes:
    """countries.csv of 2026.2 with Indonesia's accident factor 0.98 → 1.35."""
    folder = tmp_path / "edit"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(TARIFF / "countries.csv", folder / "countries.csv")
    set_cell(folder, "countries.csv", "ID", "accident", "1.35")
    return (folder / "countries.csv").read_bytes()


def _upload(pages: Pages, name: str, data: bytes, token: str | None = None) -> Any:
    fields = {"_csrf": token or _token(pages)}
    return pages.client.post(
        "/tariffs/drafts", data=fields, files={"draft": (name, data)}, follow_redirects=False
    )


def _uploaded(pages: Pages, name: str, data: bytes) -> str:
    response = _upload(pages, name, data)
    assert response.status_code == 303, response.text
    found = DRAFT_URL.match(response.headers["location"])
    assert found is not None
    return found[1]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _version_in(root: Path, name: str, effective: dt.date, countries: bytes) -> Path:
    """An unpublished version folder under the root (effective far ahead: never in force
    during the test), 2026.2 with ``countries``."""
    folder = root / name
    shutil.copytree(TARIFF, folder)
    (folder / "countries.csv").write_bytes(countries)
    toml = folder / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('version = "2026.2"', f'version = "{name}"')
    toml.write_text(text.replace("2026-10-01", effective.isoformat(), 1), encoding="utf-8")
    return folder


def _changed_rows(html: str) -> list[list[str]]:
    """The diff's changed values: [file, row, column, old, new] per row of the table."""
    rows = re.findall(r'<tr class="changed">(.*?)</tr>', html, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in rows
    ]


def test_the_versions_page_lists_each_version(pages: Pages, root: Path, tmp_path: Path) -> None:
    _underwriter(pages)
    _version_in(root, "2030.1", dt.date(2030, 1, 1), _countries_with_indonesia_raised(tmp_path))
    page = pages.client.get("/tariffs")
    assert page.status_code == 200
    first = re.search(r'<tr id="version-2026.2" class="state-in-force">(.*?)</tr>', page.text, re.S)
    assert first is not None
    (published,) = read_manifest(root)
    assert published.content_hash.removeprefix("sha256:")[:12] in first[1]
    assert published.by in first[1]
    later = re.search(r'<tr id="version-2030.1" class="state-future">(.*?)</tr>', page.text, re.S)
    assert later is not None and "未发布" in later[1]  # not published
    assert 'href="/tariffs/diff?old=2026.2&amp;new=2030.1"' in later[1]
    assert 'href="/tariffs/impact?old=2026.2&amp;new=2030.1"' in later[1]
    assert 'id="nav-tariffs"' in page.text


def test_the_diff_shows_exactly_the_crafted_change(
    pages: Pages, root: Path, tmp_path: Path
) -> None:
    _underwriter(pages)
    _version_in(root, "2030.1", dt.date(2030, 1, 1), _countries_with_indonesia_raised(tmp_path))
    page = pages.client.get("/tariffs/diff?old=2026.2&new=2030.1")
    assert page.status_code == 200
    assert _changed_rows(page.text) == [
        ["countries.csv", "ID Indonesia", "accident", "0.98", "1.35"],
        ["tariff.toml", "tariff", "version", "2026.2", "2030.1"],
        ["tariff.toml", "tariff", "effective_date", "2026-10-01", "2030-01-01"],
    ]
    assert "<del>0.98</del>" in page.text and "<ins>1.35</ins>" in page.text
    assert 'id="diff-added"' not in page.text and 'id="diff-removed"' not in page.text
    # A version is named, never a path.
    assert pages.client.get("/tariffs/diff?old=2026.2&new=../../etc").status_code == 404


def _figure(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</dd>', html, re.S)
    assert found is not None
    return " ".join(found[1].split())


def test_the_impact_page_equals_the_command(pages: Pages, root: Path, tmp_path: Path) -> None:
    _underwriter(pages)
    _version_in(root, "2030.1", dt.date(2030, 1, 1), _countries_with_indonesia_raised(tmp_path))
    page = pages.client.get("/tariffs/impact?old=2026.2&new=2030.1")
    assert page.status_code == 200
    out, err = io.StringIO(), io.StringIO()
    argv = ["tariff", "impact", "2026.2", "2030.1", "--root", str(root), "--format", "json"]
    assert main(argv, out, err) == 0, err.getvalue()
    cli = json.loads(out.getvalue())
    assert cli["quotes_affected"] > 0

    def grouped(amount: str) -> str:
        return f"{Decimal(amount):,.2f}"

    total = _figure(page.text, "impact-total")
    assert total.startswith(
        f"{grouped(cli['total_premium_old'])} → {grouped(cli['total_premium_new'])} CNY"
    )
    affected = _figure(page.text, "impact-affected")
    assert affected.startswith(f"{cli['quotes_affected']} — ")
    assert grouped(cli["premium_affected_new"]) in affected
    top = re.search(r'id="impact-top">(.*?)</table>', page.text, re.S)
    assert top is not None
    for move in cli["top"][:5]:
        assert f"<td>{move['name']}</td>" in top[1]
        assert f'<td class="num">{grouped(move["change"])}</td>' in top[1]
    assert page.text.count("<svg") == 5 and "<script" not in page.text
    assert "按国家" in page.text  # the page speaks the user's language
    if pages.settings.database.is_sqlite:
        # A fresh database (PostgreSQL's is shared by the session's tests, some of which
        # store rows of older forms that book_from_store cannot read).
        store = pages.client.get("/tariffs/impact?old=2026.2&new=2030.1&source=store")
        assert store.status_code == 200 and 'id="impact-quotes">0 ' in store.text


def test_a_single_csv_draft_is_checked_compared_and_priced(
    pages: Pages, root: Path, tmp_path: Path
) -> None:
    account = _underwriter(pages)
    draft_id = _uploaded(pages, "countries.csv", _countries_with_indonesia_raised(tmp_path))
    assert (root / ".drafts" / draft_id / "countries.csv").is_file()
    page = pages.client.get(f"/tariffs/drafts/{draft_id}")
    assert page.status_code == 200
    assert 'id="check-ok"' in page.text
    assert _changed_rows(page.text) == [
        ["countries.csv", "ID Indonesia", "accident", "0.98", "1.35"]
    ]
    assert 'id="impact-top"' in page.text and page.text.count("<svg") == 5
    # Suggested: the next version name and the first of next month.
    assert 'name="version" value="2026.3"' in page.text
    assert f'name="effective_date" value="{_next_month(_today(pages)).isoformat()}"' in page.text
    listed = pages.client.get("/tariffs")
    assert f'href="/tariffs/drafts/{draft_id}"' in listed.text
    (event,) = pages.store.events(draft_id)
    assert (event.kind, event.account_id, event.data["files"]) == (
        "tariff.draft_uploaded",
        account.id,
        ["countries.csv"],
    )


def test_a_zipped_folder_is_a_draft(pages: Pages, tmp_path: Path) -> None:
    _underwriter(pages)
    members = {f"2027.5/{f}": (TARIFF / f).read_bytes() for f in ("tariff.toml", "occupations.csv")}
    members["2027.5/countries.csv"] = _countries_with_indonesia_raised(tmp_path)
    members["2027.5/README.md"] = b"notes"
    draft_id = _uploaded(pages, "2027.5.zip", _zip(members))
    page = pages.client.get(f"/tariffs/drafts/{draft_id}")
    assert 'id="check-ok"' in page.text
    assert ["countries.csv", "ID Indonesia", "accident", "0.98", "1.35"] in _changed_rows(page.text)


def test_a_bad_draft_shows_its_problems_by_row_and_column(
    pages: Pages, root: Path, tmp_path: Path
) -> None:
    _underwriter(pages)
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copyfile(TARIFF / "countries.csv", folder / "countries.csv")
    set_cell(folder, "countries.csv", "KE", "tier", "7")
    set_cell(folder, "countries.csv", "ID", "accident", "lots")
    text = (folder / "countries.csv").read_text(encoding="utf-8").splitlines()
    ke_row = next(i for i, line in enumerate(text, start=1) if line.startswith("KE,"))
    id_row = next(i for i, line in enumerate(text, start=1) if line.startswith("ID,"))
    draft_id = _uploaded(pages, "countries.csv", (folder / "countries.csv").read_bytes())
    page = pages.client.get(f"/tariffs/drafts/{draft_id}")
    assert page.status_code == 200 and 'id="check-ok"' not in page.text
    table = re.search(r'id="check-problems">(.*?)</table>', page.text, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", table[1], re.S)
    cells = [[re.sub(r"<[^>]+>", "", c) for c in re.split(r"</td><td[^>]*>", r)] for r in rows]
    assert [c[:3] for c in cells] == [
        ["countries.csv", str(id_row), "accident"],
        ["countries.csv", str(ke_row), "tier"],
    ]
    # No publish button for a draft that fails its check, and no impact.
    assert 'id="publish"' not in page.text and 'id="impact"' not in page.text
    assert 'id="discard"' in page.text


@pytest.mark.parametrize(
    ("members", "says"),
    [
        (
            {"../countries.csv": b"x", "tariff.toml": b"x", "occupations.csv": b"x"},
            "leading out of the folder",
        ),
        ({"/etc/passwd": b"x"}, "absolute"),
        ({"a\\..\\..\\x.csv": b"x"}, "absolute or Windows"),
    ],
)
def test_an_archive_leading_out_of_its_folder_is_refused(
    pages: Pages, root: Path, members: dict[str, bytes], says: str
) -> None:
    _underwriter(pages)
    response = _upload(pages, "draft.zip", _zip(members))
    assert response.status_code == 422
    assert 'id="upload-error"' in response.text and says in response.text
    assert not (root / ".drafts").exists() or not list((root / ".drafts").iterdir())
    assert not (root / "countries.csv").exists() and not (root.parent / "countries.csv").exists()


def test_too_large_uploads_and_archives_are_refused(pages: Pages, root: Path) -> None:
    _underwriter(pages)
    big = _upload(pages, "countries.csv", b"code,alpha3," + b"x" * (5 * 2**19))
    assert big.status_code == 413 and "草稿超过 2 MB" in big.text
    # Beyond the route's body limit: the server's own 413 page.
    huge = _upload(pages, "countries.csv", b"x" * (4 * 2**20))
    assert huge.status_code == 413
    # A zip bomb: 9 MB of zeros compress to a few kB, but the archive is read within limits.
    bomb = _zip(
        {
            "tariff.toml": b"0" * (9 * 2**20),
            "countries.csv": b"x",
            "occupations.csv": b"x",
        }
    )
    assert len(bomb) < 100_000
    response = _upload(pages, "bomb.zip", bomb)
    assert response.status_code == 413 and "uncompressed" in response.text
    many = _zip({f"f{i}.txt": b"" for i in range(60)})
    assert _upload(pages, "many.zip", many).status_code == 413
    assert _upload(pages, "notes.pdf", b"%PDF-1.7").status_code == 415
    assert not (root / ".drafts").exists() or not list((root / ".drafts").iterdir())


def _json(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def _quote_request(start: dt.date) -> bytes:
    body = msgspec.json.decode(example_request())
    body["period"] = {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=364)).isoformat(),
    }
    return msgspec.json.encode(body)


def test_publish_for_next_month_from_the_web(pages: Pages, root: Path, tmp_path: Path) -> None:
    account = _underwriter(pages)
    draft_id = _uploaded(pages, "countries.csv", _countries_with_indonesia_raised(tmp_path))
    effective = _next_month(_today(pages))
    token = _token(pages, f"/tariffs/drafts/{draft_id}")
    published = pages.client.post(
        f"/tariffs/drafts/{draft_id}/publish",
        data={"_csrf": token, "version": "2027.5", "effective_date": effective.isoformat()},
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text
    assert published.headers["location"] == "/tariffs?published=2027.5#version-2027.5"
    # Written as the CLI writes it: the folder under the root, the manifest, the event.
    assert read_header(root / "2027.5") == ("2027.5", effective)
    entry = read_manifest(root)[-1]
    assert (entry.version, entry.effective_date, entry.by) == ("2027.5", effective, account.name)
    (event,) = pages.store.events("2027.5")
    assert (event.kind, event.account_id, event.data["effective_date"]) == (
        "tariff.published",
        account.id,
        effective.isoformat(),
    )
    assert pages.client.get(f"/tariffs/drafts/{draft_id}").status_code == 404
    listed = pages.client.get("/tariffs")
    assert '<tr id="version-2027.5" class="state-future">' in listed.text

    # No restart: today's quotes still price under 2026.2, quotes as of the effective date
    # under 2027.5.
    broker = pages.store.create_account("broker", "broker", "0.15")[1]
    body = _quote_request(effective)
    today = pages.client.post("/api/v1/quotes", content=body, headers=_json(broker))
    assert today.status_code == 201, today.text
    assert today.json()["tariff"]["version"] == "2026.2"
    ctx = Context(clock=pages.settings.clock, tariff_root=root)
    _request, later = price_offline(ctx, OfflineQuote(body, as_of=effective))
    assert later.tariff.version == "2027.5"
    _request, before = price_offline(
        ctx, OfflineQuote(body, as_of=effective - dt.timedelta(days=1))
    )
    assert before.tariff.version == "2026.2"
    assert Decimal(later.total_premium) != Decimal(before.total_premium)


def test_publish_refusals_show_on_the_draft(pages: Pages, tmp_path: Path) -> None:
    _underwriter(pages)
    draft_id = _uploaded(pages, "countries.csv", _countries_with_indonesia_raised(tmp_path))
    token = _token(pages, f"/tariffs/drafts/{draft_id}")
    url = f"/tariffs/drafts/{draft_id}/publish"
    past = (_today(pages) - dt.timedelta(days=1)).isoformat()
    refused = pages.client.post(
        url, data={"_csrf": token, "version": "2027.5", "effective_date": past}
    )
    assert refused.status_code == 409 and 'id="publish-error"' in refused.text
    assert 'value="2027.5"' in refused.text  # the form as typed
    taken = pages.client.post(
        url,
        data={
            "_csrf": token,
            "version": "2026.2",
            "effective_date": _next_month(_today(pages)).isoformat(),
        },
    )
    assert taken.status_code == 409 and "2026.2" in taken.text
    bad = pages.client.post(
        url, data={"_csrf": token, "version": "2027.5", "effective_date": "soon"}
    )
    assert bad.status_code == 422
    unsafe = pages.client.post(
        url,
        data={
            "_csrf": token,
            "version": "../x",
            "effective_date": _next_month(_today(pages)).isoformat(),
        },
    )
    assert unsafe.status_code == 422 and 'id="publish-problems"' in unsafe.text
    assert pages.client.get(f"/tariffs/drafts/{draft_id}").status_code == 200


def test_a_running_server_never_prices_with_a_draft(pages: Pages, tmp_path: Path) -> None:
    _underwriter(pages)
    today = _today(pages)
    # A valid draft that says it is effective today.
    toml = (TARIFF / "tariff.toml").read_text(encoding="utf-8")
    toml = toml.replace('version = "2026.2"', 'version = "2099.1"').replace(
        "2026-10-01", today.isoformat(), 1
    )
    members = {
        "tariff.toml": toml.encode(),
        "occupations.csv": (TARIFF / "occupations.csv").read_bytes(),
    }
    members["countries.csv"] = _countries_with_indonesia_raised(tmp_path)
    draft_id = _uploaded(pages, "draft.zip", _zip(members))
    assert 'id="check-ok"' in pages.client.get(f"/tariffs/drafts/{draft_id}").text
    broker = pages.store.create_account("broker", "broker", "0.15")[1]
    quote = pages.client.post(
        "/api/v1/quotes",
        content=_quote_request(_next_month(today)),
        headers=_json(broker),
    )
    assert quote.status_code == 201, quote.text
    assert quote.json()["tariff"]["version"] == "2026.2"
    assert registry_for(pages.settings.tariff_root).in_force(today).version == "2026.2"


def test_discard(pages: Pages, root: Path, tmp_path: Path) -> None:
    _underwriter(pages, role="admin")
    draft_id = _uploaded(pages, "countries.csv", _countries_with_indonesia_raised(tmp_path))
    token = _token(pages, f"/tariffs/drafts/{draft_id}")
    gone = pages.client.post(
        f"/tariffs/drafts/{draft_id}/discard", data={"_csrf": token}, follow_redirects=False
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/tariffs"
    assert pages.client.get(f"/tariffs/drafts/{draft_id}").status_code == 404
    assert list((root / ".drafts").iterdir()) == []
    assert [e.kind for e in pages.store.events(draft_id)] == [
        "tariff.draft_uploaded",
        "tariff.draft_discarded",
    ]


def test_agents_are_refused_and_visitors_sign_in(pages: Pages) -> None:
    anonymous = pages.client.get("/tariffs", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/signin?next=/tariffs"
    _underwriter(pages, role="agent")
    for path in (
        "/tariffs",
        "/tariffs/diff?old=2026.2&new=2026.2",
        "/tariffs/impact?old=2026.2&new=2026.2",
    ):
        assert pages.client.get(path).status_code == 403, path
    page = pages.client.get("/quotes")
    token = TOKEN.search(page.text)
    assert token is not None
    refused = _upload(pages, "countries.csv", b"code,alpha3,\n", token=token[1])
    assert refused.status_code == 403


def test_forms_without_their_token_are_refused(pages: Pages, root: Path, tmp_path: Path) -> None:
    _underwriter(pages)
    response = pages.client.post(
        "/tariffs/drafts",
        data={},
        files={"draft": ("countries.csv", _countries_with_indonesia_raised(tmp_path))},
    )
    assert response.status_code == 403
    assert not (root / ".drafts").exists()
    draft_id = _uploaded(pages, "countries.csv", _countries_with_indonesia_raised(tmp_path))
    for action in ("publish", "discard"):
        assert pages.client.post(f"/tariffs/drafts/{draft_id}/{action}", data={}).status_code == 403
    assert pages.client.get(f"/tariffs/drafts/{draft_id}").status_code == 200


def test_an_invalid_folder_under_the_root_gets_its_problems_not_a_server_error(
    pages: Pages, root: Path
) -> None:
    """Someone copied a folder under the tariff root and broke it: its impact page is a 422
    that lists the problem by file, row and column (the diff still shows its cells)."""
    _underwriter(pages)
    countries = (TARIFF / "countries.csv").read_bytes()
    broken = countries.replace(
        "Republic of Indonesia; 印尼,2,0.98,".encode(),
        "Republic of Indonesia; 印尼,7,0.98,".encode(),
    )
    assert broken != countries
    _version_in(root, "2030.1", dt.date(2030, 1, 1), broken)
    page = pages.client.get("/tariffs/impact?old=2026.2&new=2030.1")
    assert page.status_code == 422
    assert 'id="tariff-problems"' in page.text
    assert re.search(r"countries\.csv row \d+, column tier", page.text), page.text
    assert pages.client.get("/tariffs/diff?old=2026.2&new=2030.1").status_code == 200
