"""The ``quoting`` command: price a census offline and run the tariff tools."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import msgspec

from quoting.errors import QuotingError
from quoting.tariff import DEFAULT_TARIFF_ROOT, load_tariff, tariff_in_force, tariff_versions

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
        help="price under the tariff in force on this date (default: the request's as_of, else today)",
    )
    q.add_argument("--format", choices=("table", "json"), default="table")

    t = sub.add_parser("tariff", help="tariff tools")
    tsub = t.add_subparsers(dest="tariff_command", required=True)
    check = tsub.add_parser("check", help="validate a tariff folder (or every version in a folder)")
    check.add_argument("folder", type=Path, nargs="?", default=DEFAULT_TARIFF_ROOT)

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
    from quoting.census import read_census
    from quoting.service import decode_request, quote_request

    raw = args.request.read_bytes()
    if args.census is not None:
        census = read_census(args.census.read_bytes(), args.census.name)
        body = msgspec.json.decode(raw)
        if not isinstance(body, dict):
            raise QuotingError("the request file must hold a JSON object")
        body["census"] = msgspec.to_builtins(census)
        raw = msgspec.json.encode(body)
    request = decode_request(raw, tariff_root=args.tariff, today=args.as_of)
    if args.as_of is not None:
        request = msgspec.structs.replace(request, as_of=args.as_of)
    quote = quote_request(request, tariff_root=args.tariff, trace=args.format == "json")
    if args.format == "json":
        out.write(msgspec.json.format(msgspec.json.encode(quote).decode(), indent=2) + "\n")
    else:
        from quoting.report import quote_table

        out.write(quote_table(quote))
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
