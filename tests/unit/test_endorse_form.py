"""The endorsement form as data (quoting/web/pages/_endorse_form.py): what it sends the
service, and where the service's problems go back on the form."""

from __future__ import annotations

import datetime as dt

from quoting.errors import Problem
from quoting.schemas import CensusMember, EndorsementRequest, MemberChange, MemberRemoval
from quoting.web.pages._endorse_form import EndorseForm, endorse_errors

MEMBERS = ["E001", "E002", "E003"]


def _form() -> EndorseForm:
    return EndorseForm.parse(
        {
            "effective": [" 2027-07-01 "],
            "reason": ["rotation"],
            "add_member_id": ["", "E041"],
            "add_name": ["", "Worker 41"],
            "add_country": ["", "RS"],
            "add_occupation_class": ["", "3"],
            "add_sex": ["", "f"],
            "remove": ["E003", "E003"],
            "change_member_id": ["E002", ""],
            "change_site": ["Mombasa", "ignored without a member"],
        }
    )


def test_the_form_sends_typed_rows_and_leaves_blank_ones_out() -> None:
    body, add_rows, change_rows = _form().request()
    assert body == {
        "effective": "2027-07-01",
        "reason": "rotation",
        "add": [
            {"member_id": "E041", "name": "Worker 41", "country": "RS", "occupation_class": 3}
            | {"sex": "F"}
        ],
        "remove": [{"member_id": "E003"}],
        "change": [{"member_id": "E002", "site": "Mombasa"}],
    }
    assert (add_rows, change_rows) == ([1], [0])


def test_with_a_file_and_no_typed_rows_add_is_left_to_the_file() -> None:
    form = EndorseForm.new()
    form.effective = "2027-07-01"
    body, _add, _change = form.request(with_file=True)
    assert "add" not in body


def test_problems_go_beside_their_fields() -> None:
    form = _form()
    _body, add_rows, change_rows = form.request()
    problems = [
        Problem("outside the period", path=("effective",)),
        Problem("bad date", path=("add", 0, "date_of_birth")),
        Problem("not covered on 2027-07-01", path=("remove", 0, "member_id")),
        Problem("say what changes", path=("change", 0)),
        Problem("bad value", row=3, column="age"),
        Problem("add, remove or change at least one member", path=()),
    ]
    errors = endorse_errors(problems, (add_rows, change_rows), form.remove, MEMBERS)
    assert errors.fields == {
        "effective": ["outside the period"],
        "add-1-date_of_birth": ["bad date"],  # the request's first row is the form's second
        "remove-2": ["not covered on 2027-07-01"],  # E003 is the third member listed
        "change-0-member_id": ["say what changes"],
    }
    assert [(p.row, p.column) for p in errors.census_rows] == [(3, "age")]
    assert errors.general == ["add, remove or change at least one member"]


def test_a_request_comes_back_as_the_form_that_makes_it() -> None:
    request = EndorsementRequest(
        effective=dt.date(2027, 7, 1),
        add=[CensusMember(member_id="E041", name="W", country="RS", age=40, occupation_class=2)],
        remove=[MemberRemoval(member_id="E001")],
        change=[MemberChange(member_id="E002", occupation_class=4)],
        reason="r",
    )
    form = EndorseForm.from_request(request)
    body, _add, _change = form.request()
    assert body["add"] == [
        {"member_id": "E041", "name": "W", "country": "RS", "age": 40, "occupation_class": 2}
    ]
    assert body["remove"] == [{"member_id": "E001"}]
    assert body["change"] == [{"member_id": "E002", "occupation_class": 4}]


def test_the_rows_buttons_add_blank_rows() -> None:
    form = EndorseForm.new()
    assert form.apply("add-rows") and len(form.add) == 6
    assert form.apply("add-changes") and len(form.change) == 4
    assert not form.apply("preview")
