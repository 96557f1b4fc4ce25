"""The insured's name in Latin letters, as a passport prints it, for certificates read
abroad; and initials, the only part of a name the public verification page shows.

The census's ``name_en`` (姓名拼音, the passport name) comes first. Without it a Chinese
name is spelt in pinyin the way Chinese passports spell names (surname first, the given
name as one word, ü as YU: 吕堃 → ``LYU KUN``) and marked as such on the certificate: a
machine's reading of the characters, which the passport may spell otherwise (a surname
such as 单 reads Shan, not Dan; a few of these are known below).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["LatinName", "initials", "latin_name"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "司徒",
        "夏侯",
        "长孙",
        "宇文",
        "端木",
        "西门",
        "独孤",
    ]
)
#: Surnames read otherwise than the character's most common reading.
_SURNAME_READINGS = {
    "单": "SHAN",
    "曾": "ZENG",
    "解": "XIE",
    "仇": "QIU",
    "朴": "PIAO",
    "区": "OU",
    "查": "ZHA",
    "乐": "YUE",
    "缪": "MIAO",
    "覃": "QIN",
    "翟": "ZHAI",
    "盖": "GE",
    "尉迟": "YUCHI",
}


@dataclass(frozen=True, slots=True)
class LatinName:
    """A name in Latin letters; ``pinyin`` when it was spelt from the Chinese name by
    machine rather than given by the census."""

    text: str
    pinyin: bool = False


@functools.cache
def _lazy_pinyin() -> object:
    from pypinyin import lazy_pinyin  # a large dictionary: loaded on first use

    return lazy_pinyin


def _syllables(text: str) -> list[str]:
    lazy_pinyin = _lazy_pinyin()
    words: list[str] = lazy_pinyin(text)  # type: ignore[operator]
    # Passports write ü as YU (吕 lv → LYU, 女 nv → NYU).
    return [re.sub(r"^([ln])v", r"\1yu", w).upper() for w in words if w.strip()]


def _pinyin(name: str) -> str:
    name = "".join(name.split())
    head = 2 if name[:2] in _COMPOUND_SURNAMES else 1
    surname, given = name[:head], name[head:]
    spelt_surname = _SURNAME_READINGS.get(surname) or "".join(_syllables(surname))
    spelt_given = "".join(_syllables(given))
    return f"{spelt_surname} {spelt_given}".strip()


def latin_name(name: str, name_en: str | None) -> LatinName:
    """The passport name: ``name_en`` when given; else the pinyin of a Chinese ``name``
    (marked); else ``name`` itself (already in Latin letters)."""
    if name_en and name_en.strip():
        return LatinName(" ".join(name_en.split()))
    if _HAN.search(name):
        return LatinName(_pinyin(name), pinyin=True)
    return LatinName(" ".join(name.split()))


def initials(name: str, name_en: str | None) -> str:
    """The initials of the passport name (``ZHANG YUE`` → ``Z. Y.``), nothing more."""
    words = re.findall(r"[^\W\d_]+", latin_name(name, name_en).text)
    return " ".join(f"{w[0].upper()}." for w in words)
