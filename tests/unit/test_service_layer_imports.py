"""Import directions of the service layer: services know no web framework, the policies
domain knows no store, web, database or files, controllers know the store only by its
public types."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QUOTING = Path(__file__).resolve().parents[2] / "quoting"


def imports(folder: Path) -> dict[str, set[str]]:
    """Every module each file of ``folder`` imports (``from a.b import c`` gives ``a.b``
    and ``a.b.c``)."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(QUOTING.parent))] = names
    return found


def offending(folder: Path, banned: tuple[str, ...]) -> list[str]:
    return [
        f"{file}: {name}"
        for file, names in imports(folder).items()
        for name in sorted(names)
        if any(name == b or name.startswith(b + ".") for b in banned)
    ]


def test_services_import_no_web_framework() -> None:
    assert offending(QUOTING / "services", ("litestar", "quoting.web", "api")) == []


@pytest.mark.parametrize(
    "banned", ["quoting.store", "quoting.web", "quoting.services", "sqlalchemy", "os", "pathlib"]
)
def test_the_policies_domain_is_pure(banned: str) -> None:
    assert offending(QUOTING / "policies", (banned,)) == []


def test_the_web_layer_knows_the_store_only_by_its_public_types() -> None:
    """Controllers get a unit-of-work factory; no SQL, no repository classes, no fake."""
    found = [
        line
        for line in offending(QUOTING / "web", ("quoting.store", "sqlalchemy", "alembic"))
        if line.split(": ")[1].startswith(
            ("quoting.store._", "quoting.store.memory", "sql", "alembic")
        )
    ]
    assert found == []


def test_no_module_is_named_after_a_layer() -> None:
    assert not [p.name for p in QUOTING.glob("*.py") if p.stem in ("service", "quotes", "policies")]
