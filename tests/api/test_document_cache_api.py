"""The document cache through the API: documents are kept in the folder beside the test's
SQLite database (the default ``QUOTING_DOCUMENT_CACHE``), a second download is the same
file, a quote letter downloaded before binding is not served after it, and with the cache
off nothing is kept."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
from litestar.testing import TestClient

from api import create_app
from tests.api.conftest import Api, example_request, make_settings
from tests.support import StoreProbe

QUOTES = "/api/v1/quotes"


def kept(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def text(pdf: bytes) -> str:
    return " ".join(
        " ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages
    )


def test_documents_are_kept_and_never_stale(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'quoting.sqlite3'}")
    folder = tmp_path / "documents"
    assert settings.documents.cache_dir == folder
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        broker = Api(client, store, settings).account(name="Harbour Insurance Brokers")
        quote = client.post(QUOTES, json=json.loads(example_request()), headers=broker.headers)
        assert quote.status_code == 201, quote.text
        letter_url = f"{QUOTES}/{quote.json()['id']}/documents/quote-letter.pdf"
        before = client.get(letter_url, headers=broker.headers)
        assert before.status_code == 200 and "可承保" in text(before.content)
        assert [p.read_bytes() for p in kept(folder)] == [before.content]
        again = client.get(letter_url, headers=broker.headers)
        assert again.content == before.content and len(kept(folder)) == 1

        policy = client.post(f"{QUOTES}/{quote.json()['id']}/bind", headers=broker.headers)
        assert policy.status_code == 201, policy.text
        after = client.get(letter_url, headers=broker.headers)
        assert after.status_code == 200
        assert "已承保" in text(after.content) and "可承保" not in text(after.content)
        assert len(kept(folder)) == 2

        members_url = f"/api/v1/policies/{policy.json()['id']}/documents/member-list.pdf"
        first = client.get(members_url, headers=broker.headers)
        second = client.get(members_url, headers=broker.headers)
        assert first.status_code == second.status_code == 200
        assert second.content == first.content
        assert second.headers["content-type"] == "application/pdf"
        assert len(kept(folder)) == 3
        store.dispose()


def test_with_the_cache_off_nothing_is_kept(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'quoting.sqlite3'}", QUOTING_DOCUMENT_CACHE="off"
    )
    assert settings.documents.cache_dir is None
    with TestClient(app=create_app(settings)) as client:
        store = StoreProbe(settings.database.url)
        broker = Api(client, store, settings).account()
        quote = client.post(QUOTES, json=json.loads(example_request()), headers=broker.headers)
        url = f"{QUOTES}/{quote.json()['id']}/documents/benefits.pdf"
        assert client.get(url, headers=broker.headers).status_code == 200
        store.dispose()
    assert not any(p.is_file() and p.suffix in (".pdf", ".html") for p in tmp_path.rglob("*"))


def test_an_endorsement_makes_a_new_member_list_and_the_old_version_stays_kept(
    api: Api,
) -> None:
    from tests.api.test_endorsements_api import POLICIES, endorse, joiner, policy_of

    broker = api.account("broker")
    policy = policy_of(api, broker)
    docs = f"{POLICIES}/{policy['id']}/documents"
    bound = api.client.get(f"{docs}/member-list.pdf", headers=broker.headers)
    assert bound.status_code == 200 and "E003" not in text(bound.content)
    body = {"effective": "2027-03-01", "add": [joiner("E003")], "reason": "join"}
    assert endorse(api, broker, policy["id"], body).status_code == 201
    # The newest version now: the joiner is on it, not the cached list as bound.
    newest = api.client.get(f"{docs}/member-list.pdf", headers=broker.headers)
    assert newest.status_code == 200 and "E003" in text(newest.content)
    # Version 1 again: the list as bound (kept under a key of its own: the newest version
    # is part of it, for the documents that print "version 1 of 2").
    first = api.client.get(f"{docs}/member-list.pdf?version=1", headers=broker.headers)
    assert text(first.content) == text(bound.content)  # (the list prints no version note)
    again = api.client.get(f"{docs}/member-list.pdf?version=1", headers=broker.headers)
    assert again.content == first.content
    folder = api.settings.documents.cache_dir
    if folder is not None:  # SQLite: beside the database; PostgreSQL tests run without
        assert len(kept(folder)) == 3
