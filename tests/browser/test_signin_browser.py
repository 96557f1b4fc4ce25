"""Sign-in in a real browser: an agent signs in and sees their name, switches to English
and back, signs out; a wrong password keeps the typed name; repeated failures lock the
name; a form posted without its CSRF token is refused."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import PASSWORD, LiveServer, screenshot


def sign_in(page: Any, name: str, password: str = PASSWORD) -> None:
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#sign-in")


def test_an_agent_signs_in_switches_language_and_signs_out(
    page: Any, live_server: LiveServer
) -> None:
    agent = live_server.user("王伟")
    page.goto("/")
    assert page.url.endswith("/signin?next=/")
    assert page.locator("h1").inner_text() == "登录"
    screenshot(page, "signin-zh")
    sign_in(page, agent.name)
    page.wait_for_url(live_server.url + "/")
    assert page.locator("#site-user").inner_text().startswith(agent.name)
    assert page.locator("#home-role").inner_text() == "代理人"
    screenshot(page, "home-zh")

    page.click("#language-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#home-role").inner_text() == "Agent"
    assert page.locator("#sign-out").inner_text() == "Sign out"
    screenshot(page, "home-en")
    page.reload()  # kept in the session
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("#language-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    assert page.locator("#sign-out").inner_text() == "退出登录"

    page.click("#sign-out")
    page.wait_for_url(live_server.url + "/signin")
    page.goto("/")
    assert "/signin" in page.url  # signed out for good


def test_a_wrong_password_shows_the_error_and_keeps_the_name(
    page: Any, live_server: LiveServer
) -> None:
    agent = live_server.user("李娜")
    page.goto("/signin")
    page.click("#language-switch")  # in English this time
    page.wait_for_load_state()
    screenshot(page, "signin-en")
    sign_in(page, agent.name, "not the password")
    assert page.locator("#signin-error").inner_text() == "Wrong name or password."
    assert page.input_value("#name") == agent.name
    assert page.input_value("#password") == ""
    sign_in(page, agent.name)
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"  # the choice became theirs


def test_repeated_failures_lock_the_name(page: Any, live_server: LiveServer) -> None:
    agent = live_server.user("张敏")
    page.goto("/signin")
    for _ in range(5):
        sign_in(page, agent.name, "guess guess guess")
        assert "姓名或密码错误" in page.locator("#signin-error").inner_text()
    with page.expect_response(lambda r: r.url.endswith("/signin")) as answer:
        sign_in(page, agent.name)  # even the right password, now
    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    message = page.locator("#signin-error").inner_text()
    assert "登录失败次数过多" in message and "Too many failed sign-ins" in message
    assert page.input_value("#name") == agent.name


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Any, live_server: LiveServer
) -> None:
    agent = live_server.user("赵强")
    page.goto("/signin")
    page.evaluate("document.querySelector('form.stacked-form input[name=_csrf]').remove()")
    with page.expect_response(lambda r: r.url.endswith("/signin")) as answer:
        sign_in(page, agent.name)
    assert answer.value.status == 403
    assert page.locator("h1").inner_text() == "表单已过期"
    page.goto("/")
    assert "/signin" in page.url  # not signed in
