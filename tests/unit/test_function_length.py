"""Domain functions stay short enough to read in one screen (about 80 lines): long ones
are split along their natural steps (SPEC §3 for the engine)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

MOST_LINES = 80
#: Modules (or packages) held to the limit; other areas may join as they are split.
CHECKED = ("tariff", "pricing", "underwriting", "rating_input.py", "quote_builder.py")


def _modules() -> list[Path]:
    out: list[Path] = []
    for name in CHECKED:
        path = ROOT / "quoting" / name
        out.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return out


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
