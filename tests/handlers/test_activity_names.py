"""Issue 6 part 6: the activity's name is shown wherever a record is (a check-in's confirmation, staff's view of a
registrant's records), not null (R-ACT-2, R-ACT-3)."""

from __future__ import annotations

from datetime import timedelta

from shared import clock
from tests.handlers.conftest import staff_claims
from tests.handlers.test_activities_and_checkin import (  # noqa: F401 (fixture)
    DURING,
    HIDA,
    code_url,
    hida_activity,
    registered,
)


def test_r_act_2_the_check_in_confirmation_names_the_activity(admin_api, checkin_api, register_api, hida_activity):  # noqa: F811
    url = code_url(admin_api, hida_activity["id"])
    registered(register_api, "taro")
    clock.freeze(DURING)
    first = checkin_api("POST", "/checkins", user="taro", body={"code": url})
    again = checkin_api("POST", "/checkins", user="taro", body={"code": url})
    assert (first.status, again.status) == (201, 200)
    assert first.body["record"]["activity_name"] == again.body["record"]["activity_name"] == hida_activity["name"]


def test_r_act_3_staff_see_the_activity_names_in_a_registrants_records(admin_api, checkin_api, register_api, hida_activity):  # noqa: F811
    url = code_url(admin_api, hida_activity["id"])
    registered(register_api, "taro")
    clock.freeze(DURING)
    assert checkin_api("POST", "/checkins", user="taro", body={"code": url}).status == 201
    renamed = admin_api("PATCH", f"/activities/{hida_activity['id']}", body={"name": "雪下ろし（古川町）"}, claims=staff_claims(HIDA))
    assert renamed.status == 200, renamed.body
    clock.freeze(DURING + timedelta(days=1))
    records = admin_api("GET", "/registrants/taro/records", claims=staff_claims(HIDA))
    assert records.status == 200, records.body
    assert [r["activity_name"] for r in records.body["records"]] == ["雪下ろし（古川町）"]  # the current name
