"""The quote pages in process (SQLite and PostgreSQL): an agent prices a quote from the
form, sees it with its totals equal to the API's, opens a member's trace, downloads the
documents, binds it; problems show beside their fields with everything typed kept; the
form's buttons work without JavaScript; a referred quote goes to an underwriter, who
approves it; the list searches, filters and pages; another agent's quote is a 404."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from quoting.census import census_template
from tests.api.test_pages_api import PASSWORD, TOKEN, Pages, _pages


def sheet_rows(xlsx: bytes) -> list[tuple[Any, ...]]:
    """The rows of a workbook's first sheet."""
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(xlsx), read_only=True).worksheets[0].values)


QUOTE_URL = re.compile(r"^/quotes/(q_[0-9a-f]+)$")


@pytest.fixture
def pages(database_url: str) -> Iterator[Pages]:
    yield from _pages(database_url)


def _signed_in(pages: Pages, role: str = "agent") -> tuple[Any, str]:
    """A new user of ``role`` signed in on the client (ending whoever was): (account, key)."""
    account, key = pages.user(role=role)
    response = pages.sign_in(account.name, PASSWORD)
    assert response.status_code == 303, response.text
    return account, key


def _token(text: str) -> str:
    found = TOKEN.search(text)
    assert found is not None
    return found[1]


def _form(pages: Pages, **changes: Any) -> dict[str, Any]:
    """The new-quote form as the page gives it (the presets' fields as shown), filled in
    with two grid rows."""
    page = pages.client.get("/quotes/new")
    assert page.status_code == 200, page.text
    data: dict[str, Any] = {"_csrf": _token(page.text)}
    shown = re.findall(
        r'<input type="(?:text|date|hidden)" [^>]*?name="([^"]+)" value="([^"]*)"', page.text
    )
    data |= {name: value for name, value in shown if not name.startswith(("grid_", "_csrf"))}
    for name in re.findall(r'<input type="checkbox" name="([^"]+)" value="on" checked', page.text):
        data[name] = "on"
    data |= {
        "plan-0-classes": ["1", "2"],
        "plan-1-classes": ["3", "4", "5", "6"],
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


def _priced(pages: Pages, **changes: Any) -> str:
    response = _post(pages, _form(pages, **changes))
    assert response.status_code == 303, response.text
    found = QUOTE_URL.match(response.headers["location"])
    assert found is not None
    return found[1]


def test_an_agent_prices_a_quote_from_the_form_and_binds_it(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    quote_id = _priced(pages)
    page = pages.client.get(f"/quotes/{quote_id}")
    assert page.status_code == 200
    api = pages.client.get(
        f"/api/v1/quotes/{quote_id}", headers={"Authorization": f"Bearer {key}"}
    ).json()
    total = re.search(r'id="total-premium">¥([0-9,.]+)<', page.text)
    assert total is not None and Decimal(total[1].replace(",", "")) == Decimal(api["total_premium"])
    assert api["headcount"] == 42 and api["status"] == "accepted"
    assert "肯尼亚 (KE)" in page.text and page.text.count("<svg") == 2

    member = pages.client.get(f"/quotes/{quote_id}/members/G1")
    assert member.status_code == 200
    for factor in api["members"][0]["lines"][0]["factors"]:
        assert f"<code>{factor}</code>" in member.text
    letter = pages.client.get(f"/quotes/{quote_id}/documents/quote-letter.pdf")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    assert letter.headers["content-disposition"].startswith("attachment")
    xlsx = pages.client.get(f"/quotes/{quote_id}/members.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert pages.client.get(f"/quotes/{quote_id}/documents/nothing.pdf").status_code == 404

    bound = pages.client.post(
        f"/quotes/{quote_id}/bind", data={"_csrf": _token(page.text)}, follow_redirects=False
    )
    assert bound.status_code == 303, bound.text
    after = pages.client.get(f"/quotes/{quote_id}")
    assert 'id="quote-bound"' in after.text and 'id="bind"' not in after.text
    policy = pages.store.policy_for_quote(quote_id)
    assert policy.policy_number in after.text
    schedule = pages.client.get(f"/policies/{policy.id}/documents/policy-schedule.pdf")
    assert schedule.status_code == 200 and schedule.content.startswith(b"%PDF")
    again = pages.client.post(f"/quotes/{quote_id}/bind", data={"_csrf": _token(after.text)})
    assert again.status_code == 409 and 'id="action-error"' in again.text


def test_problems_show_beside_their_fields_with_everything_typed_kept(pages: Pages) -> None:
    _signed_in(pages)
    before = pages.store.count_quotes()
    data = _form(
        pages,
        credit_code="91110000MA01ABCD53",
        grid_headcount=["12", "lots"],
        **{"plan-1-amed-limit": "60,000"},
    )
    response = _post(pages, data)
    assert response.status_code == 422
    text = response.text
    assert 'id="credit_code-error">校验码不符<' in text
    assert 'value="91110000MA01ABCD53" maxlength="18"' in text
    assert 'aria-invalid="true" aria-describedby="credit_code-error"' in text
    assert 'id="grid-1-headcount-error">应为整数，而不是文字<' in text
    assert 'name="grid_headcount" value="lots"' in text
    assert 'name="plan-1-amed-limit" value="60,000"' in text
    assert '<a href="#credit_code">' in text  # the summary links to the field
    assert pages.store.count_quotes() == before


def test_the_forms_buttons_work_without_javascript(pages: Pages) -> None:
    _signed_in(pages)
    before = pages.store.count_quotes()  # PostgreSQL's database is shared by the session
    more = _post(pages, _form(pages, action="add-rows"))
    assert more.status_code == 200
    assert more.text.count('class="grid-row"') == 2 + 5
    assert 'name="grid_country" value="ID"' in more.text
    plan = _post(pages, _form(pages, action="add-plan", preset="full"))
    assert 'name="plan-2-name" value="全面保障"' in plan.text
    assert 'name="plan_count" value="3"' in plan.text
    fewer = _post(pages, _form(pages, action="remove-plan-0"))
    assert 'name="plan-0-name" value="现场人员"' in fewer.text
    row = _post(pages, _form(pages, action="remove-row-0"))
    assert 'name="grid_country" value="KE"' not in row.text
    assert pages.store.count_quotes() == before


def test_a_census_file_is_priced_and_its_problems_listed_by_row_and_column(pages: Pages) -> None:
    _signed_in(pages)
    template = pages.client.get("/census-template/census-template-zh.xlsx")
    assert template.status_code == 200
    # The same sheet (the bytes differ by the zip's time stamps when a second passes).
    assert sheet_rows(template.content) == sheet_rows(census_template("xlsx", "zh")[0])
    assert pages.client.get("/census-template/census-template-fr.csv").status_code == 404
    files = {"census_file": ("census.xlsx", template.content, "application/octet-stream")}
    response = _post(pages, _form(pages, census_mode="upload"), files)
    assert response.status_code == 303, response.text
    quote = pages.client.get(response.headers["location"])
    assert "E001 李娜" in quote.text and 'id="headcount">3<' in quote.text

    bad = b"\xef\xbb\xbf\xe5\xba\x8f\xe5\x8f\xb7,name,country,occupation_class\nE1,A,KE,2\nE2,B,Atlantis,2\n"
    files = {"census_file": ("census.csv", bad, "text/csv")}
    response = _post(pages, _form(pages, census_mode="upload"), files)
    assert response.status_code == 422
    table = re.search(r'<table class="data census-problems".*?</table>', response.text, re.DOTALL)
    assert table is not None
    assert re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", table[0]) == [("3", "country")]
    wrong = {"census_file": ("census.txt", b"x", "text/plain")}
    response = _post(pages, _form(pages, census_mode="upload"), wrong)
    assert response.status_code == 422 and 'id="census_file-error"' in response.text
    response = _post(pages, _form(pages, census_mode="upload"))
    assert response.status_code == 422 and 'id="census_file-error"' in response.text


def test_a_referred_quote_goes_to_an_underwriter_who_approves_it(pages: Pages) -> None:
    agent, _ = _signed_in(pages)
    quote_id = _priced(pages, grid_class=["2", "6"])  # class 6 is referred
    page = pages.client.get(f"/quotes/{quote_id}")
    assert 'id="quote-status">需核保<' in page.text
    # The customer's words (those of the documents), and the engine's detail for the agent.
    assert "第6类职业人员 30 人 需经核保" in page.text
    assert "occupation class above 5 needs an underwriter" in page.text
    assert 'id="bind"' not in page.text and 'id="bind-refusal"' in page.text
    empty = pages.client.post(
        f"/quotes/{quote_id}/refer", data={"_csrf": _token(page.text), "message": " "}
    )
    assert empty.status_code == 422 and 'id="message-error"' in empty.text
    sent = pages.client.post(
        f"/quotes/{quote_id}/refer",
        data={"_csrf": _token(page.text), "message": "Class 6 <tunnel> crew, please approve"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    events = [e for e in pages.store.events(quote_id) if e.kind == "referral.sent"]
    assert [(e.account_id, e.data["message"]) for e in events] == [
        (agent.id, "Class 6 <tunnel> crew, please approve")
    ]
    assert "Class 6 &lt;tunnel&gt; crew" in pages.client.get(f"/quotes/{quote_id}").text

    underwriter, _ = _signed_in(pages, "underwriter")
    listed = pages.client.get("/quotes?status=referred")
    assert quote_id in listed.text  # underwriters see every quote
    page = pages.client.get(f"/quotes/{quote_id}")
    approved = pages.client.post(
        f"/quotes/{quote_id}/approve", data={"_csrf": _token(page.text)}, follow_redirects=False
    )
    assert approved.status_code == 303

    pages.sign_in(agent.name, PASSWORD)
    page = pages.client.get(f"/quotes/{quote_id}")
    assert f"{underwriter.name} 于" in page.text and 'id="bind"' in page.text
    assert "第6类职业人员 30 人 按约定承保" in page.text  # the referral as agreed
    assert 'id="approve"' not in page.text  # agents do not approve


def test_the_agent_sees_an_underwriters_question_and_decline_from_the_queue(pages: Pages) -> None:
    agent, _ = _signed_in(pages)
    quote_id = _priced(pages, grid_class=["2", "6"])  # class 6 is referred
    page = pages.client.get(f"/quotes/{quote_id}")
    sent = pages.client.post(
        f"/quotes/{quote_id}/refer",
        data={"_csrf": _token(page.text), "message": "tunnel crew"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    underwriter, key = pages.user(role="underwriter")
    api = {"Authorization": f"Bearer {key}"}
    queue = pages.client.get("/api/v1/referrals?state=all&limit=200", headers=api).json()
    (item,) = [i for i in queue["items"] if i["quote_id"] == quote_id]
    assert item["message"] == "tunnel crew"  # the page's message is the queue's
    for decision in (
        {"decision": "ask", "question": "Who guards the <tunnel>?"},
        {"decision": "decline", "reason": "no guard on site"},
    ):
        if decision["decision"] == "decline":
            answer = {"answer": "nobody yet"}
            answered = pages.client.post(
                f"/api/v1/quotes/{quote_id}/answers", json=answer, headers=pages_key(pages, agent)
            )
            assert answered.status_code == 200, answered.text
        decided = pages.client.post(
            f"/api/v1/quotes/{quote_id}/decision", json=decision, headers=api
        )
        assert decided.status_code == 200, decided.text
    page = pages.client.get(f"/quotes/{quote_id}")
    assert f"{underwriter.name} 于" in page.text and "提问：" in page.text
    assert "Who guards the &lt;tunnel&gt;?" in page.text
    assert "拒保：" in page.text and "no guard on site" in page.text


def test_the_agent_answers_an_underwriters_question_on_the_quote_page(pages: Pages) -> None:
    agent, _ = _signed_in(pages)
    quote_id = _priced(pages, grid_class=["2", "6"])  # class 6 is referred
    page = pages.client.get(f"/quotes/{quote_id}")
    assert 'id="open-question"' not in page.text  # nothing asked yet
    pages.client.post(
        f"/quotes/{quote_id}/refer", data={"_csrf": _token(page.text), "message": "tunnel crew"}
    )
    _underwriter, key = pages.user(role="underwriter")
    api = {"Authorization": f"Bearer {key}"}
    question = {"decision": "ask", "question": "Who guards the <tunnel>?"}
    asked = pages.client.post(f"/api/v1/quotes/{quote_id}/decision", json=question, headers=api)
    assert asked.status_code == 200, asked.text

    page = pages.client.get(f"/quotes/{quote_id}")
    assert 'id="open-question"' in page.text and "核保人提问" in page.text
    assert "<q>Who guards the &lt;tunnel&gt;?</q>" in page.text
    assert 'action="/quotes/' + quote_id + '/answer"' in page.text
    token = _token(page.text)
    for bad in (" \n ", "x" * 2001):
        refused = pages.client.post(f"/quotes/{quote_id}/answer", data={"answer": bad})
        assert refused.status_code == 403  # no CSRF token: refused before anything
        refused = pages.client.post(
            f"/quotes/{quote_id}/answer", data={"_csrf": token, "answer": bad}
        )
        assert refused.status_code == 422
        assert 'aria-describedby="answer-error"' in refused.text
        assert "答复" in refused.text.split('id="answer-error">')[1].split("</p>")[0]
        assert f">{bad}</textarea>" in refused.text  # kept as typed
    assert pages.client.get(f"/api/v1/quotes/{quote_id}/referral", headers=api).json()["state"] == (
        "information_requested"
    )

    answered = pages.client.post(
        f"/quotes/{quote_id}/answer",
        data={"_csrf": token, "answer": "  Two <armed> guards, day and night  "},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    events = [e for e in pages.store.events(quote_id) if e.kind == "referral.answered"]
    assert [(e.account_id, e.data["answer"], e.data["question"]) for e in events] == [
        (agent.id, "Two <armed> guards, day and night", "Who guards the <tunnel>?")
    ]
    page = pages.client.get(f"/quotes/{quote_id}")
    assert 'id="open-question"' not in page.text  # answered: no form any more
    assert f"{agent.name} 于" in page.text and "答复：" in page.text
    assert "<q>Two &lt;armed&gt; guards, day and night</q>" in page.text
    # The underwriters see the answer where they decide (the API's referral, the queue).
    referral = pages.client.get(f"/api/v1/quotes/{quote_id}/referral", headers=api).json()
    assert referral["state"] == "waiting"
    assert referral["answer"] == "Two <armed> guards, day and night"
    again = pages.client.post(
        f"/quotes/{quote_id}/answer", data={"_csrf": _token(page.text), "answer": "more"}
    )
    assert again.status_code == 409 and 'id="answer-error"' not in again.text


def test_only_the_quotes_owner_answers_and_in_english_too(pages: Pages) -> None:
    owner, _ = _signed_in(pages)
    quote_id = _priced(pages, grid_class=["2", "6"])
    underwriter, key = pages.user(role="underwriter")
    question = {"decision": "ask", "question": "Which site?"}
    api = {"Authorization": f"Bearer {key}"}
    asked = pages.client.post(f"/api/v1/quotes/{quote_id}/decision", json=question, headers=api)
    assert asked.status_code == 200, asked.text

    _signed_in(pages)  # another agent
    page = pages.client.get("/quotes")
    stranger = pages.client.post(
        f"/quotes/{quote_id}/answer", data={"_csrf": _token(page.text), "answer": "Site 3"}
    )
    assert stranger.status_code == 404

    pages.sign_in(underwriter.name, PASSWORD)  # sees the question, no answer form
    page = pages.client.get(f"/quotes/{quote_id}")
    assert "Which site?" in page.text and 'id="send-answer"' not in page.text

    pages.sign_in(owner.name, PASSWORD)
    page = pages.client.get(f"/quotes/{quote_id}")
    pages.client.post("/language", data={"locale": "en", "next": "/", "_csrf": _token(page.text)})
    page = pages.client.get(f"/quotes/{quote_id}")
    assert "The underwriter asks" in page.text and 'id="send-answer"' in page.text
    refused = pages.client.post(
        f"/quotes/{quote_id}/answer", data={"_csrf": _token(page.text), "answer": ""}
    )
    assert "write an answer of 1 to 2,000 characters" in refused.text


def pages_key(pages: Pages, account: Any) -> dict[str, str]:
    """An API key of ``account`` (pages and API are separate doors)."""
    return {"Authorization": f"Bearer {pages.store.issue_api_key(account.id)}"}


def test_the_list_searches_filters_and_pages_and_shows_only_ones_own(pages: Pages) -> None:
    _signed_in(pages)
    first = _priced(pages, policyholder_name="Alpha Mining Overseas Ltd")
    second = _priced(pages, policyholder_name="北方矿业", credit_code="91350100M000100Y43")
    listed = pages.client.get("/quotes").text
    assert listed.index(second) < listed.index(first)  # newest first
    assert "2 个报价" in listed
    by_name = pages.client.get("/quotes", params={"q": "alpha"}).text
    assert first in by_name and second not in by_name
    by_code = pages.client.get("/quotes", params={"q": "91350100"}).text
    assert second in by_code and first not in by_code
    assert "0 个报价" in pages.client.get("/quotes", params={"status": "declined"}).text
    assert first in pages.client.get("/quotes", params={"status": "accepted"}).text
    assert 'rel="next"' not in listed

    _signed_in(pages)  # another agent
    assert "0 个报价" in pages.client.get("/quotes").text
    for path in (
        f"/quotes/{first}",
        f"/quotes/{first}/members/G1",
        f"/quotes/{first}/members.xlsx",
    ):
        assert pages.client.get(path).status_code == 404, path


def test_the_quote_pages_need_a_signed_in_agent_and_a_csrf_token(pages: Pages) -> None:
    response = pages.client.get("/quotes/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/quotes/new"
    _signed_in(pages)
    data = _form(pages)
    del data["_csrf"]
    assert _post(pages, data).status_code == 403
    _signed_in(pages, "admin")
    assert pages.client.get("/quotes").status_code == 403


def test_declined_members_are_said_plainly_and_declined_countries_marked(pages: Pages) -> None:
    _signed_in(pages)
    form = pages.client.get("/quotes/new").text
    assert '<option value="AF">阿富汗 Afghanistan — 拒保</option>' in form
    assert '<option value="KE">肯尼亚 Kenya</option>' in form
    quote_id = _priced(pages, grid_country=["KE", "AF"])
    page = pages.client.get(f"/quotes/{quote_id}").text
    declined = re.search(r'<table class="data" id="declined">.*?</table>', page, re.DOTALL)
    assert declined is not None
    assert "G2 Group 2" in declined[0] and "该国家/地区（阿富汗）不在承保范围内" in declined[0]
    assert ">30<" in declined[0]  # the group's headcount
    pages.client.post("/language", data={"_csrf": _token(page), "locale": "en", "next": "/"})
    english = pages.client.get(f"/quotes/{quote_id}").text
    assert "Cover is not available in this country (Afghanistan)" in english
    assert "Kenya (KE)" in english


def test_commission_experience_and_chinese_plan_names_from_the_form(pages: Pages) -> None:
    _agent, key = _signed_in(pages)
    page = pages.client.get("/quotes/new")
    for field in ("commission", "experience_start", "experience_member_years", "plan-0-name_zh"):
        assert f'<label for="{field}">' in page.text  # every input has its label
    typed = {
        "commission": "20%",
        "experience_start": "2024-01-01",
        "experience_end": "2025-12-31",
        "experience_member_years": "80",
        "experience_claim_count": "2",
        "experience_incurred_claims": "30,000",
        "plan-0-name": "Office",
        "plan-0-name_zh": "管理人员",
    }
    data = _form(pages, **typed)
    token = data.pop("_csrf")
    preview = pages.client.post("/quotes/preview", data=data, headers={"X-CSRF-Token": token})
    plain = {k: v for k, v in _form(pages).items() if k != "_csrf"}
    default = pages.client.post("/quotes/preview", data=plain, headers={"X-CSRF-Token": token})
    assert preview.json()["ok"] and default.json()["ok"]
    # The live premium uses them: 20 % commission (and the experience) against the default.
    assert preview.json()["total_premium"] != default.json()["total_premium"]
    response = _post(pages, data | {"_csrf": token})
    assert response.status_code == 303, response.text
    quote_id = QUOTE_URL.match(response.headers["location"])[1]  # type: ignore[index]
    api = pages.client.get(
        f"/api/v1/quotes/{quote_id}", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert api["commission"] == 0.2 and api["total_premium"] == preview.json()["total_premium"]
    assert api["rating"]["experience"] is not None
    stored = pages.client.get(
        f"/api/v1/quotes/{quote_id}/request", headers={"Authorization": f"Bearer {key}"}
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["plans"][0]["name_zh"] == "管理人员"
    assert stored.json()["commission"] == "0.2"


def test_commission_and_experience_problems_show_beside_their_fields_kept(pages: Pages) -> None:
    _signed_in(pages)
    experience = {
        "experience_start": "2024-01-01",
        "experience_end": "2025-12-31",
        "experience_member_years": "80",
        "experience_claim_count": "lots",
        "experience_incurred_claims": "100",
    }
    response = _post(pages, _form(pages, **experience))
    assert response.status_code == 422
    text = response.text
    assert 'id="experience_claim_count-error">应为整数，而不是文字<' in text
    assert 'name="experience_claim_count" value="lots"' in text
    assert 'name="experience_member_years" value="80"' in text
    assert '<a href="#experience_claim_count">' in text
    # The tariff's bounds of the commission, said beside it, in either language.
    response = _post(pages, _form(pages, commission="0.4"))
    assert response.status_code == 422
    assert 'id="commission-error">0.4 超出费率表范围 [0, 0.25]<' in response.text
    assert 'name="commission" value="0.4"' in response.text
    assert '<a href="#commission">' in response.text
    token = _token(response.text)
    pages.client.post("/language", data={"locale": "en", "next": "/", "_csrf": token})
    english = _post(pages, _form(pages, commission="0.4"))
    assert "0.4 is outside the tariff&#39;s bounds [0, 0.25]" in english.text


def test_the_live_premium_is_the_quotes_premium_and_stores_nothing(pages: Pages) -> None:
    _signed_in(pages)
    data = _form(pages)
    before = pages.store.count_quotes()
    token = data.pop("_csrf")
    preview = pages.client.post("/quotes/preview", data=data, headers={"X-CSRF-Token": token})
    assert preview.status_code == 200, preview.text
    answer = preview.json()
    assert answer["ok"] and answer["status"] == "accepted"
    assert pages.store.count_quotes() == before
    quote_id = _priced(pages)
    page = pages.client.get(f"/quotes/{quote_id}").text
    total = re.search(r'id="total-premium">(¥[0-9,.]+)<', page)
    assert total is not None
    assert answer["text"] == f"按当前填写：保费 {total[1]}，42 人（已接受）"
    bad = pages.client.post(
        "/quotes/preview", data=data | {"credit_code": "x"}, headers={"X-CSRF-Token": token}
    )
    assert bad.json() == {"ok": False, "problems": 1}
    assert pages.client.post("/quotes/preview", data=data).status_code == 403  # no token
