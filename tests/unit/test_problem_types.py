"""Every domain error is a documented problem type with a Japanese title."""

from __future__ import annotations

import re
from pathlib import Path

from shared.domain import errors
from shared.domain.errors import Unauthenticated

DOC = (Path(__file__).resolve().parents[2] / "docs" / "problems.md").read_text(encoding="utf-8")


def _all_errors():
    found, pending = [], [errors.DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return [c for c in found if c is not errors.DomainError]


def test_every_domain_error_is_documented_with_its_status():
    classes = _all_errors()
    assert Unauthenticated in classes and len(classes) >= 10
    for cls in classes:
        row = re.search(rf"^\| {re.escape(cls.type_slug)} \| (\d+)", DOC, re.MULTILINE)
        assert row, f"{cls.type_slug} missing from docs/problems.md"
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", cls.title), cls
