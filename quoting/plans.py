"""Plan presets of the new-quote form, and the fields of each cover as a form shows them.

Pure data: a preset is a starting point, not a rule. The form copies a preset's covers
and amounts into fields the agent may change one by one; what is priced is what was
submitted. Every amount lies within the tariff's automatic limit of its cover (tariff
2026.2 ``auto_limit``), so a preset as given is never referred for its amounts alone
(tests/unit/test_plan_presets.py prices each one).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COVER_FIELDS", "PRESETS", "CoverField", "PlanPreset", "preset"]


@dataclass(frozen=True, slots=True)
class CoverField:
    """One input of a cover: its request field name, English label and whether it is an
    amount of money (else a number such as a coinsurance share or a count of days)."""

    name: str
    label: str
    money: bool = True


#: The inputs of each cover, in the order of ``PlanCovers`` (the request's field names).
COVER_FIELDS: dict[str, tuple[CoverField, ...]] = {
    "add": (CoverField("sum_insured", "Sum insured"),),
    "amed": (
        CoverField("limit", "Annual limit"),
        CoverField("deductible", "Deductible per claim"),
        CoverField("coinsurance", "Share paid (0 to 1)", money=False),
    ),
    "smed": (
        CoverField("limit", "Annual limit"),
        CoverField("deductible", "Deductible per claim"),
        CoverField("coinsurance", "Share paid (0 to 1)", money=False),
    ),
    "evac": (CoverField("limit", "Limit"),),
    "sdeath": (CoverField("sum_insured", "Sum insured"),),
    "hcash": (
        CoverField("daily_benefit", "Daily benefit"),
        CoverField("max_days", "Most days a year (30, 60, 90, 180 or 365)", money=False),
    ),
}


@dataclass(frozen=True, slots=True)
class PlanPreset:
    """A named plan: the occupation classes it is meant for and its covers, each a
    mapping of field name to the amount as the form shows it (text)."""

    key: str
    name_zh: str
    name_en: str
    classes: tuple[int, ...]
    covers: dict[str, dict[str, str]]

    def name(self, locale: str) -> str:
        """The plan's name in ``locale`` (``en``, else Chinese), as the plan is called."""
        return self.name_en if locale == "en" else self.name_zh


PRESETS: tuple[PlanPreset, ...] = (
    PlanPreset(
        key="office",
        name_zh="管理人员",
        name_en="Office and management",
        classes=(1, 2),
        covers={
            "add": {"sum_insured": "1000000"},
            "amed": {"limit": "100000", "deductible": "100", "coinsurance": "0.9"},
            "smed": {"limit": "1000000", "deductible": "0", "coinsurance": "1"},
            "evac": {"limit": "500000"},
            "sdeath": {"sum_insured": "200000"},
            "hcash": {"daily_benefit": "200", "max_days": "180"},
        },
    ),
    PlanPreset(
        key="site",
        name_zh="现场人员",
        name_en="Site workers",
        classes=(3, 4, 5, 6),
        covers={
            "add": {"sum_insured": "500000"},
            "amed": {"limit": "50000", "deductible": "200", "coinsurance": "0.8"},
            "smed": {"limit": "300000", "deductible": "500", "coinsurance": "0.8"},
            "evac": {"limit": "300000"},
            "sdeath": {"sum_insured": "100000"},
        },
    ),
    PlanPreset(
        key="full",
        name_zh="全面保障",
        name_en="Full package",
        classes=(1, 2, 3, 4, 5, 6),
        covers={
            "add": {"sum_insured": "2000000"},
            "amed": {"limit": "200000", "deductible": "0", "coinsurance": "1"},
            "smed": {"limit": "2000000", "deductible": "0", "coinsurance": "1"},
            "evac": {"limit": "1000000"},
            "sdeath": {"sum_insured": "500000"},
            "hcash": {"daily_benefit": "300", "max_days": "365"},
        },
    ),
)


def preset(key: str) -> PlanPreset:
    """The preset called ``key`` (``office``, ``site``, ``full``); KeyError otherwise."""
    for found in PRESETS:
        if found.key == key:
            return found
    raise KeyError(key)
