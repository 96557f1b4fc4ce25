"""The languages of the pages and their gettext catalogues.

The catalogues are the ``.po`` files under ``quoting/locale`` (what translators edit);
they are compiled in memory the first time a language is used, so a fresh checkout needs
no build step and a ``.mo`` file can never lag behind its ``.po``. Message ids are the
English texts; the English catalogue translates each to itself (or to better English).
"""

from __future__ import annotations

import functools
import io
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from quoting.resources import catalogues

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "PageLocale",
    "as_locale",
    "catalogue_path",
    "html_lang",
    "other_locale",
    "translations",
]

PageLocale = Literal["zh_Hans_CN", "en"]
LOCALES: tuple[PageLocale, ...] = ("zh_Hans_CN", "en")
DEFAULT_LOCALE: PageLocale = "zh_Hans_CN"
_HTML_LANG = {"zh_Hans_CN": "zh-Hans-CN", "en": "en"}


def as_locale(value: object) -> PageLocale:
    """``value`` if it names a language of the pages, else the default (Chinese)."""
    return "en" if value == "en" else DEFAULT_LOCALE


def html_lang(locale: PageLocale) -> str:
    """The BCP 47 tag of ``<html lang>``."""
    return _HTML_LANG[locale]


def other_locale(locale: PageLocale) -> PageLocale:
    """The language the switch offers."""
    return "en" if locale != "en" else "zh_Hans_CN"


def catalogue_path(locale: PageLocale) -> str:
    """Where the catalogue of ``locale`` is."""
    return str(catalogues() / locale / "LC_MESSAGES" / "messages.po")


@functools.cache
def translations(locale: PageLocale) -> Translations:
    """The compiled catalogue of ``locale`` (read and compiled once per process)."""
    with open(catalogue_path(locale), "rb") as po:
        catalogue = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")
