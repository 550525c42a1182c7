"""The admin function grants what `cognito:groups` says, exactly, as API Gateway passes the claim (a string): a group
whose name merely contains a role's name grants nothing, editor and viewer in any of the claim's shapes work."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared import clock

HIDA = "212172"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
ACTIVITY = {"name": "草刈り", "kind": "project", "place": "飛騨市",
            "starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=2)).isoformat()}


def _claims(groups: str) -> dict:
    return {"sub": "staff-1", "custom:lg_code": HIDA, "cognito:groups": groups, "token_use": "id"}


@pytest.mark.parametrize("groups", ["[pending,editor]", "[[editor]]", "pending,editor"])
def test_a_group_containing_editor_in_its_name_cannot_designate(admin_api, groups: str) -> None:
    clock.freeze(START - timedelta(days=1))
    response = admin_api("POST", "/activities", body=ACTIVITY, claims=_claims(groups))
    assert response.status == 403, response.body


@pytest.mark.parametrize("groups", ["[editor]", "[viewer, editor]", "[viewer editor]", '["viewer","editor"]'])
def test_editor_designates_in_every_shape_of_the_claim(admin_api, groups: str) -> None:
    clock.freeze(START - timedelta(days=1))
    assert admin_api("POST", "/activities", body=ACTIVITY, claims=_claims(groups)).status == 201


def test_a_viewer_reads_but_cannot_designate(admin_api) -> None:
    clock.freeze(START - timedelta(days=1))
    assert admin_api("GET", "/activities", claims=_claims("[viewer]")).status == 200
    assert admin_api("POST", "/activities", body=ACTIVITY, claims=_claims("[viewer]")).status == 403
