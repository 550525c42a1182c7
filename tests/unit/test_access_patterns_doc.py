"""docs/access-patterns.md is held to the code: every paged list route (a `limit` and a `next` parameter in the
OpenAPI the functions serve) has a row costed per page, and the recruitment row states the code's bound."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shared.dal.activities import ORGANISATIONS_PER_PAGE
from shared.domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "access-patterns.md").read_text(encoding="utf-8")


def _list_routes() -> list[str]:
    routes = []
    for api in ("app", "admin"):
        document = json.loads((ROOT / "docs" / f"openapi-{api}.json").read_text(encoding="utf-8"))
        for path, operations in document["paths"].items():
            names = {p["name"] for p in operations.get("get", {}).get("parameters", [])}
            if {"limit", "next"} <= names:
                routes.append(path)
    return routes


def test_every_paged_list_has_a_row_costed_per_page():
    routes = _list_routes()
    assert len(routes) >= 9  # registrations, records, evidence, applications, recruitment; 4 staff lists
    rows = [line for line in DOC.splitlines() if line.startswith("| ")]
    for path in routes:
        # A placeholder may be shortened in the doc ({id} for {activity_id}).
        pattern = re.sub(r"\\\{\w+\\\}", r"\\{\\w+\\}", re.escape(path))
        matching = [r for r in rows if re.search(rf"GET {pattern}( |,|$| \()", r.rstrip(" |"))]
        assert matching, f"{path} has no row in docs/access-patterns.md"
        assert any("per page" in r for r in matching), f"{path}: its row must give the round trips per page"


def test_the_doc_states_the_page_sizes_and_the_recruitment_bound_the_code_uses():
    assert f"`limit` 1–{MAX_PAGE_SIZE}" in DOC and f"default {DEFAULT_PAGE_SIZE}" in DOC
    recruitment = next(r for r in DOC.splitlines() if "GET /me/recruitment" in r)
    assert f"≤ 1 + {ORGANISATIONS_PER_PAGE} per page" in recruitment and "Query ×N" not in recruitment
