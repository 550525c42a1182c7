"""The staff pages' design tokens (shared/web/tokens.py, committed: a Lambda function carries no node_modules) are the
Digital Agency design system's (npm `@digital-go-jp/design-tokens`, pinned in the Makefile, under .local/), and they
are exactly the tokens the pages' styles name: scripts/build_design_tokens.py would write the same module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from shared.web import tokens

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("build_design_tokens", ROOT / "scripts" / "build_design_tokens.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    module = _script()
    if not module.TOKENS_CSS.exists():
        pytest.skip(f"{module.TOKENS_CSS.relative_to(ROOT)} is not installed: `make tokens` installs the design tokens "
                    "package under .local/ (`make test` does too)")
    return module


def test_the_committed_tokens_are_the_packages(script):
    available = script.package_tokens(script.TOKENS_CSS.read_text(encoding="utf-8"))
    assert tokens.VERSION == script.package_version()
    assert {name: available.get(name) for name in tokens.TOKENS} == tokens.TOKENS


def test_the_committed_module_is_what_the_script_writes(script):
    assert script.OUTPUT.read_text(encoding="utf-8") == script.build(), "run: make tokens"


def test_the_pages_name_exactly_the_committed_tokens():
    """Needs no package: the generated module holds every token the styles use, and no other."""
    assert _script().used_tokens() == sorted(tokens.TOKENS)


def test_references_are_resolved():
    package = _script().package_tokens(":root {\n  --a: #fff;\n  --b: var(--a);\n  --c: 0 0 0 1px var(--b);\n}\n")
    assert package == {"--a": "#fff", "--b": "#fff", "--c": "0 0 0 1px #fff"}
