"""The ``quoting`` command line: tariff check, offline quotes and the country table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pycountry
import pytest

from quoting.cli import main
from tests.support import BUSINESS_DATE, ROOT, TARIFF_DIR

EXAMPLE = ROOT / "examples" / "construction_company.json"
AS_OF = "2026-11-29"
CENSUS_HEADER = "member_id,name,sex,date_of_birth,occupation_class,country,site\n"


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def quote_json(*argv: str | Path) -> dict[str, Any]:
    code, out, err = run("quote", *argv, "--format", "json")
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def write_json(path: Path, body: dict[str, Any]) -> Path:
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def line_sum(quote: dict[str, Any]) -> Decimal:
    members = sum(
        (Decimal(line["premium"]) for m in quote["members"] for line in m["lines"]), Decimal(0)
    )
    adjustments = sum((Decimal(a["premium"]) for a in quote["adjustments"]), Decimal(0))
    return members + adjustments


@pytest.fixture(scope="module")
def example_quote() -> dict[str, Any]:
    return quote_json(EXAMPLE, "--as-of", AS_OF)


# --------------------------------------------------------------------------- tariff check


def test_tariff_check_default_prints_one_summary_line_per_version() -> None:
    code, out, err = run("tariff", "check")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert [line.split(" — ")[0] for line in lines] == [
        "ok: tariff 2026.2 effective 2026-10-01",
        "ok: tariff 2027.1 effective 2027-01-01",
    ]
    for line in lines:
        assert "249 countries" in line
        assert "6 covers" in line
        assert "sha256:" in line


def test_tariff_check_one_folder() -> None:
    code, out, _ = run("tariff", "check", TARIFF_DIR)
    assert code == 0
    assert out.startswith("ok: tariff 2026.2")


def test_tariff_check_broken_copy_lists_every_error(tmp_path: Path) -> None:
    folder = tmp_path / "2026.2"
    shutil.copytree(TARIFF_DIR, folder)
    toml = folder / "tariff.toml"
    text, n = re.subn(r"(?m)^alpha = .*$", 'alpha = "x"', toml.read_text(encoding="utf-8"))
    assert n == 1
    toml.write_text(text, encoding="utf-8")
    countries = folder / "countries.csv"
    rows = list(csv.reader(io.StringIO(countries.read_text(encoding="utf-8"))))
    tier = rows[0].index("tier")
    assert rows[1][0] == "AD"
    rows[1][tier] = "7"
    rows = [r for r in rows if r[0] != "AF"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    countries.write_text(buf.getvalue(), encoding="utf-8")

    code, out, err = run("tariff", "check", folder)
    assert code == 2
    assert out == ""
    assert err.splitlines()[0] == "error: Invalid tariff (3 problems)"
    assert "tariff.toml [volatility.alpha]: expected a number, got text" in err
    assert "countries.csv row 2, column tier: 7 is outside 1..5" in err
    assert "countries.csv: 1 ISO countries missing: AF" in err


def test_tariff_check_of_a_missing_folder(tmp_path: Path) -> None:
    code, _, err = run("tariff", "check", tmp_path / "nope")
    assert code == 2
    assert "nope: is not a folder of tariffs" in err
    assert "nope" in err


def test_tariff_check_as_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "quoting.cli", "tariff", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: tariff 2026.2")
    assert "249 countries" in proc.stdout


def test_quote_as_a_real_process_reports_problems_on_stderr(tmp_path: Path) -> None:
    body = example()
    body["census"]["members"][0]["country"] = "Atlantis"
    request = write_json(tmp_path / "bad.json", body)
    proc = subprocess.run(
        [sys.executable, "-m", "quoting.cli", "quote", str(request)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "census.members[0].country: unknown country 'Atlantis'" in proc.stderr


# --------------------------------------------------------------------------- quote


def test_quote_json_total_is_the_sum_of_every_line(example_quote: dict[str, Any]) -> None:
    q = example_quote
    assert Decimal(q["total_premium"]) == line_sum(q)
    assert Decimal(q["total_premium"]) > 0
    for m in q["members"]:
        assert Decimal(m["premium"]) == sum(Decimal(line["premium"]) for line in m["lines"])
        assert Decimal(m["vat"]) == sum(Decimal(line["vat"]) for line in m["lines"])
    vat = sum(Decimal(line["vat"]) for m in q["members"] for line in m["lines"])
    vat += sum((Decimal(a["vat"]) for a in q["adjustments"]), Decimal(0))
    assert Decimal(q["total_vat"]) == vat


def test_quote_json_header(example_quote: dict[str, Any]) -> None:
    q = example_quote
    assert q["tariff"]["version"] == "2026.2"
    assert q["tariff"]["hash"].startswith("sha256:")
    assert q["as_of"] == AS_OF
    assert q["currency"] == "CNY"
    assert q["headcount"] == len(q["members"]) == 55
    assert q["declined_headcount"] == len(q["declined"]) == 4


def test_quote_json_declines_with_reasons(example_quote: dict[str, Any]) -> None:
    reasons = {d["member_id"]: [r["code"] for r in d["reasons"]] for d in example_quote["declined"]}
    assert reasons == {
        "E021": ["occupation_uninsurable"],  # N02 armed security guard, class 9
        "E031": ["age_out_of_range"],
        "E900": ["country_declined"],  # "Afghanistan"
        "E901": ["country_declined"],  # "阿富汗"
    }
    messages = {d["member_id"]: d["reasons"][0]["message"] for d in example_quote["declined"]}
    assert "Afghanistan" in messages["E900"]
    assert "class 9" in messages["E021"]
    priced = {m["member_id"] for m in example_quote["members"]}
    assert priced.isdisjoint(reasons)


def test_quote_json_refers_class_6(example_quote: dict[str, Any]) -> None:
    q = example_quote
    assert q["status"] == "referred"
    class6 = sorted(m["member_id"] for m in q["members"] if m["occupation_class"] == 6)
    assert class6  # the example has tunnel workers (X01)
    referrals = {r["code"]: r for r in q["referrals"]}
    assert sorted(referrals["occupation_class"]["member_ids"]) == class6


def test_quote_json_each_line_has_a_factor_trace(example_quote: dict[str, Any]) -> None:
    for m in example_quote["members"]:
        assert m["lines"], m["member_id"]
        for line in m["lines"]:
            f = line["factors"]
            assert f["method"] in ("per_mille", "frequency_severity", "per_member")
            for key in (
                "annual_pure_premium",
                "term_factor",
                "group_size_factor",
                "technical_premium",
                "gross_up_divisor",
                "vat_rate",
                "premium_per_member",
            ):
                assert key in f, (m["member_id"], line["cover"], key)
            expected = Decimal(str(f["premium_per_member"])) * f["headcount"]
            assert abs(Decimal(line["premium"]) - expected) <= Decimal("0.01") * f["headcount"]


def test_quote_json_adjustment_lines_are_in_the_total(tmp_path: Path) -> None:
    body = example()
    body["plans"] = [{"name": "Small", "covers": {"add": {"sum_insured": "10000"}}}]
    body["census"] = {
        "members": [
            {"member_id": "S1", "name": "A", "age": 30, "occupation_class": 1, "country": "ID"},
            {"member_id": "S2", "name": "B", "age": 40, "occupation_class": 2, "country": "KE"},
        ]
    }
    q = quote_json(write_json(tmp_path / "small.json", body))
    kinds = [a["kind"] for a in q["adjustments"]]
    assert "policy_minimum" in kinds
    assert Decimal(q["total_premium"]) == line_sum(q) == Decimal("3000.00")


def test_quote_table_prints_total_and_referred(example_quote: dict[str, Any]) -> None:
    code, out, err = run("quote", EXAMPLE, "--as-of", AS_OF)  # the fixture's date and tariff
    assert code == 0, err
    total = Decimal(example_quote["total_premium"])
    assert f"Total premium (VAT included): CNY {total:,}" in out
    assert "REFERRED" in out
    assert "E900" in out and "Afghanistan" in out


def test_quote_census_csv_replaces_the_census(tmp_path: Path) -> None:
    census = tmp_path / "staff.csv"
    census.write_text(
        CENSUS_HEADER
        + "A1,Wang Wei,M,1985-03-14,3,ID,Morowali\n"
        + "A2,Li Na,F,1990-07-02,2,Indonesia,\n"
        + "A3,Zhang San,M,1978-11-30,4,印度尼西亚,Jakarta\n",
        encoding="utf-8",
    )
    q = quote_json(EXAMPLE, "--census", census)
    assert q["headcount"] == 3
    assert q["declined_headcount"] == 0
    assert [m["member_id"] for m in q["members"]] == ["A1", "A2", "A3"]
    assert {m["country"] for m in q["members"]} == {"ID"}
    assert Decimal(q["total_premium"]) == line_sum(q)


def test_quote_census_file_with_bad_rows(tmp_path: Path) -> None:
    census = tmp_path / "staff.csv"
    census.write_text(
        CENSUS_HEADER + "A1,Wang Wei,M,1985-02-30,3,ID,\nA2,Li Na,F,1990-07-02,8,ID,\n",
        encoding="utf-8",
    )
    code, out, err = run("quote", EXAMPLE, "--census", census)
    assert code == 2
    assert out == ""
    assert "error: Invalid census (2 problems)" in err
    assert "row 2, column date_of_birth: '1985-02-30' is not a date" in err
    assert "row 3" in err
    assert "row 3, column occupation_class: must be 1-6 or 9" in err


def test_quote_as_of_before_the_first_tariff(tmp_path: Path) -> None:
    # A root whose only tariff takes effect in 60 days; the as-of date lies before it (and
    # inside the window around the business date).
    effective, as_of = BUSINESS_DATE + dt.timedelta(days=60), BUSINESS_DATE + dt.timedelta(days=10)
    folder = tmp_path / "later"
    shutil.copytree(TARIFF_DIR, folder)
    toml = folder / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("effective_date = 2026-10-01", f"effective_date = {effective}"))
    code, out, err = run("quote", EXAMPLE, "--tariff", folder, "--as-of", as_of.isoformat())
    assert code == 2
    assert out == ""
    assert "error: Invalid tariff (1 problem)" in err
    assert f"as_of: no tariff in force on {as_of}" in err
    assert f"effective from {effective}" in err


def test_quote_as_of_overrides_the_request_date() -> None:
    q = quote_json(EXAMPLE, "--as-of", "2026-12-15")
    assert q["as_of"] == "2026-12-15"


def test_quote_as_of_another_date_is_recorded_with_the_business_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUOTING_TIMEZONE", "Asia/Shanghai")
    today = BUSINESS_DATE  # QUOTING_BUSINESS_DATE of the test session
    q = quote_json(EXAMPLE, "--as-of", (today - dt.timedelta(days=3)).isoformat())
    assert q["as_of_override"] == {"business_date": today.isoformat(), "set_by": "cli"}
    assert quote_json(EXAMPLE, "--as-of", today.isoformat())["as_of_override"] is None
    assert quote_json(EXAMPLE)["as_of"] == today.isoformat()


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("9999-12-31", "as_of: must be a date from 1900-01-01 to 2199-12-31"),
        ("2150-01-01", "as_of: 2150-01-01 is outside the window for an as-of date"),
    ],
)
def test_quote_as_of_far_in_the_future_is_refused(as_of: str, message: str) -> None:
    code, out, err = run("quote", EXAMPLE, "--as-of", as_of)
    assert code == 2
    assert out == ""
    assert message in err


def test_quote_unknown_countries_in_two_rows(tmp_path: Path) -> None:
    body = example()
    body["census"]["members"][0]["country"] = "Atlantis"
    body["census"]["members"][3]["country"] = "Narnia"
    code, out, err = run("quote", write_json(tmp_path / "r.json", body))
    assert code == 2
    assert out == ""
    assert "(2 problems)" in err
    assert "census.members[0].country: unknown country 'Atlantis'" in err
    assert "census.members[3].country: unknown country 'Narnia'" in err


def test_quote_bad_credit_code(tmp_path: Path) -> None:
    body = example()
    body["policyholder"]["credit_code"] = "91110000MA01ABCD50"
    code, _, err = run("quote", write_json(tmp_path / "r.json", body))
    assert code == 2
    assert "policyholder.credit_code: check character does not match" in err


def test_quote_bad_census_and_credit_code_reports_every_problem(tmp_path: Path) -> None:
    body = example()
    body["policyholder"]["credit_code"] = "91110000MA01ABCD50"
    body["census"]["members"][0]["country"] = "Atlantis"
    body["census"]["members"][3]["country"] = "Narnia"
    code, _, err = run("quote", write_json(tmp_path / "r.json", body))
    assert code == 2
    assert "policyholder.credit_code" in err
    assert "census.members[0].country" in err
    assert "census.members[3].country" in err


def test_quote_invalid_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, out, err = run("quote", bad)
    assert code == 2
    assert out == ""
    assert "not valid JSON" in err
    code, _, err = run("quote", tmp_path / "missing.json")
    assert code == 2
    assert "missing.json" in err


# --------------------------------------------------------------------------- countries


def test_countries_json_lists_every_country() -> None:
    code, out, err = run("countries", "--format", "json", "--as-of", AS_OF)
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 249
    assert {r["code"] for r in rows} == {c.alpha_2 for c in pycountry.countries}
    for r in rows:
        assert {"code", "name_zh", "tier", "status"} <= r.keys()
        assert r["name_zh"]
        assert r["tier"] in (1, 2, 3, 4, 5)
        assert r["status"] in ("accept", "refer", "decline")
    by_code = {r["code"]: r for r in rows}
    assert by_code["AF"]["status"] == "decline"
    assert by_code["AF"]["name_zh"] == "阿富汗"
    assert by_code["ID"]["status"] == "accept"


def test_countries_table() -> None:
    code, out, _ = run("countries", "--as-of", AS_OF)
    assert code == 0
    assert "阿富汗" in out
    assert "Indonesia" in out


def test_countries_as_of_before_the_first_tariff() -> None:
    code, out, err = run("countries", "--as-of", "2020-01-01")
    assert code == 2
    assert out == ""
    assert "as_of: no tariff in force on 2020-01-01" in err


# --------------------------------------------------------------------------- accounts


@pytest.fixture
def accounts_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty SQLite database that the ``accounts`` commands use."""
    url = f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    monkeypatch.setenv("QUOTING_DATABASE_URL", url)
    return url


def created(out: str) -> dict[str, str]:
    """The ``account``, ``api key`` and ``key id`` lines of a create command."""
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return {
        "account": fields["account"].split()[0],
        "key": fields["api key"],
        "key_id": fields["key id"],
    }


def test_accounts_revoke_key_disable_and_enable(accounts_db: str) -> None:
    from tests.support import StoreProbe

    code, out, err = run("accounts", "create-broker", "Broker A", "--commission", "0.15")
    assert code == 0, err
    broker = created(out)
    code, out, _ = run("accounts", "new-key", broker["account"])
    second = created(out)
    store = StoreProbe(accounts_db)
    try:
        code, out, _ = run("accounts", "list")
        assert code == 0
        assert broker["key_id"] in out and second["key_id"] in out
        assert broker["key"][:10] in out
        assert broker["key"] not in out  # the key itself is never shown again
        assert out.count("active") == 2

        code, out, err = run("accounts", "revoke-key", broker["key_id"])
        assert (code, err) == (0, "")
        assert broker["key_id"] in out
        assert store.account_for_key(broker["key"]) is None
        assert store.account_for_key(second["key"]) is not None
        assert "revoked 20" in run("accounts", "list")[1]

        code, out, _ = run("accounts", "disable", broker["account"])
        assert code == 0 and "disabled" in out
        assert store.account_for_key(second["key"]) is None
        assert "(disabled)" in run("accounts", "list")[1]
        code, out, _ = run("accounts", "enable", broker["account"])
        assert code == 0 and "enabled" in out
        assert store.account_for_key(second["key"]) is not None
        assert store.account_for_key(broker["key"]) is None  # revoked stays revoked
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("revoke-key", "key_unknown"), "no API key key_unknown"),
        (("disable", "acc_unknown"), "no account acc_unknown"),
        (("enable", "acc_unknown"), "no account acc_unknown"),
        (("new-key", "acc_unknown"), "no account acc_unknown"),
    ],
)
def test_accounts_unknown_ids_exit_2_with_a_message(
    accounts_db: str, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run("accounts", *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_create_broker_checks_the_commission_against_quoting_tariffs(
    accounts_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    tariffs = tmp_path / "tariffs"
    shutil.copytree(TARIFF_DIR, tariffs / TARIFF_DIR.name)
    toml = tariffs / TARIFF_DIR.name / "tariff.toml"
    lines = toml.read_text(encoding="utf-8").splitlines()
    lines = ["commission_max = 0.5" if s.startswith("commission_max") else s for s in lines]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, _, err = run("accounts", "create-broker", "Broker B", "--commission", "0.45")
    assert code == 2 and "outside the tariff's bounds [0.0, 0.25]" in err
    monkeypatch.setenv("QUOTING_TARIFFS", str(tariffs))
    code, _, err = run("accounts", "create-broker", "Broker B", "--commission", "0.45")
    assert code == 0, err
    assert "commission 0.45" in run("accounts", "list")[1]


# --------------------------------------------------------------------------- passwords


def run_with_input(text: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main(list(argv), out=out, err=err, inp=StringIO(text))
    return code, out.getvalue(), err.getvalue()


def _signs_in(url: str, name: str, password: str) -> bool:
    from quoting.services.sessions import SessionPolicy, SignIn, sign_in
    from tests.support import StoreProbe

    store = StoreProbe(url)
    try:
        started = sign_in(store.uow, store.context, SessionPolicy(), SignIn(name, password))
    finally:
        store.dispose()
    return started is not None


def test_create_user_with_a_password_from_stdin(accounts_db: str) -> None:
    code, out, err = run_with_input(
        "correct horse battery\n",
        "accounts", "create-user", "王伟", "--role", "agent", "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    assert "password: yes" in out and created(out)["key"].startswith("qk_")
    assert _signs_in(accounts_db, "王伟", "correct horse battery")
    assert not _signs_in(accounts_db, "王伟", "correct horse battery\n")


def test_create_user_refuses_a_short_password_and_creates_nothing(accounts_db: str) -> None:
    code, out, err = run_with_input(
        "short\n", "accounts", "create-user", "李娜", "--role", "agent", "--password-stdin"
    )
    assert (code, out) == (2, "")
    assert "password: must have at least 10 characters" in err
    assert "李娜" not in run("accounts", "list")[1]


def test_create_user_without_a_terminal_or_flag_has_no_password(accounts_db: str) -> None:
    code, out, err = run_with_input("", "accounts", "create-user", "API only", "--role", "admin")
    assert code == 0, err
    assert "password: no" in out


def test_set_password_from_stdin(accounts_db: str) -> None:
    code, out, _ = run_with_input("", "accounts", "create-user", "张敏", "--role", "underwriter")
    account = created(out)["account"]
    code, out, err = run_with_input(
        "a long new password\n", "accounts", "set-password", account, "--password-stdin"
    )
    assert code == 0, err
    assert out.startswith(f"password set: {account} (underwriter) 张敏")
    assert _signs_in(accounts_db, "张敏", "a long new password")
    code, _, err = run_with_input("", "accounts", "set-password", account)
    assert code == 2 and "give --password-stdin" in err
    code, _, err = run_with_input("x\n", "accounts", "set-password", "acc_nope", "--password-stdin")
    assert code == 2 and "no account acc_nope (see 'quoting accounts list')" in err


def test_brokers_cannot_have_a_password(accounts_db: str) -> None:
    code, out, _ = run("accounts", "create-broker", "Broker C", "--commission", "0.15")
    broker = created(out)["account"]
    code, _, err = run_with_input(
        "correct horse battery\n", "accounts", "set-password", broker, "--password-stdin"
    )
    assert code == 2 and "brokers use the API with keys" in err


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("QUOTING_BUSINESS_DATE", "2026-13-01", "give a date as YYYY-MM-DD"),
        ("QUOTING_TIMEZONE", "Mars/Olympus", "use an IANA time zone"),
        ("QUOTING_RATE_LIMIT", "lots", "use N/second"),
    ],
)
def test_a_setting_it_cannot_use_is_one_error_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, says: str
) -> None:
    """Not a traceback: the variable, its value and what to give, exit status 2."""
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("QUOTING_DATABASE_URL", f"sqlite:///{tmp_path}/q.db")
    code, out, err = run("db", "upgrade") if name == "QUOTING_RATE_LIMIT" else run("quote", EXAMPLE)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {name}={value!r}: {says}") and "Traceback" not in err
