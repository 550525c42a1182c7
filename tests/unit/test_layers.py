"""One home per concept, checked by reading the code: the domain and the use cases never import the API layer (nor
the domain the data layer), every domain error lives in shared/domain/errors.py, and key strings are spelled only in
shared/dal/keys.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, as an absolute dotted name (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("logic", ("shared.api",)),
        ("domain", ("shared.api", "shared.dal", "shared.logic", "shared.wiring")),
    ],
)
def test_layers_import_only_inward(layer: str, forbidden: tuple[str, ...]) -> None:
    offending = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((SHARED / layer).rglob("*.py"))
        for name in _imports(path)
        if name.startswith(forbidden)
    }
    assert not offending


def test_every_domain_error_is_defined_in_errors_py() -> None:
    from shared.domain import errors

    defined_elsewhere = []
    for path in sorted(SHARED.rglob("*.py")):
        if path == SHARED / "domain" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", "")) in {"DomainError", *vars(errors)} for base in node.bases
            ):
                defined_elsewhere.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not defined_elsewhere


KEY_LITERAL = re.compile(r"""["'](ORG|NAT|USER|ACT|APPS|RECRUIT|REVIEW|ACTIVITY|RECORD|EVIDENCE|APPLICATION|PRELAUNCH|UNCLAIMED|IDEMPOTENCY)#""")


def test_key_strings_are_spelled_only_in_keys_py() -> None:
    spelled = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(SHARED.rglob("*.py"))
        if path != SHARED / "dal" / "keys.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if KEY_LITERAL.search(line)
    ]
    assert not spelled
