"""The OpenAPI document of an API, merged from the Powertools resolvers of the functions that serve it (each
resolver generates its part from the same pydantic models the code uses). `python -m local.openapi --write`
refreshes the committed copies in docs/; a test fails when they are stale."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from shared.routes import ROUTES

ROOT = Path(__file__).resolve().parents[1]
TITLES = {"app": "ふるさと住民登録 app API", "admin": "ふるさと住民登録 admin API"}


def build(api: str = "app") -> dict:
    merged: dict = {"openapi": "3.1.0", "info": {"title": TITLES[api], "version": "1.0.0"}, "paths": {}, "components": {}}
    for function in dict.fromkeys(r.function for r in ROUTES if r.api == api):
        schema = importlib.import_module(f"functions.{function}.handler").app.get_openapi_schema().model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        merged["paths"].update(schema.get("paths", {}))
        for section, entries in schema.get("components", {}).items():
            merged["components"].setdefault(section, {}).update(entries)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    return merged


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
