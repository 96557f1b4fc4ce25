"""Regenerate a tariff's countries.csv from country_indicators.csv.

Usage:  python tariffs/sources/build_countries.py tariffs/2026.2/countries.csv
        python tariffs/sources/build_countries.py --rules 2027.1 tariffs/2027.1/countries.csv

``--rules 2026.2`` (the default) reproduces tariff 2026.2's table byte for byte (tier from
the OECD country risk classification). ``--rules 2027.1`` takes the tier, the security
factor and the status from the security indicators in country_security.csv (Global Peace
Index, Global Terrorism Index, China MFA advisories first) as documented in
country-tiers.md, and damps the road-traffic slope of the accident factor.

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


# --------------------------------------------------------------------------- rules 2027.1

AS_OF_2027 = "2026-12-01"
#: China MFA / embassy advisory category → the lowest tier it implies (weighs first).
MFA_TIER = {"none": 1, "reminder": 2, "heightened": 3, "targeted": 5, "do_not_travel": 5}
#: Security factor by tier 1-5 (AD&D and evacuation frequency).
SECURITY_2027 = {1: 1.00, 2: 1.04, 3: 1.10, 4: 1.18, 5: 1.45}
UNVERIFIED = "values compiled offline, not verified offline against the releases"


def accident_factor_2027(road_deaths: float) -> float:
    """0.90 + 0.10 × deaths / 12.5 (1.00 at the world median), within [0.90, 1.30]:
    expatriate staff travel in company vehicles, so local road deaths weigh less."""
    return min(1.30, max(0.90, 0.90 + 0.10 * road_deaths / 12.5))


def _points(value: float, bounds: tuple[float, float, float]) -> int:
    return sum(value >= b for b in bounds)


def index_tier(gpi: float, gti: float) -> int:
    """GPI < 1.8 / 2.2 / 2.7 → 0-3 points, GTI < 1 / 4 / 6 → 0-3 points; the sum 0, 1-2,
    3-4, 5, 6 → tier 1-5."""
    total = _points(gpi, (1.8, 2.2, 2.7)) + _points(gti, (1.0, 4.0, 6.0))
    return {0: 1, 1: 2, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5}[total]


def tier_2027(security: dict[str, str] | None, advisory: int) -> int:
    """max(MFA tier, GPI/GTI tier); without recorded indicators the advisory level 1-4."""
    if security is None:
        return advisory
    gpi, gti = float(security["gpi_2025"]), float(security["gti_2025"])
    return max(MFA_TIER[security["cn_mfa"]], index_tier(gpi, gti))


def status_2027(advisory: int, notes: str, mfa: str) -> str:
    """UN comprehensive sanctions, or an MFA advice against travel with armed conflict over
    the country (no regional qualifier) → decline; MFA against travel or attacks aimed at
    Chinese nationals → refer; advisory level 4, sanctions, any armed conflict or no
    population → refer; else accept. No country-specific exception."""
    country_wide_conflict = any(part.strip() == "armed conflict" for part in notes.split(";"))
    if "comprehensively sanctioned (UN)" in notes:
        return "decline"
    if mfa == "do_not_travel" and country_wide_conflict:
        return "decline"
    if mfa in ("do_not_travel", "targeted"):
        return "refer"
    if advisory == 4 or "sanction" in notes or "uninhabited" in notes or "armed conflict" in notes:
        return "refer"
    return "accept"


def source_2027(row: dict[str, str], fig: dict[str, str], security: dict[str, str] | None) -> str:
    """The indicator values of one row and their releases."""
    parts = []
    if row["proxy_of"]:
        parts.append(f"proxy: figures of {row['proxy_of']}")
    if security is not None:
        note = f" ({security['cn_mfa_note']})" if security["cn_mfa_note"] else ""
        parts += [
            f"GPI 2025 (IEP) {security['gpi_2025']}",
            f"GTI 2025 (IEP) {security['gti_2025']}",
            f"China MFA/embassy advisory: {security['cn_mfa']}{note}",
        ]
    else:
        parts.append("GPI/GTI and China MFA advisory not recorded (tier = advisory level)")
    parts += [
        f"US State Dept travel advisory 2025 level {row['advisory_level']}",
        f"WHO road-traffic deaths 2021 est. {fig['road_deaths_per_100k']}/100k",
        f"WHO GHED health expenditure 2021 US${fig['health_exp_per_capita_usd']}",
        UNVERIFIED,
    ]
    return "; ".join(parts)


def factors_2027(
    code: str, row: dict[str, str], fig: dict[str, str], security: dict[str, str] | None
) -> dict[str, str]:
    """tier, accident, security, status, source and as_of of one row under rules 2027.1."""
    advisory = int(row["advisory_level"])
    tier = tier_2027(security, advisory)
    mfa = security["cn_mfa"] if security is not None else "none"
    return {
        "tier": str(tier),
        "accident": f"{accident_factor_2027(float(fig['road_deaths_per_100k'])):.2f}",
        "security": f"{SECURITY_2027[tier]:.2f}",
        "status": status_2027(advisory, row["notes"], mfa),
        "source": source_2027(row, fig, security),
        "as_of": AS_OF_2027,
    }


def main(out: Path, rules: str = "2026.2") -> None:
    security_rows = {
        r["code"]: r for r in csv.DictReader((HERE / "country_security.csv").open(encoding="utf-8"))
    }
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
                | (
                    factors_2027(
                        code,
                        row,
                        fig,
                        security_rows.get(code) or security_rows.get(row["proxy_of"]),
                    )
                    if rules == "2027.1"
                    else {}
                )
            )


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = "2026.2"
    if args[:1] == ["--rules"]:
        chosen, args = args[1], args[2:]
    if chosen not in ("2026.2", "2027.1") or len(args) != 1:
        sys.exit("usage: build_countries.py [--rules 2026.2|2027.1] OUT.csv")
    main(Path(args[0]), chosen)
