"""Docs that describe code are checked against it: docs/infra.md's permission table (the function list) and index
list (the table definition) are exactly what infra/docs.py generates from the code."""

from __future__ import annotations

import pytest

from infra import docs


@pytest.mark.parametrize("name", sorted(docs.GENERATED))
def test_docs_infra_table_matches_the_code(name: str) -> None:
    text = docs.DOCUMENT.read_text(encoding="utf-8")
    assert docs.current(text, name) == docs.GENERATED[name](), "stale: run .venv/bin/python -m infra.docs --write"
