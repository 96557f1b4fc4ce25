"""The quote pages in a real browser: an agent makes a quote from the presets with a typed
headcount grid, sees its status and totals (equal to the API's), opens a member's trace,
downloads the quote letter and binds it; a bad credit code shows its error beside the
field with everything typed kept; an uploaded census with bad rows shows the row/column
table; the pages fit a 375 px wide phone without scrolling sideways; a quote made from
the downloaded census template is not for another agent's eyes."""

from __future__ import annotations

import json
import re
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.browser.conftest import PASSWORD, LiveServer, screenshot
from tests.browser.test_signin_browser import sign_in


def _agent(page: Any, live_server: LiveServer, name: str) -> str:
    """A new agent signed in on ``page``; their API key."""
    account, key = live_server.store.create_user(name, "agent", PASSWORD)
    page.goto("/signin")
    sign_in(page, account.name)
    page.wait_for_url(live_server.url + "/")
    return str(key)


def _fill_quote(page: Any, credit_code: str = "91110000MA01ABCD52") -> None:
    page.goto("/quotes/new")
    page.fill("#policyholder_name", "中路海外工程建设有限公司")
    page.fill("#credit_code", credit_code)
    rows = [("KE", "2", "30-39", "12"), ("ID", "4", "40-49", "30"), ("AE", "1", "26-35", "5")]
    for r, (country, occupation_class, band, headcount) in enumerate(rows):
        page.fill(f"#grid-{r}-country", country)
        page.select_option(f"#grid-{r}-class", occupation_class)
        page.fill(f"#grid-{r}-age_band", band)
        page.fill(f"#grid-{r}-headcount", headcount)


def _digits(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.]", "", text))


def _api_quote(live_server: LiveServer, key: str, quote_id: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/quotes/{quote_id}", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.load(response))


def test_an_agent_quotes_from_the_presets_opens_a_trace_downloads_the_letter_and_binds(
    page: Any, live_server: LiveServer
) -> None:
    key = _agent(page, live_server, "赵敏")
    page.click("#nav-new-quote")
    page.wait_for_url("**/quotes/new")
    assert page.locator("#plan-0-name").input_value() == "管理人员"
    assert page.locator("#plan-1-name").input_value() == "现场人员"
    _fill_quote(page)
    page.fill("#plan-0-add-sum_insured", "1,200,000")  # every amount can be changed
    page.click("#add-rows")  # with JavaScript: a row added in place
    assert page.locator("#grid tbody tr").count() == 6
    # The premium as typed, priced a moment after typing stops (not stored).
    from playwright.sync_api import expect

    live = page.locator("#live-premium")
    expect(live).to_contain_text("47 人")  # polls until the last answer is in
    assert live.is_visible() and live.inner_text().startswith("按当前填写：保费 ¥")
    screenshot(page, "quote-new-zh")
    page.click("#price")
    page.wait_for_url(re.compile(r".*/quotes/q_[0-9a-f]+$"))
    quote_id = page.url.rsplit("/", 1)[1]

    assert page.locator("#quote-status").inner_text() == "已接受"
    shown = _digits(page.locator("#total-premium").inner_text())
    api = _api_quote(live_server, key, quote_id)
    assert shown == Decimal(api["total_premium"])
    assert _digits(page.locator("#total-vat").inner_text()) == Decimal(api["total_vat"])
    assert page.locator("#headcount").inner_text() == "47"
    assert page.locator("#chart-country svg").count() == 1
    assert "肯尼亚" in page.locator("#by-country").inner_text()
    screenshot(page, "quote-zh")

    page.click("#members a >> nth=0")
    page.wait_for_url(re.compile(r".*/members/G1$"))
    assert page.locator("#line-add").count() == 1
    assert "term_factor" in page.locator("#line-add").inner_text()
    page.go_back()

    with page.expect_download() as download:
        page.click("a[href$='/documents/quote-letter.pdf']")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    page.click("#bind")
    page.wait_for_load_state()
    assert "已出单" in page.locator("#quote-bound").inner_text()
    assert page.locator("#bind").count() == 0

    page.click("#language-switch")
    page.wait_for_load_state()
    assert page.locator("#quote-status").inner_text() == "Accepted"
    screenshot(page, "quote-en")
    page.goto("/quotes")
    assert quote_id in page.locator("#quotes").inner_html()
    screenshot(page, "quotes-en")
    page.goto("/quotes/new")
    screenshot(page, "quote-new-en")
    page.click("#language-switch")
    page.wait_for_load_state()
    page.goto("/quotes")
    screenshot(page, "quotes-zh")


def test_a_bad_credit_code_shows_beside_the_field_and_keeps_what_was_typed(
    page: Any, live_server: LiveServer
) -> None:
    _agent(page, live_server, "钱伟")
    _fill_quote(page, credit_code="91110000MA01ABCD53")
    page.fill("#plan-1-amed-limit", "60,000")
    page.click("#price")
    page.wait_for_load_state()
    assert page.url.endswith("/quotes/new")
    error = page.locator("#credit_code-error")
    assert error.inner_text() == "校验码不符"
    assert page.locator("#credit_code").get_attribute("aria-invalid") == "true"
    assert page.locator("#credit_code").input_value() == "91110000MA01ABCD53"
    assert page.locator("#policyholder_name").input_value() == "中路海外工程建设有限公司"
    assert page.locator("#plan-1-amed-limit").input_value() == "60,000"
    assert page.locator("#grid-1-country").input_value() == "ID"
    assert page.locator("#grid-1-headcount").input_value() == "30"
    assert page.locator("#grid-1-class").input_value() == "4"
    # The summary links to the field.
    assert page.locator("#error-summary a[href='#credit_code']").count() == 1
    screenshot(page, "quote-new-error-zh")


def test_an_uploaded_census_with_bad_rows_shows_them_as_a_table(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    _agent(page, live_server, "孙丽")
    census = tmp_path / "census.csv"
    census.write_text(
        "序号,姓名,性别,出生日期,职业类别,国家\n"
        "E001,李娜,女,1988-03-14,2,肯尼亚\n"
        "E002,王强,男,1979-13-02,4,肯尼亚\n"
        "E003,张伟,男,1992-06-30,3,Atlantis\n",
        encoding="utf-8",
    )
    page.goto("/quotes/new")
    page.fill("#policyholder_name", "中路海外工程建设有限公司")
    page.fill("#credit_code", "91110000MA01ABCD52")
    page.check("#census_mode-upload")
    assert not page.locator("#grid").is_visible()  # the other way is hidden
    page.set_input_files("#census_file", str(census))
    page.click("#price")
    page.wait_for_load_state()
    table = page.locator("#census-problems")
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(0).inner_text() == "3"
    assert rows.nth(0).locator("td").nth(1).inner_text() == "date_of_birth"
    assert rows.nth(1).locator("td").nth(0).inner_text() == "4"
    assert rows.nth(1).locator("td").nth(1).inner_text() == "country"
    # The problems in the customer's language (said by their codes), with the typed values.
    assert rows.nth(0).locator("td").nth(2).inner_text() == (
        "'1979-13-02' 不是日期（请用 YYYY-MM-DD 格式）"
    )
    assert rows.nth(1).locator("td").nth(2).inner_text() == (
        "未知国家 'Atlantis'（请用 ISO 代码或中英文名称）"
    )
    assert page.locator("#policyholder_name").input_value() == "中路海外工程建设有限公司"
    assert page.locator("#census_mode-upload").is_checked()
    screenshot(page, "quote-new-census-problems-zh")


def test_the_pages_fit_a_phone_without_scrolling_sideways(
    page: Any, live_server: LiveServer
) -> None:
    _agent(page, live_server, "周杰")
    page.set_viewport_size({"width": 375, "height": 800})
    _fill_quote(page)
    page.click("#price")
    page.wait_for_url(re.compile(r".*/quotes/q_[0-9a-f]+$"))
    quote_url = page.url
    for path in ("/quotes/new", quote_url, "/quotes", quote_url + "/members/G1"):
        page.goto(path)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    page.goto("/quotes/new")
    screenshot(page, "quote-new-phone-zh")


def test_a_quote_from_the_downloaded_template_is_not_for_another_agents_eyes(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    """The README's path: download the census template, upload it as it is, see the
    quote; another agent who is sent the quote's address gets "page not found"."""
    _agent(page, live_server, "吴昊")
    page.goto("/quotes/new")
    page.check("#census_mode-upload")  # the templates are offered with the upload
    with page.expect_download() as download:
        page.click("a[href='/census-template/census-template-zh.csv']")
    template = tmp_path / "census.csv"
    template.write_bytes(Path(download.value.path()).read_bytes())
    page.fill("#policyholder_name", "中路海外工程建设有限公司")
    page.fill("#credit_code", "91110000MA01ABCD52")
    page.set_input_files("#census_file", str(template))
    page.click("#price")
    page.wait_for_url(re.compile(r".*/quotes/q_[0-9a-f]+$"))
    quote_url = page.url
    assert page.locator("#headcount").inner_text() == "3"  # the template's three members
    assert page.locator("#chart-country svg").count() == 1

    page.click("#sign-out")
    page.wait_for_load_state()
    _agent(page, live_server, "郑爽")
    response = page.goto(quote_url)
    assert response is not None and response.status == 404
    assert page.locator("#error-heading").inner_text() == "页面不存在"
