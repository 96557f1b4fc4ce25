"""Time the agent's new-quote form: form post (census file of N members) → 303 → quote
page rendered, in process (Litestar's test client on a temporary SQLite database).

    .venv/bin/python bench/pages.py                 # 50 and 1,000 members, best of 3
    .venv/bin/python bench/pages.py --members 50 1000 5000 --repeat 5

For each size: the form post (census read, priced, stored: ``create_quote``), the quote
page (decoded, tables, charts, rendered) and the two together, in seconds, best of
--repeat; then a member's trace page. Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This checkout's quoting, not whichever one the virtualenv has installed.
sys.path.insert(0, str(ROOT))

from litestar.testing import TestClient  # noqa: E402

from api import create_app  # noqa: E402
from quoting.services import Context  # noqa: E402
from quoting.services import accounts as accounts_service  # noqa: E402
from quoting.settings import Settings  # noqa: E402
from quoting.store import Database, SqlUnitOfWork  # noqa: E402

PASSWORD = "bench password 1"
TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')
COUNTRIES = ["KE", "ID", "AE", "NG", "PK", "SA", "VN", "MY", "ET", "TZ"]


def census_csv(members: int, seed: int = 7) -> bytes:
    """N named members over ten countries and classes 1 to 5, aged 20 to 60."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["member_id", "name", "sex", "date_of_birth", "occupation_class", "country"])
    for i in range(members):
        born = f"{rng.randint(1966, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        writer.writerow(
            [
                f"E{i + 1:05d}",
                f"Member {i + 1}",
                rng.choice("MF"),
                born,
                rng.randint(1, 5),
                rng.choice(COUNTRIES),
            ]
        )
    return out.getvalue().encode()


def _token(text: str) -> str:
    found = TOKEN.search(text)
    assert found is not None
    return found[1]


def _form(client: TestClient[Any]) -> dict[str, Any]:
    """The new-quote form as the page gives it (two presets), for an uploaded census."""
    page = client.get("/quotes/new").text
    data: dict[str, Any] = dict(
        re.findall(r'<input type="(?:text|date|hidden)" [^>]*?name="([^"]+)" value="([^"]*)"', page)
    )
    data = {k: v for k, v in data.items() if not k.startswith("grid_")}
    for name in re.findall(r'<input type="checkbox" name="([^"]+)" value="on" checked', page):
        data[name] = "on"
    return data | {
        "_csrf": _token(page),
        "plan-0-classes": ["1", "2"],
        "plan-1-classes": ["3", "4", "5", "6"],
        "policyholder_name": "中路海外工程建设有限公司",
        "credit_code": "91110000MA01ABCD52",
        "census_mode": "upload",
        "action": "price",
    }


def _once(client: TestClient[Any], data: dict[str, Any], census: bytes) -> dict[str, float]:
    start = time.perf_counter()
    posted = client.post(
        "/quotes/new",
        data=data,
        files={"census_file": ("census.csv", census, "text/csv")},
        follow_redirects=False,
    )
    posted_at = time.perf_counter()
    assert posted.status_code == 303, posted.text[:2000]
    page = client.get(posted.headers["location"])
    done = time.perf_counter()
    assert page.status_code == 200 and 'id="total-premium"' in page.text
    member = client.get(posted.headers["location"] + "/members/E00001")
    traced = time.perf_counter()
    assert member.status_code == 200
    return {
        "post": posted_at - start,
        "page": done - posted_at,
        "total": done - start,
        "trace": traced - done,
        "page_kb": len(page.content) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[50, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    url = f"sqlite:///{folder / 'quoting.sqlite3'}"
    settings = Settings.from_env({"QUOTING_DATABASE_URL": url, "QUOTING_ACCESS_LOG": "off"})
    database = Database(url)
    database.upgrade()
    context = Context(clock=settings.clock, tariff_root=settings.tariff_root)
    new = accounts_service.NewAccount("Bench agent", "agent", password=PASSWORD)
    accounts_service.create_account(lambda: SqlUnitOfWork(database), context, new)
    results: dict[str, Any] = {}
    with TestClient(app=create_app(settings)) as client:
        signin = client.get("/signin").text
        signed = client.post(
            "/signin",
            data={"name": "Bench agent", "password": PASSWORD, "_csrf": _token(signin)},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        for members in args.members:
            census = census_csv(members)
            runs = [_once(client, _form(client), census) for _ in range(args.repeat)]
            best = {k: min(r[k] for r in runs) for k in runs[0]}
            results[str(members)] = {k: round(v, 3) for k, v in best.items()}
            print(
                f"{members:>6,} members: form post {best['post']:.3f} s + quote page "
                f"{best['page']:.3f} s = {best['total']:.3f} s (best of {args.repeat}); "
                f"member trace {best['trace']:.3f} s; page {best['page_kb']:.0f} KB"
            )
    database.dispose()
    print(json.dumps({"bench": "pages", "repeat": args.repeat, "seconds": results}))


if __name__ == "__main__":
    main()
