"""Settings are checked when a function starts, per function (shared/functions.py declares what each needs): a missing
signing-keys secret, bucket or table name fails the import of the handler module (the cold start, or the SnapStart
snapshot), not the first request that needs it. Before, the handlers imported fine and the first check-in or
evidence request failed with a 500."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import config
from shared.functions import FUNCTIONS, RESOURCES

ROOT = Path(__file__).resolve().parents[2]
NEEDED = [(f.name, setting) for f in FUNCTIONS for setting in f.settings]
NOT_NEEDED = [(f.name, r.setting) for f in FUNCTIONS for r in RESOURCES if r.setting not in f.settings]


def _import_handler(function: str, without: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != without}
    return subprocess.run(
        [sys.executable, "-c", f"import functions.{function}.handler"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )


@pytest.mark.parametrize(("function", "setting"), NEEDED)
def test_a_missing_setting_fails_the_cold_start(function: str, setting: str) -> None:
    started = _import_handler(function, without=setting)
    assert started.returncode != 0
    assert "MissingSettings" in started.stderr and setting in started.stderr


@pytest.mark.parametrize(("function", "setting"), NOT_NEEDED)
def test_a_setting_the_function_is_not_granted_is_not_required(function: str, setting: str) -> None:
    assert _import_handler(function, without=setting).returncode == 0


def test_an_invalid_setting_fails_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_CACHE_SECONDS", "-1")
    config.settings.cache_clear()
    try:
        with pytest.raises(config.MissingSettings, match="SECRET_CACHE_SECONDS"):
            config.at_cold_start("checkin")
    finally:
        config.settings.cache_clear()


@pytest.mark.parametrize(
    "value",
    ['not json', '{"issuer": "https://p"}', '{"issuer": "https://p", "authorization_endpoint": "nope", '
     '"token_endpoint": "https://p/t", "jwks_uri": "https://p/j", "client_id": "c", "redirect_uri": "https://a/cb"}'],
)
def test_a_malformed_provider_configuration_fails_the_verify_functions_cold_start(value: str) -> None:
    """VERIFIER_PROVIDER is parsed at cold start (R-BAS-4's verifier), not at the first card tap."""
    environment = {**os.environ, "VERIFIER_PROVIDER": value}
    started = subprocess.run(
        [sys.executable, "-c", "import functions.verify.handler"], cwd=ROOT, env=environment, capture_output=True,
        text=True, check=False,
    )
    assert started.returncode != 0 and "MissingSettings" in started.stderr and "invalid settings" in started.stderr
