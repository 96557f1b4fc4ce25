"""The drafts service on an in-memory store: what an uploaded archive or file may be, and
what is refused before anything is stored (links, encryption, nesting, missing files, text
that is not UTF-8, a CSV of another name recognised by its header), and who may upload."""

from __future__ import annotations

import datetime as dt
import io
import stat
import zipfile
from pathlib import Path

import pytest

from quoting.clock import FixedClock
from quoting.errors import DraftError, Forbidden, NotFound, TooLarge
from quoting.services import Context
from quoting.services.tariff_drafts import (
    DraftUpload,
    get_draft,
    list_drafts,
    review_draft,
    upload_draft,
)
from quoting.store import Account
from quoting.store.memory import InMemoryDatabase
from tests.support import TARIFF_DIR, root_with_2026_2

NOW = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
UNDERWRITER = Account("acc_uw", "张核保", "underwriter", None, NOW, False)
AGENT = Account("acc_agent", "王伟", "agent", None, NOW, False)
FILES = {
    f: (TARIFF_DIR / f).read_bytes() for f in ("tariff.toml", "countries.csv", "occupations.csv")
}


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context(
        clock=FixedClock.on(dt.date(2026, 11, 29)),
        tariff_root=root_with_2026_2(tmp_path),
        account=UNDERWRITER,
    )


def _zip(members: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _refused(ctx: Context, name: str, data: bytes) -> list[str]:
    before = list_drafts(ctx)
    with pytest.raises(DraftError) as caught:
        upload_draft(InMemoryDatabase().unit_of_work, ctx, DraftUpload(name, data))
    assert list_drafts(ctx) == before  # nothing stored
    return [f"{p.file}: {p.message}" for p in caught.value.problems]


def test_a_whole_folder_at_the_top_or_in_one_folder(ctx: Context) -> None:
    db = InMemoryDatabase()
    for prefix in ("", "2027.1/"):
        members = {prefix + f: c for f, c in FILES.items()}
        draft = upload_draft(db.unit_of_work, ctx, DraftUpload("v.zip", _zip(members)))
        assert draft.base_version is None and draft.uploaded_files == tuple(FILES)
        assert review_draft(ctx, draft.id).valid
    assert len(list_drafts(ctx)) == 2
    with db.unit_of_work() as work:
        kinds = [e.kind for e in work.events.all(None)]
    assert kinds == ["tariff.draft_uploaded", "tariff.draft_uploaded"]


def test_unsafe_or_incomplete_archives_are_refused(ctx: Context) -> None:
    assert _refused(ctx, "v.zip", _zip(FILES, link="evil")) == ["v.zip: evil: refused: a link"]
    nested = {f"a/b/{f}": c for f, c in FILES.items()}
    problems = _refused(ctx, "v.zip", _zip(nested))
    assert (
        problems[0] == "v.zip: a/b/tariff.toml: must lie at the top of the archive or in one folder"
    )
    assert problems[-1] == "v.zip: has no tariff.toml, countries.csv, occupations.csv"
    assert _refused(ctx, "v.zip", _zip({"tariff.toml": FILES["tariff.toml"]})) == [
        "v.zip: has no countries.csv, occupations.csv"
    ]
    latin = {**FILES, "countries.csv": "code,name\nFR,Côte".encode("latin-1")}
    assert _refused(ctx, "v.zip", _zip(latin)) == ["v.zip: countries.csv: is not UTF-8 text"]
    assert _refused(ctx, "v.zip", b"PK\x03\x04 not really") == [
        "v.zip: is not a readable zip archive"
    ]
    # The general-purpose flag "encrypted" of the first member, in its local and its
    # central directory header.
    encrypted = bytearray(_zip(FILES))
    encrypted[6] |= 0x1
    encrypted[encrypted.find(b"PK\x01\x02") + 8] |= 0x1
    assert _refused(ctx, "v.zip", bytes(encrypted))[0].endswith("refused: encrypted")


def test_one_file_replaces_that_file_of_the_version_in_force(ctx: Context) -> None:
    db = InMemoryDatabase()
    # A CSV saved under another name is recognised by its header.
    draft = upload_draft(
        db.unit_of_work,
        ctx,
        DraftUpload("国家表 (1).csv", b"\xef\xbb\xbf" + FILES["countries.csv"]),
    )
    assert draft.base_version == "2026.2" and draft.uploaded_files == ("countries.csv",)
    # The BOM is dropped; the draft is then the version in force byte for byte.
    review = review_draft(ctx, draft.id)
    assert review.valid and review.diff is not None and review.diff.identical
    assert review.suggested_version == "2026.3"
    assert review.suggested_effective == dt.date(2026, 12, 1)
    assert _refused(ctx, "notes.csv", b"name,value\n") == [
        "notes.csv: is neither the country table (columns code, alpha3, …) nor the "
        "occupations (code, class, …); name it countries.csv or occupations.csv"
    ]


def test_limits_and_roles(ctx: Context) -> None:
    db = InMemoryDatabase()
    with pytest.raises(TooLarge):
        upload_draft(db.unit_of_work, ctx, DraftUpload("x.csv", b"x" * (2 * 2**20 + 1)))
    agent = Context(clock=ctx.clock, tariff_root=ctx.tariff_root, account=AGENT)
    with pytest.raises(Forbidden):
        upload_draft(db.unit_of_work, agent, DraftUpload("countries.csv", FILES["countries.csv"]))
    with pytest.raises(Forbidden):
        list_drafts(agent)
    for unknown in ("d_0000000000000000", "../2026.2", "d_../../x"):
        with pytest.raises(NotFound):
            get_draft(ctx, unknown)
