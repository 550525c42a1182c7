"""The OpenAPI document of an API, merged from the Powertools resolvers of the functions that serve it (each
resolver generates its part from the same pydantic models the code uses). `python -m local.openapi --write`
refreshes the committed copies in docs/; a test fails when they are stale."""

from __future__ import annotations

import argparse
import importlib
import json
import os
from pathlib import Path

from shared.functions import FUNCTIONS
from shared.routes import ROUTES

ROOT = Path(__file__).resolve().parents[1]
TITLES = {"app": "ふるさと住民登録 app API", "admin": "ふるさと住民登録 admin API"}


def build(api: str = "app") -> dict:
    # The documents describe code, not a deployment: the settings each function checks when its module is imported
    # get placeholders here if unset (never in a running function).
    for declared in FUNCTIONS:
        for name in declared.settings:
            os.environ.setdefault(name, f"openapi-generation-{name.lower()}")
    merged: dict = {"openapi": "3.1.0", "info": {"title": TITLES[api], "version": "1.0.0"}, "paths": {}, "components": {}}
    for function in dict.fromkeys(r.function for r in ROUTES if r.api == api):
        schema = importlib.import_module(f"functions.{function}.handler").app.get_openapi_schema().model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        merged["paths"].update(schema.get("paths", {}))
        for section, entries in schema.get("components", {}).items():
            merged["components"].setdefault(section, {}).update(entries)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    _document_problems(merged)
    return merged


PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `title` is Japanese, for the app to show; `detail` is for developers.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": "https://furusato.example.jp/problems/already-registered"},
        "title": {"type": "string", "example": "この自治体にはすでに登録しています"},
        "status": {"type": "integer", "example": 409},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}


def _document_problems(document: dict) -> None:
    """Every error is application/problem+json (shared/api/resolver.py), including validation errors, which
    Powertools would otherwise document as its own 422 JSON shape."""
    document["components"].setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for section in ("HTTPValidationError", "ValidationError"):
        document["components"]["schemas"].pop(section, None)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["4XX"] = {"description": "Problem: bad input (422), not found (404), conflict (409) …", "content": problem}
            if operation.get("security"):
                responses["401"] = {"description": "Problem: sign-in needed (no or invalid ID token)", "content": problem}
            responses["503"] = UNAVAILABLE | {"content": problem}


# shared/domain/errors.ServiceUnavailable: what a client does is in docs/decisions.md (2026-12-02, per operation).
UNAVAILABLE = {
    "description": (
        "Problem `service-unavailable`: AWS throttled a call or did not answer. Nothing is wrong with the request: "
        "send the same request again (with the same Idempotency-Key where the operation takes one) after Retry-After"
    ),
    "headers": {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
}


def path_for(api: str) -> Path:
    return ROOT / "docs" / f"openapi-{api}.json"


def render(api: str) -> str:
    return json.dumps(build(api), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write docs/openapi-<api>.json")
    args = parser.parse_args()
    for api in dict.fromkeys(r.api for r in ROUTES):
        if args.write:
            path_for(api).write_text(render(api), encoding="utf-8")
            print(f"wrote {path_for(api).relative_to(ROOT)}")
        else:
            print(render(api))


if __name__ == "__main__":
    main()
