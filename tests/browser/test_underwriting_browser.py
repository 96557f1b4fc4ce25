"""The underwriter pages in a real browser: an agent's referred quote (class 6 members)
appears in the queue, linked from the header with the waiting count; the underwriter
opens it and approves it with a 10 % loading and special conditions in both languages;
the review shows the loading as its own line and the agent's quote page shows the
approval and offers binding."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tests.browser.conftest import PASSWORD, LiveServer, screenshot
from tests.browser.test_quote_browser import _api_quote, _digits, _fill_quote
from tests.browser.test_signin_browser import sign_in


def _signed_in(browser: Any, live_server: LiveServer, name: str, role: str) -> tuple[Any, str]:
    """A new browser page with a new user of ``role`` signed in; the user's API key."""
    account, key = live_server.store.create_user(name, role, PASSWORD)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/signin")
    sign_in(page, account.name)
    page.wait_for_url(live_server.url + "/")
    return page, str(key)


def test_an_underwriter_approves_a_referred_quote_with_a_loading_and_conditions(
    browser: Any, live_server: LiveServer
) -> None:
    agent, key = _signed_in(browser, live_server, "钱进", "agent")
    _fill_quote(agent, credit_code="91110000MA01ABCD52")
    agent.select_option("#grid-1-class", "6")  # class 6 needs an underwriter
    agent.click("#price")
    agent.wait_for_url(re.compile(r".*/quotes/q_[0-9a-f]+$"))
    quote_id = agent.url.rsplit("/", 1)[1]
    assert agent.locator("#quote-status").inner_text() == "需核保"
    before = Decimal(_api_quote(live_server, key, quote_id)["total_premium"])

    underwriter, _ = _signed_in(browser, live_server, "孙核保", "underwriter")
    underwriter.click("#nav-referrals")
    underwriter.wait_for_url("**/referrals")
    row = underwriter.locator(f"#queue-{quote_id}")
    assert "职业类别超过自动承保上限" in row.inner_text()
    screenshot(underwriter, "referrals-zh")
    row.locator("a").first.click()
    underwriter.wait_for_url(f"**/referrals/{quote_id}")
    underwriter.select_option("#adjustment_kind", "loading")
    underwriter.fill("#adjustment_percent", "10")
    underwriter.fill("#approve_reason", "隧道作业，安保到位")
    underwriter.fill("#conditions_zh", "夜间禁止出行")
    underwriter.fill("#conditions_en", "No travel at night")
    screenshot(underwriter, "referral-review-zh")
    underwriter.click("#approve")
    underwriter.wait_for_url(f"**/referrals/{quote_id}?done=approved")
    assert underwriter.locator("#done").count() == 1
    after = _api_quote(live_server, key, quote_id)
    added = _digits(underwriter.locator("#adjustment-premium").inner_text())
    assert added == Decimal(after["underwriting"]["adjustment_premium"])
    assert before + added == Decimal(after["total_premium"])
    assert "夜间禁止出行" in underwriter.locator("#conditions").inner_text()
    screenshot(underwriter, "referral-approved-zh")

    agent.reload()
    assert agent.locator("#quote-approved").count() == 1
    assert agent.locator("#bind").count() == 1
    assert _digits(agent.locator("#total-premium").inner_text()) == Decimal(after["total_premium"])
    agent.context.close()
    underwriter.context.close()
