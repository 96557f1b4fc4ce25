"""Write the reference book: realistic, varied group quote requests for tariff impact
studies and tests (``quoting tariff impact OLD NEW --book tariffs/book``).

Reproducible: a fixed seed, so running it again writes the same files byte for byte.

    python tariffs/book/make_book.py          # rewrites tariffs/book/*.json

Each request carries ``as_of`` 2026-11-29, the business date it is judged on, so the
book prices the same whatever day it is run. The mix: 34 contractors (railways, power,
mining, ports, telecoms, oil and gas, housing) with 5 to 5,000 members, member censuses
and headcount grids, CNY and USD, every cover, accepted, referred (Nigeria, Ethiopia,
Iraq, Mozambique, class 6, large sums insured) and declined members (Mali, Afghanistan,
Ukraine, Myanmar, class 9, ages over 70), full-year and short-period policies, members
joining mid-period, site accumulations, claims experience and broker commissions.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository, for the credit-code check digit

from quoting.schemas import credit_code_check_char  # noqa: E402

SEED = 20261129
AS_OF = "2026-11-29"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海波宏亮晓东俊峰文博浩然子涵欣怡雨轩"
#: Occupation codes of the shipped tariff by class (class 9: not insurable).
OCCUPATIONS = {
    1: ["M01", "M02", "M03", "M04", "M05", "M06", "M07"],
    2: ["E01", "E02", "E03", "E04", "E05", "E06", "E07", "E08", "E09", "E10", "E11"],
    3: ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08"],
    4: ["W01", "W02", "W03", "W04", "W05", "W06", "W07", "W08", "W09", "W10"],
    5: ["H01", "H02", "H03", "H04", "H05", "H06", "H07"],
    6: ["X01", "X02", "X03", "X04", "X05"],
    9: ["N01", "N02", "N03"],
}

#: (file stem, company, business, sites by country, members, census kind, currency,
#:  period, plan style, extras)
COMPANIES: list[tuple[str, str, str, dict[str, list[str]], int, str, str, str, str, str]] = [
    (
        "01-jakarta-bandung-hsr",
        "中铁国际印尼高铁项目部 CRIC Indonesia HSR",
        "rail",
        {"ID": ["Tegalluar depot", "Walini tunnel", "Halim station"]},
        1200,
        "members",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "02-morowali-smelter",
        "青山实业印尼镍业 Tsingshan Morowali Nickel",
        "mining",
        {"ID": ["Morowali industrial park"]},
        5000,
        "members",
        "CNY",
        "year",
        "site",
        "accumulation",
    ),
    (
        "03-mombasa-port",
        "中国路桥肯尼亚港口项目 CRBC Mombasa Port",
        "port",
        {"KE": ["Mombasa berth 22", "Naivasha ICD"]},
        320,
        "members",
        "USD",
        "year",
        "full",
        "",
    ),
    (
        "04-lagos-rail",
        "中国土木尼日利亚铁路 CCECC Lagos-Ibadan Rail",
        "rail",
        {"NG": ["Ebute Metta", "Ibadan yard"]},
        450,
        "members",
        "USD",
        "year",
        "full",
        "referred-country",
    ),
    (
        "05-addis-expressway",
        "中交埃塞俄比亚高速公路 CCCC Addis Expressway",
        "road",
        {"ET": ["Addis-Adama km 40"]},
        180,
        "members",
        "CNY",
        "year",
        "site",
        "referred-country",
    ),
    (
        "06-karot-hydro",
        "三峡巴基斯坦卡洛特水电 CTG Karot Hydropower",
        "power",
        {"PK": ["Karot dam", "Rawalpindi office"]},
        600,
        "members",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "07-vientiane-rail",
        "老中铁路运营维护 Laos-China Railway O&M",
        "rail",
        {"LA": ["Vientiane South", "Luang Prabang"]},
        260,
        "groups",
        "CNY",
        "year",
        "site",
        "",
    ),
    (
        "08-gwadar-port",
        "中国港控瓜达尔港 COPHC Gwadar Port",
        "port",
        {"PK": ["Gwadar free zone"]},
        95,
        "members",
        "USD",
        "year",
        "full",
        "",
    ),
    (
        "09-almaty-office",
        "中石油哈萨克斯坦代表处 CNPC Kazakhstan office",
        "oil",
        {"KZ": ["Almaty office"]},
        12,
        "members",
        "CNY",
        "year",
        "office",
        "",
    ),
    (
        "10-riyadh-metro",
        "中建中东利雅得地铁 CSCEC Riyadh Metro",
        "rail",
        {"SA": ["Riyadh line 3"]},
        880,
        "groups",
        "USD",
        "year",
        "full",
        "",
    ),
    (
        "11-dubai-housing",
        "中建阿联酋住宅项目 CSCEC Dubai housing",
        "housing",
        {"AE": ["Dubai South", "Abu Dhabi Yas"]},
        140,
        "members",
        "CNY",
        "short6",
        "site",
        "",
    ),
    (
        "12-egypt-cbd",
        "中建埃及新首都CBD CSCEC New Capital CBD",
        "housing",
        {"EG": ["New Administrative Capital"]},
        1500,
        "groups",
        "CNY",
        "year",
        "site",
        "accumulation",
    ),
    (
        "13-hanoi-metro",
        "中铁六局河内轻轨 CREC Hanoi Cat Linh",
        "rail",
        {"VN": ["Cat Linh depot"]},
        60,
        "members",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "14-phnom-penh-expressway",
        "中国路桥柬埔寨金港高速 CRBC Phnom Penh Expressway",
        "road",
        {"KH": ["Sihanoukville km 120"]},
        210,
        "members",
        "CNY",
        "short3",
        "site",
        "",
    ),
    (
        "15-dhaka-padma",
        "中铁大桥局孟加拉帕德玛大桥 MBEC Padma Bridge",
        "bridge",
        {"BD": ["Mawa", "Janjira"]},
        730,
        "members",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "16-tashkent-power",
        "中国能建乌兹别克斯坦电站 CEEC Tashkent CCGT",
        "power",
        {"UZ": ["Tashkent CCGT"]},
        150,
        "groups",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "17-algeria-highway",
        "中国建筑阿尔及利亚高速 CSCEC East-West Highway",
        "road",
        {"DZ": ["Bouira section", "Algiers office"]},
        990,
        "members",
        "CNY",
        "year",
        "full",
        "experience",
    ),
    (
        "18-angola-housing",
        "中信建设安哥拉社会住房 CITIC Kilamba",
        "housing",
        {"AO": ["Kilamba", "Luanda office"]},
        340,
        "members",
        "USD",
        "year",
        "site",
        "",
    ),
    (
        "19-dar-es-salaam-sgr",
        "中国土木坦桑尼亚铁路 CCECC Tanzania SGR",
        "rail",
        {"TZ": ["Morogoro lot 2"]},
        410,
        "members",
        "USD",
        "year",
        "full",
        "",
    ),
    (
        "20-zambia-copper",
        "中国有色赞比亚铜矿 CNMC Chambishi",
        "mining",
        {"ZM": ["Chambishi mine"]},
        520,
        "members",
        "CNY",
        "year",
        "mine",
        "class6",
    ),
    (
        "21-serbia-steel",
        "河钢塞尔维亚钢厂 HBIS Smederevo",
        "steel",
        {"RS": ["Smederevo works"]},
        75,
        "members",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "22-budapest-rail",
        "中铁匈塞铁路 CRIC Budapest-Belgrade",
        "rail",
        {"HU": ["Budapest Soroksár"], "RS": ["Novi Sad"]},
        230,
        "members",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "23-peru-port",
        "中远海运秘鲁钱凯港 COSCO Chancay Port",
        "port",
        {"PE": ["Chancay"]},
        160,
        "groups",
        "USD",
        "year",
        "full",
        "",
    ),
    (
        "24-brazil-transmission",
        "国家电网巴西特高压 State Grid Belo Monte",
        "power",
        {"BR": ["Xingu converter station", "Rio office"]},
        45,
        "members",
        "USD",
        "year",
        "office",
        "",
    ),
    (
        "25-iraq-oilfield",
        "中石油伊拉克哈法亚油田 CNPC Halfaya",
        "oil",
        {"IQ": ["Halfaya field camp"]},
        280,
        "members",
        "USD",
        "year",
        "full",
        "referred-country",
    ),
    (
        "26-mozambique-road",
        "中国路桥莫桑比克马普托大桥 CRBC Maputo Bridge",
        "road",
        {"MZ": ["Maputo-Katembe"]},
        90,
        "members",
        "CNY",
        "year",
        "full",
        "referred-country",
    ),
    (
        "27-sahel-survey",
        "中地海外萨赫勒勘察队 CGC Sahel survey team",
        "survey",
        {"ML": ["Bamako"], "SN": ["Dakar office"]},
        8,
        "members",
        "CNY",
        "short6",
        "full",
        "declined-country",
    ),
    (
        "28-multi-country-hq",
        "中国电建海外总部派驻人员 PowerChina expatriates",
        "power",
        {
            "ID": ["Jakarta office"],
            "VN": ["Hanoi office"],
            "TH": ["Bangkok office"],
            "MY": ["Kuala Lumpur office"],
            "UA": ["Kyiv office"],
            "AF": ["Kabul liaison"],
        },
        25,
        "members",
        "CNY",
        "year",
        "office",
        "declined-country",
    ),
    (
        "29-myanmar-pipeline",
        "中缅油气管道维护 SEAOP pipeline maintenance",
        "oil",
        {"MM": ["Kyaukphyu terminal"], "TH": ["Bangkok office"]},
        40,
        "members",
        "CNY",
        "year",
        "full",
        "declined-country",
    ),
    (
        "30-malaysia-ecrl",
        "中国交建马来西亚东海岸铁路 CCCC ECRL",
        "rail",
        {"MY": ["Kuantan", "Kota Bharu"]},
        2400,
        "groups",
        "CNY",
        "year",
        "full",
        "",
    ),
    (
        "31-thailand-hsr",
        "中铁十局泰中高铁 CREC Thai-Chinese HSR",
        "rail",
        {"TH": ["Nakhon Ratchasima"]},
        5,
        "members",
        "CNY",
        "short3",
        "full",
        "",
    ),
    (
        "32-argentina-dam",
        "中国葛洲坝阿根廷水电站 CGGC Santa Cruz dams",
        "power",
        {"AR": ["Condor Cliff", "La Barrancosa"]},
        670,
        "members",
        "USD",
        "year",
        "full",
        "large-si",
    ),
    (
        "33-uganda-oil",
        "中海油乌干达翠鸟油田 CNOOC Kingfisher",
        "oil",
        {"UG": ["Kingfisher field"]},
        130,
        "members",
        "CNY",
        "year",
        "full",
        "joiners",
    ),
    (
        "34-saudi-desal",
        "中国能建沙特海水淡化 CEEC Ras Mohaisen",
        "power",
        {"SA": ["Ras Mohaisen"]},
        3600,
        "groups",
        "CNY",
        "year",
        "site",
        "accumulation",
    ),
]

#: Class mix by kind of work: weights of classes 1-6 (and 9, rarely).
MIX = {
    "office": [0.70, 0.30, 0, 0, 0, 0],
    "full": [0.08, 0.22, 0.25, 0.35, 0.10, 0],
    "site": [0.05, 0.15, 0.20, 0.45, 0.15, 0],
    "mine": [0.04, 0.10, 0.16, 0.30, 0.25, 0.15],
}

PERIODS = {
    "year": ("2027-01-01", "2027-12-31"),
    "short6": ("2027-02-01", "2027-07-31"),
    "short3": ("2027-03-01", "2027-05-31"),
}


def credit_code(rng: random.Random) -> str:
    body = "9111" + "".join(rng.choice("0123456789") for _ in range(4))
    body += "MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
    return body + credit_code_check_char(body)


def plans(style: str, currency: str, extras: str) -> list[dict[str, Any]]:
    """Plan A for office and engineering staff, plan B for site workers; USD quotes have
    sums in USD."""
    k = 1 if currency == "CNY" else 0.14
    big = "large-si" in extras

    def money(x: float) -> str:
        return str(int(round(x * k, -3 if x * k >= 10_000 else 0)))

    a = {
        "add": {"sum_insured": money(4_000_000 if big else 1_000_000)},
        "amed": {"limit": money(100_000), "deductible": money(100), "coinsurance": "0.9"},
        "smed": {"limit": money(1_000_000), "deductible": "0", "coinsurance": "1"},
        "evac": {"limit": money(500_000)},
        "sdeath": {"sum_insured": money(200_000)},
        "hcash": {"daily_benefit": money(200), "max_days": 180},
    }
    b = {
        "add": {"sum_insured": money(500_000)},
        "amed": {"limit": money(50_000), "deductible": money(200), "coinsurance": "0.8"},
        "evac": {"limit": money(300_000)},
        "sdeath": {"sum_insured": money(100_000)},
    }
    if style in ("full", "mine"):
        b["smed"] = {"limit": money(300_000), "deductible": money(500), "coinsurance": "0.8"}
    if style == "office":
        return [{"name": "Plan A — expatriate staff", "covers": a}]
    return [
        {"name": "Plan A — management and engineers", "classes": [1, 2], "covers": a},
        {"name": "Plan B — site workers", "classes": [3, 4, 5, 6, 9], "covers": b},
    ]


def member_class(rng: random.Random, style: str, extras: str) -> int:
    weights = MIX["mine" if "class6" in extras else style]
    cls = rng.choices(range(1, 7), weights=weights)[0]
    if style != "office" and rng.random() < 0.004:
        return 9
    return cls


def members(rng: random.Random, spec: tuple[Any, ...]) -> list[dict[str, Any]]:
    _, _, _, sites, n, _, _, period, style, extras = spec
    start, end = (dt.date.fromisoformat(d) for d in PERIODS[period])
    countries = list(sites)
    out = []
    for i in range(n):
        country = countries[0] if i < n * 0.6 or len(countries) == 1 else rng.choice(countries)
        cls = member_class(rng, style, extras)
        age = max(18, min(69, int(rng.gauss(38, 9))))
        if i == 3 and "declined-country" in extras:
            age = 72  # over the tariff's age limit: declined
        born = dt.date(2026 - age, 1 + rng.randrange(12), 1 + rng.randrange(28))
        member: dict[str, Any] = {
            "member_id": f"E{i + 1:05d}",
            "name": rng.choice(SURNAMES)
            + rng.choice(GIVEN)
            + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
            "sex": "M" if rng.random() < 0.88 else "F",
            "date_of_birth": born.isoformat(),
            "passport_no": f"E{rng.randrange(10**7, 10**8)}",
            "occupation_code": rng.choice(OCCUPATIONS[cls]),
            "country": country,
            "site": rng.choice(sites[country]),
        }
        if "joiners" in extras and i % 5 == 0:
            member["start"] = (start + dt.timedelta(days=30 + rng.randrange(150))).isoformat()
        if "joiners" in extras and i % 11 == 0:
            member["end"] = (end - dt.timedelta(days=rng.randrange(120))).isoformat()
        out.append(member)
    return out


def groups(rng: random.Random, spec: tuple[Any, ...]) -> list[dict[str, Any]]:
    _, _, _, sites, n, _, _, _, style, extras = spec
    bands = ["18-25", "26-35", "36-45", "46-55", "56-60", "61-65"]
    share = [0.12, 0.36, 0.30, 0.16, 0.05, 0.01]
    rows: dict[tuple[str, str, int, str], int] = {}
    for _ in range(n):
        country = rng.choice(list(sites))
        key = (
            country,
            rng.choice(sites[country]),
            member_class(rng, style, extras),
            rng.choices(bands, share)[0],
        )
        rows[key] = rows.get(key, 0) + 1
    return [
        {"country": c, "site": s, "occupation_class": cls, "age_band": band, "headcount": h}
        for (c, s, cls, band), h in sorted(rows.items())
    ]


def request(rng: random.Random, spec: tuple[Any, ...]) -> dict[str, Any]:
    _, company, _, _, _, kind, currency, period, style, extras = spec
    start, end = PERIODS[period]
    body: dict[str, Any] = {
        "policyholder": {"name": company, "credit_code": credit_code(rng)},
        "period": {"start": start, "end": end},
        "currency": currency,
        "as_of": AS_OF,
        "plans": plans(style, currency, extras),
        "census": {kind: members(rng, spec) if kind == "members" else groups(rng, spec)},
    }
    if rng.random() < 0.35:
        body["commission"] = rng.choice(["0.10", "0.12", "0.18", "0.20"])
    if "experience" in extras:
        body["experience"] = {
            "start": "2023-11-01",
            "end": "2026-10-31",
            "member_years": 2700.0,
            "claim_count": 96,
            "incurred_claims": "1650000",
        }
    return body


def main() -> None:
    rng = random.Random(SEED)
    for old in HERE.glob("*.json"):
        old.unlink()
    for spec in COMPANIES:
        body = request(rng, spec)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        (HERE / f"{spec[0]}.json").write_text(text + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in HERE.glob("*.json"))
    print(f"wrote {len(COMPANIES)} requests, {total / 1e6:.2f} MB, to {HERE}")


if __name__ == "__main__":
    main()
