"""The development identity provider's page (local only) is a web page people use: axe-core finds no WCAG 2.1 AA
violation in headless Chromium, blank and after a mistake (the error shown)."""

from __future__ import annotations

from local.oidc_provider import DevelopmentProvider
from shared.dal.identity_provider import VerifierKeys
from shared.domain.verification import AuthorizationSecrets
from tests.axe import violations


def _authorize_query() -> str:
    secrets = AuthorizationSecrets.new()
    return (
        "response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fapp.test%2Fcb&scope=openid%20name%20address"
        f"%20birthdate%20gender&state={secrets.state}&nonce={secrets.nonce}&code_challenge={secrets.code_challenge}"
        "&code_challenge_method=S256"
    )


def _provider():
    from werkzeug.test import Client

    provider = DevelopmentProvider("https://provider.test")
    provider.register_client("c1", VerifierKeys.generate().public_jwks(), ["https://app.test/cb"])
    return Client(provider)


def test_the_authorize_page_has_no_accessibility_violations():
    page = _provider().get("/authorize?" + _authorize_query())
    assert page.status_code == 200
    assert violations(page.get_data(as_text=True)) == []


def test_the_page_with_an_error_has_no_accessibility_violations():
    shown = _provider().post("/authorize?" + _authorize_query(), data={"decision": "approve", "preset": "", "name": "x"})
    assert shown.status_code == 400 and "入力" in shown.get_data(as_text=True)
    assert violations(shown.get_data(as_text=True)) == []


def test_the_check_finds_a_violation_when_there_is_one():
    """The harness is not vacuous: an unlabelled input and a page without a language are reported."""
    found = {v["id"] for v in violations("<!doctype html><html><head><title>t</title></head><body><input></body></html>")}
    assert {"label", "html-has-lang"} <= found
