"""``OPTIONS`` (CORS preflight) on every route: Litestar's 204 with ``Allow``, no key needed,
never a 500 and nothing logged as an error."""

from __future__ import annotations

import logging
import re

from tests.api.conftest import Api, LogRecords


def concrete(path: str) -> str:
    """A route path with every ``{name:type}`` parameter filled with a plausible value."""
    return re.sub(r"\{[^}:]+(?::([a-z]+))?\}", lambda m: "1" if m[1] == "int" else "x_1", path)


def test_options_on_every_route_is_204_with_allow_and_needs_no_key(
    api: Api, quoting_log: LogRecords
) -> None:
    app = api.client.app
    paths = sorted({route.path for route in app.routes})  # type: ignore[attr-defined]
    assert len(paths) >= 10
    for path in paths:
        response = api.client.options(concrete(path))
        assert response.status_code == 204, (path, response.status_code, response.text)
        allow = {m.strip() for m in response.headers["Allow"].split(",")}
        assert "OPTIONS" in allow, (path, allow)
        assert allow - {"OPTIONS", "HEAD"}, (path, allow)
    assert not quoting_log.named("quoting", logging.WARNING)


def test_options_with_a_bad_key_is_still_the_preflight_answer(api: Api) -> None:
    response = api.client.options("/api/v1/quotes", headers={"Authorization": "Bearer qk_bad"})
    assert response.status_code == 204
    assert "POST" in {m.strip() for m in response.headers["Allow"].split(",")}
