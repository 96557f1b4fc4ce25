"""Rate-limit settings: ``N/unit`` or ``N/K units``; anything else names its variable."""

from __future__ import annotations

import pytest

from quoting.settings import Settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [("600/minute", (600, 60)), ("5/2 seconds", (5, 2)), ("30/hour", (30, 3600))],
)
def test_rate_limits_parse(text: str, expected: tuple[int, int]) -> None:
    limits = Settings.from_env({"QUOTING_RATE_LIMIT": text, "QUOTING_AUTH_FAIL_LIMIT": text})
    assert (limits.rate_limit.requests, limits.rate_limit.window_seconds) == expected
    fail = (limits.rate_limit.auth_fail_requests, limits.rate_limit.auth_fail_window_seconds)
    assert fail == expected


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.rate_limit.requests, settings.rate_limit.window_seconds) == (600, 60)
    assert settings.rate_limit.auth_fail_requests == 30
    assert settings.api.access_log is True
    assert Settings.from_env({"QUOTING_ACCESS_LOG": "off"}).api.access_log is False


@pytest.mark.parametrize("text", ["0/minute", "5/0 seconds", "5 per minute", "5/day", ""])
@pytest.mark.parametrize("variable", ["QUOTING_RATE_LIMIT", "QUOTING_AUTH_FAIL_LIMIT"])
def test_bad_rate_limits_name_the_variable(variable: str, text: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: text})
