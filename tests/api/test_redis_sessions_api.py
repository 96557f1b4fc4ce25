"""With ``QUOTING_REDIS_URL`` set, the pages' sessions live in Redis (SQLite and
PostgreSQL): any app process resumes a session another one started, Redis drops a session
at its absolute end, a new password ends the account's sessions, and a unit of work that
rolls back changes no session. Skipped when Redis does not answer."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import pytest

from quoting.services import accounts
from quoting.store import RedisSessionStore, SqlUnitOfWork, WebSession
from tests.api.conftest import REDIS_URL, redis_reachable
from tests.api.test_pages_api import Pages, _pages

pytestmark = pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable")


@pytest.fixture
def redis_pages(database_url: str) -> Iterator[Pages]:
    yield from _pages(database_url, QUOTING_REDIS_URL=REDIS_URL)


@pytest.fixture
def store() -> Iterator[RedisSessionStore]:
    found = RedisSessionStore(REDIS_URL)
    yield found
    found.close()


def _session_keys(store: RedisSessionStore, account_id: str) -> list[str]:
    members = store.client.smembers(f"{store.prefix}a:{account_id}")
    return [f"{store.prefix}s:{m.decode()}" for m in members]


def test_a_session_lives_in_redis_not_in_the_database(
    redis_pages: Pages, store: RedisSessionStore
) -> None:
    account, _ = redis_pages.user()
    assert redis_pages.sign_in(account.name).status_code == 303
    assert redis_pages.client.get("/", follow_redirects=False).status_code == 200
    assert redis_pages.store.sessions_of(account.id) == []
    (key,) = _session_keys(store, account.id)
    ttl = store.client.ttl(key)
    assert 24 * 3600 - 60 <= ttl <= 24 * 3600 + 1  # dropped by Redis at the absolute end

    out = redis_pages.client.post("/signout", data={"_csrf": redis_pages.token("/")})
    assert out.status_code == 200  # followed to the sign-in page
    assert not store.client.exists(key)
    assert _session_keys(store, account.id) == []
    assert redis_pages.client.get("/", follow_redirects=False).status_code == 303


def test_another_app_process_resumes_the_session(database_url: str) -> None:
    for first in _pages(database_url, QUOTING_REDIS_URL=REDIS_URL):
        account, _ = first.user()
        first.sign_in(account.name)
        cookie = first.client.cookies.get("quoting_session")
        for second in _pages(database_url, QUOTING_REDIS_URL=REDIS_URL):
            second.client.cookies.set("quoting_session", cookie)
            home = second.client.get("/", follow_redirects=False)
            assert home.status_code == 200
            assert account.name in home.text


def test_a_new_password_ends_the_accounts_sessions_in_redis(
    redis_pages: Pages, store: RedisSessionStore
) -> None:
    account, _ = redis_pages.user()
    redis_pages.sign_in(account.name)
    assert len(_session_keys(store, account.id)) == 1
    database = redis_pages.store.database
    accounts.set_password(
        lambda: SqlUnitOfWork(database, store),
        redis_pages.store.context,
        account.id,
        "another long password",
    )
    assert _session_keys(store, account.id) == []
    assert redis_pages.client.get("/", follow_redirects=False).status_code == 303


def _session(account_id: str) -> WebSession:
    now = dt.datetime.now(dt.UTC)
    return WebSession(secrets.token_hex(32), account_id, now, now, now + dt.timedelta(hours=1))


def test_a_unit_of_work_that_rolls_back_changes_no_session(
    redis_pages: Pages, store: RedisSessionStore
) -> None:
    account, _ = redis_pages.user()
    session = _session(account.id)
    with SqlUnitOfWork(redis_pages.store.database, store) as work:
        work.sessions.add(session)  # and no commit
    assert not store.client.exists(f"{store.prefix}s:{session.id_hash}")
    with SqlUnitOfWork(redis_pages.store.database, store) as work:
        work.sessions.add(session)
        work.commit()
    with SqlUnitOfWork(redis_pages.store.database, store) as work:
        found = work.sessions.get(session.id_hash)
    assert found == session


def test_using_a_session_that_ended_does_not_bring_it_back(
    redis_pages: Pages, store: RedisSessionStore
) -> None:
    account, _ = redis_pages.user()
    session = _session(account.id)
    database = redis_pages.store.database
    with SqlUnitOfWork(database, store) as work:
        work.sessions.add(session)
        work.commit()
    with SqlUnitOfWork(database, store) as work:
        work.sessions.delete(session.id_hash)
        work.sessions.touch(session.id_hash, dt.datetime.now(dt.UTC))
        work.sessions.set_data(session.id_hash, {"locale": "en"})
        work.commit()
    assert not store.client.exists(f"{store.prefix}s:{session.id_hash}")
