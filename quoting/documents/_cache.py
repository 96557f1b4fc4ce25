"""Rendered documents kept on disk, addressed by everything they show.

A document's key is a SHA-256 over the renderer's version (templates, fonts, the code and
the rendering libraries: ``renderer_version``) and the document's inputs (the stored quote
and request, the policy, the brand, …), so a cached file can never be stale: a change to
any of them is a new key, and the old file is simply never asked for again. Files are
written atomically (a temporary file renamed into place), so concurrent workers may render
the same document at once and either copy wins; any file may be deleted at any time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DocumentCache", "renderer_version"]

_log = logging.getLogger("quoting.documents")


@functools.cache
def renderer_version() -> str:
    """A digest of what turns inputs into a document: the templates and fonts, this
    package's code and the versions of WeasyPrint and Typst. Read once per process."""
    from quoting.documents._render import TEMPLATES

    digest = hashlib.sha256()
    here = Path(__file__).parent
    files = sorted((TEMPLATES / "documents").rglob("*")) + sorted(here.glob("*.py"))
    files += sorted((TEMPLATES / "fonts").glob("*.ttf"))
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("weasyprint", "typst"):
        digest.update(f"{package}={importlib.metadata.version(package)}\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class DocumentCache:
    """A folder of rendered documents, ``{key[:2]}/{key}.{format}``."""

    directory: Path

    def _path(self, key: str, fmt: str) -> Path:
        return self.directory / key[:2] / f"{key}.{fmt}"

    def get(self, key: str, fmt: str) -> bytes | None:
        """The document stored under ``key``, or None (also when the folder cannot be
        read: the document is rendered instead)."""
        try:
            return self._path(key, fmt).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            _log.warning("document cache %s not read: %s", self.directory, error)
            return None

    def put(self, key: str, fmt: str, body: bytes) -> None:
        """Keep ``body`` under ``key``; a folder that cannot be written is not an error
        (the document was rendered and is served all the same)."""
        path = self._path(key, fmt)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        except OSError as error:
            _log.warning("document cache %s not written: %s", self.directory, error)
            return
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            os.replace(temporary, path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            _log.warning("document cache %s not written: %s", self.directory, error)
