"""Importing the product does nothing but define things: no file or folder is created and
no quote is priced (the OpenAPI examples are priced when the document is first built)."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import quoting

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> list[str]:
    names = ["quoting"]
    for info in pkgutil.walk_packages(quoting.__path__, "quoting."):
        if ".migrations" not in info.name:
            names.append(info.name)
    return names


def test_importing_every_module_creates_no_file_and_prices_nothing(tmp_path: Path) -> None:
    script = f"""
import importlib, json, sys
for name in {_modules()!r} + ["api"]:
    importlib.import_module(name)
import quoting.web._examples as ex
print(json.dumps({{"priced": ex._priced.cache_info().currsize}}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUOTING_DATABASE_URL": ""}
    before = sorted(p.name for p in tmp_path.iterdir())
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"priced": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_shipped_data_is_found_from_the_package() -> None:
    from quoting.resources import shipped

    assert (shipped("tariffs") / "2026.2" / "tariff.toml").is_file()
    assert (shipped("templates") / "documents").is_dir()
    assert (shipped("examples") / "small_request.json").is_file()


def test_no_module_finds_files_by_climbing_parent_folders() -> None:
    # One home for where shipped files are (quoting/resources.py); nothing else climbs.
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "quoting").rglob("*.py")
        if "parents[" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_app_factory_lives_in_the_package() -> None:
    # An installed copy has no top-level api.py; `quoting serve` runs the package's.
    from api import create_app as top
    from quoting.web.app import create_app

    assert top is create_app


def test_pricing_offline_in_the_cli_loads_neither_the_database_nor_scipy_stats(tmp_path):
    """`quoting quote` starts in well under a second: it does not import SQLAlchemy,
    Alembic, scipy.stats or the document stack unless they are needed."""
    script = (
        "import io, sys\n"
        "from quoting.cli import main\n"
        f"code = main(['quote', {str(ROOT / 'examples' / 'small_request.json')!r}], out=io.StringIO())\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'scipy.stats', 'weasyprint', 'litestar')"
        " if m in sys.modules]\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "0 []"
