"""Regenerate a tariff's countries.csv from country_indicators.csv.

Usage:  python tariffs/sources/build_countries.py tariffs/2026.2/countries.csv

Names come from offline packages (pycountry for the ISO 3166-1 list and official names,
Babel's CLDR data for English and Chinese short names); figures come from
country_indicators.csv beside this script. The mapping from indicators to factors is
written out below so an underwriter can follow and change it; after regenerating,
underwriters may still edit countries.csv by hand (it is the tariff, this is a tool).
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pycountry
from babel import Locale

HERE = Path(__file__).parent
AS_OF = "2026-09-30"
SOURCE = (
    "OECD country risk classification 2025; WHO road-traffic deaths per 100k (2021 est.); "
    "WHO GHED health expenditure per capita 2021; travel advisory level 2025"
)

# Common names people type that neither pycountry nor CLDR spells that way.
EXTRA_ALIASES = {
    "AE": ["UAE", "阿联酋"],
    "GB": ["UK", "Great Britain", "England", "英国"],
    "US": ["USA", "United States of America", "America", "美国"],
    "CD": [
        "DR Congo",
        "DRC",
        "Congo-Kinshasa",
        "Democratic Republic of the Congo",
        "刚果民主共和国",
    ],
    "CG": ["Congo-Brazzaville", "Republic of the Congo", "刚果共和国"],
    "CI": ["Ivory Coast", "科特迪瓦共和国"],
    "ID": ["印尼"],
    "SA": ["沙特", "KSA"],
    "KR": ["Korea, South", "Republic of Korea", "南韩"],
    "KP": ["Korea, North", "DPRK"],
    "LA": ["Lao PDR", "老挝人民民主共和国"],
    "MM": ["Burma"],
    "TR": ["Turkey", "Türkiye", "土耳其"],
    "CZ": ["Czech Republic"],
    "MK": ["Macedonia"],
    "SZ": ["Swaziland"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor"],
    "VA": ["Vatican", "Holy See"],
    "PS": ["Palestine"],
    "TZ": ["坦桑尼亚联合共和国"],
    "HK": ["香港", "Hong Kong SAR"],
    "MO": ["澳门", "Macau", "Macao SAR"],
    "TW": ["台湾地区"],
}

# Names that fit more than one country are left out, so a census must say which.
AMBIGUOUS = {"congo"}

# Where the rule below would decline but the book needs an underwriter's view instead.
REFER_INSTEAD_OF_DECLINE = {"RU"}


def _interp_log(x: float, points: list[tuple[float, float]]) -> float:
    """Piecewise-linear in log(x) through ``points``, flat beyond the ends."""
    xs = [math.log(p[0]) for p in points]
    ys = [p[1] for p in points]
    lx = math.log(max(x, 1.0))
    if lx <= xs[0]:
        return ys[0]
    for (x0, y0), (x1, y1) in zip(
        zip(xs, ys, strict=True), zip(xs[1:], ys[1:], strict=True), strict=False
    ):
        if lx <= x1:
            return y0 + (y1 - y0) * (lx - x0) / (x1 - x0)
    return ys[-1]


def tier(crc: int) -> int:
    """OECD CRC 0-1 -> tier 1, 2-3 -> 2, 4-5 -> 3, 6 -> 4, 7 -> 5."""
    return {0: 1, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 5}[crc]


def accident_factor(road_deaths: float) -> float:
    """1.00 at 12.5 road deaths per 100k (world median); 0.02 per death, within [0.85, 1.60]."""
    return min(1.60, max(0.85, 1.0 + 0.02 * (road_deaths - 12.5)))


def medical_cost_index(health_exp: float, code: str) -> float:
    """Cost of private care for expatriates relative to a mid-income market (1.00)."""
    if code == "US":
        # US hospital prices run far above what health spending per head alone implies;
        # the market prices US cover about 1.7x other high-cost countries.
        return 1.70
    return _interp_log(
        health_exp, [(30, 0.70), (150, 0.80), (1000, 0.95), (5000, 1.20), (10000, 1.35)]
    )


def evacuation_factor(health_exp: float, region: str) -> float:
    """Weaker local care means more evacuations; small islands and Antarctica are remote."""
    base = _interp_log(health_exp, [(30, 1.80), (150, 1.50), (1000, 1.10), (3000, 1.00)])
    if region == "antarctic":
        return 2.50
    if region == "oceania":
        base *= 1.20
    return base


SECURITY = {1: 1.00, 2: 1.10, 3: 1.35, 4: 1.80}


def status(code: str, advisory: int, notes: str) -> str:
    if "comprehensively sanctioned (UN)" in notes:
        return "decline"
    if advisory == 4 and "armed conflict" in notes and "regional" not in notes:
        return "refer" if code in REFER_INSTEAD_OF_DECLINE else "decline"
    if advisory == 4 or "sanction" in notes or "uninhabited" in notes or "armed conflict" in notes:
        return "refer"
    return "accept"


def main(out: Path) -> None:
    rows = {
        r["code"]: r
        for r in csv.DictReader((HERE / "country_indicators.csv").open(encoding="utf-8"))
    }
    en = Locale.parse("en").territories
    zh = Locale.parse("zh_Hans_CN").territories
    fields = [
        "code",
        "alpha3",
        "name_en",
        "name_zh",
        "aliases",
        "tier",
        "accident",
        "medical_cost",
        "evacuation",
        "security",
        "status",
        "source",
        "as_of",
    ]
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
            code = country.alpha_2
            row = rows[code]
            fig = rows[row["proxy_of"]] if row["proxy_of"] else row
            name_en = en.get(code, country.name)
            aliases = [
                country.name,
                getattr(country, "official_name", ""),
                getattr(country, "common_name", ""),
            ]
            aliases += EXTRA_ALIASES.get(code, [])
            seen = {name_en.casefold(), zh[code]}
            unique = []
            for a in aliases:
                if a and a.casefold() not in seen and a.casefold() not in AMBIGUOUS:
                    seen.add(a.casefold())
                    unique.append(a)
            he = float(fig["health_exp_per_capita_usd"])
            source = (
                SOURCE if not row["proxy_of"] else f"proxy: figures of {row['proxy_of']} ({SOURCE})"
            )
            writer.writerow(
                {
                    "code": code,
                    "alpha3": country.alpha_3,
                    "name_en": name_en,
                    "name_zh": zh[code],
                    "aliases": "; ".join(unique),
                    "tier": tier(int(fig["oecd_crc"])),
                    "accident": f"{accident_factor(float(fig['road_deaths_per_100k'])):.2f}",
                    "medical_cost": f"{medical_cost_index(he, code):.2f}",
                    "evacuation": f"{evacuation_factor(he, row['region']):.2f}",
                    "security": f"{SECURITY[int(row['advisory_level'])]:.2f}",
                    "status": status(code, int(row["advisory_level"]), row["notes"]),
                    "source": source,
                    "as_of": AS_OF,
                }
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
