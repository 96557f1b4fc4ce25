"""The pages' sign-in, sessions and safety, driven in process (SQLite and PostgreSQL): what
an agent relies on (their session lasts a working day, not forever; their name stays in
the form) and what keeps others out (cookies only for the pages, keys only for the API,
CSRF tokens on every form, lockout after repeated failures, no open redirects)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api import create_app
from quoting.clock import Clock
from quoting.settings import Settings
from tests.api.conftest import make_settings
from tests.support import StoreProbe

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass(frozen=True)
class StepClock(Clock):
    """The real clock moved on by ``offset[0]`` (a test moves time with :meth:`advance`);
    the business date stays the settings' pinned one."""

    offset: list[dt.timedelta] = field(default_factory=lambda: [dt.timedelta(0)])

    def now(self) -> dt.datetime:
        return Clock.now(self) + self.offset[0]

    def advance(self, **delta: float) -> None:
        self.offset[0] += dt.timedelta(**delta)


@dataclass
class Pages:
    client: TestClient
    store: StoreProbe
    settings: Settings

    def user(self, name: str = "王伟", role: str = "agent") -> Any:
        """A new user with the password; the name gets a suffix of this test's own (the
        PostgreSQL database is shared by the session's tests, and names that sign in are
        unique)."""
        return self.store.create_user(f"{name} {secrets.token_hex(3)}", role, PASSWORD)

    def token(self, path: str = "/signin") -> str:
        """The CSRF token of the forms on ``path`` (as the browser would read it)."""
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        found = TOKEN.search(page.text)
        assert found is not None
        return found[1]

    def sign_in(self, name: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        data = {"name": name, "password": password, "_csrf": self.token(), **extra}
        return self.client.post("/signin", data=data, follow_redirects=False)


def _pages(database_url: str, **env: str) -> Iterator[Pages]:
    settings = make_settings(database_url, **env)
    settings = replace(settings, clock=StepClock(business_date=settings.clock.business_date))
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        yield Pages(client, store, settings)
        store.dispose()


@pytest.fixture
def pages(database_url: str) -> Iterator[Pages]:
    yield from _pages(database_url)


def _set_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


# ------------------------------------------------------------------------ signing in


def test_an_agent_signs_in_sees_their_name_and_signs_out(pages: Pages) -> None:
    account, _ = pages.user()
    response = pages.sign_in(account.name)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    home = pages.client.get("/")
    assert home.status_code == 200
    assert (
        f'id="home-name">{account.name}<' in home.text and "代理人" in home.text
    )  # Chinese by default
    assert len(pages.store.sessions_of(account.id)) == 1

    out = pages.client.post("/signout", data={"_csrf": pages.token("/")}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/signin")
    assert pages.store.sessions_of(account.id) == []
    again = pages.client.get("/", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/signin?next=/")


def test_the_typed_name_is_matched_without_case_or_extra_spaces(pages: Pages) -> None:
    account, _ = pages.user("Wang Wei")
    typed = "  " + account.name.upper().replace(" ", "   ") + " "
    assert pages.sign_in(typed).status_code == 303


def test_a_wrong_password_keeps_the_name_and_says_only_wrong_name_or_password(
    pages: Pages,
) -> None:
    account, _ = pages.user()
    wrong = pages.sign_in(account.name, "not the password")
    unknown = pages.sign_in("没有这个人", PASSWORD)
    for response, name in ((wrong, account.name), (unknown, "没有这个人")):
        assert response.status_code == 400
        assert "姓名或密码错误。" in response.text
        assert f'value="{name}"' in response.text
        assert "quoting_session=" not in response.headers.get("set-cookie", "")


def test_a_disabled_account_and_a_broker_cannot_sign_in(pages: Pages) -> None:
    account, _ = pages.user()
    pages.store.set_account_disabled(account.id, True)
    assert pages.sign_in(account.name).status_code == 400
    broker, _ = pages.store.create_account(f"Broker {secrets.token_hex(3)}", "broker", "0.15")
    assert pages.sign_in(broker.name, "").status_code == 400


def test_the_session_cookie_is_httponly_samesite_lax_and_not_secure_by_default(
    pages: Pages,
) -> None:
    account, _ = pages.user()
    cookie = _set_cookie(pages.sign_in(account.name), "quoting_session").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=86400" in cookie  # the absolute lifetime: 24 hours
    assert "secure" not in cookie


def test_cookies_are_secure_when_the_settings_say_so(database_url: str) -> None:
    for pages in _pages(database_url, QUOTING_SECURE_COOKIES="on"):
        account, _ = pages.user()
        form = pages.client.get("/signin")
        assert "secure" in _set_cookie(form, "quoting_csrf").lower()
        # The test client is plain HTTP, so it keeps no Secure cookie: send the token by hand.
        token = TOKEN.search(form.text)[1]  # type: ignore[index]
        pages.client.cookies.set("quoting_csrf", token)
        response = pages.client.post(
            "/signin",
            data={"name": account.name, "password": PASSWORD, "_csrf": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "; secure" in _set_cookie(response, "quoting_session").lower()


def test_signing_in_rotates_the_session_id(pages: Pages) -> None:
    account, _ = pages.user()
    first = _set_cookie(pages.sign_in(account.name), "quoting_session")
    second = _set_cookie(pages.sign_in(account.name), "quoting_session")
    assert first.split(";")[0] != second.split(";")[0]
    # The browser's previous session ended with the new sign-in.
    assert len(pages.store.sessions_of(account.id)) == 1


def test_a_planted_session_cookie_is_worthless_after_sign_in(pages: Pages) -> None:
    account, _ = pages.user()
    pages.client.cookies.set("quoting_session", "planted-by-someone-else")
    response = pages.sign_in(account.name)
    token = _set_cookie(response, "quoting_session").split(";")[0].split("=", 1)[1]
    assert token != "planted-by-someone-else"


def test_the_database_keeps_only_a_hash_of_the_session_token(pages: Pages) -> None:
    account, _ = pages.user()
    token = (
        _set_cookie(pages.sign_in(account.name), "quoting_session").split(";")[0].split("=", 1)[1]
    )
    (row,) = pages.store.sessions_of(account.id)
    assert token not in str(dict(row))
    assert len(row["id_hash"]) == 64


# ------------------------------------------------------------------------ expiry


def test_a_session_ends_after_eight_idle_hours(pages: Pages) -> None:
    account, _ = pages.user()
    pages.sign_in(account.name)
    clock: StepClock = pages.settings.clock  # type: ignore[assignment]
    clock.advance(hours=7, minutes=59)
    assert pages.client.get("/", follow_redirects=False).status_code == 200  # used: idle resets
    clock.advance(hours=7, minutes=59)
    assert pages.client.get("/", follow_redirects=False).status_code == 200
    clock.advance(hours=8, seconds=1)
    response = pages.client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/signin?next=/")


def test_a_session_ends_24_hours_after_sign_in_however_busy(pages: Pages) -> None:
    account, _ = pages.user()
    pages.sign_in(account.name)
    clock: StepClock = pages.settings.clock  # type: ignore[assignment]
    for _ in range(4):  # used every 6 hours: never idle for long
        clock.advance(hours=6)
        status = pages.client.get("/", follow_redirects=False).status_code
    assert status == 303  # 24 h after sign-in
    assert pages.store.sessions_of(account.id) == []


def test_session_lengths_come_from_the_settings(database_url: str) -> None:
    for pages in _pages(database_url, QUOTING_SESSION_IDLE="30 minutes"):
        account, _ = pages.user()
        pages.sign_in(account.name)
        pages.settings.clock.advance(minutes=31)  # type: ignore[attr-defined]
        assert pages.client.get("/", follow_redirects=False).status_code == 303


def test_disabling_an_account_or_changing_its_password_ends_its_sessions(pages: Pages) -> None:
    from quoting.services import accounts

    account, _ = pages.user()
    pages.sign_in(account.name)
    pages.store.set_account_disabled(account.id, True)
    assert pages.client.get("/", follow_redirects=False).status_code == 303
    pages.store.set_account_disabled(account.id, False)
    pages.sign_in(account.name)
    accounts.set_password(pages.store.uow, pages.store.context, account.id, "a new long password")
    assert pages.client.get("/", follow_redirects=False).status_code == 303


# ------------------------------------------------------------------------ pages vs API


def test_an_api_key_does_not_open_the_pages(pages: Pages) -> None:
    _, key = pages.user()
    response = pages.client.get(
        "/", headers={"Authorization": f"Bearer {key}"}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, "/signin?next=/")


def test_a_page_session_does_not_open_the_api(pages: Pages) -> None:
    account, _ = pages.user()
    pages.sign_in(account.name)
    assert pages.client.get("/").status_code == 200
    for path in ("/api/v1/quotes", "/api/v1/policies"):
        response = pages.client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


def test_the_api_needs_no_csrf_token(pages: Pages) -> None:
    from tests.api.conftest import example_request

    _, key = pages.user()
    response = pages.client.post(
        "/api/v1/quotes",
        content=example_request(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------------ CSRF


def test_a_form_without_the_csrf_token_is_refused(pages: Pages) -> None:
    account, _ = pages.user()
    pages.token()  # the browser has the cookie, the attacker's form has no field
    response = pages.client.post("/signin", data={"name": account.name, "password": PASSWORD})
    assert response.status_code == 403
    assert "表单已过期" in response.text and "For your safety" in response.text  # both languages
    assert "quoting_session=" not in response.headers.get("set-cookie", "")


def test_a_token_that_does_not_match_the_cookie_is_refused(pages: Pages) -> None:
    account, _ = pages.user()
    token = pages.token()
    pages.client.cookies.delete("quoting_csrf")
    assert (
        pages.client.post("/signin", data={"name": account.name, "_csrf": token}).status_code == 403
    )
    forged = token.split(".")[0] + "." + "0" * 64
    pages.client.cookies.set("quoting_csrf", forged)
    response = pages.client.post("/signin", data={"name": account.name, "_csrf": forged})
    assert response.status_code == 403


def test_the_anonymous_token_is_no_good_once_signed_in(pages: Pages) -> None:
    """Tokens are bound to the session: the one of the sign-in page cannot sign out."""
    account, _ = pages.user()
    before = pages.token()
    pages.sign_in(account.name)
    pages.client.cookies.set("quoting_csrf", before)
    response = pages.client.post("/signout", data={"_csrf": before})
    assert response.status_code == 403
    assert pages.client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_signing_out_and_switching_language_need_the_token(pages: Pages) -> None:
    account, _ = pages.user()
    pages.sign_in(account.name)
    assert pages.client.post("/signout").status_code == 403
    assert pages.client.post("/language", data={"locale": "en"}).status_code == 403
    assert pages.client.get("/", follow_redirects=False).status_code == 200


# ------------------------------------------------------------------------ next


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\r\nSet-Cookie: x=1",
    ],
)
def test_next_outside_the_site_is_refused(pages: Pages, target: str) -> None:
    account, _ = pages.user()
    response = pages.sign_in(account.name, next=target)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    form = pages.client.get("/signin", params={"next": target}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/"  # signed in: go on


def test_next_within_the_site_is_followed(pages: Pages) -> None:
    account, _ = pages.user()
    form = pages.client.get("/signin", params={"next": "/quotes?page=2"})
    assert 'name="next" value="/quotes?page=2"' in form.text
    response = pages.sign_in(account.name, next="/quotes?page=2")
    assert response.headers["location"] == "/quotes?page=2"


# ------------------------------------------------------------------------ lockout


def test_five_failures_lock_the_name_even_for_the_right_password(pages: Pages) -> None:
    account, _ = pages.user()
    for _ in range(5):
        assert pages.sign_in(account.name, "guess guess guess").status_code == 400
    locked = pages.sign_in(account.name)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    assert "登录失败次数过多" in locked.text and "Too many failed sign-ins" in locked.text
    assert f'value="{account.name}"' in locked.text
    assert pages.store.sessions_of(account.id) == []
    # Another name from the same address is not locked by these five.
    other, _ = pages.user("李娜")
    assert pages.sign_in(other.name).status_code == 303


def test_a_sign_in_clears_the_names_failures(pages: Pages) -> None:
    account, _ = pages.user()
    for _ in range(4):
        pages.sign_in(account.name, "guess guess guess")
    assert pages.sign_in(account.name).status_code == 303
    for _ in range(4):
        assert pages.sign_in(account.name, "guess guess guess").status_code == 400
    assert pages.sign_in(account.name).status_code == 303


def test_twenty_failures_lock_the_address_for_every_name(database_url: str) -> None:
    for pages in _pages(database_url, QUOTING_SIGNIN_ADDRESS_LIMIT="20/15 minutes"):
        account, _ = pages.user()
        for n in range(20):  # a different name each time: the per-name limit never trips
            assert pages.sign_in(f"nobody {n}", "guess guess guess").status_code == 400
        locked = pages.sign_in(account.name)
        assert locked.status_code == 429
        assert "retry-after" in locked.headers


# ------------------------------------------------------------------------ language


def test_the_language_switch_is_kept_for_the_account(pages: Pages) -> None:
    account, _ = pages.user()
    pages.sign_in(account.name)
    response = pages.client.post(
        "/language", data={"locale": "en", "next": "/", "_csrf": pages.token("/")}
    )
    assert response.status_code == 200 and 'lang="en"' in response.text
    assert ">Agent<" in response.text and "Sign out" in response.text
    assert pages.store.get_account(account.id).locale == "en"
    pages.client.post("/signout", data={"_csrf": pages.token("/")})
    pages.sign_in(account.name)  # a new session starts in the account's language
    assert 'lang="en"' in pages.client.get("/").text


def test_the_language_chosen_before_sign_in_becomes_the_accounts(pages: Pages) -> None:
    account, _ = pages.user()
    token = pages.token()
    switched = pages.client.post(
        "/language", data={"locale": "en", "next": "/signin", "_csrf": token}
    )
    assert "Wrong name or password" not in switched.text and ">Sign in<" in switched.text
    pages.sign_in(account.name)
    assert pages.store.get_account(account.id).locale == "en"


# ------------------------------------------------------------------------ headers


def test_pages_carry_a_same_origin_csp_without_inline_scripts(pages: Pages) -> None:
    response = pages.client.get("/signin")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text and "style=" not in response.text


def test_the_stylesheet_is_served_from_the_package(pages: Pages) -> None:
    page = pages.client.get("/signin")
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)[1]  # type: ignore[index]
    css = pages.client.get(href)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".site-header" in css.text


def test_a_server_error_on_a_page_shows_an_incident_number_and_no_trace(
    pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quoting.web.pages._signin as signin_pages

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug of ours")

    account, _ = pages.user()
    pages.sign_in(account.name)
    monkeypatch.setattr(signin_pages, "render", broken)
    response = pages.client.get("/")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    incident = re.search(r"事件编号 ([0-9a-f]{12})", response.text)
    assert incident is not None and f"incident {incident[1]}" in response.text  # and in English
    assert "a bug of ours" not in response.text and "Traceback" not in response.text


# ------------------------------------------------------- answers before any route


@pytest.mark.parametrize("path", ["/no-such-page", "/quotes/q_1/no/such/thing", "/static/x.js"])
def test_an_unknown_page_path_gets_the_bilingual_html_404(pages: Pages, path: str) -> None:
    response = pages.client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "页面不存在" in response.text
    assert "There is nothing here, or it is not yours to see." in response.text  # beside it
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_the_404_page_is_in_the_language_chosen_on_the_sign_in_page(pages: Pages) -> None:
    pages.client.post("/language", data={"locale": "en", "next": "/", "_csrf": pages.token()})
    response = pages.client.get("/no-such-page")
    assert response.status_code == 404
    assert '<html lang="en">' in response.text
    assert '<h1 id="error-heading">Page not found</h1>' in response.text


def test_another_method_on_a_page_path_gets_the_html_405_with_allow(pages: Pages) -> None:
    response = pages.client.delete("/signin")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "error-heading" in response.text and "Traceback" not in response.text
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/nothing", "/health/x"])
def test_unknown_api_paths_keep_problem_details(pages: Pages, path: str) -> None:
    response = pages.client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"
    wrong_method = pages.client.put("/api/v1/quotes")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
