"""The policy pages in a real browser: an agent binds a quote, opens the policy from the
quote page, adds a member on 1 July 2027, sees the exact premium in the preview, confirms
it once (clicking twice) and finds the endorsement in the policy's history; the pages fit
a 375 px phone.

Figures as in tests/api/test_policy_pages.py: 40 members at 111.64 (4,465.60); E041 joins
for 184 of 365 days in a group of 41: 111.419064 × 184/365 = 56.17; new total 4,521.77.
"""

from __future__ import annotations

import json
import re
import urllib.request
from decimal import Decimal
from typing import Any

from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_quote_browser import _digits
from tests.browser.test_underwriting_browser import _signed_in


def _quote(live_server: LiveServer, key: str) -> str:
    """The calendar-2027 policy's quote (40 members in Serbia), made through the API."""
    members = [
        {"member_id": f"E{i:03d}", "name": f"Worker {i}", "age": 40, "occupation_class": 2}
        | {"country": "RS"}
        for i in range(1, 41)
    ]
    body = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": "91110000MA01ABCD52"},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "plans": [{"name": "Plan", "covers": {"sdeath": {"sum_insured": "100000"}}}],
        "census": {"members": members},
    }
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/quotes",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["id"])


def _endorsements(live_server: LiveServer, key: str, policy_id: str) -> int:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/policies/{policy_id}/endorsements",
        headers={"Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["total"])


def test_an_agent_adds_a_member_previews_the_premium_and_confirms(
    browser: Any, live_server: LiveServer
) -> None:
    page, key = _signed_in(browser, live_server, "周批改", "agent")
    quote_id = _quote(live_server, key)
    page.goto(f"/quotes/{quote_id}")
    page.click("#bind")
    page.wait_for_url(f"**/quotes/{quote_id}")
    page.click("#quote-bound")
    page.wait_for_url(re.compile(r".*/policies/pol_[0-9a-f]+$"))
    policy_id = page.url.rsplit("/", 1)[1]
    assert _digits(page.locator("#total-premium").inner_text()) == Decimal("4465.60")
    screenshot(page, "policy-zh")

    page.click("#endorse")
    page.wait_for_url(f"**/policies/{policy_id}/endorse")
    page.fill("#effective", "2027-07-01")
    page.fill("#reason", "新员工派驻贝尔格莱德")
    page.fill("#add-0-member_id", "E041")
    page.fill("#add-0-name", "Worker 41")
    page.fill("#add-0-country", "RS")
    page.fill("#add-0-age", "40")
    page.select_option("#add-0-occupation_class", "2")
    page.click("#preview-endorsement")
    page.wait_for_selector("#preview")
    assert _digits(page.locator("#preview-premium").inner_text()) == Decimal("56.17")
    assert _digits(page.locator("#preview-total").inner_text()) == Decimal("4521.77")
    assert page.locator("#add-0-member_id").input_value() == "E041"  # the form is kept
    assert _endorsements(live_server, key, policy_id) == 0
    screenshot(page, "policy-endorse-preview-zh")

    page.dblclick("#confirm")
    page.wait_for_url(f"**/policies/{policy_id}?done=1#endorsements")
    assert page.locator("#endorsement-stored").count() == 1
    assert _digits(page.locator("#total-premium").inner_text()) == Decimal("4521.77")
    assert "E01" in page.locator("#endorsements").inner_text()
    assert _endorsements(live_server, key, policy_id) == 1  # a double click stores one
    screenshot(page, "policy-endorsed-zh")

    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/policies", f"/policies/{policy_id}", f"/policies/{policy_id}/endorse"):
        page.goto(path)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)  # a phone needs no sideways scrolling
    screenshot(page, "policy-endorse-phone-zh")
    page.context.close()
