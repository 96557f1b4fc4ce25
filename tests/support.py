"""Helpers shared by the tests: the default tariff's folder and a request builder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from quoting.schemas import QuoteRequest, credit_code_check_char

ROOT = Path(__file__).resolve().parents[1]
TARIFF_DIR = ROOT / "tariffs" / "2026.2"
AS_OF = dt.date(2026, 11, 29)
#: The business date of the tests' apps, CLI runs and servers: pinned (with
#: QUOTING_BUSINESS_DATE), so that the examples' periods (from 2027-01-01) are never
#: backdated and a quote priced "today" is under tariff 2026.2, whatever day the suite
#: runs on. Time itself still moves (sessions, rate limits).
BUSINESS_DATE = dt.date(2026, 12, 1)
BUSINESS_ENV = {"QUOTING_BUSINESS_DATE": BUSINESS_DATE.isoformat()}
CREDIT_CODE = "91110000MA01ABCD5" + credit_code_check_char("91110000MA01ABCD5")


def make_request(census: dict[str, Any], covers: dict[str, Any], **extra: Any) -> QuoteRequest:
    """A one-plan request for 2027 under the default tariff; ``extra`` overrides fields."""
    body: dict[str, Any] = {
        "policyholder": {"name": "中国测试工程有限公司", "credit_code": CREDIT_CODE},
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "as_of": AS_OF.isoformat(),
        "plans": [{"name": "Plan", "covers": covers}],
        "census": census,
    }
    body.update(extra)
    return msgspec.convert(body, QuoteRequest)


class StoreProbe:
    """A test's handle on a database the app (or the CLI) uses: makes accounts and looks
    at what is stored, through the services and units of work the app uses."""

    def __init__(self, url: str) -> None:
        from quoting.clock import Clock
        from quoting.services import Context
        from quoting.store import Database, SqlUnitOfWork

        self.database = Database(url)
        self.engine = self.database.engine
        self.uow = lambda: SqlUnitOfWork(self.database)
        self.context = Context(
            clock=Clock(business_date=BUSINESS_DATE), tariff_root=ROOT / "tariffs"
        )

    def create_account(self, name: str, role: str, commission: str | None = None) -> Any:
        """A new account and its first key: (account, key). Written as it is, unchecked
        (a test may need a commission the account service would refuse)."""
        from quoting.store import Account, ApiKeyRow, NewApiKey, hash_api_key, new_api_key, new_id

        account = Account(new_id("acc"), name, role, commission, self.context.now(), False)
        key = new_api_key()
        row = ApiKeyRow(new_id("key"), account.id, key[:10], account.created_at, None)
        with self.uow() as work:
            work.accounts.add(account)
            work.accounts.add_key(NewApiKey(row, hash_api_key(key)))
            work.commit()
        return account, key

    def issue_api_key(self, account_id: str) -> str:
        """Another key of an account."""
        from quoting.services import accounts

        return accounts.issue_key(self.uow, self.context, account_id).key

    def list_api_keys(self, account_id: str | None = None) -> Any:
        """The stored keys of an account."""
        with self.uow() as work:
            return work.accounts.api_keys(account_id)

    def revoke_api_key(self, key_id: str) -> Any:
        """Revoke a key; None if unknown."""
        from quoting.errors import NotFound
        from quoting.services import accounts

        try:
            return accounts.revoke_key(self.uow, self.context, key_id)
        except NotFound:
            return None

    def set_account_disabled(self, account_id: str, disabled: bool) -> Any:
        """Disable or enable an account; None if unknown."""
        from quoting.errors import NotFound
        from quoting.services import accounts

        try:
            return accounts.set_disabled(self.uow, self.context, account_id, disabled)
        except NotFound:
            return None

    def account_for_key(self, key: str) -> Any:
        """The enabled account of an unrevoked key."""
        from quoting.services import accounts

        return accounts.authenticate(self.uow, key)

    def get_account(self, account_id: str) -> Any:
        """A stored account."""
        with self.uow() as work:
            return work.accounts.get(account_id)

    def count_quotes(self) -> int:
        """How many quotes are stored."""
        with self.uow() as work:
            return work.quotes.count()

    def policy_for_quote(self, quote_id: str) -> Any:
        """The policy a quote was bound as."""
        with self.uow() as work:
            return work.policies.for_quote(quote_id)

    def events(self, subject_id: str | None = None) -> Any:
        """The events stored (of one subject), oldest first."""
        with self.uow() as work:
            return work.events.all(subject_id)

    def create_user(self, name: str, role: str = "agent", password: str | None = None) -> Any:
        """An agent, underwriter or admin made by the accounts service (with a password for
        the pages when given): (account, API key)."""
        from quoting.services import accounts

        issued = accounts.create_account(
            self.uow, self.context, accounts.NewAccount(name, role, password=password)
        )
        return issued.account, issued.key

    def sessions_of(self, account_id: str) -> Any:
        """The stored page sessions of an account."""
        import sqlalchemy as sa

        from quoting.store._tables import web_sessions

        with self.engine.connect() as conn:
            query = sa.select(web_sessions).where(web_sessions.c.account_id == account_id)
            return conn.execute(query).mappings().all()

    def dispose(self) -> None:
        """Close the probe's connections."""
        self.database.dispose()


#: tariff.toml of 2026.2 with every engine variant of tariff 2027.1 declared and its
#: figures otherwise unchanged: evacuation by class and age band (SPEC §3 step 1), the
#: aggregate-claims credibility standard (step 3), accumulation by presence (step 6).
VARIANT_EDITS = (
    ('cover = "add"\n', 'cover = "add"\nexposure = "presence"\n'),
    ("refer_loss_ratio = 1.00\n", 'refer_loss_ratio = 1.00\nfull_credibility = "aggregate"\n'),
    (
        'frequency_by = "class"\nfrequency = [0.0020,',
        'frequency_by = "class_and_age_band"\n'
        "frequency_age_factors = [0.70, 0.85, 1.00, 1.30, 1.70, 2.20, 2.80]\n"
        "frequency = [0.0020,",
    ),
    ('version = "2026.2"', 'version = "2026.2-variants"'),
)


def variant_tariff(folder: Path) -> Path:
    """A copy of tariff 2026.2 in ``folder`` with :data:`VARIANT_EDITS` applied."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("countries.csv", "occupations.csv"):
        shutil.copyfile(TARIFF_DIR / name, folder / name)
    text = (TARIFF_DIR / "tariff.toml").read_text(encoding="utf-8")
    for old, new in VARIANT_EDITS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (folder / "tariff.toml").write_text(text, encoding="utf-8")
    return folder


def root_with_2026_2(folder: Path) -> Path:
    """A tariff root under ``folder`` holding 2026.2, published as shipped, and nothing
    after it (tests publish their own later versions into it)."""
    import shutil

    from quoting.tariff.files import read_manifest, write_manifest

    root = folder / "tariffs"
    root.mkdir()
    shutil.copytree(TARIFF_DIR, root / "2026.2")
    write_manifest(root, [p for p in read_manifest(ROOT / "tariffs") if p.version == "2026.2"])
    return root
