"""Tariff drafts uploaded on the web: an underwriter who does not use git uploads a version
folder as a zip, or one edited ``countries.csv`` / ``occupations.csv`` / ``tariff.toml`` on
top of the version in force; the draft is kept until it is published or discarded.

Where drafts live: a folder ``.drafts/`` in the tariff root, one sub-folder per draft
holding the three data files and ``draft.json`` (who, when, from what). The registry never
looks into a folder whose name starts with a dot, so a running server never prices with a
draft; the root is also where every process already reads the published versions (and
where publishing writes), so every process sees the same drafts, and the check, the diff,
the impact and the publication work on the draft's folder as they work on any other.

Uploads are bounded: at most :data:`MAX_DRAFT_BYTES` uploaded; an archive of at most
:data:`MAX_MEMBERS` members and :data:`MAX_UNCOMPRESSED_BYTES` uncompressed, read member by
member with a bounded read (the sizes an archive declares are not trusted); a member with
an absolute path, ``..``, a backslash, a drive, a link or encryption is refused, and only
the three data files are ever written, under their own names (nothing is extracted).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import secrets
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import msgspec

from quoting.errors import (
    DraftError,
    NotFound,
    Problem,
    TariffError,
    TooLarge,
    UnsupportedMediaType,
)
from quoting.services._context import Context
from quoting.services.exposure import require_underwriter
from quoting.services.tariffs import Published, PublishVersion, publish_version
from quoting.store import UnitOfWorkFactory
from quoting.tariff.diff import TariffDiff, diff_file_sets
from quoting.tariff.files import DATA_FILES, load_tariff, read_file_set, read_header
from quoting.tariff.registry import registry_for

__all__ = [
    "DRAFTS_FOLDER",
    "MAX_DRAFT_BYTES",
    "MAX_MEMBERS",
    "MAX_UNCOMPRESSED_BYTES",
    "Draft",
    "DraftReview",
    "DraftUpload",
    "discard_draft",
    "get_draft",
    "list_drafts",
    "publish_draft",
    "review_draft",
    "upload_draft",
]

DRAFTS_FOLDER = ".drafts"
#: The largest upload (the shipped version folder zips to about 40 kB, its countries.csv
#: is about 100 kB).
MAX_DRAFT_BYTES = 2 * 2**20
#: The most an archive may hold uncompressed (all members together), and its most members.
MAX_UNCOMPRESSED_BYTES = 8 * 2**20
MAX_MEMBERS = 50
_ID = re.compile(r"d_[0-9a-f]{16}")
#: A version name becomes a folder name: letters, digits, '.', '_', '-' (not first).
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,39}")
_META = "draft.json"
_ZIP_MAGIC = b"PK\x03\x04"
#: How a CSV table is recognised when its file has another name: its header's start.
_CSV_HEADERS = {"code,alpha3,": "countries.csv", "code,class,": "occupations.csv"}


@dataclass(frozen=True, slots=True)
class DraftUpload:
    """An uploaded file as the browser named it, and its bytes."""

    filename: str
    data: bytes


class _Meta(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    uploaded_by: str
    uploaded_at: dt.datetime
    filename: str
    base_version: str | None
    uploaded_files: list[str]


@dataclass(frozen=True, slots=True)
class Draft:
    """A stored draft: its folder, who uploaded what and when, the version it was put on
    (None for a whole folder) and the data files that came from the upload."""

    id: str
    folder: Path
    uploaded_by: str
    uploaded_at: dt.datetime
    filename: str
    base_version: str | None
    uploaded_files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DraftReview:
    """What the draft page shows: the draft's header (None when unreadable), its check
    (no problems: it can be published), its diff against the version in force, and the
    version name and effective date suggested for publishing it."""

    draft: Draft
    in_force: str
    version: str | None
    effective_date: dt.date | None
    problems: list[Problem]
    diff: TariffDiff | None
    suggested_version: str
    suggested_effective: dt.date

    @property
    def valid(self) -> bool:
        """The draft passes the full check."""
        return not self.problems


def drafts_root(ctx: Context) -> Path:
    """The folder of the drafts (in the tariff root, hidden from the registry)."""
    return Path(ctx.tariff_root) / DRAFTS_FOLDER


def upload_draft(uow: UnitOfWorkFactory, ctx: Context, upload: DraftUpload) -> Draft:
    """Store an uploaded draft and write ``tariff.draft_uploaded``. A zip is a whole
    version folder; one data file replaces that file of the version in force.

    Raises :class:`TooLarge`, :class:`UnsupportedMediaType` or :class:`DraftError` (each
    problem naming the file or archive member); nothing is stored then."""
    require_underwriter(ctx, "Uploading a tariff draft")
    account = ctx.acting()
    if len(upload.data) > MAX_DRAFT_BYTES:
        raise TooLarge(f"A tariff draft has at most {MAX_DRAFT_BYTES // 2**20} MB.")
    name = PurePosixPath(upload.filename.replace("\\", "/")).name or "upload"
    base_version: str | None = None
    if name.lower().endswith(".zip") or upload.data.startswith(_ZIP_MAGIC):
        files = _archive_files(name, upload.data)
    else:
        file = _data_file_name(name, upload.data)
        in_force = registry_for(ctx.tariff_root).in_force(ctx.today())
        base_version = in_force.version
        base = Path(in_force.path)
        files = {f: (base / f).read_bytes() for f in DATA_FILES}
        files[file] = _text(name, upload.data)
    uploaded = [f for f in DATA_FILES if base_version is None or f == file]
    meta = _Meta(
        id=f"d_{secrets.token_hex(8)}",
        uploaded_by=account.name,
        uploaded_at=ctx.now(),
        filename=name,
        base_version=base_version,
        uploaded_files=uploaded,
    )
    _store(drafts_root(ctx), meta, files)
    with uow() as work:
        work.events.add(
            ctx.event(
                "tariff.draft_uploaded",
                meta.id,
                filename=name,
                base_version=base_version,
                files=uploaded,
            )
        )
        work.commit()
    return _draft(drafts_root(ctx) / meta.id, meta)


def _text(name: str, data: bytes) -> bytes:
    """``data`` if it is UTF-8 text (a BOM is dropped), else :class:`DraftError`."""
    try:
        return data.decode("utf-8-sig").encode("utf-8")
    except UnicodeDecodeError:
        raise DraftError(Problem("is not UTF-8 text", file=name)) from None


def _data_file_name(name: str, data: bytes) -> str:
    """Which data file one uploaded file is: by its name, else by its kind and header."""
    lower = name.lower()
    if lower in DATA_FILES:
        return lower
    if lower.endswith(".toml"):
        return "tariff.toml"
    if lower.endswith(".csv"):
        head = data[:64].decode("utf-8-sig", errors="replace").replace(" ", "").lower()
        for start, file in _CSV_HEADERS.items():
            if head.startswith(start):
                return file
        raise DraftError(
            Problem(
                "is neither the country table (columns code, alpha3, …) nor the occupations "
                "(code, class, …); name it countries.csv or occupations.csv",
                file=name,
                row=1,
            )
        )
    raise UnsupportedMediaType(
        "Upload a .zip of a version folder, or countries.csv, occupations.csv or tariff.toml."
    )


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why an archive member may not be taken (None: it may)."""
    member = info.filename
    parts = PurePosixPath(member).parts
    if "\\" in member or member.startswith("/") or re.match(r"[A-Za-z]:", member):
        return "an absolute or Windows path"
    if ".." in parts:
        return "a path leading out of the folder ('..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a link"
    if info.flag_bits & 0x1:
        return "encrypted"
    return None


def _archive_files(name: str, data: bytes) -> dict[str, bytes]:
    """The three data files of a zipped version folder (at the top or in one folder)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise DraftError(Problem("is not a readable zip archive", file=name)) from None
    if len(members) > MAX_MEMBERS:
        raise TooLarge(
            f"{name} has {len(members)} members; a draft archive has at most {MAX_MEMBERS}."
        )
    if sum(i.file_size for i in members) > MAX_UNCOMPRESSED_BYTES:
        raise TooLarge(_too_large(name))
    problems: list[Problem] = []
    for info in members:
        why = _unsafe(info)
        if why is not None:
            problems.append(Problem(f"refused: {why}", file=f"{name}: {info.filename}"))
    if problems:
        raise DraftError(problems)
    return _read_members(name, archive, members)


def _too_large(name: str) -> str:
    return f"{name} holds more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB uncompressed."


def _read_members(
    name: str, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    seen: set[str] = set()
    problems: list[Problem] = []
    budget = MAX_UNCOMPRESSED_BYTES
    for info in members:
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or not parts or parts[-1] not in DATA_FILES:
            continue  # another file of the folder (a README): not part of the tariff
        where = f"{name}: {info.filename}"
        if len(parts) > 2:
            problems.append(
                Problem("must lie at the top of the archive or in one folder", file=where)
            )
            continue
        if parts[-1] in seen:
            problems.append(Problem(f"a second {parts[-1]}", file=where))
            continue
        try:
            with archive.open(info) as member:
                content = member.read(budget + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
            problems.append(Problem(f"cannot be read: {exc}", file=where))
            continue
        budget -= len(content)
        if budget < 0:
            raise TooLarge(_too_large(name))
        seen.add(parts[-1])
        try:
            files[parts[-1]] = _text(where, content)
        except DraftError as exc:
            problems += exc.problems
    missing = [f for f in DATA_FILES if f not in seen]
    if missing:
        problems.append(Problem(f"has no {', '.join(missing)}", file=name))
    if problems:
        raise DraftError(problems)
    return files


def _store(root: Path, meta: _Meta, files: dict[str, bytes]) -> None:
    """Write a draft under a hidden name, then rename it into place (all of it or none)."""
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".new-{meta.id}"
    staging.mkdir()
    try:
        for file, content in files.items():
            (staging / file).write_bytes(content)
        (staging / _META).write_bytes(msgspec.json.encode(meta))
        os.rename(staging, root / meta.id)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _draft(folder: Path, meta: _Meta) -> Draft:
    return Draft(
        meta.id,
        folder,
        meta.uploaded_by,
        meta.uploaded_at,
        meta.filename,
        meta.base_version,
        tuple(meta.uploaded_files),
    )


def list_drafts(ctx: Context) -> list[Draft]:
    """The stored drafts, newest first."""
    require_underwriter(ctx, "Tariff drafts")
    root = drafts_root(ctx)
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if _ID.fullmatch(folder.name) and (folder / _META).is_file():
            meta = msgspec.json.decode((folder / _META).read_bytes(), type=_Meta)
            found.append(_draft(folder, meta))
    return sorted(found, key=lambda d: d.uploaded_at, reverse=True)


def get_draft(ctx: Context, draft_id: str) -> Draft:
    """The draft ``draft_id``; :class:`NotFound` when there is none (any more)."""
    require_underwriter(ctx, "Tariff drafts")
    folder = drafts_root(ctx) / draft_id
    if not _ID.fullmatch(draft_id) or not (folder / _META).is_file():
        raise NotFound(f"No tariff draft {draft_id!r} (published or discarded?).")
    return _draft(folder, msgspec.json.decode((folder / _META).read_bytes(), type=_Meta))


def review_draft(ctx: Context, draft_id: str) -> DraftReview:
    """The draft's check, its diff against the version in force and what to publish it as."""
    draft = get_draft(ctx, draft_id)
    registry = registry_for(ctx.tariff_root)
    in_force = registry.in_force(ctx.today())
    problems: list[Problem] = []
    try:
        load_tariff(draft.folder)
    except TariffError as exc:
        problems = exc.problems
    try:
        version, effective = read_header(draft.folder)
    except TariffError:
        version, effective = None, None
    try:
        old = read_file_set(Path(in_force.path), in_force.version)
        diff = diff_file_sets(old, read_file_set(draft.folder, f"draft {draft.id}"))
    except TariffError as exc:
        diff = None
        problems = problems or exc.problems
    return DraftReview(
        draft,
        in_force.version,
        version,
        effective,
        problems,
        diff,
        _suggested_version(ctx, version or in_force.version),
        _suggested_effective(ctx),
    )


def _suggested_version(ctx: Context, name: str) -> str:
    """``name`` if no version has it yet, else the next free ``YYYY.N`` (or ``name-N``)."""
    taken = {v for v, _ in registry_for(ctx.tariff_root).versions_on_file()}
    if name not in taken:
        return name
    match = re.fullmatch(r"(\d{4})\.(\d+)", name)
    stem, n = (match[1] + ".", int(match[2])) if match else (name + "-", 1)
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def _suggested_effective(ctx: Context) -> dt.date:
    """The first of next month, or of the month after the latest version's date."""
    dates = [e for _, e in registry_for(ctx.tariff_root).versions_on_file()]
    after = max([ctx.today(), *dates])
    return (after.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def publish_draft(
    uow: UnitOfWorkFactory, ctx: Context, draft_id: str, version: str, effective: dt.date
) -> Published:
    """Publish a draft as ``version`` effective ``effective`` — the same service as
    ``quoting tariff publish --effective`` (checked, copied in atomically, recorded in the
    manifest, event ``tariff.published``) — then remove the draft."""
    draft = get_draft(ctx, draft_id)
    by = ctx.acting().name
    if not _VERSION.fullmatch(version):
        raise DraftError(
            Problem(
                "a version name has 1 to 40 letters, digits, '.', '_' or '-', and starts "
                "with a letter or digit",
                path=("version",),
            )
        )
    published = publish_version(
        ctx, PublishVersion(draft.folder, by, effective=effective, version=version), uow
    )
    _remove(draft.folder)
    return published


def discard_draft(uow: UnitOfWorkFactory, ctx: Context, draft_id: str) -> None:
    """Remove a draft and write ``tariff.draft_discarded``."""
    draft = get_draft(ctx, draft_id)
    _remove(draft.folder)
    with uow() as work:
        work.events.add(ctx.event("tariff.draft_discarded", draft.id, filename=draft.filename))
        work.commit()


def _remove(folder: Path) -> None:
    """Rename the draft away first (it disappears at once for every process), then delete."""
    gone = folder.with_name(f".gone-{folder.name}-{secrets.token_hex(4)}")
    try:
        os.rename(folder, gone)
    except FileNotFoundError:
        return
    shutil.rmtree(gone, ignore_errors=True)
