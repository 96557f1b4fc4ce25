"""Passwords and page sessions on the in-memory unit of work and a fixed clock: the rules
of a password, who may have one, signing in, expiry, rotation, sign-out, the language,
and the events written (milliseconds, bar the argon2 hashes)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from quoting.clock import FixedClock
from quoting.errors import NotFound, QuotingError
from quoting.services import Context, accounts
from quoting.services.sessions import (
    SessionPolicy,
    SignIn,
    end_session,
    resume_session,
    set_session_data,
    sign_in,
)
from quoting.store.memory import InMemoryDatabase
from quoting.web.pages import PageForbidden, PageUser, SignInRequired, require_role, safe_next
from tests.support import TARIFF_DIR

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
POLICY = SessionPolicy()


def at(moment: dt.datetime) -> Context:
    return Context(FixedClock(at=moment), TARIFF_DIR)


@pytest.fixture
def db() -> InMemoryDatabase:
    return InMemoryDatabase()


def make_user(db: InMemoryDatabase, name: str = "王伟", role: str = "agent") -> Any:
    new = accounts.NewAccount(name, role, password=PASSWORD)
    return accounts.create_account(db.unit_of_work, at(START), new).account


def test_a_password_needs_ten_characters(db: InMemoryDatabase) -> None:
    with pytest.raises(QuotingError) as error:
        accounts.create_account(
            db.unit_of_work, at(START), accounts.NewAccount("A", "agent", password="123456789")
        )
    assert str(error.value) == "password: must have at least 10 characters"
    assert db.data.accounts == {}  # nothing was created


def test_brokers_have_no_password(db: InMemoryDatabase) -> None:
    from decimal import Decimal

    command = accounts.NewAccount("B", "broker", Decimal("0.15"), password=PASSWORD)
    with pytest.raises(QuotingError, match="brokers use the API with keys"):
        accounts.create_account(db.unit_of_work, at(START), command)


def test_the_password_is_stored_as_an_argon2id_hash(db: InMemoryDatabase) -> None:
    account = make_user(db)
    signin_name, stored = db.data.passwords[account.id]
    assert signin_name == "王伟"
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert [e.kind for e in db.data.events] == [
        "account.created",
        "key.issued",
        "account.password_set",
    ]


def test_two_accounts_cannot_sign_in_with_one_name(db: InMemoryDatabase) -> None:
    first = make_user(db, "Wang Wei")
    with pytest.raises(QuotingError, match=f"account {first.id} .* already signs in"):
        make_user(db, "WANG  wei")


def test_set_password_of_an_unknown_account(db: InMemoryDatabase) -> None:
    with pytest.raises(NotFound):
        accounts.set_password(db.unit_of_work, at(START), "acc_nobody", PASSWORD)


def test_sign_in_opens_a_session_with_the_accounts_language(db: InMemoryDatabase) -> None:
    account = make_user(db)
    started = sign_in(db.unit_of_work, at(START), POLICY, SignIn(" 王伟 ", PASSWORD))
    assert started is not None
    assert started.open.account.id == account.id and started.open.locale == "zh_Hans_CN"
    session = started.open.session
    assert (session.created_at, session.expires_at) == (START, START + dt.timedelta(hours=24))
    assert started.token not in str(db.data.sessions)  # only its hash is kept
    assert db.data.events[-1].kind == "session.started"


@pytest.mark.parametrize(
    ("name", "password"), [("王伟", "wrong password"), ("李娜", PASSWORD), ("", ""), ("王伟", "")]
)
def test_wrong_names_and_passwords_open_nothing(
    db: InMemoryDatabase, name: str, password: str
) -> None:
    make_user(db)
    assert sign_in(db.unit_of_work, at(START), POLICY, SignIn(name, password)) is None
    assert db.data.sessions == {}


def test_idle_and_absolute_expiry(db: InMemoryDatabase) -> None:
    make_user(db)
    started = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert started is not None
    token, hours = started.token, dt.timedelta(hours=1)

    def resume(moment: dt.datetime) -> Any:
        return resume_session(db.unit_of_work, at(moment), POLICY, token)

    assert resume(START + 7 * hours) is not None  # used after 7 h: idle time starts again
    assert resume(START + 14 * hours) is not None
    assert resume(START + 23 * hours) is None  # 9 h unused since the last page
    assert db.data.sessions == {}  # an ended session is deleted


def test_the_absolute_end_holds_however_busy(db: InMemoryDatabase) -> None:
    make_user(db)
    started = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert started is not None
    for hour in range(1, 24):
        moment = START + dt.timedelta(hours=hour)
        assert resume_session(db.unit_of_work, at(moment), POLICY, started.token) is not None
    end = START + dt.timedelta(hours=24)
    assert resume_session(db.unit_of_work, at(end), POLICY, started.token) is None


def test_last_use_is_written_at_most_once_a_minute(db: InMemoryDatabase) -> None:
    make_user(db)
    started = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert started is not None
    soon = START + dt.timedelta(seconds=30)
    opened = resume_session(db.unit_of_work, at(soon), POLICY, started.token)
    assert opened is not None and opened.session.last_seen_at == START
    later = START + dt.timedelta(seconds=61)
    opened = resume_session(db.unit_of_work, at(later), POLICY, started.token)
    assert opened is not None and opened.session.last_seen_at == later


def test_sign_in_ends_the_browsers_previous_session(db: InMemoryDatabase) -> None:
    make_user(db)
    first = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert first is not None
    second = sign_in(
        db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD, replacing=first.token)
    )
    assert second is not None and second.token != first.token
    assert resume_session(db.unit_of_work, at(START), POLICY, first.token) is None
    assert resume_session(db.unit_of_work, at(START), POLICY, second.token) is not None


def test_sign_out_and_a_new_password_end_sessions(db: InMemoryDatabase) -> None:
    account = make_user(db)
    one = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    two = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert one is not None and two is not None
    end_session(db.unit_of_work, at(START), one.token)
    assert resume_session(db.unit_of_work, at(START), POLICY, one.token) is None
    assert db.data.events[-1].kind == "session.ended"
    accounts.set_password(db.unit_of_work, at(START), account.id, "another long password")
    assert resume_session(db.unit_of_work, at(START), POLICY, two.token) is None
    assert sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD)) is None
    new = SignIn("王伟", "another long password")
    assert sign_in(db.unit_of_work, at(START), POLICY, new) is not None


def test_the_language_is_kept_in_the_session_and_for_the_account(db: InMemoryDatabase) -> None:
    account = make_user(db)
    started = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert started is not None
    changed = set_session_data(db.unit_of_work, at(START), started.open, locale="en")
    assert changed.locale == "en" and db.data.accounts[account.id].locale == "en"
    again = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD))
    assert again is not None and again.open.locale == "en"
    # A language chosen on the sign-in page becomes the account's.
    chosen = sign_in(db.unit_of_work, at(START), POLICY, SignIn("王伟", PASSWORD, "zh_Hans_CN"))
    assert chosen is not None and db.data.accounts[account.id].locale == "zh_Hans_CN"


# ------------------------------------------------------------------------ guards, next


def _connection(user: object, path: str = "/quotes", query: str = "") -> Any:
    return SimpleNamespace(scope={"user": user}, url=SimpleNamespace(path=path, query=query))


def test_require_role_sends_anonymous_visitors_to_sign_in_and_refuses_other_roles(
    db: InMemoryDatabase,
) -> None:
    agent = make_user(db)
    guard = require_role("underwriter")
    with pytest.raises(SignInRequired) as redirect:
        guard(_connection(None, "/referrals", "page=2"), None)  # type: ignore[arg-type]
    assert redirect.value.next_path == "/referrals?page=2"
    user = PageUser(agent, "zh_Hans_CN", "hash")
    with pytest.raises(PageForbidden):
        guard(_connection(user), None)  # type: ignore[arg-type]
    require_role("agent", "underwriter")(_connection(user), None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/quotes?page=2", "/quotes?page=2"),
        ("/", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\x00", "/"),
        (None, "/"),
    ],
)
def test_only_local_paths_are_followed(value: object, expected: str) -> None:
    assert safe_next(value) == expected
