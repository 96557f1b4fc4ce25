"""A revoked key or a disabled account stops working on every app process within ~1 s."""

from __future__ import annotations

import time

from tests.api.conftest import Api, ApiFactory, Caller

TARIFF = "/api/v1/tariffs/current"
EFFECTIVE_WITHIN = 2.0


def seconds_until_refused(app: Api, caller: Caller) -> float:
    """Poll until ``caller`` gets 401; the seconds that took (fails after EFFECTIVE_WITHIN)."""
    start = time.monotonic()
    while time.monotonic() - start < EFFECTIVE_WITHIN:
        response = app.client.get(TARIFF, headers=caller.headers)
        if response.status_code == 401:
            assert response.json()["type"] == "/problems/unauthenticated"
            return time.monotonic() - start
        assert response.status_code == 200, response.text
        time.sleep(0.05)
    raise AssertionError(f"still accepted {EFFECTIVE_WITHIN} s after revocation")


def two_apps_knowing(api_with: ApiFactory) -> tuple[Api, Api, Caller]:
    one, two = api_with(), api_with()
    broker = one.account()
    for app in (one, two):  # both have looked the key up (and may cache it)
        assert app.client.get(TARIFF, headers=broker.headers).status_code == 200
    return one, two, broker


def test_a_revoked_key_is_refused_by_every_app_within_a_second_or_two(
    api_with: ApiFactory,
) -> None:
    one, two, broker = two_apps_knowing(api_with)
    other_key = one.store.issue_api_key(broker.id)
    [first_key, _] = one.store.list_api_keys(broker.id)
    revoked = one.store.revoke_api_key(first_key.id)
    assert revoked is not None and revoked.revoked_at is not None
    for app in (two, one):
        seconds_until_refused(app, broker)
    # The account's other key still works.
    other = Caller(broker.id, "broker", {"Authorization": f"Bearer {other_key}"})
    assert two.client.get(TARIFF, headers=other.headers).status_code == 200


def test_a_disabled_account_is_refused_and_can_be_enabled_again(api_with: ApiFactory) -> None:
    one, two, broker = two_apps_knowing(api_with)
    disabled = one.store.set_account_disabled(broker.id, True)
    assert disabled is not None and disabled.disabled
    for app in (two, one):
        seconds_until_refused(app, broker)
    one.store.set_account_disabled(broker.id, False)  # refused keys are never cached
    assert two.client.get(TARIFF, headers=broker.headers).status_code == 200


def test_unknown_ids_are_not_found(api: Api) -> None:
    assert api.store.revoke_api_key("key_nope") is None
    assert api.store.set_account_disabled("acc_nope", True) is None
