"""The domain packages stay pure: the tariff model, pricing and underwriting import nothing
that reads files, talks to a database or the web, or looks at the clock.

The check walks every module of ``quoting/`` with ``ast``, so a new module of a domain
package is covered without being listed here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

PACKAGE = ROOT / "quoting"

#: Modules that must stay pure (a prefix covers the package and its sub-modules).
PURE = (
    "quoting.tariff",
    "quoting.pricing",
    "quoting.underwriting",
    "quoting.policies",
    "quoting.plans",
)
#: Adapters inside a pure package: they may do I/O, and the pure code may not import them.
ADAPTERS = ("quoting.tariff.files", "quoting.tariff.registry")
#: What pure code must not import (a prefix covers sub-modules).
FORBIDDEN = (
    "quoting.web",
    "quoting.store",
    "quoting.census",
    "quoting.documents",
    "quoting.settings",
    "quoting.service",
    "quoting.services",
    "quoting.cli",
    *ADAPTERS,
    "os",
    "pathlib",
    "time",
    "pycountry",
    "litestar",
    "sqlalchemy",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement names (for ``from a import b``: ``a`` and ``a.b``),
    and ``datetime`` calls that read the clock."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ("now", "today", "utcnow")
            and isinstance(node.value, ast.Attribute | ast.Name)
            and (getattr(node.value, "attr", None) or getattr(node.value, "id", None))
            in ("date", "datetime", "dt")
        ):
            found.append((node.lineno, f"datetime.{node.attr}"))
    return found


def _pure_modules() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if _within(_module_name(p), PURE) and not _within(_module_name(p), ADAPTERS)
    ]


def test_the_pure_packages_are_found() -> None:
    names = {_module_name(p) for p in _pure_modules()}
    assert {"quoting.tariff", "quoting.tariff.model", "quoting.pricing"} <= names
    assert "quoting.underwriting" in names
    assert not names & set(ADAPTERS)


@pytest.mark.parametrize("path", _pure_modules(), ids=_module_name)
def test_pure_module_imports_no_io_web_store_or_clock(path: Path) -> None:
    bad = [
        f"line {line}: {name}"
        for line, name in _imports(path)
        if _within(name, FORBIDDEN) or name.startswith("datetime.")
    ]
    assert bad == [], f"{_module_name(path)} imports what a pure module must not"


def test_underwriting_does_not_import_pricing() -> None:
    """One direction only: pricing calls the underwriting rules, never the reverse."""
    for path in sorted((PACKAGE / "underwriting").rglob("*.py")):
        assert not [n for _, n in _imports(path) if _within(n, ("quoting.pricing",))], path


def test_importing_pricing_loads_no_tariff_files_or_country_database() -> None:
    code = (
        "import sys, quoting.pricing, quoting.underwriting, quoting.tariff; "
        "print(sorted(m for m in ('pycountry', 'quoting.tariff.files', "
        "'quoting.tariff.registry', 'sqlalchemy', 'litestar') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _imports_of(folder: str, banned: tuple[str, ...]) -> list[str]:
    return [
        f"{_module_name(path)} line {line}: {name}"
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for line, name in _imports(path)
        if _within(name, banned)
    ]


def test_services_import_no_web_framework() -> None:
    """The API, the CLI and the pages call the same services: no Litestar in them."""
    assert _imports_of("services", ("litestar", "quoting.web", "api")) == []


def test_the_web_layer_knows_the_store_only_by_its_public_types() -> None:
    """Controllers get a unit-of-work factory: no SQL, no repository classes, no fake."""
    found = _imports_of("web", ("quoting.store", "sqlalchemy", "alembic"))
    private = ("quoting.store._", "quoting.store.memory", "sqlalchemy", "alembic")
    assert [f for f in found if f.split(": ")[1].startswith(private)] == []


def test_no_module_is_named_after_a_layer() -> None:
    layers = ("service", "quotes", "policies")
    assert [p.name for p in PACKAGE.glob("*.py") if p.stem in layers] == []
