"""Publishing with the effective date chosen at publication (`quoting tariff publish DIR
--effective DATE`, and the web publish of a draft, which also names the version): the
published copy carries the date, the draft folder is left as it was, and the refusals
(past date, a date or version already taken, an invalid folder) hold as without it."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from quoting.cli import main
from quoting.clock import Clock
from quoting.errors import PublishRefused, TariffError
from quoting.services.tariffs import PublishVersion, publish_version
from quoting.tariff.files import content_hash, load_tariff, read_header, read_manifest
from quoting.tariff.registry import registry_for
from tests.support import root_with_2026_2
from tests.unit.test_tariff_tools import ctx_on, new_version, set_cell

DAY = dt.date(2026, 11, 29)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return root_with_2026_2(tmp_path)


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    # The folder says 2027-01-01; publication chooses the date.
    folder = new_version(tmp_path, "2027.1", "2027-01-01")
    set_cell(folder, "countries.csv", "ID", "accident", "1.35")
    return folder


def test_the_effective_date_is_set_in_the_published_copy(root: Path, draft: Path) -> None:
    before = content_hash(draft)
    command = PublishVersion(draft, "li.na", effective=dt.date(2027, 2, 1))
    published = publish_version(ctx_on(root, DAY), command)
    assert published.created and published.folder == root / "2027.1"
    assert read_header(published.folder) == ("2027.1", dt.date(2027, 2, 1))
    # The hash recorded is that of the files as published; the draft is untouched.
    assert published.publication.content_hash == content_hash(published.folder) != before
    assert content_hash(draft) == before and read_header(draft)[1] == dt.date(2027, 1, 1)
    (_, entry) = read_manifest(root)
    assert (entry.version, entry.effective_date, entry.by) == (
        "2027.1",
        dt.date(2027, 2, 1),
        "li.na",
    )
    assert registry_for(root).in_force(dt.date(2027, 2, 1)).version == "2027.1"
    assert registry_for(root).in_force(dt.date(2027, 1, 31)).version == "2026.2"
    # Nothing is left behind in the root but the version, the manifest and the lock.
    assert sorted(p.name for p in root.iterdir()) == [
        ".publish.lock",
        "2026.2",
        "2027.1",
        "published.toml",
    ]
    # Only the header lines changed.
    assert load_tariff(published.folder).countries == load_tariff(draft).countries


def test_a_version_name_can_be_given_too(root: Path, draft: Path) -> None:
    command = PublishVersion(draft, "li.na", effective=dt.date(2027, 3, 1), version="2027.3")
    published = publish_version(ctx_on(root, DAY), command)
    assert published.folder == root / "2027.3"
    assert read_header(published.folder) == ("2027.3", dt.date(2027, 3, 1))


@pytest.mark.parametrize(
    ("effective", "version", "says"),
    [
        (DAY - dt.timedelta(days=1), None, "before today"),
        (dt.date(2026, 10, 1), None, "not after the latest published version"),
        (dt.date(2027, 2, 1), "2026.2", "was published on"),
    ],
)
def test_refusals_hold_with_a_chosen_date(
    root: Path, draft: Path, effective: dt.date, version: str | None, says: str
) -> None:
    manifest = (root / "published.toml").read_bytes()
    with pytest.raises(PublishRefused, match=says):
        publish_version(
            ctx_on(root, DAY), PublishVersion(draft, "x", effective=effective, version=version)
        )
    assert (root / "published.toml").read_bytes() == manifest
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [
        "2026.2",
        "published.toml",
    ]


def test_an_invalid_folder_is_refused_with_its_problems(root: Path, draft: Path) -> None:
    set_cell(draft, "countries.csv", "KE", "tier", "7")
    with pytest.raises(TariffError) as caught:
        publish_version(
            ctx_on(root, DAY), PublishVersion(draft, "x", effective=dt.date(2027, 2, 1))
        )
    (problem,) = caught.value.problems
    assert (problem.file, problem.column) == ("countries.csv", "tier")
    with pytest.raises(TariffError, match="not a tariff folder"):
        publish_version(
            ctx_on(root, DAY), PublishVersion(root / "nothing", "x", effective=dt.date(2027, 2, 1))
        )


def test_the_command_takes_effective(
    root: Path, draft: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import StoreProbe

    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    monkeypatch.setenv("QUOTING_DATABASE_URL", url)
    # The command judges dates on the business date of its clock.
    effective = Clock.from_env().today() + dt.timedelta(days=45)
    out, err = io.StringIO(), io.StringIO()
    argv = ["tariff", "publish", str(draft), "--root", str(root), "--by", "li.na"]
    code = main([*argv, "--effective", effective.isoformat()], out, err)
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith(f"published: tariff 2027.1 effective {effective}")
    assert read_header(root / "2027.1")[1] == effective
    probe = StoreProbe(url)
    with probe.uow() as work:
        (event,) = work.events.all("2027.1")
    probe.dispose()
    assert (event.kind, event.data["effective_date"]) == ("tariff.published", effective.isoformat())
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--effective", "2027-13-01"], io.StringIO(), io.StringIO())
    assert exited.value.code == 2
