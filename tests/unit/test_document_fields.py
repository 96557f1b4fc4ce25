"""What a Chinese insurer's policy and certificates carry (issue 13, findings 4 and 5),
field by field: the insurer's entity, address, licence and service line; the wording and
its 备案编号 (the tariff's, else the brand's); the dispute clause as set; the
policyholder's address; the signing and sealing block; the certificate's passport name
(the census's ``name_en``, else pinyin marked as such), amounts in USD, the assistance line
dialable from abroad and a QR code of the verification page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import msgspec
import pypdf
import pytest
import segno

from quoting.branding import Brand
from quoting.documents import (
    DocumentData,
    certificate_code,
    document_data,
    initials,
    latin_name,
    parse_certificate_code,
    render_html,
    render_pdf,
    tag_matches,
)
from quoting.schemas import QuoteRequest
from quoting.services import quote_request
from quoting.tariff.model import WordingParams
from tests.support import TARIFF_DIR, make_request

POLICY_ID = "pol_0123456789abcdef01234567"
ADDRESS = "北京市海淀区示例大街88号"
CENSUS = {
    "members": [
        {
            "member_id": "P1",
            "name": "张玥",
            "name_en": "ZHANG YUE",
            "sex": "F",
            "date_of_birth": "1990-04-02",
            "passport_no": "E11112222",
            "occupation_class": 2,
            "country": "Kenya",
        },
        {
            "member_id": "P2",
            "name": "吕堃",
            "sex": "M",
            "date_of_birth": "1985-10-20",
            "occupation_class": 2,
            "country": "Kenya",
        },
    ]
}


def build(brand: Brand | None = None, address: str | None = ADDRESS) -> DocumentData:
    request = make_request(CENSUS, {"add": {"sum_insured": "712000"}, "amed": {"limit": "71200"}})
    body = msgspec.to_builtins(request)
    body["policyholder"]["address"] = address
    request = msgspec.convert(body, QuoteRequest)
    quote = quote_request(request, tariff_root=TARIFF_DIR)
    return document_data(
        quote_id="q_fields",
        created_at=dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC),
        valid_until=dt.date(2026, 12, 29),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Harbour Insurance Brokers",
        arranged_role="broker",
        tariff_root=TARIFF_DIR,
        policy_number="GA20260000777",
        bound_at=dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC),
        brand=brand,
        secret="test-secret",
        policy_id=POLICY_ID,
    )


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def data() -> DocumentData:
    return build()


# --------------------------------------------------------------------------- policy schedule


def test_the_schedule_names_the_insurer_its_licence_and_service_line(data: DocumentData) -> None:
    page = text(render_html("policy-schedule", data))
    brand = Brand()
    assert (
        "保险人 Insurer 示例财产保险股份有限公司 Example Property and Casualty Insurance Co., Ltd."
        in page
    )
    assert f"地址 / Address: {brand.address_zh} · {brand.address_en}" in page
    assert "经营保险业务许可证 / Insurance licence no.: DEMO-000000" in page
    assert "客服电话 / Customer service: +86 10 0000 0000" in page


def test_the_schedule_prints_the_brand_wording_unless_the_tariff_names_one(
    data: DocumentData,
) -> None:
    # 2027.1 (published, immutable) has no [wording]: the brand's default prints.
    assert data.tariff.params.wording is None
    page = text(render_html("policy-schedule", data))
    assert "适用条款 Policy wording 《境外团体意外伤害及医疗保险条款》" in page
    assert "备案编号 / Filing no.: DEMO-备案-000000" in page
    wording = WordingParams(
        name_zh="境外团体意外伤害保险条款（2028版）",
        name_en="Overseas Group Accident Wording (2028)",
        filing_number="C00000000000000000001",
    )
    params = msgspec.structs.replace(data.tariff.params, wording=wording)
    tariff = dataclasses.replace(data.tariff, params=params)
    page = text(render_html("policy-schedule", dataclasses.replace(data, tariff=tariff)))
    assert "《境外团体意外伤害保险条款（2028版）》 Overseas Group Accident Wording (2028)" in page
    assert "备案编号 / Filing no.: C00000000000000000001" in page
    assert "DEMO-备案" not in page


def test_the_dispute_clause_follows_the_setting(data: DocumentData) -> None:
    court = text(render_html("policy-schedule", data))
    assert "争议处理 Dispute resolution" in court
    assert "协商不成的，依法向有管辖权的人民法院起诉" in court
    assert "people's court of competent jurisdiction" in court
    brand = Brand.from_env(
        {
            "QUOTING_DISPUTE": "arbitration",
            "QUOTING_ARBITRATION_BODY_ZH": "上海国际仲裁中心",
            "QUOTING_ARBITRATION_BODY_EN": "Shanghai International Arbitration Center",
        }
    )
    arbitration = text(render_html("policy-schedule", dataclasses.replace(data, brand=brand)))
    assert "协商不成的，提交上海国际仲裁中心仲裁" in arbitration
    assert (
        "submitted to the Shanghai International Arbitration Center for arbitration" in arbitration
    )
    assert "人民法院" not in arbitration


def test_the_policyholder_address_prints_when_given(data: DocumentData) -> None:
    assert f"地址 / Address: {ADDRESS}" in text(render_html("policy-schedule", data))
    without = text(render_html("policy-schedule", build(address=None)))
    assert "统一社会信用代码" in without and ADDRESS not in without


def test_the_schedule_has_a_signing_and_sealing_block(data: DocumentData) -> None:
    html = render_html("policy-schedule", data)
    block = text(html[html.index('<section class="sealing">') :])
    assert "保险人 Insurer 示例财产保险股份有限公司" in block
    assert "授权代表（签字） Authorised representative (signature)" in block
    assert "签发日期 Date of issue: 2026年12月3日 · December 3, 2026" in block
    assert "保险人盖章 Insurer's seal" in block


def test_labels_and_values_share_a_line_and_no_doubled_full_stop(data: DocumentData) -> None:
    pdf = render_pdf("policy-schedule", data)
    lines = [
        line.strip()
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
        for line in page.extract_text().splitlines()
    ]
    code = data.quote.credit_code
    assert f"统一社会信用代码 / Unified social credit code: {code}" in lines
    assert f"备案编号 / Filing no.: {data.wording[2]}" in lines
    assert not any("Ltd.." in line for line in lines)


# --------------------------------------------------------------------------- certificates


def test_passport_names_come_from_the_census_else_pinyin_marked(data: DocumentData) -> None:
    first, second = data.members
    assert (first.latin_name.text, first.latin_name.pinyin) == ("ZHANG YUE", False)
    assert (second.latin_name.text, second.latin_name.pinyin) == ("LYU KUN", True)
    pages = [
        " ".join(p.extract_text().split())
        for p in pypdf.PdfReader(io.BytesIO(render_pdf("certificates", data))).pages
    ]
    assert len(pages) == 2
    # passport name first, then the Chinese name, sex and date of birth
    given = pages[0]
    assert given.index("ZHANG YUE") < given.index("张玥") < given.index("Female 女")
    assert given.index("Female 女") < given.index("April 2, 1990")
    assert "pinyin of the Chinese name" not in given
    spelt = pages[1]
    assert spelt.index("LYU KUN") < spelt.index("pinyin of the Chinese name, not from the passport")
    assert "吕堃" in spelt


@pytest.mark.parametrize(
    ("name", "name_en", "expected"),
    [
        ("张玥", None, "ZHANG YUE"),
        ("欧阳娜娜", None, "OUYANG NANA"),
        ("单田芳", None, "SHAN TIANFANG"),  # the surname's reading, not the word's
        ("李小龙", None, "LI XIAOLONG"),
        ("女娲", None, "NYU WA"),
        ("张玥", "  Zhang   Yue ", "Zhang Yue"),
        ("Đorđe Petrović", None, "Đorđe Petrović"),
    ],
)
def test_latin_names(name: str, name_en: str | None, expected: str) -> None:
    assert latin_name(name, name_en).text == expected


def test_initials_are_of_the_passport_name() -> None:
    assert initials("张玥", None) == "Z. Y."
    assert initials("张玥", "ZHANG YUE") == "Z. Y."
    assert initials("Đorđe Petrović", None) == "Đ. P."


def test_certificates_show_usd_and_the_assistance_line_from_abroad(data: DocumentData) -> None:
    page = text(render_html("certificates", data))
    # AD&D 712,000 CNY at the tariff's 7.12 CNY per USD = 100,000 USD; accident medical
    # 71,200 / 7.12 = 10,000.
    assert data.tariff.params.fx.USD == 7.12
    assert "712,000 100,000" in page
    assert "71,200 10,000" in page
    assert "From abroad: +86 10 0000 0001" in page
    assert "Provided by Example Global Assistance Ltd." in page


def test_the_qr_code_encodes_the_verification_address(data: DocumentData) -> None:
    html = render_html("certificates", data)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == len(data.members) == 2
    for svg, member in zip(svgs, data.members, strict=True):
        url = f"http://localhost:8000/verify/{member.verify_code}"
        assert url in html
        # The same symbol segno makes for that address (and not for another one).
        expected = segno.make(url, error="m", micro=False)
        assert svg == expected.svg_inline(omitsize=True, border=2, svgclass="qr", lineclass=None)
        assert expected.designator.endswith("-M")
        other = segno.make(url + "0", error="m", micro=False)
        assert svg != other.svg_inline(omitsize=True, border=2, svgclass="qr", lineclass=None)


def test_verification_codes_are_keyed_and_carry_no_member_id(data: DocumentData) -> None:
    member = data.members[0]
    code = member.verify_code
    assert code == certificate_code(POLICY_ID, 1, "P1", "test-secret")
    assert "P1" not in code
    parsed = parse_certificate_code(code)
    assert parsed is not None and parsed.policy_id == POLICY_ID and parsed.number == 1
    assert tag_matches(parsed, "P1", "test-secret")
    assert not tag_matches(parsed, "P2", "test-secret")
    assert not tag_matches(parsed, "P1", "another-secret")
    assert parse_certificate_code(code + "x") is None
    assert parse_certificate_code("../../etc/passwd") is None


def test_the_brand_comes_from_the_environment() -> None:
    brand = Brand.from_env(
        {
            "QUOTING_INSURER_LEGAL_NAME_ZH": "某某保险股份有限公司",
            "QUOTING_ASSISTANCE_ABROAD": "+86 21 1234 5678",
            "QUOTING_PUBLIC_URL": "https://quotes.example.com/",
            "QUOTING_DISPUTE": " Arbitration ",
        }
    )
    assert brand.legal_name_zh == "某某保险股份有限公司"
    assert brand.hotline_abroad == "+86 21 1234 5678"
    assert brand.dispute == "arbitration"
    assert brand.verify_url("abc") == "https://quotes.example.com/verify/abc"
    assert brand.licence == Brand().licence  # unset: the demo default
    with pytest.raises(ValueError, match="QUOTING_DISPUTE"):
        Brand.from_env({"QUOTING_DISPUTE": "duel"})
