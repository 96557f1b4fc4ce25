"""The underwriter's tariff tools: find a version folder, compare two versions, publish a
version (validated, immutable from then on, recorded in the manifest and the events)."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from quoting.errors import Problem, PublishRefused, TariffError
from quoting.services._context import Context
from quoting.store import UnitOfWorkFactory
from quoting.tariff import Tariff
from quoting.tariff.diff import TariffDiff, diff_file_sets
from quoting.tariff.files import (
    TOML,
    Publication,
    content_hash,
    load_tariff,
    read_file_set,
    read_header,
    read_manifest,
    with_header,
    write_manifest,
)
from quoting.tariff.registry import registry_for

__all__ = [
    "PublishVersion",
    "Published",
    "VersionInfo",
    "diff_versions",
    "list_versions",
    "publish_version",
    "version_folder",
]


def version_folder(root: Path, name: str | Path) -> Path:
    """A tariff folder given as a path, or as the name of a version under ``root``.

    Raises :class:`TariffError` naming it when it is neither.
    """
    path = Path(name)
    if (path / "tariff.toml").is_file():
        return path
    if os.sep in str(name) or path.exists():
        raise TariffError(Problem("is not a tariff folder (no tariff.toml in it)", file=str(name)))
    return registry_for(root).folder(str(name))


def diff_versions(root: Path, old: str | Path, new: str | Path) -> TariffDiff:
    """Every difference between two versions (folders or version names under ``root``);
    the files are parsed, not validated, so a draft can be compared while it is edited."""
    old_folder, new_folder = version_folder(root, old), version_folder(root, new)
    return diff_file_sets(
        read_file_set(old_folder, _label(old_folder)), read_file_set(new_folder, _label(new_folder))
    )


def _label(folder: Path) -> str:
    """A folder's version name (its folder name if the header cannot be read)."""
    try:
        return read_header(folder)[0]
    except TariffError:
        return folder.name


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A version folder under the root: its header, its publication (None: not published)
    and whether it is the one in force on the business date."""

    version: str
    effective_date: dt.date
    folder: Path
    publication: Publication | None
    in_force: bool


def list_versions(ctx: Context) -> list[VersionInfo]:
    """Every version folder under the tariff root, oldest effective date first (from
    their headers and the manifest; nothing is validated)."""
    registry = registry_for(ctx.tariff_root)
    published = registry.published()
    on_file = registry.versions_on_file()
    today = ctx.today()
    current = max((e for _, e in on_file if e <= today), default=None)
    return [
        VersionInfo(v, e, registry.folder(v), published.get(v), e == current) for v, e in on_file
    ]


@dataclass(frozen=True, slots=True)
class PublishVersion:
    """Publish the tariff folder ``folder`` (anywhere; copied into the tariff root when it
    is not there yet) as recorded by ``by`` (the account's name when there is one).

    ``effective`` (and ``version``), when given, are set in the published copy's
    ``tariff.toml`` (the folder itself is left as it is), so an underwriter chooses the
    date at publication; the content hash is that of the copy as published."""

    folder: Path
    by: str
    effective: dt.date | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Published:
    """The publication recorded, where the version lies now, and whether this call
    published it (False: the same content was published before)."""

    publication: Publication
    folder: Path
    created: bool


def publish_version(
    ctx: Context, command: PublishVersion, uow: UnitOfWorkFactory | None = None
) -> Published:
    """Validate a version (the full ``tariff check``) and publish it under ``ctx.tariff_root``:
    its folder is copied in (atomically: a running server sees all of it or none) and its
    content hash recorded in the root's manifest, after which the registry refuses it if
    edited. With ``uow``, a ``tariff.published`` event is written.

    Refused (:class:`PublishRefused`) when the version exists with other content, when its
    effective date is before the business date, not after the latest published version's,
    or that of another version folder; :class:`TariffError` lists validation problems.
    Publishing the same content again changes nothing (``created=False``).
    """
    root = Path(ctx.tariff_root)
    if command.effective is None and command.version is None:
        tariff = load_tariff(command.folder)
        with _publishing_lock(root):
            return _publish(ctx, root, tariff, command, uow)
    with _with_header(root, command) as staged:
        tariff = load_tariff(staged)
        with _publishing_lock(root):
            return _publish(ctx, root, tariff, replace(command, folder=staged), uow)


@contextlib.contextmanager
def _with_header(root: Path, command: PublishVersion) -> Iterator[Path]:
    """A copy of the folder with the version and effective date of ``command`` set, under a
    hidden name in the root (the registry ignores it; publishing then renames a copy of
    it into place), removed afterwards."""
    source = Path(command.folder)
    if not (source / TOML).is_file():
        raise TariffError(
            Problem("is not a tariff folder (no tariff.toml in it)", file=str(source))
        )
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=root) as staging:
        staged = Path(staging) / "version"
        shutil.copytree(source, staged)
        toml = staged / TOML
        text = toml.read_text(encoding="utf-8-sig")
        toml.write_text(
            with_header(text, version=command.version, effective=command.effective),
            encoding="utf-8",
        )
        yield staged


@contextlib.contextmanager
def _publishing_lock(root: Path) -> Iterator[None]:
    """One publication at a time per root (the manifest is read, extended and replaced)."""
    with (root / ".publish.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _publish(
    ctx: Context,
    root: Path,
    tariff: Tariff,
    command: PublishVersion,
    uow: UnitOfWorkFactory | None,
) -> Published:
    publications = read_manifest(root)
    earlier = next((p for p in publications if p.version == tariff.version), None)
    if earlier is not None:
        if earlier.content_hash != tariff.content_hash:
            raise PublishRefused(
                f"Tariff {tariff.version} was published on {earlier.published_at:%Y-%m-%d} "
                f"with other content ({earlier.content_hash}); published versions never "
                "change — give this one a new version name."
            )
        return Published(earlier, _target_folder(root, tariff), False)
    target = _target_folder(root, tariff)
    _check_dates(ctx, root, tariff, publications)
    if not target.exists():
        _copy_in(command.folder, target, tariff.content_hash)
    publication = Publication(
        tariff.version, tariff.effective_date, tariff.content_hash, ctx.now(), command.by
    )
    write_manifest(root, [*publications, publication])
    if uow is not None:
        with uow() as work:
            work.events.add(
                ctx.event(
                    "tariff.published",
                    tariff.version,
                    effective_date=tariff.effective_date.isoformat(),
                    content_hash=tariff.content_hash,
                    by=command.by,
                )
            )
            work.commit()
    return Published(publication, target, True)


def _target_folder(root: Path, tariff: Tariff) -> Path:
    """Where the version lies under the root: its existing folder (which must hold the same
    content), else ``root/<version>``."""
    try:
        existing = registry_for(root).folder(tariff.version)
    except TariffError:
        existing = root / tariff.version
        if existing.exists() and content_hash_or_none(existing) is None:
            raise PublishRefused(
                f"{existing} exists and is not a tariff folder; move it away first."
            ) from None
    if existing.exists() and content_hash_or_none(existing) != tariff.content_hash:
        raise PublishRefused(
            f"Tariff version {tariff.version} already exists in {existing} with other content; "
            "give the new version another name (tariff.toml [tariff] version)."
        )
    return existing


def content_hash_or_none(folder: Path) -> str | None:
    """The folder's content hash, None if a data file is missing."""
    try:
        return content_hash(folder)
    except OSError:
        return None


def _check_dates(ctx: Context, root: Path, tariff: Tariff, publications: list[Publication]) -> None:
    effective = tariff.effective_date
    latest = max(publications, key=lambda p: p.effective_date, default=None)
    if latest is not None and effective <= latest.effective_date:
        raise PublishRefused(
            f"Tariff {tariff.version} is effective from {effective}, not after the latest "
            f"published version {latest.version} (effective {latest.effective_date}); "
            "choose a later effective date."
        )
    today = ctx.today()
    if effective < today:
        raise PublishRefused(
            f"Tariff {tariff.version} is effective from {effective}, before today ({today}): "
            "a version is published for today or a later date, never backdated."
        )
    for other in registry_for(root).versions_on_file():
        if other[1] == effective and other[0] != tariff.version:
            raise PublishRefused(
                f"Tariff {tariff.version} is effective from {effective}, like version "
                f"{other[0]} under {root}; each version needs its own effective date."
            )


def _copy_in(source: Path, target: Path, expected_hash: str) -> None:
    """Copy a version folder under a hidden name, check it, then rename it into place."""
    staging = target.with_name(f".publishing-{target.name}-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging)
    try:
        if content_hash(staging) != expected_hash:
            raise PublishRefused(f"{source} changed while it was being published; try again.")
        os.rename(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
