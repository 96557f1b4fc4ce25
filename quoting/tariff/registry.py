"""The tariff versions under a root folder: the version in force on a date, any version
by its content hash, and every version, each loaded once and reloaded when its files change.

A root is either a folder of tariff versions (one sub-folder each) or one tariff folder.
Only the version asked for is loaded, so a broken draft for a later date cannot disturb
today's quotes. A folder of versions may hold a manifest of published versions
(``published.toml``, written by ``quoting tariff publish``): a listed version whose files
no longer have the recorded content hash is refused. Versions it does not list (and
roots without one) load as they are. Folders whose name starts with a dot are ignored
(publishing copies a version in under such a name, then renames it).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from quoting.errors import NoTariffInForce, Problem, TariffError
from quoting.tariff.files import (
    DATA_FILES,
    DEFAULT_TARIFF_ROOT,
    MANIFEST,
    Publication,
    content_hash,
    load_tariff,
    read_header,
    read_manifest,
)
from quoting.tariff.model import Tariff

__all__ = [
    "DEFAULT_TARIFF_ROOT",
    "IN_FORCE_CACHE_SECONDS",
    "TariffRegistry",
    "load_tariff",
    "registry_for",
    "tariff_in_force",
    "tariff_versions",
]

#: How long an answer of :meth:`TariffRegistry.in_force` is reused before the files are
#: looked at again: edits to tariff files take effect within this many seconds.
IN_FORCE_CACHE_SECONDS = 2.0

_Stamps = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class _Header:
    folder: Path
    version: str
    effective_date: dt.date


def _stamps(folder: Path) -> _Stamps:
    """Modification times of a folder's data files (0 for a missing one)."""
    return tuple((folder / n).stat().st_mtime if (folder / n).exists() else 0.0 for n in DATA_FILES)


class TariffRegistry:
    """The tariff versions under ``root``, safe to share between threads.

    ``monotonic`` is the clock of the short in-force cache (a seam for tests); business
    dates are always passed in.
    """

    def __init__(
        self,
        root: str | Path = DEFAULT_TARIFF_ROOT,
        *,
        in_force_seconds: float = IN_FORCE_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        self._in_force_seconds = in_force_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._loaded: dict[Path, tuple[_Stamps, Tariff]] = {}
        self._hashes: dict[Path, tuple[_Stamps, str]] = {}
        self._headers: tuple[tuple[tuple[Path, float], ...], list[_Header]] | None = None
        self._in_force: dict[dt.date, tuple[float, Tariff]] = {}
        self._manifest: tuple[float, dict[str, Publication]] | None = None

    def __repr__(self) -> str:
        return f"TariffRegistry({str(self.root)!r})"

    def versions(self) -> list[Tariff]:
        """Every version, oldest effective date first; problems of all folders together."""
        headers = self._read_headers()
        several = len(headers) > 1
        tariffs: list[Tariff] = []
        problems: list[Problem] = []
        for h in headers:
            try:
                tariffs.append(self._load_named(h.folder, several))
            except TariffError as exc:
                problems.extend(exc.problems)
        if problems:
            raise TariffError(problems)
        return tariffs

    def in_force(self, as_of: dt.date) -> Tariff:
        """The version with the latest effective date on or before ``as_of``.

        Raises :class:`NoTariffInForce` (located at ``as_of``) when none is in force yet.
        """
        now = self._monotonic()
        with self._lock:
            hit = self._in_force.get(as_of)
        if hit is not None and hit[0] > now:
            return hit[1]
        headers = self._read_headers()
        in_force = [h for h in headers if h.effective_date <= as_of]
        if not in_force:
            first = headers[0]
            raise NoTariffInForce(
                Problem(
                    f"no tariff in force on {as_of.isoformat()}: the earliest ({first.version}) "
                    f"is effective from {first.effective_date.isoformat()}",
                    path=("as_of",),
                )
            )
        tariff = self._load_named(in_force[-1].folder, len(headers) > 1)
        with self._lock:
            if len(self._in_force) > 1024:
                self._in_force.clear()
            self._in_force[as_of] = (now + self._in_force_seconds, tariff)
        return tariff

    def by_hash(self, hash_: str) -> Tariff:
        """The version, in force or not, whose files have this content hash.

        Raises :class:`TariffError` when no folder under the root has it (any more).
        """
        headers = self._read_headers()
        for h in headers:
            if self._hash_of(h.folder) == hash_:
                return self._load_named(h.folder, len(headers) > 1)
        raise TariffError(
            Problem(
                f"no tariff version under {self.root} has content {hash_}", path=("tariff", "hash")
            )
        )

    def folder(self, version: str) -> Path:
        """The folder of the version named ``version``.

        Raises :class:`TariffError` listing the versions there are when none has the name.
        """
        headers = self._read_headers()
        for h in headers:
            if h.version == version:
                return h.folder
        names = ", ".join(h.version for h in headers)
        raise TariffError(
            Problem(
                f"no tariff version {version!r} under {self.root} (there are: {names})",
                path=("version",),
            )
        )

    def versions_on_file(self) -> list[tuple[str, dt.date]]:
        """Version name and effective date of every folder, oldest first (read from the
        headers only, without loading or checking the versions)."""
        return [(h.version, h.effective_date) for h in self._read_headers()]

    def published(self) -> dict[str, Publication]:
        """The manifest's publications by version (empty without a manifest)."""
        path = self.root / MANIFEST
        try:
            stamp = path.stat().st_mtime
        except FileNotFoundError:
            return {}
        with self._lock:
            hit = self._manifest
        if hit is not None and hit[0] == stamp:
            return hit[1]
        found = {p.version: p for p in read_manifest(self.root)}
        with self._lock:
            self._manifest = (stamp, found)
        return found

    def _check_published(self, folder: Path, tariff: Tariff) -> None:
        """A published version must still have the content it was published with."""
        if folder.parent != self.root.resolve():
            return  # a root that is one tariff folder has no manifest
        publication = self.published().get(tariff.version)
        if publication is not None and publication.content_hash != tariff.content_hash:
            raise TariffError(
                Problem(
                    f"tariff {tariff.version} was published on "
                    f"{publication.published_at:%Y-%m-%d} with content "
                    f"{publication.content_hash}, but its files now have content "
                    f"{tariff.content_hash}: a published version cannot change. Restore it "
                    "(e.g. git checkout) and publish the change as a new version",
                    file=folder.name,
                )
            )

    def _hash_of(self, folder: Path) -> str | None:
        stamps = _stamps(folder)
        with self._lock:
            hit = self._hashes.get(folder)
        if hit is not None and hit[0] == stamps:
            return hit[1]
        try:
            digest = content_hash(folder)
        except OSError:
            return None  # a folder missing a file has no content to match
        with self._lock:
            self._hashes[folder] = (stamps, digest)
        return digest

    def _load(self, folder: Path) -> Tariff:
        stamps = _stamps(folder)
        with self._lock:
            hit = self._loaded.get(folder)
        if hit is not None and hit[0] == stamps:
            tariff = hit[1]
        else:
            tariff = load_tariff(folder)
            with self._lock:
                self._loaded[folder] = (stamps, tariff)
        return tariff

    def _load_named(self, folder: Path, several: bool) -> Tariff:
        """Load a folder (refused when published and changed since); with several
        versions around, problems name their folder."""
        try:
            tariff = self._load(folder)
        except TariffError as exc:
            if not several:
                raise
            raise TariffError(
                [
                    replace(p, file=f"{folder.name}/{p.file}" if p.file else folder.name)
                    for p in exc.problems
                ]
            ) from None
        self._check_published(folder, tariff)
        return tariff

    def _folders(self) -> list[Path]:
        root = self.root
        if (root / "tariff.toml").exists():
            return [root.resolve()]
        if not root.is_dir():
            raise TariffError(Problem("is not a folder of tariffs", file=str(root)))
        folders = sorted(
            p.resolve()
            for p in root.iterdir()
            if not p.name.startswith(".") and (p / "tariff.toml").exists()
        )
        if not folders:
            raise TariffError(
                Problem("holds no tariff folder (no tariff.toml found)", file=str(root))
            )
        return folders

    def _read_headers(self) -> list[_Header]:
        """Version and effective date of every folder; checks they are unique. Re-read only
        when a folder or a tariff.toml changes."""
        folders = self._folders()
        stamps = tuple((f, (f / "tariff.toml").stat().st_mtime) for f in folders)
        with self._lock:
            hit = self._headers
        if hit is not None and hit[0] == stamps:
            return hit[1]
        headers = _checked_headers(folders)
        with self._lock:
            self._headers = (stamps, headers)
        return headers


def _checked_headers(folders: list[Path]) -> list[_Header]:
    headers: list[_Header] = []
    problems: list[Problem] = []
    for folder in folders:
        try:
            version, effective = read_header(folder)
        except TariffError as exc:
            problems.extend(exc.problems)
            continue
        headers.append(_Header(folder, version, effective))
    for attribute, what in (("version", "version"), ("effective_date", "effective date")):
        seen: dict[object, Path] = {}
        for h in headers:
            key = getattr(h, attribute)
            if key in seen:
                problems.append(
                    Problem(
                        f"{what} {key} is also that of {seen[key].name}; each version needs its own",
                        file=f"{h.folder.name}/tariff.toml",
                        path=("tariff",),
                    )
                )
            seen.setdefault(key, h.folder)
    if problems:
        raise TariffError(problems)
    return sorted(headers, key=lambda h: h.effective_date)


_registries: dict[str, TariffRegistry] = {}
_registries_lock = threading.Lock()


def registry_for(root: str | Path = DEFAULT_TARIFF_ROOT) -> TariffRegistry:
    """The process's one registry of ``root`` (created on first use), so that every caller
    of the functions below shares its caches."""
    key = str(root)
    with _registries_lock:
        registry = _registries.get(key)
        if registry is None:
            registry = _registries[key] = TariffRegistry(root)
    return registry


def tariff_versions(root: str | Path = DEFAULT_TARIFF_ROOT) -> list[Tariff]:
    """Every tariff version under ``root`` (or ``root`` itself if it is one), oldest
    effective date first. Problems of all folders are reported together."""
    return registry_for(root).versions()


def tariff_in_force(as_of: dt.date, root: str | Path = DEFAULT_TARIFF_ROOT) -> Tariff:
    """The tariff with the latest effective date on or before ``as_of``.

    ``root`` is either a folder of tariff versions or one tariff folder. Only the version
    in force is loaded, so a draft for a later date cannot disturb today's quotes.
    """
    return registry_for(root).in_force(as_of)
