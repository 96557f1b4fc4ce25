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
