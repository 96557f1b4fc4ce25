"""The ``quoting`` command: price a census offline and run the tariff tools."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

from quoting import cli_underwriting
from quoting.errors import Problem, QuotingError, SettingError
from quoting.tariff.registry import (
    DEFAULT_TARIFF_ROOT,
    load_tariff,
    tariff_in_force,
    tariff_versions,
)

if TYPE_CHECKING:
    from quoting.services import Context
    from quoting.settings import Settings
    from quoting.store import Account, ApiKeyRow, Database, UnitOfWorkFactory

__all__ = ["main"]

EXIT_OK = 0
EXIT_INVALID = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _accounts_parser(sub: Any) -> None:
    """The ``accounts`` commands."""
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
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password of the web pages from the first line of standard input "
        "(without it, a terminal asks for one; empty for none)",
    )
    password = asub.add_parser(
        "set-password",
        help="set the password an agent, underwriter or admin signs in to the pages with "
        "(their sessions end)",
    )
    password.add_argument("account_id")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else a terminal asks)",
    )
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
    authority = asub.add_parser(
        "set-authority",
        help="set an account's underwriting authority (figures left out stay as they are)",
    )
    authority.add_argument("account_id")
    authority.add_argument(
        "--adjustment", help="largest underwriter adjustment, ± a fraction (0.30 = ±30 %%)"
    )
    authority.add_argument(
        "--sum-insured", help="largest AD&D sum insured of one member it may accept (CNY)"
    )
    authority.add_argument(
        "--group-sum-insured", help="largest AD&D total of a group it may accept (CNY)"
    )


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
        "--trace",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --format json: every line's factors (default); --no-trace: premiums only",
    )
    q.add_argument(
        "--pdf", type=Path, help="also write the quote letter (报价函) as PDF to this file"
    )

    t = sub.add_parser("tariff", help="tariff tools")
    tsub = t.add_subparsers(dest="tariff_command", required=True)
    check = tsub.add_parser("check", help="validate a tariff folder (or every version in a folder)")
    check.add_argument("folder", type=Path, nargs="?", default=DEFAULT_TARIFF_ROOT)
    _tariff_tool_parsers(tsub)

    s = sub.add_parser("serve", help="run the web application (uvicorn)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    s.add_argument(
        "--no-access-log",
        action="store_true",
        help="no JSON access-log line per request on stderr (same as QUOTING_ACCESS_LOG=off)",
    )

    demo = sub.add_parser(
        "demo",
        help="start the app on the configured (default SQLite) database with a demo agent "
        "and a demo underwriter, and print how they sign in",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    _accounts_parser(sub)
    cli_underwriting.add_parsers(sub)

    d = sub.add_parser("db", help="database tools")
    dsub = d.add_subparsers(dest="db_command", required=True)
    dsub.add_parser("upgrade", help="create or upgrade the database schema")

    c = sub.add_parser("countries", help="list the country risk table")
    c.add_argument("--tariff", type=Path, default=DEFAULT_TARIFF_ROOT)
    c.add_argument("--as-of", type=_date, default=None)
    c.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _tariff_tool_parsers(tsub: Any) -> None:
    root_help = "folder of tariff versions that version names refer to (default: QUOTING_TARIFFS, else the shipped tariffs)"
    diff = tsub.add_parser("diff", help="every value that differs between two tariff versions")
    diff.add_argument("old", help="old version: a tariff folder or a version name under --root")
    diff.add_argument("new", help="new version: a tariff folder or a version name under --root")
    diff.add_argument("--root", type=Path, help=root_help)
    diff.add_argument("--format", choices=("table", "json"), default="table")

    impact = tsub.add_parser(
        "impact", help="re-price a book of quote requests under two versions and compare"
    )
    impact.add_argument("old", help="old version: a tariff folder or a version name under --root")
    impact.add_argument("new", help="new version: a tariff folder or a version name under --root")
    impact.add_argument("--root", type=Path, help=root_help)
    source = impact.add_mutually_exclusive_group()
    source.add_argument(
        "--book", type=Path, help="folder of quote request JSON files (default: tariffs/book)"
    )
    source.add_argument(
        "--from-store",
        action="store_true",
        help="every quote stored in the database (QUOTING_DATABASE_URL)",
    )
    source.add_argument(
        "--bound", action="store_true", help="the quotes of the bound policies in the database"
    )
    impact.add_argument("--format", choices=("table", "json"), default="table")
    impact.add_argument("--html", type=Path, help="also write the report as HTML to this file")

    versions = tsub.add_parser(
        "versions", help="list the version folders: effective date, published by whom, in force"
    )
    versions.add_argument("--root", type=Path, help=root_help)

    publish = tsub.add_parser(
        "publish", help="validate a version and publish it (immutable from then on)"
    )
    publish.add_argument("folder", type=Path, help="the version's tariff folder")
    publish.add_argument("--root", type=Path, help="folder of tariff versions to publish into")
    publish.add_argument(
        "--by", help="who publishes (recorded in the manifest; default: your user name)"
    )
    publish.add_argument(
        "--effective",
        type=_date,
        help="effective date to publish with (YYYY-MM-DD; set in the published copy's "
        "tariff.toml; default: the folder's own effective_date)",
    )


def _print_problems(error: QuotingError, out: TextIO) -> None:
    print(
        f"error: {error.title} ({len(error.problems)} problem{'s' * (len(error.problems) != 1)})",
        file=out,
    )
    for problem in error.problems:
        print(f"  {problem}", file=out)


def _cmd_quote(args: argparse.Namespace, out: TextIO) -> int:
    import os

    from quoting.branding import Brand
    from quoting.clock import Clock
    from quoting.services import CensusUpload, Context, OfflineQuote, price_offline

    # The CLI is the underwriter's tool: it may price as of any date in the window, but
    # the business date still judges backdating and the date windows. It reads only the
    # time zone and the brand (for --pdf), not every server setting.
    ctx = Context(clock=Clock.from_env(), tariff_root=args.tariff, brand=Brand.from_env(os.environ))
    census = None
    if args.census is not None:
        census = CensusUpload(args.census.name, args.census.read_bytes())
    if args.format == "json":
        return _quote_json(ctx, args, census, out)
    command = OfflineQuote(args.request.read_bytes(), census, as_of=args.as_of, trace=False)
    request, quote = price_offline(ctx, command)
    from quoting.report import quote_table

    out.write(quote_table(quote))
    if args.pdf is not None:
        from quoting.services.documents import draft_quote_letter

        args.pdf.write_bytes(draft_quote_letter(ctx, request, quote))
    return EXIT_OK


def _quote_json(ctx: Any, args: argparse.Namespace, census: Any, out: TextIO) -> int:
    """The quote as JSON, streamed from the engine's columns a chunk of members at a time."""
    from quoting.quote_columns import write_json
    from quoting.services import OfflineQuote
    from quoting.services.quotation import columns_offline

    trace = args.trace or args.pdf is not None
    command = OfflineQuote(args.request.read_bytes(), census, as_of=args.as_of, trace=trace)
    request, columns = columns_offline(ctx, command)
    write_json(columns, out.write, trace=args.trace)
    if args.pdf is not None:
        from quoting.services.documents import draft_quote_letter

        args.pdf.write_bytes(draft_quote_letter(ctx, request, columns.quote()))
    return EXIT_OK


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


def _tariff_root(args: argparse.Namespace) -> Path:
    import os

    return Path(args.root or os.environ.get("QUOTING_TARIFFS") or DEFAULT_TARIFF_ROOT)


def _cmd_tariff_diff(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.services.tariffs import diff_versions
    from quoting.tariff.diff import diff_as_dict, format_diff

    diff = diff_versions(_tariff_root(args), args.old, args.new)
    if args.format == "json":
        out.write(msgspec.json.format(msgspec.json.encode(diff_as_dict(diff)).decode(), indent=2))
        out.write("\n")
    else:
        out.write(format_diff(diff))
    return EXIT_OK


def _cmd_tariff_impact(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.clock import Clock
    from quoting.impact_report import impact_as_dict, impact_html, impact_table
    from quoting.services import Context
    from quoting.services.impact import book_from_folder, book_from_store, tariff_impact

    ctx = Context(clock=Clock.from_env(), tariff_root=_tariff_root(args))
    if args.from_store or args.bound:
        from quoting.store import SqlUnitOfWork

        database = _database()
        try:
            book = book_from_store(lambda: SqlUnitOfWork(database), bound_only=args.bound)
        finally:
            database.dispose()
    else:
        from quoting.resources import shipped

        book = book_from_folder(args.book or shipped("tariffs") / "book", ctx.today())
    impact = tariff_impact(ctx, args.old, args.new, book)
    if args.format == "json":
        data = impact_as_dict(impact.report, impact.seconds)
        out.write(msgspec.json.format(msgspec.json.encode(data).decode(), indent=2) + "\n")
    else:
        out.write(impact_table(impact.report, impact.seconds))
    if args.html is not None:
        args.html.write_text(impact_html(impact.report, impact.seconds), encoding="utf-8")
    return EXIT_OK


def _database_configured(url: str) -> bool:
    """A database is configured when QUOTING_DATABASE_URL is set, or the default SQLite
    file exists (publishing creates none of its own)."""
    import os

    from quoting.settings import DEFAULT_DATABASE_URL

    if os.environ.get("QUOTING_DATABASE_URL"):
        return True
    return url == DEFAULT_DATABASE_URL and Path(url.removeprefix("sqlite:///")).exists()


def _cmd_tariff_publish(args: argparse.Namespace, out: TextIO) -> int:
    import getpass

    from quoting.services import Context
    from quoting.services.tariffs import PublishVersion, publish_version
    from quoting.settings import Settings

    settings = Settings.from_env()
    ctx = Context(clock=settings.clock, tariff_root=_tariff_root(args))
    command = PublishVersion(args.folder, args.by or getpass.getuser(), effective=args.effective)
    database = _database() if _database_configured(settings.database.url) else None
    try:
        uow = None
        if database is not None:
            from quoting.store import SqlUnitOfWork

            uow = partial(SqlUnitOfWork, database)
        published = publish_version(ctx, command, uow)
    finally:
        if database is not None:
            database.dispose()
    p = published.publication
    if not published.created:
        print(
            f"already published: tariff {p.version} effective {p.effective_date} ({p.content_hash}) "
            f"on {p.published_at:%Y-%m-%d %H:%M} UTC by {p.by}; nothing changed",
            file=out,
        )
        return EXIT_OK
    print(
        f"published: tariff {p.version} effective {p.effective_date} — {p.content_hash}\n"
        f"  folder {published.folder}\n  recorded in {ctx.tariff_root / 'published.toml'} "
        f"by {p.by}" + ("; event tariff.published written" if database is not None else ""),
        file=out,
    )
    return EXIT_OK


def _cmd_countries(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.clock import Clock

    # Today is the insurer's business date (QUOTING_TIMEZONE), as everywhere else.
    tariff = tariff_in_force(args.as_of or Clock.from_env().today(), args.tariff)
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


def _cmd_tariff_versions(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.clock import Clock
    from quoting.services import Context
    from quoting.services.tariffs import list_versions

    ctx = Context(clock=Clock.from_env(), tariff_root=_tariff_root(args))
    for v in list_versions(ctx):
        p = v.publication
        state = f"published {p.published_at:%Y-%m-%d %H:%M} UTC by {p.by}" if p else "not published"
        mark = "  ← in force today" if v.in_force else ""
        print(f"{v.version:<12} effective {v.effective_date}  {state}{mark}", file=out)
    return EXIT_OK


_TARIFF_COMMANDS = {
    "check": _cmd_tariff_check,
    "versions": _cmd_tariff_versions,
    "diff": _cmd_tariff_diff,
    "impact": _cmd_tariff_impact,
    "publish": _cmd_tariff_publish,
}


def _database() -> Database:
    from quoting.settings import Settings
    from quoting.store import Database

    database = Database(Settings.from_env().database.url)
    database.upgrade()
    return database


#: The hint added to a "no such …" answer of each accounts command.
_LIST_HINT = {
    "revoke-key": " (see 'quoting accounts list')",
    "set-password": " (see 'quoting accounts list')",
    "disable": " (see 'quoting accounts list')",
    "enable": " (see 'quoting accounts list')",
    "set-authority": " (see 'quoting accounts list')",
}


def _cmd_accounts(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.errors import NotFound
    from quoting.services import Context
    from quoting.settings import Settings

    settings = Settings.from_env()
    database = _database()
    ctx = Context(clock=settings.clock, tariff_root=settings.tariff_root, brand=settings.brand)
    try:
        _run_accounts(args, out, _units_of_work(database, settings), ctx)
    except NotFound as exc:
        # A refused command is "invalid input" to the CLI, as it always was.
        hint = _LIST_HINT.get(args.accounts_command, "")
        raise QuotingError(exc.message + hint) from None
    finally:
        database.dispose()
    return EXIT_OK


def _cmd_underwriting(args: argparse.Namespace, out: TextIO) -> int:
    from quoting.services import Context
    from quoting.settings import Settings
    from quoting.store import SqlUnitOfWork

    settings = Settings.from_env()
    database = _database()
    ctx = Context(
        clock=settings.clock,
        tariff_root=settings.tariff_root,
        brand=settings.brand,
        book_limits=settings.book_limits,
    )
    try:
        cli_underwriting.run(args, out, lambda: SqlUnitOfWork(database), ctx)
    finally:
        database.dispose()
    return EXIT_OK


def _run_accounts(
    args: argparse.Namespace, out: TextIO, uow: UnitOfWorkFactory, ctx: Context
) -> None:
    from quoting.services import accounts

    command = args.accounts_command
    if command == "list":
        _list_accounts(accounts.list_accounts(uow), out)
        return
    if command == "revoke-key":
        row = accounts.revoke_key(uow, ctx, args.key_id)
        print(f"revoked: {row.id} ({row.prefix}…) of account {row.account_id}", file=out)
        return
    if command in ("disable", "enable"):
        found = accounts.set_disabled(uow, ctx, args.account_id, command == "disable")
        print(f"{command}d: {found.id} ({found.role}) {found.name}", file=out)
        return
    if command == "set-authority":
        from quoting.services.authority import SetAuthority, authority_record, set_authority

        change = SetAuthority(
            args.account_id, args.adjustment, args.sum_insured, args.group_sum_insured
        )
        found = set_authority(uow, ctx, change)
        figures = authority_record(found)
        print(
            f"authority set: {found.id} ({found.role}) {found.name}: adjustment "
            f"±{figures['adjustment']}, sum insured {figures['sum_insured']} per member, "
            f"group {figures['group_sum_insured']}",
            file=out,
        )
        return
    if command == "set-password":
        secret = _password(args, optional=False)
        found = accounts.set_password(uow, ctx, args.account_id, secret or "")
        print(f"password set: {found.id} ({found.role}) {found.name}", file=out)
        return
    if command == "new-key":
        issued = accounts.issue_key(uow, ctx, args.account_id)
    elif command == "create-broker":
        new = accounts.NewAccount(args.name, "broker", _commission(args.commission))
        issued = accounts.create_account(uow, ctx, new)
    else:
        new = accounts.NewAccount(args.name, args.role, password=_password(args, optional=True))
        issued = accounts.create_account(uow, ctx, new)
    account = issued.account
    print(f"account: {account.id} ({account.role}) {account.name}", file=out)
    if command == "create-user":
        signs_in = "yes" if new.password is not None else "no (set one with set-password)"
        print(f"password: {signs_in}", file=out)
    print(f"api key: {issued.key}", file=out)
    print(f"key id: {issued.key_id}", file=out)
    print("The key is shown only this once; store it safely.", file=out)


def _password(args: argparse.Namespace, *, optional: bool) -> str | None:
    """The password of ``--password-stdin`` (one line), else asked in a terminal (twice);
    None when ``optional`` and none is given. Checked by the service (length)."""
    stdin: TextIO = args.stdin
    if args.password_stdin:
        line = stdin.readline()
        if not line:
            raise QuotingError(Problem("standard input is empty", path=("password",)))
        return line.rstrip("\r\n")
    if not stdin.isatty():
        if optional:
            return None
        raise QuotingError(
            Problem("give --password-stdin, or run the command in a terminal", path=("password",))
        )
    import getpass

    hint = ", empty for none" if optional else ""
    first = getpass.getpass(f"Password for the web pages (at least 10 characters{hint}): ")
    if not first and optional:
        return None
    if getpass.getpass("The same password again: ") != first:
        raise QuotingError(Problem("the two passwords differ", path=("password",)))
    return first


def _commission(text: str) -> Decimal:
    """A broker's commission as given (the service checks it against the tariff's bounds)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise QuotingError(f"--commission {text!r} is not a number") from None


def _list_accounts(found: list[tuple[Account, list[ApiKeyRow]]], out: TextIO) -> None:
    for acc, keys in found:
        rate = f" commission {acc.commission}" if acc.commission else ""
        state = " (disabled)" if acc.disabled else ""
        print(f"{acc.id}  {acc.role:<11} {acc.name}{rate}{state}", file=out)
        for k in keys:
            status = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
            print(
                f"    key {k.id}  {k.prefix}…  created {k.created_at:%Y-%m-%d %H:%M}  {status}",
                file=out,
            )


def _units_of_work(database: Database, settings: Settings) -> UnitOfWorkFactory:
    """Units of work as the app makes them: the pages' sessions in Redis when configured
    (so that a password set here ends the sessions the servers keep there)."""
    from quoting.store import RedisSessionStore, SqlUnitOfWork

    redis_url = settings.rate_limit.redis_url
    sessions = RedisSessionStore(redis_url) if redis_url else None
    return lambda: SqlUnitOfWork(database, sessions)


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    """Create (or refresh) the demo users, print where and how they sign in, then serve."""
    from quoting.services import Context
    from quoting.services.demo import prepare_demo_users
    from quoting.settings import Settings

    settings = Settings.from_env()
    database = _database()
    ctx = Context(clock=settings.clock, tariff_root=settings.tariff_root, brand=settings.brand)
    try:
        users = prepare_demo_users(_units_of_work(database, settings), ctx)
    finally:
        database.dispose()
    print(f"Demo: open http://{args.host}:{args.port}/ and sign in as", file=out)
    for user in users:
        print(
            f"  {user.account.role:<12} {user.account.name}   password: {user.password}", file=out
        )
    print(f"(database {settings.database.url}; new passwords at every start)", file=out)
    out.flush()
    args.workers, args.no_access_log = 1, False
    return _cmd_serve(args)


def _cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    if args.no_access_log:
        os.environ["QUOTING_ACCESS_LOG"] = "off"  # read by every worker's create_app
    # Migrate once before the workers start, so they do not race on a fresh database.
    _database().dispose()
    uvicorn.run(
        "quoting.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
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
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    inp: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 invalid input or tariff). ``inp`` is
    where ``--password-stdin`` reads (default: standard input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    args.stdin = inp or sys.stdin
    try:
        if args.command == "quote":
            return _cmd_quote(args, out)
        if args.command == "tariff":
            return _TARIFF_COMMANDS[args.tariff_command](args, out)
        if args.command == "countries":
            return _cmd_countries(args, out)
        if args.command == "accounts":
            return _cmd_accounts(args, out)
        if args.command in cli_underwriting.COMMANDS:
            return _cmd_underwriting(args, out)
        if args.command == "serve":
            return _cmd_serve(args)
        if args.command == "demo":
            return _cmd_demo(args, out)
        if args.command == "db":
            _database().dispose()
            print("database schema is up to date", file=out)
            return EXIT_OK
    except QuotingError as exc:
        _print_problems(exc, err)
        return EXIT_INVALID
    except SettingError as exc:
        print(f"error: {exc}", file=err)
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
