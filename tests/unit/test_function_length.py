"""Functions of the product stay short enough to read in one screen (about 80 lines): long ones
are split along their natural steps (SPEC §3 for the engine)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

MOST_LINES = 80


def _modules() -> list[Path]:
    # Every module of the product (migrations are generated scripts).
    return sorted(p for p in (ROOT / "quoting").rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_is_longer_than_about_80_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MOST_LINES
    ]
    assert long == []
