"""Every list is paged (issue 6 part 4, R-PRIV-2): `limit` up to its documented maximum, an opaque `next` token,
pages that walk to the end and never leave the caller's partition, a tampered token answered 400 (never 500, never
another's data), the recruitment list bounded whatever the number of organisations joined, and the 12-month record
count right on every page. Data is written through the data layer's own item builders (fast); reads go through the
handlers as API Gateway calls them."""

from __future__ import annotations

import base64
import json
import os
from datetime import date, datetime, timedelta

import pytest

from shared import clock
from shared.dal.activities import ORGANISATIONS_PER_PAGE, ActivityRepository, _record_item
from shared.dal.evidence import EvidenceRepository
from shared.dal.items import dump
from shared.domain.activities import Activity, ActivityRecord, Evidence
from shared.domain.models import Registration
from shared.domain.paging import MAX_PAGE_SIZE
from shared.organisations import catalog
from tests.handlers.conftest import staff_claims

HIDA, GIFU, KESENNUMA = "212172", "210005", "042056"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=clock.TOKYO)
TABLE = os.environ["TABLE_NAME"]


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


def walk(call, path: str, field: str, limit: int, **kwargs) -> list[list[dict]]:
    """Every page of a list, following `next` until null (bounded: a list that never ends fails)."""
    pages, token = [], None
    for _ in range(100):
        query = f"limit={limit}" + (f"&next={token}" if token else "")
        response = call("GET", path, query=query, **kwargs)
        assert response.status == 200, response.body
        assert len(response.body[field]) <= limit
        pages.append(response.body[field])
        token = response.body["next"]
        if token is None:
            return pages
    raise AssertionError("the list never ended")


def tampered(token: str, **changes: str) -> str:
    key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    key.update(changes)
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def municipalities(count: int) -> list[str]:
    codes = [m.code for p in catalog.prefectures() for m in catalog.municipalities_of(p.code)]
    return codes[:count]


def register_directly(repo, user: str, codes: list[str]) -> None:
    for code in codes:
        repo.create_registration(Registration(organisation_code=code, user_id=user, since=NOW, direct=True), None)


def activity(code: str, name: str, recruiting: bool = False, days: int = 10) -> Activity:
    starts = NOW + timedelta(days=days)
    return Activity(
        id=f"a{abs(hash((code, name))) % 16**16:016x}", organisation_code=code, venue_code=code, name=name, kind="project",
        place="会場", starts_at=starts, ends_at=starts + timedelta(hours=2), recruiting=recruiting, created_at=NOW,
        updated_at=NOW,
    )


def put_records(moto, user: str, code: str, activity_id: str, days: list[date]) -> None:
    for day in days:
        record = ActivityRecord(
            organisation_code=code, user_id=user, activity_id=activity_id, designated_by=code, venue_code=code, day=day,
            source="staff_entry", recorded_at=NOW,
        )
        moto.put_item(TableName=TABLE, Item=dump(_record_item(record, project_to_activity=True)))


# --- app API ---------------------------------------------------------------------------------------------------------


def test_my_registrations_walk_to_the_end_in_pages_and_a_token_never_opens_another_persons(register_api, repo):
    mine = municipalities(7)
    register_directly(repo, "alice", mine)
    register_directly(repo, "bob", [KESENNUMA])
    pages = walk(register_api, "/me/registrations", "registrations", 3, user="alice")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(r["organisation"]["code"] for p in pages for r in p) == sorted(mine)

    first = register_api("GET", "/me/registrations", user="alice", query="limit=3")
    token = first.body["next"]
    # Bob replays Alice's token: his own partition is queried, her key does not belong there.
    replayed = register_api("GET", "/me/registrations", user="bob", query=f"next={token}")
    assert replayed.status == 400 and replayed.problem_type == "invalid-page-token"
    steered = tampered(token, user_pk="USER#bob", pk=f"ORG#{KESENNUMA}#USER#bob")
    as_alice = register_api("GET", "/me/registrations", user="alice", query=f"next={steered}")
    assert as_alice.status == 400 and as_alice.problem_type == "invalid-page-token"
    assert "bob" not in json.dumps(as_alice.body)


@pytest.mark.parametrize("query", [f"limit={MAX_PAGE_SIZE + 1}", "limit=0", "limit=-1", "next=not%20a%20token", "next="])
def test_limit_has_a_documented_maximum_and_the_token_a_shape(register_api, repo, query):
    response = register_api("GET", "/me/registrations", user="alice", query=query)
    assert response.status == 422 and response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("garbage", ["eyJ4IjoxfQ", "AAAA", "e30", "eyJwayI6IkEifQ"])
def test_a_token_that_decodes_to_anything_else_is_400_not_500(register_api, checkin_api, repo, garbage):
    for call, path in ((register_api, "/me/registrations"), (register_api, "/me/applications"),
                       (register_api, "/me/recruitment"), (checkin_api, f"/me/records/{HIDA}"),
                       (checkin_api, f"/me/evidence/{HIDA}")):
        response = call("GET", path, user="alice", query=f"next={garbage}")
        assert response.status == 400 and response.problem_type == "invalid-page-token", (path, response.body)


def test_records_are_paged_and_the_12_month_count_is_the_windows_on_every_page(checkin_api, repo, moto):
    register_directly(repo, "alice", [HIDA])
    in_window = [date(2026, 4, 1) + timedelta(days=20 * i) for i in range(7)]
    put_records(moto, "alice", HIDA, "a0000000000000001", in_window + [date(2025, 10, 1)])
    put_records(moto, "bob", HIDA, "a0000000000000001", [date(2026, 5, 1)])
    pages, token, counts = [], None, []
    while True:
        body = checkin_api(
            "GET", f"/me/records/{HIDA}", user="alice", query="limit=3" + (f"&next={token}" if token else "")
        ).body
        pages.append([r["day"] for r in body["records"]])
        counts.append(body["count_last_12_months"])
        token = body["next"]
        if token is None:
            break
    assert pages == [[d.isoformat() for d in in_window[i : i + 3]] for i in (0, 3, 6)]
    assert counts == [7, 7, 7]
    alone = checkin_api("GET", f"/me/records/{HIDA}", user="alice").body
    assert alone["count_last_12_months"] == 7 and alone["next"] is None


def test_recruitment_is_bounded_whatever_the_number_of_organisations_joined(register_api, repo, moto):
    joined = municipalities(25)
    register_directly(repo, "alice", joined)
    activities = ActivityRepository(moto, TABLE)
    for code in joined:
        activities.create_activity(activity(code, f"{code} 募集", recruiting=True))
    activities.create_activity(activity(HIDA, "飛騨市の募集", recruiting=True))  # not joined by alice
    calls: list[str] = []
    moto.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    seen, token, queries_per_page = [], None, []
    for _ in range(20):
        calls.clear()
        body = register_api(
            "GET", "/me/recruitment", user="alice", query="limit=4" + (f"&next={token}" if token else "")
        ).body
        queries_per_page.append(calls.count("Query"))
        assert len(body["activities"]) <= 4
        seen += [a["organisation_code"] for a in body["activities"]]
        token = body["next"]
        if token is None:
            break
    assert sorted(seen) == sorted(joined) and HIDA not in seen
    assert max(queries_per_page) <= 1 + ORGANISATIONS_PER_PAGE


def test_a_recruitment_page_full_inside_one_organisation_goes_on_there(register_api, repo, moto):
    register_directly(repo, "alice", [HIDA, KESENNUMA])
    activities = ActivityRepository(moto, TABLE)
    for i in range(5):
        activities.create_activity(activity(HIDA, f"飛騨 {i}", recruiting=True, days=10 + i))
    activities.create_activity(activity(KESENNUMA, "気仙沼", recruiting=True))
    pages = walk(register_api, "/me/recruitment", "activities", 2, user="alice")
    assert [a["name"] for p in pages for a in p] == ["気仙沼", "飛騨 0", "飛騨 1", "飛騨 2", "飛騨 3", "飛騨 4"]


def test_my_applications_and_evidence_walk_in_pages(register_api, checkin_api, repo, moto):
    register_directly(repo, "alice", [HIDA])
    activities = ActivityRepository(moto, TABLE)
    open_ones = [activity(HIDA, f"募集 {i}", recruiting=True) for i in range(3)]
    for a in open_ones:
        activities.create_activity(a)
        assert register_api("POST", f"/organisations/{HIDA}/activities/{a.id}/applications", user="alice", body={}).status == 201
    pages = walk(register_api, "/me/applications", "applications", 2, user="alice")
    assert sorted(x["activity_id"] for p in pages for x in p) == sorted(a.id for a in open_ones)

    evidence = EvidenceRepository(moto, TABLE)
    for i in range(3):
        _start(evidence, _evidence(f"e{i:016x}", "alice"))
    _start(evidence, _evidence("e" + "f" * 16, "bob"))
    pages = walk(checkin_api, f"/me/evidence/{HIDA}", "evidence", 2, user="alice")
    assert [len(p) for p in pages] == [2, 1] and {e["user_id"] for p in pages for e in p} == {"alice"}


def _start(evidence: EvidenceRepository, item: Evidence) -> None:
    """As starting an upload stores it: with the person's open uploads."""
    evidence.create(item, evidence.open_uploads(item.user_id), int(NOW.timestamp()) + 3600)


def _evidence(evidence_id: str, user: str) -> Evidence:
    return Evidence(
        id=evidence_id, organisation_code=HIDA, user_id=user, activity_id="a0000000000000001", day=date(2026, 11, 1),
        content_type="image/jpeg", size_bytes=1000, object_key=f"evidence/{HIDA}/{user}/{evidence_id}", created_at=NOW,
    )


# --- admin API -------------------------------------------------------------------------------------------------------


def test_staff_lists_walk_to_the_end_and_a_token_of_another_organisation_or_activity_is_refused(admin_api, repo, moto):
    hida = staff_claims(HIDA)
    activities = ActivityRepository(moto, TABLE)
    designated = [activity(HIDA, f"活動 {i}") for i in range(5)]
    for a in designated:
        activities.create_activity(a)
    activities.create_activity(activity(KESENNUMA, "気仙沼の活動"))
    pages = walk(admin_api, "/activities", "activities", 2, claims=hida)
    assert sorted(a["id"] for p in pages for a in p) == sorted(a.id for a in designated)

    first = admin_api("GET", "/activities", query="limit=2", claims=hida).body["next"]
    other = admin_api("GET", "/activities", query=f"next={first}", claims=staff_claims(KESENNUMA))
    assert other.status == 400 and other.problem_type == "invalid-page-token"
    steered = admin_api("GET", "/activities", query=f"next={tampered(first, pk=f'ORG#{KESENNUMA}')}", claims=hida)
    assert steered.status == 400 and "気仙沼" not in json.dumps(steered.body, ensure_ascii=False)

    one, two = designated[0], designated[1]
    for user in ("u1", "u2", "u3", "u4", "u5"):
        put_records(moto, user, HIDA, one.id, [one.starts_at.date()])
    put_records(moto, "u9", HIDA, two.id, [two.starts_at.date()])
    pages = walk(admin_api, f"/activities/{one.id}/records", "records", 2, claims=hida)
    assert sorted(r["user_id"] for p in pages for r in p) == ["u1", "u2", "u3", "u4", "u5"]
    token = admin_api("GET", f"/activities/{one.id}/records", query="limit=2", claims=hida).body["next"]
    crossed = admin_api("GET", f"/activities/{two.id}/records", query=f"next={token}", claims=hida)
    assert crossed.status == 400 and crossed.problem_type == "invalid-page-token"


def test_staff_applicants_evidence_and_a_registrants_records_are_paged(admin_api, register_api, repo, moto):
    hida = staff_claims(HIDA)
    activities = ActivityRepository(moto, TABLE)
    notice = activity(HIDA, "募集", recruiting=True)
    activities.create_activity(notice)
    for user in ("u1", "u2", "u3"):
        register_directly(repo, user, [HIDA])
        assert register_api("POST", f"/organisations/{HIDA}/activities/{notice.id}/applications", user=user, body={}).status == 201
    pages = walk(admin_api, f"/activities/{notice.id}/applications", "applications", 2, claims=hida)
    assert sorted(a["user_id"] for p in pages for a in p) == ["u1", "u2", "u3"]

    evidence = EvidenceRepository(moto, TABLE)
    for i, user in enumerate(("u1", "u2", "u3")):
        item = _evidence(f"e{i:016x}", user)
        _start(evidence, item)
        evidence.mark_submitted(item, NOW + timedelta(minutes=i), item.object_key)
    pages = walk(admin_api, "/evidence", "evidence", 2, claims=hida)
    assert [e["user_id"] for p in pages for e in p] == ["u1", "u2", "u3"]
    assert admin_api("GET", "/evidence", claims=staff_claims(KESENNUMA)).body == {"evidence": [], "next": None}

    put_records(moto, "u1", HIDA, notice.id, [date(2026, 6, 1) + timedelta(days=i) for i in range(5)])
    body = admin_api("GET", "/registrants/u1/records", query="limit=2", claims=hida).body
    assert len(body["records"]) == 2 and body["count_last_12_months"] == 5 and body["next"]
    limit = admin_api("GET", "/evidence", query=f"limit={MAX_PAGE_SIZE + 1}", claims=hida)
    assert limit.status == 422
