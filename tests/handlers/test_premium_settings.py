"""An organisation's premium settings on the admin API (issue 9 part 1; R-ADM-2, R-PRE-1, R-PRE-2, R-PRE-7,
R-PRIV-2): the defaults until set, saved whole by an editor under optimistic concurrency, read by a viewer, each
organisation's its own, and bad input refused with nothing written."""

from __future__ import annotations

import os

import pytest

from shared.dal import aws, keys
from shared.dal.items import load
from shared.dal.premium_settings import PremiumSettingsRepository
from shared.domain.errors import ConcurrentUpdate
from shared.domain.premium import PremiumRequirements
from shared.domain.premium_settings import OrganisationPremiumSettings
from shared.domain.premium_settings import defaults as defaults_of
from tests.handlers.conftest import staff_claims

HIDA, AMA, GIFU = "212172", "325252", "210005"

SETTINGS = {
    "activities_needed": 4,
    "consecutive_days_count_each": True,
    "extra_conditions": ["地域の清掃活動に一度以上参加していること"],
    "auto_approve": False,
    "long_stay_marker": True,
    "long_stay_min_days": 14,
    "stay_evidence": "record_days",
    "approver_emails": ["furusato@city.hida.example.lg.jp", "kikaku@city.hida.example.lg.jp"],
}


def _stored_item(code: str) -> dict | None:
    item = aws.client("dynamodb").get_item(TableName=os.environ["TABLE_NAME"], Key={k: {"S": v} for k, v in keys.premium_settings(code).items()})
    return load(item["Item"]) if "Item" in item else None


def test_r_adm_2_never_set_the_defaults_at_version_0_r_pre_1_three_activities_r_pre_7_ten_days(repo, admin_api):
    for role in ("viewer", "editor"):
        response = admin_api("GET", "/premium-settings", claims=staff_claims(HIDA, role))
        assert response.status == 200, response.body
        assert response.body == {
            "organisation_code": HIDA,
            "activities_needed": 3,
            "consecutive_days_count_each": False,
            "extra_conditions": [],
            "auto_approve": False,
            "long_stay_marker": False,
            "long_stay_min_days": 10,
            "stay_evidence": "record_days",
            "approver_emails": [],
            "version": 0,
            "updated_at": None,
            "updated_by": None,
        }
    assert _stored_item(HIDA) is None  # reading writes nothing


def test_r_adm_2_an_editor_saves_the_settings_and_a_viewer_reads_them(repo, admin_api):
    editor = staff_claims(HIDA)
    saved = admin_api("PUT", "/premium-settings", body=SETTINGS | {"version": 0}, claims=editor)
    assert saved.status == 200, saved.body
    assert saved.body["version"] == 1 and saved.body["updated_by"] == editor["sub"] and saved.body["updated_at"]
    assert {k: saved.body[k] for k in SETTINGS} == SETTINGS
    read = admin_api("GET", "/premium-settings", claims=staff_claims(HIDA, "viewer"))
    assert read.status == 200 and read.body == saved.body
    item = _stored_item(HIDA)
    assert item["type"] == "PremiumSettings" and item["pk"] == f"ORG#{HIDA}" and item["sk"] == "PREMIUM_SETTINGS"

    changed = SETTINGS | {"activities_needed": 5, "auto_approve": True, "version": 1}
    again = admin_api("PUT", "/premium-settings", body=changed, claims=editor)
    assert again.status == 200 and again.body["version"] == 2 and again.body["activities_needed"] == 5
    assert again.body["auto_approve"] is True


def test_r_adm_2_a_viewer_may_not_save(repo, admin_api):
    response = admin_api("PUT", "/premium-settings", body=SETTINGS | {"version": 0}, claims=staff_claims(HIDA, "viewer"))
    assert response.status == 403 and response.problem_type == "forbidden", response.body
    assert _stored_item(HIDA) is None


def test_a_stale_version_is_409_and_changes_nothing(repo, admin_api):
    editor = staff_claims(HIDA)
    assert admin_api("PUT", "/premium-settings", body=SETTINGS | {"version": 0}, claims=editor).status == 200
    before = _stored_item(HIDA)
    for stale in (SETTINGS | {"activities_needed": 6, "version": 0}, SETTINGS | {"version": 7}):
        response = admin_api("PUT", "/premium-settings", body=stale, claims=editor)
        assert response.status == 409 and response.problem_type == "concurrent-update", response.body
    assert _stored_item(HIDA) == before


def test_a_repeated_put_is_recognised_as_done_and_answers_as_the_first(repo, admin_api):
    """A client that lost the answer sends the same PUT again (same version): the write is done, not a conflict."""
    editor = staff_claims(HIDA)
    first = admin_api("PUT", "/premium-settings", body=SETTINGS | {"version": 0}, claims=editor)
    repeated = admin_api("PUT", "/premium-settings", body=SETTINGS | {"version": 0}, claims=editor)
    assert repeated.status == 200, repeated.body
    assert repeated.body == first.body and repeated.body["version"] == 1


def test_a_write_resent_by_botocore_meets_its_own_result(repo):
    """The data layer alone: the same UpdateItem twice (the first's answer lost) answers the stored settings."""
    repository = PremiumSettingsRepository(aws.client("dynamodb"), os.environ["TABLE_NAME"])
    settings = OrganisationPremiumSettings(**SETTINGS, organisation_code=HIDA, version=1, updated_by="staff-1")
    assert repository.save(settings, expected_version=0) == settings
    assert repository.save(settings, expected_version=0).same_settings(settings)
    with pytest.raises(ConcurrentUpdate):
        repository.save(settings.model_copy(update={"activities_needed": 9}), expected_version=0)


def test_r_pre_1_r_pre_2_r_pre_7_the_settings_give_the_judgement_its_requirements():
    settings = OrganisationPremiumSettings(**SETTINGS, organisation_code=HIDA)
    requirements = settings.requirements()
    assert requirements.activities_needed == 4 and requirements.consecutive_days_count_each is True
    assert requirements.long_stay_marker is True and requirements.long_stay_min_days == 14
    assert list(requirements.extra_conditions) == SETTINGS["extra_conditions"]
    assert defaults_of(HIDA).requirements() == PremiumRequirements()  # never set: the judgement's defaults


def test_r_priv_2_each_organisation_sees_and_changes_only_its_own(repo, admin_api):
    """The organisation is the staff token's: there is no path or body member naming another one."""
    admin_api("PUT", "/premium-settings", body=SETTINGS | {"version": 0}, claims=staff_claims(HIDA))
    for code in (AMA, GIFU):  # another municipality, and 飛騨市's own prefecture: neither sees 飛騨市's
        other = admin_api("GET", "/premium-settings", claims=staff_claims(code, "viewer"))
        assert other.status == 200 and other.body["organisation_code"] == code and other.body["version"] == 0
        assert "city.hida" not in str(other.body)
    ama = admin_api("PUT", "/premium-settings", body=SETTINGS | {"activities_needed": 10, "approver_emails": ["a@town.ama.example.lg.jp"], "version": 0}, claims=staff_claims(AMA))
    assert ama.status == 200 and ama.body["organisation_code"] == AMA
    hida = admin_api("GET", "/premium-settings", claims=staff_claims(HIDA, "viewer")).body
    assert hida["activities_needed"] == 4 and hida["approver_emails"] == SETTINGS["approver_emails"]
    smuggled = admin_api("PUT", "/premium-settings", body=SETTINGS | {"organisation_code": HIDA, "version": 1}, claims=staff_claims(AMA))
    assert smuggled.status == 422  # not a member of the body: the organisation is never the client's to name


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("R-PRE-1: 2 activities", {"activities_needed": 2}),
        ("51 activities", {"activities_needed": 51}),
        ("activities as a string", {"activities_needed": "4"}),
        ("11 extra conditions", {"extra_conditions": [f"条件{i}" for i in range(11)]}),
        ("a condition of 201 characters", {"extra_conditions": ["あ" * 201]}),
        ("an empty condition", {"extra_conditions": [""]}),
        ("R-PRE-2: consecutive days as a string", {"consecutive_days_count_each": "yes"}),
        ("R-PRE-7: 0 stay days", {"long_stay_min_days": 0}),
        ("R-PRE-7: 366 stay days", {"long_stay_min_days": 366}),
        ("stay evidence unknown", {"stay_evidence": "staff_entered"}),
        ("a bad e-mail", {"approver_emails": ["furusato.city.hida"]}),
        ("an e-mail with a space", {"approver_emails": ["furu sato@city.hida.example.lg.jp"]}),
        ("no approver", {"approver_emails": []}),
        ("21 approvers", {"approver_emails": [f"s{i}@city.hida.example.lg.jp" for i in range(21)]}),
        ("an approver twice", {"approver_emails": ["a@city.hida.example.lg.jp", "A@city.hida.example.lg.jp"]}),
        ("an unknown member", {"activities_needed_in_12_months": 4}),
        ("a negative version", {"version": -1}),
    ],
)
def test_invalid_settings_are_422_and_write_nothing(repo, admin_api, case, change):
    body = SETTINGS | {"version": 0} | change
    response = admin_api("PUT", "/premium-settings", body=body, claims=staff_claims(HIDA))
    assert response.status == 422 and response.problem_type == "invalid-input", (case, response.body)
    assert _stored_item(HIDA) is None, case


def test_approver_emails_and_version_are_required(repo, admin_api):
    for missing in ("approver_emails", "version"):
        body = {k: v for k, v in (SETTINGS | {"version": 0}).items() if k != missing}
        response = admin_api("PUT", "/premium-settings", body=body, claims=staff_claims(HIDA))
        assert response.status == 422, (missing, response.body)
    minimal = admin_api("PUT", "/premium-settings", body={"approver_emails": ["a@city.hida.example.lg.jp"], "version": 0}, claims=staff_claims(HIDA))
    assert minimal.status == 200 and minimal.body["activities_needed"] == 3 and minimal.body["long_stay_min_days"] == 10
