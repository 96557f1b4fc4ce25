"""Free text (names, ids, sites, passport numbers …) refuses control characters in JSON and in
census files alike, with the field's location; exports never fail on text stored before."""

from __future__ import annotations

import datetime as dt
import io

import msgspec
import pytest
from openpyxl import load_workbook

from quoting.census import read_census
from quoting.documents import document_data, render_html
from quoting.errors import CensusError, RequestError
from quoting.exports import members_csv, members_xlsx
from quoting.schemas import Census, CensusMember
from quoting.services import decode_request, quote_request
from tests.support import TARIFF_DIR, make_request

CONTROLS = ["\u0000", "\u0001", "\u000b", "\u001f", "\u007f", "\u0085", "\u009f", "\n", "\t"]
HEADER = "member_id,name,age,occupation_class,country,site,passport_no\n"


def request_json(**member: str) -> bytes:
    body = msgspec.to_builtins(
        make_request(
            {
                "members": [
                    {
                        "member_id": "1",
                        "name": "Ann",
                        "age": 30,
                        "occupation_class": 2,
                        "country": "ID",
                    }
                ]
            },
            {"add": {"sum_insured": "100000"}},
        )
    )
    body["census"]["members"][0].update(member)
    return msgspec.json.encode(body)


@pytest.mark.parametrize("char", CONTROLS)
def test_a_control_character_in_a_census_file_names_row_and_column(char: str) -> None:
    text = (
        HEADER
        + f'1,Ann,30,2,ID,"A{char}B",\n'
        + "2,Ben,40,2,ID,,P1\n"
        + f'3,"C{char}D",41,2,ID,,\n'
    )
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "staff.csv")
    where = {p.location: p.message for p in exc.value.problems}
    assert set(where) == {"row 2, column site", "row 4, column name"}
    assert "control character" in where["row 4, column name"]


def test_a_nul_in_a_csv_is_reported_with_row_and_column() -> None:
    text = HEADER + "1,Ann,30,2,ID,,\n" + "2,Ben\u0000,40,2,ID,,\n"
    with pytest.raises(CensusError) as exc:
        read_census(text.encode(), "staff.csv")
    (problem,) = exc.value.problems
    assert problem.location == "row 3, column name"
    assert "NUL" in problem.message


@pytest.mark.parametrize(
    "field", ["member_id", "name", "country", "passport_no", "occupation_code", "site"]
)
def test_a_control_character_in_json_text_is_refused_at_its_field(field: str) -> None:
    with pytest.raises(RequestError) as exc:
        decode_request(request_json(**{field: "ID\u000bX"}))
    assert [p.location for p in exc.value.problems] == [f"census.members[0].{field}"]
    assert "control character" in exc.value.problems[0].message


def test_policyholder_and_plan_names_refuse_control_characters() -> None:
    body = msgspec.json.decode(request_json())
    body["policyholder"]["name"] = "Bad\u001fCo"
    body["plans"][0]["name"] = "Plan\u0001"
    with pytest.raises(RequestError) as exc:
        decode_request(msgspec.json.encode(body))
    assert sorted(p.location for p in exc.value.problems) == ["plans[0].name", "policyholder.name"]


def test_a_backslash_before_u0000_is_ordinary_text() -> None:
    request = decode_request(request_json(name="a\\u0000b"))
    assert request.census.members is not None
    assert request.census.members[0].name == "a\\u0000b"


@pytest.mark.parametrize(
    "body",
    [
        b'{"policyholder\\u0000": 1}',
        b'{"currency": "CNY\\u0000"}',
        b'{"period": {"start": "2027-01-01\\u0000", "end": "2027-12-31"}}',
    ],
)
def test_a_nul_outside_free_text_is_still_a_request_error(body: bytes) -> None:
    with pytest.raises(RequestError):
        decode_request(body)


def quote_with_control_characters() -> object:
    """A quote as stored before control characters were refused: built without validation."""
    member = CensusMember(
        member_id="E\u00011",
        name="Wang\u000bWei\u0000",
        country="ID",
        age=30,
        occupation_class=2,
        site="Site\u001f\ufffe",
    )
    request = make_request(
        {
            "members": [
                {"member_id": "x", "name": "x", "age": 30, "occupation_class": 2, "country": "ID"}
            ]
        },
        {"add": {"sum_insured": "100000"}},
    )
    request = msgspec.structs.replace(request, census=Census(members=[member]))
    return quote_request(request, tariff_root=TARIFF_DIR.parent)


def test_exports_of_a_stored_quote_with_control_characters_do_not_fail() -> None:
    quote = quote_with_control_characters()
    sheet = load_workbook(io.BytesIO(members_xlsx(quote))).worksheets[0]  # type: ignore[arg-type]
    header, row = list(sheet.iter_rows(values_only=True))
    record = dict(zip(header, row, strict=True))
    assert record["member_id"] == "E\ufffd1"
    assert record["name"] == "Wang\ufffdWei\ufffd"
    assert record["site"] == "Site\ufffd\ufffd"
    csv_text = members_csv(quote).decode("utf-8")  # type: ignore[arg-type]
    assert "Wang\ufffdWei\ufffd" in csv_text


def test_documents_of_a_stored_quote_with_control_characters_are_made() -> None:
    quote = quote_with_control_characters()
    request = make_request(
        {
            "members": [
                {"member_id": "x", "name": "x", "age": 30, "occupation_class": 2, "country": "ID"}
            ]
        },
        {"add": {"sum_insured": "100000"}},
    )
    holder = msgspec.structs.replace(request.policyholder, name="Co\u0000\u0001")
    request = msgspec.structs.replace(request, policyholder=holder)
    data = document_data(
        quote_id="q_0123456789abcdef01234567",
        created_at=dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
        valid_until=dt.date(2026, 12, 29),
        result_json=msgspec.json.encode(quote),
        request_json=msgspec.json.encode(request),
        arranged_by="Broker",
        arranged_role="broker",
        tariff_root=TARIFF_DIR,
    )
    for document in ("quote-letter", "member-list"):
        html = render_html(document, data)
        assert not any(ch in html for ch in "\u0000\u0001\u000b\u001f"), document
    assert "Wang\ufffdWei\ufffd" in html  # the member list names every member
