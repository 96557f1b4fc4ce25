"""Where the files the product ships live: the tariffs, the document templates and fonts,
and the example requests.

An installed wheel carries them inside the package (``quoting/_data/``, see
``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml); a source checkout
(an editable install, the tests) has them at the top of the repository, where
underwriters edit the tariffs. This module is the one place that knows both; the settings
take their defaults from it and may point elsewhere (``QUOTING_TARIFFS``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["catalogues", "shipped"]

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The shipped folder ``name`` (``tariffs``, ``templates`` or ``examples``): the
    installed package's copy if there is one, else the source checkout's."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


def catalogues() -> Path:
    """The gettext catalogues of the pages (``locale/<locale>/LC_MESSAGES/messages.po``),
    a folder of the package itself (it travels in the wheel as it is)."""
    return _PACKAGE / "locale"
