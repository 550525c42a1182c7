"""Building blocks of the premium tests on moto: a verified non-resident registrant with records, staff settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shared import clock
from shared.dal import keys
from tests.handlers.conftest import staff_claims

HIDA, GIFU, KESENNUMA, MINAMISANRIKU, MIYAGI, AMA, SHIMANE, NAGANO = (
    "212172", "210005", "042056", "046060", "040002", "325252", "320005", "200000")
PREFECTURES = {GIFU, MIYAGI, SHIMANE, NAGANO}
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
APPROVERS = ["shomu@city.hida.test", "kikaku@city.hida.test"]


def designate(admin_api, code: str, day: date, name: str = "雪下ろしボランティア", **extra) -> str:
    """An activity of `code` on `day` (10:00-13:00), designated a week before (the clock is moved and restored)."""
    saved = clock.now()
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=clock.TOKYO)
    clock.freeze(start - timedelta(days=7))
    body = {"name": name, "kind": "project", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(), "place": "市民センター", **extra}
    venues = {GIFU: HIDA, MIYAGI: KESENNUMA, SHIMANE: AMA, NAGANO: "202029"}  # a prefecture names its venue
    if code in venues:
        body.setdefault("venue_code", venues[code])
    response = admin_api("POST", "/activities", body=body, claims=staff_claims(code))
    clock.freeze(saved)
    assert response.status == 201, response.body
    return response.body["id"]


def attend(admin_api, code: str, activity_id: str, user: str, day: date) -> None:
    response = admin_api("POST", f"/activities/{activity_id}/records", body={"user_id": user, "day": day.isoformat()},
                         claims=staff_claims(code))
    assert response.status == 201, response.body


def register(register_api, user: str, code: str = HIDA, email: str | None = None) -> None:
    answers = {**ANSWERS, "own_fan_club": "member"} if code == KESENNUMA else ANSWERS
    body: dict = {"organisation_code": code, "answers": answers}
    if email:
        body["personal"] = {"email": email}
    response = register_api("POST", "/registrations", user, body=body)
    # A prefecture is co-registered with its first municipality (R-ORG-2): registered already is fine.
    assert response.status == 201 or (response.status == 409 and code in PREFECTURES), response.body


def settings(admin_api, code: str = HIDA, **fields) -> dict:
    current = admin_api("GET", "/premium-settings", claims=staff_claims(code)).body
    body = {k: v for k, v in current.items() if k not in ("organisation_code", "updated_at", "updated_by")}
    body.update({"approver_emails": APPROVERS, **fields})
    response = admin_api("PUT", "/premium-settings", body=body, claims=staff_claims(code))
    assert response.status == 200, response.body
    return response.body


def active_person(register_api, admin_api, card_tap, user: str, codes=(HIDA,), days=None, email: str | None = None,
                  preset: str = "tokyo-adult") -> None:
    """Registered with `codes`, verified with a Tokyo address (not a resident of any of them), three records at each
    (staff-entered, on three days of three activities)."""
    for code in codes:
        register(register_api, user, code, email)
    assert card_tap(user, preset=preset).status == 200
    for code in codes:
        for day in days or (date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)):
            attend(admin_api, code, designate(admin_api, code, day), user, day)


def premium_at(moto, user: str, code: str, expires_on: date) -> None:
    """Test set-up: the person holds premium at `code` until `expires_on` (what an approval writes on the
    registration), without going through a whole application."""
    import os

    moto.update_item(
        TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": f"ORG#{code}#USER#{user}"}, "sk": {"S": "REGISTRATION"}},
        UpdateExpression="SET premium_expires_on = :e, due_pk = :due_pk, due_sk = :due_sk",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":e": {"S": expires_on.isoformat()},
                                   **{f":{k}": {"S": v} for k, v in keys.due("premium", expires_on.isoformat(), user, code).items()}},
    )
