"""A census file merged into a request: every problem, of the file and of the tariff's
checks, comes back at once with the file's row numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from quoting.errors import CensusError, QuotingError
from quoting.services import decode_request, merge_census_file, quote_request, relocate_to_file_rows
from tests.support import ROOT, TARIFF_DIR

REQUEST = (ROOT / "examples" / "small_request.json").read_bytes()
TODAY = dt.date(2026, 11, 29)


def problems(exc: QuotingError) -> dict[str, str]:
    return {p.location: p.message for p in exc.problems}


def test_file_errors_and_tariff_errors_together_with_row_numbers():
    csv = (
        b"member_id,name,date_of_birth,occupation_class,country\n"
        b"1,A,1990-01-01,2,Indonesia\n"
        b"2,B,1990-13-01,2,Kenya\n"  # row 3: bad date
        b"3,C,1985-05-05,2,Narnia\n"  # row 4: unknown country (a tariff check)
        b"\n"  # blank line skipped, still counted
        b"5,E,1985-05-05,3,Atlantis\n"  # row 6
    )
    with pytest.raises(CensusError) as exc:
        merge_census_file(
            REQUEST, csv, "staff.csv", tariff_root=TARIFF_DIR, today=TODAY, replace=True
        )
    found = problems(exc.value)
    assert list(found) == [
        "row 3, column date_of_birth",
        "row 4, column country",
        "row 6, column country",
    ]
    assert "Narnia" in found["row 4, column country"]


def test_tariff_errors_of_a_clean_file_name_file_rows():
    csv = (
        b"member_id,name,date_of_birth,occupation_code,country\n"
        b"1,A,1990-01-01,E03,Indonesia\n"
        b"2,B,1990-01-01,Z99,Kenya\n"
        b"3,C,1985-05-05,W01,Narnia\n"
    )
    body, rows = merge_census_file(
        REQUEST, csv, "staff.csv", tariff_root=TARIFF_DIR, today=TODAY, replace=True
    )
    assert rows == [2, 3, 4]
    with pytest.raises(QuotingError) as exc:
        quote_request(
            decode_request(body, tariff_root=TARIFF_DIR), tariff_root=TARIFF_DIR, today=TODAY
        )
    relocated = problems(relocate_to_file_rows(exc.value, rows))
    assert relocated == {
        "row 3, column occupation_code": "unknown occupation code 'Z99'",
        "row 4, column country": "unknown country 'Narnia' (use an ISO code, or the English or Chinese name)",
    }


def test_a_good_file_prices():
    csv = "member_id,name,age,occupation_class,country,site\n1,A,40,2,ID,Depot\n2,B,35,4,肯尼亚,\n".encode()
    body, rows = merge_census_file(
        REQUEST, csv, "staff.csv", tariff_root=TARIFF_DIR, today=TODAY, replace=True
    )
    quote = quote_request(decode_request(body), tariff_root=TARIFF_DIR, today=TODAY)
    assert [m.country for m in quote.members] == ["ID", "KE"]
    assert rows == [2, 3]


def test_a_request_with_its_own_census_is_refused_unless_replacing():
    csv = b"member_id,name,age,occupation_class,country\n1,A,40,2,ID\n"
    with pytest.raises(QuotingError) as exc:
        merge_census_file(REQUEST, csv, "staff.csv", tariff_root=TARIFF_DIR, today=TODAY)
    assert [p.location for p in exc.value.problems] == ["census"]
