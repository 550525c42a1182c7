"""関係人口 statistics (R-STAT-1, R-STAT-2, R-BAS-6): counters kept from the table's stream (functions/stats), exactly
once, agree with a full recount (ops/recount.py) after randomized sequences of what people and staff do."""

from __future__ import annotations

import os
import random
from datetime import date, datetime, timedelta

import pytest

from functions.stats import handler as stats_handler
from local.events import FakeLambdaContext
from local.streams import StreamPoller, item_types, streams_client
from ops.recount import recount, scan
from shared import clock
from shared.dal import aws, keys
from shared.dal.activities import _record_item
from shared.dal.items import dump
from shared.dal.statistics import StatisticsRepository, scope_key
from shared.domain.activities import ActivityRecord
from shared.functions import function

HIDA, GIFU, MINAMISANRIKU, MIYAGI, AMA, SHIMANE = "212172", "210005", "046060", "040002", "325252", "320005"
PLACES = (HIDA, GIFU, MINAMISANRIKU, MIYAGI, AMA, SHIMANE)
PREFECTURE = {HIDA: GIFU, GIFU: GIFU, MINAMISANRIKU: MIYAGI, MIYAGI: MIYAGI, AMA: SHIMANE, SHIMANE: SHIMANE}
ANSWERS = {"relationship": ["birthplace", "type2_regular_visits"], "interests": ["local_news"]}
TABLE = os.environ["TABLE_NAME"]


class Stream:
    """The stats function behind the table's stream, polled as the event source mapping would deliver."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.redeliver = False

        def invoke(event: dict) -> dict:
            self.calls.append(event)
            answer = stats_handler.lambda_handler(event, FakeLambdaContext("stats"))
            if self.redeliver:  # at-least-once: the same batch again
                assert stats_handler.lambda_handler(event, FakeLambdaContext("stats")) == {"batchItemFailures": []}
            return answer

        self.poller = StreamPoller(aws.client("dynamodb"), streams_client(), TABLE, item_types(function("stats")), invoke)

    def drain(self) -> int:
        return self.poller.poll()


@pytest.fixture
def stream(repo):
    for cache in (stats_handler.upkeep, stats_handler.snapshots):
        cache.cache_clear()
    yield Stream()
    for cache in (stats_handler.upkeep, stats_handler.snapshots):
        cache.cache_clear()
    clock.reset()


def differences() -> list[str]:
    return recount(scan(aws.client("dynamodb"), TABLE))


def figures(scope: str) -> dict[str, int]:
    return dict(StatisticsRepository(aws.client("dynamodb"), TABLE).current([scope])[scope])


def set_attributes(code: str, user: str, **values) -> None:
    client = aws.client("dynamodb")
    names = {f"#a{i}": k for i, k in enumerate(values)}
    client.update_item(
        TableName=TABLE, Key=dump(keys.registration(code, user)),
        UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames=names, ExpressionAttributeValues=dump({f":v{i}": v for i, v in enumerate(values.values())}),
    )


def add_record(user: str, venue: str, day: date, activity: str) -> None:
    client = aws.client("dynamodb")
    for code in {venue, PREFECTURE[venue]}:
        record = ActivityRecord(
            organisation_code=code, user_id=user, activity_id=activity, designated_by=venue, venue_code=venue, day=day,
            source="staff_entry", recorded_at=clock.now(),
        )
        client.put_item(TableName=TABLE, Item=dump(_record_item(record, project_to_activity=code == venue)))


def register(register_api, user: str, code: str, co_register: bool = True):
    return register_api("POST", "/registrations", user, body={
        "organisation_code": code, "answers": ANSWERS, "co_register_prefecture": co_register})


def test_registrations_count_once_per_person_nationally_and_per_area_residents_nowhere_R_STAT_1_R_BAS_6(
    register_api, account_api, stream
):
    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    assert register(register_api, "p1", HIDA).status == 201  # and 岐阜県 (R-ORG-2)
    assert register(register_api, "p1", AMA).status == 201  # and 島根県
    assert register(register_api, "p2", HIDA, co_register=False).status == 201
    assert register(register_api, "p3", MINAMISANRIKU).status == 201
    set_attributes(MINAMISANRIKU, "p3", resident=True)  # R-BAS-6: a resident counts nowhere
    stream.drain()
    national = figures(scope_key("national"))
    assert national["registrations"] == 6  # p1: 4, p2: 1, p3: 1 (宮城県; 南三陸町 a resident's)
    assert national["people"] == 3
    assert figures(scope_key("area", GIFU))["people"] == 2 and figures(scope_key("area", GIFU))["registrations"] == 3
    assert figures(scope_key("org", HIDA))["registrations"] == 2
    assert figures(scope_key("org", MINAMISANRIKU)).get("registrations", 0) == 0
    # the survey is answered where one registers (co-registrations carry no answers)
    assert national["rel_birthplace"] == 3 and national["int_local_news"] == 3 and national["new_2026-12"] == 6
    assert differences() == []
    account_api("DELETE", "/me", user="p1", headers={"Confirm-Account-Deletion": "DELETE"})
    stream.drain()
    assert figures(scope_key("national"))["people"] == 2  # the person left every figure
    assert figures(scope_key("area", SHIMANE)).get("people", 0) == 0
    assert differences() == []


def test_a_record_delivered_twice_or_a_batch_retried_counts_once(register_api, stream):
    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    stream.redeliver = True
    register(register_api, "p1", HIDA)
    add_record("p1", HIDA, date(2026, 12, 1), "a0000000000000001")
    stream.drain()
    assert figures(scope_key("national"))["registrations"] == 2
    assert figures(scope_key("national"))["records_2026-12"] == 1  # the venue's copy only, once
    assert figures(scope_key("org", GIFU))["records_2026-12"] == 1  # the prefecture's own copy (R-ACT-4)
    assert differences() == []


def test_premium_counts_until_its_lapse_is_marked_and_again_after_a_renewal(register_api, stream):
    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    register(register_api, "p1", HIDA)
    set_attributes(HIDA, "p1", premium_expires_on="2027-12-05", long_stay_marker=True, personal_verified_on="2026-12-05")
    stream.drain()
    hida = figures(scope_key("org", HIDA))
    assert (hida["premium"], hida.get("basic", 0), hida["long_stay"], hida["verified"]) == (1, 0, 1, 1)
    set_attributes(HIDA, "p1", premium_lapsed="2027-12-05")
    stream.drain()
    hida = figures(scope_key("org", HIDA))
    assert (hida["premium"], hida["basic"], hida["long_stay"]) == (0, 1, 0)
    set_attributes(HIDA, "p1", premium_expires_on="2028-12-05")
    stream.drain()
    assert figures(scope_key("org", HIDA))["premium"] == 1
    assert differences() == []


def _random_walk(seed: int, register_api, account_api, stream, steps: int) -> None:
    rng = random.Random(seed)
    people = [f"r{seed}-{n}" for n in range(4)]
    start = datetime(2026, 11, 20, 10, 0, tzinfo=clock.TOKYO)
    for step in range(steps):
        clock.freeze(start + timedelta(days=step * 3))
        person, code = rng.choice(people), rng.choice(PLACES)
        action = rng.choice(
            ["register", "register", "register", "withdraw", "premium", "lapse", "resident", "record", "delete", "verify"]
        )
        if action == "register":
            register(register_api, person, code, co_register=rng.random() < 0.7)
        elif action == "withdraw":
            account_api("DELETE", f"/me/registrations/{code}", user=person)
        elif action == "delete":
            account_api("DELETE", "/me", user=person, headers={"Confirm-Account-Deletion": "DELETE"})
            people[people.index(person)] = f"{person}x"  # deleted for good: a new person takes the place
        else:
            try:
                if action == "premium":
                    expires = (clock.today() + timedelta(days=365)).isoformat()
                    set_attributes(code, person, premium_expires_on=expires, long_stay_marker=rng.random() < 0.5)
                elif action == "lapse":
                    item = aws.client("dynamodb").get_item(TableName=TABLE, Key=dump(keys.registration(code, person))).get("Item")
                    if item and "premium_expires_on" in item:
                        set_attributes(code, person, premium_lapsed=item["premium_expires_on"]["S"])
                elif action == "resident":
                    set_attributes(code, person, resident=rng.random() < 0.5)
                elif action == "verify":
                    set_attributes(code, person, personal_verified_on=clock.today().isoformat())
                elif action == "record":
                    add_record(person, code if code in (HIDA, MINAMISANRIKU, AMA) else HIDA, clock.today(), f"a{step:016x}")
            except Exception as error:  # not registered there: nothing changes
                assert "ConditionalCheckFailed" in str(error), error
        if rng.random() < 0.4:
            stream.drain()
    stream.drain()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomized_sequences_leave_no_difference_from_a_recount(seed, register_api, account_api, stream):
    """R-STAT-1: register / withdraw / premium / lapse / resident changes / records / account deletion, in a random
    order, with some batches delivered twice: the incremental counters equal a full recount."""
    stream.redeliver = seed == 2
    _random_walk(seed, register_api, account_api, stream, steps=30)
    assert differences() == []


def test_the_recount_reports_a_lost_change_and_exits_non_zero(register_api, stream, capsys):
    from ops.recount import main

    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    register(register_api, "p1", HIDA)
    register(register_api, "p2", AMA)
    stream.drain()
    assert figures(scope_key("national"))["people"] == 2
    assert main(["--table", TABLE], client=aws.client("dynamodb")) == 0
    set_attributes(HIDA, "p1", resident=True)  # a change the counters never see (no drain)
    assert main(["--table", TABLE], client=aws.client("dynamodb")) == 1
    report = capsys.readouterr().out
    assert "NAT registrations: items 3, counter 4" in report and "p1" not in report  # no person named (R-PRIV-1)


# --- reading (R-STAT-1, R-STAT-2, R-PRIV-2) --------------------------------------------------------------------------

from tests.handlers.conftest import staff_claims  # noqa: E402


def _snapshot(at: datetime) -> dict:
    from shared.functions import SCHEDULE_SOURCE

    event = {"source": SCHEDULE_SOURCE, "schedule": "statistics-snapshot", "scheduled_time": at.isoformat()}
    return stats_handler.lambda_handler(event, FakeLambdaContext("stats"))


def test_staff_read_their_own_figures_a_prefecture_its_area_and_municipalities_csv_and_snapshots_R_PRIV_2(
    register_api, admin_api, stream
):
    clock.freeze(datetime(2026, 11, 28, 10, 0, tzinfo=clock.TOKYO))
    for n in range(3):
        register(register_api, f"p{n}", HIDA)
    register(register_api, "p0", GIFU)  # already co-registered: linked, p0 counts once in the area
    register(register_api, "p9", AMA)
    stream.drain()
    own = admin_api("GET", "/statistics", claims=staff_claims(HIDA, "viewer"))
    assert own.status == 200, own.body
    (hida,) = own.body["sets"]
    assert hida["scope"] == "organisation" and hida["organisation"]["code"] == HIDA
    assert hida["figures"]["registrations"] == 3 and hida["figures"]["people"] == 3 and hida["figures"]["new_2026-11"] == 3
    gifu = admin_api("GET", "/statistics", claims=staff_claims(GIFU)).body["sets"]
    assert [s["scope"] for s in gifu] == ["organisation", "area"]
    assert gifu[1]["figures"]["people"] == 3 and gifu[1]["figures"]["registrations"] == 6
    of_hida = admin_api("GET", "/statistics", claims=staff_claims(GIFU), query=f"organisation={HIDA}")
    assert of_hida.status == 200 and of_hida.body["sets"][0]["figures"]["registrations"] == 3
    # R-PRIV-2: a municipality never reads another's, nor a prefecture outside its own
    assert admin_api("GET", "/statistics", claims=staff_claims(HIDA), query=f"organisation={GIFU}").status == 403
    assert admin_api("GET", "/statistics", claims=staff_claims(GIFU), query=f"organisation={AMA}").status == 403
    csv = admin_api("GET", "/statistics", claims=staff_claims(GIFU), query="format=csv")
    assert csv.status == 200 and csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.body.lstrip("\ufeff").splitlines()
    assert lines[0] == f"figure,organisation:{GIFU},area:{GIFU}" and "registrations,3,6" in lines

    assert _snapshot(datetime(2026, 12, 1, 0, 5, tzinfo=clock.TOKYO))["month"] == "2026-11"
    register(register_api, "p5", HIDA)  # after the month's end: not in November's snapshot
    stream.drain()
    november = admin_api("GET", "/statistics", claims=staff_claims(HIDA), query="month=2026-11").body
    assert november["months"] == ["2026-11"] and november["sets"][0]["figures"]["registrations"] == 3
    assert admin_api("GET", "/statistics", claims=staff_claims(HIDA)).body["sets"][0]["figures"]["registrations"] == 4
    assert admin_api("GET", "/statistics", claims=staff_claims(HIDA), query="month=2026-13").status == 422


def test_the_public_national_figures_withhold_every_small_cell_R_STAT_2(register_api, stream):
    clock.freeze(datetime(2026, 11, 28, 10, 0, tzinfo=clock.TOKYO))
    for n in range(12):
        register(register_api, f"p{n}", HIDA, co_register=False)
    set_attributes(HIDA, "p0", premium_expires_on="2027-11-28")
    stream.drain()
    national = register_api("GET", "/statistics/national")
    assert national.status == 200, national.body
    figures = national.body["figures"]
    assert national.body["threshold"] == 10
    assert figures["registrations"] == 12 and figures["people"] == 12
    # premium (1) is withheld, and basic (11) with it: registrations - basic would give it away
    assert figures["premium"] is None and figures["basic"] is None
    assert figures["rel_birthplace"] == 12
    _snapshot(datetime(2026, 12, 1, 0, 5, tzinfo=clock.TOKYO))
    november = register_api("GET", "/statistics/national", query="month=2026-11").body
    assert november["month"] == "2026-11" and november["months"] == ["2026-11"] and november["figures"]["people"] == 12
    assert register_api("GET", "/statistics/national", query="month=2025-10").body["figures"] == {}


# --- delivery: failures and concurrency --------------------------------------------------------------------------------


def test_a_failing_record_is_reported_and_delivered_again_with_the_ones_after_it(register_api, stream, monkeypatch):
    """ReportBatchItemFailures: the records before the failing one stay applied; it and the later ones come again
    (in order), and a record applied before the failure is not counted twice."""
    from shared.logic.statistics import StatisticsUpkeep

    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    register(register_api, "p1", HIDA)  # 飛騨市 + 岐阜県: two records
    register(register_api, "p2", AMA)
    original, calls = StatisticsUpkeep.apply, []

    def flaky(self, record):
        calls.append(record["eventID"])
        if len(calls) == 2:
            raise RuntimeError("throttled")
        return original(self, record)

    monkeypatch.setattr(StatisticsUpkeep, "apply", flaky)
    from local.streams import StreamBatchFailed

    with pytest.raises(StreamBatchFailed):
        stream.drain()
    answer = stream.calls[-1]
    assert len(answer["Records"]) == 4
    stream.drain()  # from the failed record on
    assert calls[2] == calls[1] and len(calls) == 5
    assert figures(scope_key("national"))["registrations"] == 4 and figures(scope_key("national"))["people"] == 2
    assert differences() == []


def test_a_membership_changed_meanwhile_is_read_again_R_STAT_1(register_api, stream, monkeypatch):
    """Two records of one person applied at once (different shards of the stream): the membership's version makes the
    second transaction fail, which reads it again and counts the person once."""
    from shared.dal.statistics import StatisticsRepository as Repo

    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    register(register_api, "p1", HIDA)
    original, reads = Repo.membership, []

    def stale_once(self, user_id):
        found = original(self, user_id)
        reads.append(found)
        if len(reads) == 2:  # the prefecture's record read the membership before the municipality's was written
            return reads[0]
        return found

    monkeypatch.setattr(Repo, "membership", stale_once)
    stream.drain()
    assert len(reads) == 3  # the stale read failed its condition and was read again
    assert figures(scope_key("national"))["people"] == 1 and figures(scope_key("area", GIFU))["people"] == 1
    assert differences() == []


def test_a_cancelled_transactions_writes_never_reach_the_statistics(register_api, account_api, stream):
    """A registration refused after its account was deleted: moto applied its first items before the account's check
    failed and rolled them back; the stream holds nothing of it (the table copies share stream records, tests/conftest)."""
    clock.freeze(datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO))
    register(register_api, "p1", AMA)
    account_api("DELETE", "/me", user="p1", headers={"Confirm-Account-Deletion": "DELETE"})
    assert register(register_api, "p1", HIDA).status >= 400
    stream.drain()
    assert figures(scope_key("national")).get("registrations", 0) == 0
    assert figures(scope_key("area", GIFU)) == {}
    assert differences() == []


def test_the_expiry_schedules_lapse_and_inactivity_removal_reach_the_statistics_R_PRE_6_R_BAS_5(
    moto, register_api, days, stream
):
    """The real daily schedules (functions/expiry): a lapse (premium_lapsed set) makes the registration basic in
    every figure; an inactive person's removal takes them out of every figure; the recount agrees."""
    from tests.handlers.premium_helpers import premium_at

    clock.freeze(datetime(2026, 12, 3, 12, 0, tzinfo=clock.TOKYO))
    register(register_api, "stays", HIDA)
    premium_at(moto, "stays", HIDA, date(2027, 12, 10))
    clock.freeze(datetime(2024, 1, 10, 12, 0, tzinfo=clock.TOKYO))
    register(register_api, "inactive", AMA)  # last used the app on 2024-01-10
    stream.drain()
    assert figures(scope_key("national"))["premium"] == 1 and figures(scope_key("national"))["people"] == 2
    days.run(date(2026, 10, 12))  # the inactive person is told
    days.run(date(2027, 1, 11))  # and removed (R-BAS-5)
    stream.drain()
    national = figures(scope_key("national"))
    assert national["people"] == 1 and national["registrations"] == 2
    assert figures(scope_key("area", SHIMANE)).get("people", 0) == 0
    days.run(date(2027, 12, 11))  # premium lapsed the day after its expiry (R-PRE-6)
    stream.drain()
    hida = figures(scope_key("org", HIDA))
    assert (hida["premium"], hida["basic"]) == (0, 1)
    assert differences() == []
