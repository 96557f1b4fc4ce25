"""The public verification page of certificates (``/verify/{code}``, the certificates' QR
code) on SQLite and PostgreSQL: a broker binds the small example and opens the
certificates; anybody may then check each code without signing in. The page says valid or
not, shows the initials and the period and nothing else of the person; an unknown or
altered code is a 404 page saying not valid; a member who left by endorsement, and any
member once the period has ended, is not valid. Checked on dates fixed relative to the
policy period (2027-01-01 to 2027-12-31), never on the machine's date."""

from __future__ import annotations

import datetime as dt
import re

from quoting.clock import FixedClock
from quoting.web.pages._session import LANGUAGE_COOKIE
from tests.api.conftest import Api, ApiFactory, Caller
from tests.api.test_binding_api import bound, create, small_body

POLICIES = "/api/v1/policies"
VERIFY = re.compile(r"/verify/([0-9a-f]{24}-[0-9]+-[A-Z2-7]{16})")
INSIDE = dt.date(2027, 8, 15)
#: The business date the policy is quoted and bound on: before the period starts.
BOUND_ON = dt.date(2026, 12, 3)


def certificate_codes(api_with: ApiFactory) -> tuple[Api, Caller, str, dict[str, str]]:
    """An app whose business date is ``BOUND_ON``, a bound policy of the small example
    and its members' codes (read off the certificates, where the QR code prints)."""
    api = api_with(clock=FixedClock.on(BOUND_ON))
    broker = api.account()
    body = small_body()
    body["census"]["members"][0]["name_en"] = "LI NA"
    policy = bound(api, broker, create(api, broker, body)["id"])
    html = api.client.get(
        f"{POLICIES}/{policy['id']}/documents/certificates.html", headers=broker.headers
    ).text
    codes = list(dict.fromkeys(VERIFY.findall(html)))
    ids = [m["member_id"] for m in body["census"]["members"]]
    assert len(codes) == len(ids) == 2
    return api, broker, policy["id"], dict(zip(ids, codes, strict=True))


def state(response_text: str) -> str:
    found = re.search(r'id="verify-state"><strong>([^<]+)</strong>', response_text)
    assert found, response_text
    return found[1]


def test_a_certificate_in_force_is_valid_with_initials_and_period_only(
    api_with: ApiFactory,
) -> None:
    _, _, _, codes = certificate_codes(api_with)
    on_the_day = api_with(clock=FixedClock.on(INSIDE))
    response = on_the_day.client.get(f"/verify/{codes['E001']}")  # no key, no session
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert state(page) == "有效"  # Chinese by default, English beside it
    assert "Valid" in page
    assert re.search(r'id="verify-initials">L\. N\.<', page)
    assert re.search(r'id="verify-period">2027年1月1日 – 2027年12月31日<', page)
    # nothing else of the person or the policy
    for private in ("李娜", "LI NA", "E001", "E5", "1988", "中路海外", "91110000MA01ABCD52"):
        assert private not in page, private
    on_the_day.client.cookies.set(LANGUAGE_COOKIE, "en")
    english = on_the_day.client.get(f"/verify/{codes['E001']}").text
    assert state(english) == "Valid"
    assert re.search(r'id="verify-period">January 1, 2027 – December 31, 2027<', english)


def test_an_unknown_or_altered_code_is_a_not_valid_404_page(api_with: ApiFactory) -> None:
    _, _, _, codes = certificate_codes(api_with)
    app = api_with(clock=FixedClock.on(INSIDE))
    code = codes["E001"]
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    other_member = code.rsplit("-", 2)[0] + "-2-" + code.rsplit("-", 1)[1]
    for bad in (altered, other_member, "0" * 24 + "-1-" + "A" * 16, "nonsense", "x" * 500):
        response = app.client.get(f"/verify/{bad}")
        assert response.status_code == 404, bad
        assert state(response.text) == "无效"


def test_a_member_who_left_and_an_ended_period_are_not_valid(api_with: ApiFactory) -> None:
    api, broker, policy_id, codes = certificate_codes(api_with)
    left = api.client.post(
        f"{POLICIES}/{policy_id}/endorsements",
        json={"effective": "2027-07-01", "remove": [{"member_id": "E002"}]},
        headers=broker.headers,
    )
    assert left.status_code == 201, left.text
    on_the_day = api_with(clock=FixedClock.on(INSIDE))
    assert state(on_the_day.client.get(f"/verify/{codes['E001']}").text) == "有效"
    gone = on_the_day.client.get(f"/verify/{codes['E002']}").text
    assert state(gone) == "无效"
    assert "保险责任已于 2027年6月30日 提前终止" in gone
    # before 1 July the member was still covered
    june = api_with(clock=FixedClock.on(dt.date(2027, 6, 30)))
    assert state(june.client.get(f"/verify/{codes['E002']}").text) == "有效"
    after = api_with(clock=FixedClock.on(dt.date(2028, 1, 15)))
    page = after.client.get(f"/verify/{codes['E001']}").text
    assert state(page) == "无效"
    assert "保险期间已届满" in page
    before = api_with(clock=FixedClock.on(dt.date(2026, 12, 15)))
    assert "保险责任尚未开始" in before.client.get(f"/verify/{codes['E001']}").text


def test_the_page_is_rate_limited_per_address(api_with: ApiFactory) -> None:
    app = api_with(QUOTING_AUTH_FAIL_LIMIT="3/minute")
    statuses = [app.client.get("/verify/nonsense").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
