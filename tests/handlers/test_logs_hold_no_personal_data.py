"""Function logs are kept a year (infra LOG_RETENTION), past any withdrawal or account deletion (issue 7 part 4):
they must hold no personal data, even at DEBUG and when a request fails unexpectedly (R-PRIV-1)."""

from __future__ import annotations

import io
import logging

import pytest

from shared.logic.registration import RegistrationService
from shared.observability import logger
from tests.handlers.test_account_deletion import CONFIRM, activities, as_person, footprint  # noqa: F401 (fixture)


@pytest.fixture
def logs():
    """What the functions' logger writes (JSON lines, as CloudWatch receives them), at DEBUG."""
    level = logger.log_level
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    yield buffer
    logger.setLevel(level)
    logger.removeHandler(handler)


def test_a_whole_footprint_and_its_deletion_log_no_personal_data(
    register_api, admin_api, checkin_api, account_api, activities, logs, capsys
):
    person = footprint(register_api, admin_api, checkin_api, activities)
    assert account_api("DELETE", "/me", claims=as_person(person), headers=CONFIRM).status == 204
    logger.debug("end of the footprint")  # the capture works: the assertion below is not about nothing
    logged = logs.getvalue() + capsys.readouterr().out  # + metrics, printed
    assert "end of the footprint" in logged
    assert not [value for value in person.secrets if value in logged]


def test_an_unexpected_error_logs_where_it_failed_but_not_its_message(register_api, logs, monkeypatch):
    name = "気仙 太郎"

    def failing(self, command, *_):
        raise ValueError(f"could not store {command.request.personal.name}")

    monkeypatch.setattr(RegistrationService, "_register_attempt", failing)
    body = {"organisation_code": "042056", "answers": {"relationship": ["birthplace"], "interests": ["local_news"],
            "own_fan_club": "member"}, "personal": {"name": name}}
    response = register_api("POST", "/registrations", user="u1", body=body)
    assert response.status == 500 and name not in str(response.body)
    logged = logs.getvalue()
    assert "unexpected error" in logged and "ValueError" in logged and "in failing" in logged  # type and frames
    assert name not in logged


def test_identity_verification_logs_nothing_of_the_card(register_api, card_tap, logs, capsys):
    """R-PRIV-1: the card's 4 info, the subject and the provider's tokens never reach a log, also when it fails."""
    from tests.handlers.test_verification import TARO

    register_api("POST", "/registrations", user="u1", body={"organisation_code": "212172", "answers": {
        "relationship": ["birthplace"], "interests": ["local_news"]}})
    assert card_tap("u1", **TARO).status == 200
    for fault in ("bad_signature", "wrong_nonce"):
        assert card_tap("u1", fault=fault, **TARO).status == 400
    assert card_tap("u2", **TARO).status == 409  # identity in use
    logger.debug("end of the verifications")
    logged = logs.getvalue() + capsys.readouterr().out
    assert "end of the verifications" in logged
    for value in ("飛騨 太郎", "太郎", "古川町", "509-4292", "1990-04-01", "eyJ"):  # eyJ: any JWT
        assert value not in logged, value
