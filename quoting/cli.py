"""The ``quoting`` command: price a census offline and run the tariff tools."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

from quoting.errors import Problem, QuotingError, RequestError
from quoting.tariff.registry import (
    DEFAULT_TARIFF_ROOT,
    load_tariff,
    tariff_in_force,
    tariff_versions,
)

if TYPE_CHECKING:
    from quoting.schemas import Quote, QuoteRequest
    from quoting.store import Store

__all__ = ["main"]

EXIT_OK = 0
EXIT_INVALID = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quoting", description="Group accident and medical quotes for overseas workers."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    q = sub.add_parser("quote", help="price a quote request (JSON) offline")
    q.add_argument("request", type=Path, help="quote request JSON file")
    q.add_argument(
        "--census",
        type=Path,
        help="census file (.csv, .xlsx, .json) replacing the request's census",
    )
    q.add_argument(
        "--tariff",
        type=Path,
        default=DEFAULT_TARIFF_ROOT,
        help="tariff folder, or a folder of versions",
    )
    q.add_argument(
        "--as-of",
        type=_date,
        help="price as of this date, under the tariff in force on it (default: the request's "
        "as_of, else today, the insurer's business date); recorded in the quote when it is "
        "not today",
    )
    q.add_argument("--format", choices=("table", "json"), default="table")
    q.add_argument(
        "--pdf", type=Path, help="also write the quote letter (报价函) as PDF to this file"
    )

    t = sub.add_parser("tariff", help="tariff tools")
    tsub = t.add_subparsers(dest="tariff_command", required=True)
    check = tsub.add_parser("check", help="validate a tariff folder (or every version in a folder)")
    check.add_argument("folder", type=Path, nargs="?", default=DEFAULT_TARIFF_ROOT)

    s = sub.add_parser("serve", help="run the web application (uvicorn)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    s.add_argument(
        "--no-access-log",
        action="store_true",
        help="no JSON access-log line per request on stderr (same as QUOTING_ACCESS_LOG=off)",
    )

    a = sub.add_parser("accounts", help="manage accounts and API keys (uses QUOTING_DATABASE_URL)")
    asub = a.add_subparsers(dest="accounts_command", required=True)
    broker = asub.add_parser("create-broker", help="create a broker account and print its API key")
    broker.add_argument("name")
    broker.add_argument("--commission", required=True, help="commission as a fraction, e.g. 0.15")
    user = asub.add_parser(
        "create-user", help="create an agent, underwriter or admin and print its API key"
    )
    user.add_argument("name")
    user.add_argument("--role", required=True, choices=("agent", "underwriter", "admin"))
    asub.add_parser("list", help="list accounts and their API keys (id, prefix, created, revoked)")
    key = asub.add_parser("new-key", help="issue another API key for an account")
    key.add_argument("account_id")
    revoke = asub.add_parser(
        "revoke-key", help="revoke an API key for good (refused within a second or two)"
    )
    revoke.add_argument("key_id", help="the key's id (key_…), from 'accounts list'")
    disable = asub.add_parser("disable", help="disable an account: all its keys are refused")
    disable.add_argument("account_id")
    enable = asub.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("account_id")

    d = sub.add_parser("db", help="database tools")
    dsub = d.add_subparsers(dest="db_command", required=True)
    dsub.add_parser("upgrade", help="create or upgrade the database schema")

    c = sub.add_parser("countries", help="list the country risk table")
    c.add_argument("--tariff", type=Path, default=DEFAULT_TARIFF_ROOT)
    c.add_argument("--as-of", type=_date, default=None)
    c.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _print_problems(error: QuotingError, out: TextIO) -> None:
    print(
        f"error: {error.title} ({len(error.problems)} problem{'s' * (len(error.problems) != 1)})",
        file=out,
    )
    for problem in error.problems:
        print(f"  {problem}", file=out)


def _cmd_quote(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.schemas import AsOfOverride
    from quoting.service import (
        decode_request,
        merge_census_file,
        quote_request,
        relocate_to_file_rows,
    )
    from quoting.settings import Clock

    # The CLI is the underwriter's tool: it may price as of any date in the window, but
    # the business date still judges backdating and the date windows.
    today = Clock.from_env().today()
    raw = args.request.read_bytes()
    rows: list[int] = []
    if args.census is not None:
        raw, rows = merge_census_file(
            raw,
            args.census.read_bytes(),
            args.census.name,
            tariff_root=args.tariff,
            today=args.as_of or today,
            replace=True,
        )
    try:
        request = decode_request(raw, tariff_root=args.tariff, today=args.as_of or today)
        if args.as_of is not None:
            try:
                request = msgspec.structs.replace(request, as_of=args.as_of)
            except ValueError as exc:  # the request's own check of the date
                raise RequestError(Problem("as_of", str(exc).partition(": ")[2])) from None
        quote = quote_request(
            request, tariff_root=args.tariff, today=today, trace=args.format == "json"
        )
    except QuotingError as exc:
        raise relocate_to_file_rows(exc, rows) if rows else exc from None
    if quote.as_of != today:
        override = AsOfOverride(business_date=today, set_by="cli")
        quote = msgspec.structs.replace(quote, as_of_override=override)
    if args.format == "json":
        out.write(msgspec.json.format(msgspec.json.encode(quote).decode(), indent=2) + "\n")
    else:
        from quoting.report import quote_table

        out.write(quote_table(quote))
    if args.pdf is not None:
        _write_quote_letter(args, request, quote, today)
    return EXIT_OK


def _write_quote_letter(
    args: argparse.Namespace, request: QuoteRequest, quote: Quote, today: dt.date
) -> None:
    """The quote letter of an offline quote: numbered by a hash of its request (a draft)."""
    import hashlib

    from quoting.documents import document_data, render_pdf
    from quoting.service import quote_request

    if not quote.members[:1] or not quote.members[0].lines[0].factors:
        # The letter wants the trace.
        quote = msgspec.structs.replace(
            quote_request(request, tariff_root=args.tariff, today=today),
            as_of_override=quote.as_of_override,
        )
    request_json = msgspec.json.encode(request)
    now = dt.datetime.now(dt.UTC)
    validity = tariff_in_force(quote.as_of, args.tariff).params.tariff.quote_validity_days
    data = document_data(
        quote_id="DRAFT-" + hashlib.sha256(request_json).hexdigest()[:10].upper(),
        created_at=now,
        valid_until=today + dt.timedelta(days=validity),
        result_json=msgspec.json.encode(quote),
        request_json=request_json,
        arranged_by="offline quote (quoting CLI)",
        arranged_role="draft",
        tariff_root=args.tariff,
    )
    args.pdf.write_bytes(render_pdf("quote-letter", data))


def _cmd_tariff_check(args: argparse.Namespace, out: TextIO) -> int:
    folder: Path = args.folder
    if (folder / "tariff.toml").exists():
        tariffs = [load_tariff(folder)]
    else:
        tariffs = tariff_versions(folder)
    for t in tariffs:
        statuses = {
            s: sum(c.status == s for c in t.countries) for s in ("accept", "refer", "decline")
        }
        print(
            f"ok: tariff {t.version} effective {t.effective_date} — {len(t.countries)} countries "
            f"({statuses['accept']} accept, {statuses['refer']} refer, {statuses['decline']} decline), "
            f"{len(t.occupations)} occupations, {len(t.params.covers)} covers; {t.content_hash}",
            file=out,
        )
    return EXIT_OK


def _cmd_countries(args: argparse.Namespace, out: TextIO) -> int:
    tariff = tariff_in_force(args.as_of or dt.date.today(), args.tariff)
    if args.format == "json":
        rows = [
            {
                "code": c.code,
                "alpha3": c.alpha3,
                "name_en": c.name_en,
                "name_zh": c.name_zh,
                "tier": c.tier,
                "accident": c.accident,
                "medical_cost": c.medical_cost,
                "evacuation": c.evacuation,
                "security": c.security,
                "status": c.status,
                "source": c.source,
                "as_of": c.as_of.isoformat(),
            }
            for c in tariff.countries
        ]
        out.write(msgspec.json.format(msgspec.json.encode(rows).decode(), indent=2) + "\n")
        return EXIT_OK
    from quoting.report import countries_table

    out.write(countries_table(tariff))
    return EXIT_OK


def _store() -> Store:
    from quoting.settings import Settings
    from quoting.store import Store

    store = Store(Settings.from_env().database.url)
    store.upgrade()
    return store


def _cmd_accounts(args: argparse.Namespace, out: TextIO) -> int:
    store = _store()
    command = args.accounts_command
    if command == "list":
        _list_accounts(store, out)
        return EXIT_OK
    if command == "revoke-key":
        row = store.revoke_api_key(args.key_id)
        if row is None:
            raise QuotingError(f"no API key {args.key_id} (see 'quoting accounts list')")
        print(f"revoked: {row.id} ({row.prefix}…) of account {row.account_id}", file=out)
        return EXIT_OK
    if command in ("disable", "enable"):
        found = store.set_account_disabled(args.account_id, command == "disable")
        if found is None:
            raise QuotingError(f"no account {args.account_id} (see 'quoting accounts list')")
        print(f"{command}d: {found.id} ({found.role}) {found.name}", file=out)
        return EXIT_OK
    if command == "new-key":
        account = store.get_account(args.account_id)
        if account is None:
            raise QuotingError(f"no account {args.account_id}")
        key = store.issue_api_key(account.id)
    elif command == "create-broker":
        account, key = store.create_account(args.name, "broker", _commission(args.commission))
    else:
        account, key = store.create_account(args.name, args.role)
    key_id = next(k.id for k in store.list_api_keys(account.id) if key.startswith(k.prefix))
    print(f"account: {account.id} ({account.role}) {account.name}", file=out)
    print(f"api key: {key}", file=out)
    print(f"key id: {key_id}", file=out)
    print("The key is shown only this once; store it safely.", file=out)
    return EXIT_OK


def _commission(text: str) -> str:
    """A broker's commission, checked against the bounds of the tariff in force."""
    from decimal import Decimal, InvalidOperation

    try:
        commission = Decimal(text)
    except InvalidOperation:
        raise QuotingError(f"--commission {text!r} is not a number") from None
    bounds = tariff_in_force(dt.date.today()).params.loadings
    if not Decimal(str(bounds.commission_min)) <= commission <= Decimal(str(bounds.commission_max)):
        raise QuotingError(
            f"--commission {commission} is outside the tariff's bounds "
            f"[{bounds.commission_min}, {bounds.commission_max}]"
        )
    return str(commission)


def _list_accounts(store: Store, out: TextIO) -> None:
    keys: dict[str, list[str]] = {}
    for k in store.list_api_keys():
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        line = f"    key {k.id}  {k.prefix}…  created {k.created_at:%Y-%m-%d %H:%M}  {state}"
        keys.setdefault(k.account_id, []).append(line)
    for acc in store.list_accounts():
        rate = f" commission {acc.commission}" if acc.commission else ""
        state = " (disabled)" if acc.disabled else ""
        print(f"{acc.id}  {acc.role:<11} {acc.name}{rate}{state}", file=out)
        for line in keys.get(acc.id, []):
            print(line, file=out)


def _cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from quoting.settings import PROJECT_ROOT

    if args.no_access_log:
        os.environ["QUOTING_ACCESS_LOG"] = "off"  # read by every worker's create_app
    # Migrate once before the workers start, so they do not race on a fresh database.
    _store().dispose()
    uvicorn.run(
        "api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        app_dir=str(PROJECT_ROOT),
        log_level="info",
        log_config=_log_config(),
        # Our access log (quoting.access) replaces uvicorn's, which would log query strings.
        access_log=False,
    )
    return EXIT_OK


def _log_config() -> dict[str, Any]:
    """uvicorn's logging plus the ``quoting`` loggers on stderr: the access log as bare
    JSON lines, everything else (warnings, incidents) with time and level."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["quoting"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    config["handlers"]["quoting"] = {**stderr, "formatter": "quoting"}
    config["handlers"]["quoting_access"] = {**stderr, "formatter": "json_line"}
    config["loggers"]["quoting"] = {"handlers": ["quoting"], "level": "INFO", "propagate": False}
    config["loggers"]["quoting.access"] = {
        "handlers": ["quoting_access"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 invalid input or tariff)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.command == "quote":
            return _cmd_quote(args, out)
        if args.command == "tariff":
            return _cmd_tariff_check(args, out)
        if args.command == "countries":
            return _cmd_countries(args, out)
        if args.command == "accounts":
            return _cmd_accounts(args, out)
        if args.command == "serve":
            return _cmd_serve(args)
        if args.command == "db":
            _store().dispose()
            print("database schema is up to date", file=out)
            return EXIT_OK
    except QuotingError as exc:
        _print_problems(exc, err)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=err)
        return EXIT_INVALID
    except msgspec.DecodeError as exc:
        print(f"error: not valid JSON: {exc}", file=err)
        return EXIT_INVALID
    return EXIT_INVALID  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    raise SystemExit(main())
