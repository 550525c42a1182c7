"""The bench at tiny sizes through its Python API: it covers every route, and its figures hold what the data
layer promises: never a Scan, a request costs the same whatever the table holds, a check-in is one round trip,
a person's 12-month count is one Query; and a small burst of concurrent check-ins over HTTP on the local runtime
records each person exactly once."""

from __future__ import annotations

import json

import pytest

import bench
from bench.costs import Measurement, SizeResult
from shared.routes import ROUTES

SIZES = (50, 500)
BURST = 30  # people scanning at once, one client thread each
IMPORT_VARIANT = "outside Lambda (tests)"  # one environment, one run: the smoke test checks the plumbing only
# Served from the function's memory: the joined-organisation and profile caches (warm), the catalogue (search),
# the bundled postal code table, the staff member's token claims. Every other request needs the table.
NO_DYNAMODB = {
    "list organisations, warm",
    "organisation detail, warm",
    "search organisations",
    "postal code lookup",
    "staff: who am I",
}


@pytest.fixture(scope="module")
def report() -> bench.BenchReport:
    return bench.run(
        sizes=SIZES,
        import_runs=1,
        import_variants=(IMPORT_VARIANT,),
        import_warm_up=False,  # the costs imported every handler in this process: bytecode is cached
        burst=BURST,
        burst_workers=BURST,
    )


def measured(size: SizeResult) -> dict[str, Measurement]:
    return {m.scenario.name: m for m in size.measurements}


def test_every_route_is_measured(report):
    assert report.uncovered_routes == []
    text = bench.render(report)
    for size in report.sizes:
        routes = {(m.scenario.request.route.method, m.scenario.request.route.path) for m in size.measurements}
        assert routes == {(r.method, r.path) for r in ROUTES}
        functions = {m.scenario.request.route.function for m in size.measurements}
        assert functions == {r.function for r in ROUTES}
    for route in ROUTES:
        assert f"{route.method:<6} {route.path}" in text


def test_round_trips_are_counted(report):
    for size in report.sizes:
        for m in size.measurements:
            trips = m.cost.round_trips
            assert isinstance(trips, int) and not isinstance(trips, bool)
            if m.scenario.name in NO_DYNAMODB:
                assert trips == 0, f"{m.scenario.name}: {m.cost.summary}"
            else:
                assert trips > 0, m.scenario.name
                assert sum(m.cost.by_operation.values()) == trips


def test_no_operation_scans(report):
    scans = {m.scenario.name: m.cost.summary for s in report.sizes for m in s.measurements if m.cost.scans}
    assert scans == {}


def test_cost_does_not_depend_on_table_size(report):
    # No exception: every request reads by key or by a partition of its own (the user's registrations and records,
    # an activity's records, the joined organisations), and the measured people, the joined organisations and
    # their activities are the same at both sizes.
    small, large = report.sizes
    assert (small.dataset.registrations, large.dataset.registrations) == SIZES
    assert small.dataset.records < large.dataset.records  # other people's records grow with the table
    for a, b in zip(small.measurements, large.measurements, strict=True):
        assert a.scenario.name == b.scenario.name
        figures = [
            (c.round_trips, c.items_read, c.items_written, c.by_operation, c.secret_calls, c.s3_calls)
            for c in (a.cost, b.cost)
        ]
        assert figures[0] == figures[1], a.scenario.name


def test_the_dataset_has_activities_and_records_at_every_size(report):
    small, large = (s.dataset for s in report.sizes)
    assert small.activities == large.activities > 0
    assert small.regular_attendances == large.regular_attendances >= 10
    for d in (small, large):
        assert 0 < d.attendees < d.accounts and d.records == 2 * d.attendances >= 2 * d.attendees


def test_check_in_is_one_transaction_and_the_name_is_read_once_per_container(report):
    for size in report.sizes:
        m = measured(size)
        fresh, repeated = m["check in: first scan, cold keys"], m["check in: same code again"]
        # The activity's name for the confirmation (issue 6 part 6): read after the transaction, then cached.
        assert (fresh.status, [c.label for c in fresh.cost.calls]) == (201, ["TransactWriteItems(4)", "BatchGetItem"])
        assert (repeated.status, [c.operation for c in repeated.cost.calls]) == (200, ["TransactWriteItems"])
        assert repeated.cost.items_written == 0
        # The signing keys: fetched once by a new container, then from its cache (deployed: 300 s).
        assert fresh.cost.secret_calls == ["GetSecretValue"] and repeated.cost.secret_calls == []


def test_signing_keys_are_fetched_once_per_container(report):
    for size in report.sizes:
        calls: dict[str, int] = {}
        for m in size.measurements:
            function = m.scenario.request.route.function
            calls[function] = calls.get(function, 0) + len(m.cost.secret_calls)
        # ... and the verifier's keys (client key, subject-hash key) once by the verify function's container.
        assert calls == {"register": 0, "checkin": 1, "admin": 1, "account": 0, "verify": 1}


def test_other_services_are_counted(report):
    for size in report.sizes:
        s3 = {m.scenario.name: m.cost.s3_calls for m in size.measurements if m.cost.s3_calls}
        # submit: check the upload (HeadObject, ranged GetObject of its first bytes), copy it for review, delete it
        checked_and_moved = ["HeadObject", "GetObject", "CopyObject", "DeleteObject"]
        assert s3 == {"evidence: submit after uploading": checked_and_moved, "evidence: submit the second": checked_and_moved}


def test_my_records_is_one_query_and_one_batch_get(report):
    for size in report.sizes:
        m = measured(size)
        for name in ("my records: 飛騨市", "my records: 岐阜県", "my records: a regular, 飛騨市"):
            calls = m[name].cost.calls
            assert [(c.operation, c.index) for c in calls] == [("Query", None), ("BatchGetItem", None)], name
            query, names = calls
            assert query.items_examined == query.items_read == names.items_read, name  # no filter: the key condition
        regular = m["my records: a regular, 飛騨市"].cost.calls[0]
        # The regular's records: some are older than 12 months and are not even read.
        assert 1 < regular.items_read < size.dataset.regular_attendances


def test_staff_list_an_activity_s_records_with_one_query_on_its_index(report):
    for size in report.sizes:
        calls = measured(size)["staff: an activity's records"].cost.calls
        assert [(c.operation, c.index) for c in calls] == [("GetItem", None), ("Query", "records_by_activity")]
        assert calls[1].items_read == 3  # the scenarios' two scans and one staff entry


def test_a_burst_of_check_ins_records_each_person_once(report):
    burst = report.burst
    assert burst is not None and burst.people == BURST
    first, second = burst.waves
    failed = [f"{c.name}: {c.detail}" for c in burst.checks if not c.ok]
    assert failed == [], "\n".join(failed)
    assert first.statuses == {"201": BURST} and first.created == BURST and first.misattributed == 0
    assert second.statuses == {"200": BURST} and second.repeated == BURST and second.misattributed == 0
    assert "burst PASSED" in bench.render(report)


def test_import_times_and_json(report):
    assert {t.function for t in report.imports} == {r.function for r in ROUTES}
    assert all(t.variant == IMPORT_VARIANT for t in report.imports)
    assert all(len(t.seconds) == 1 and t.median > 0 and t.modules > 0 for t in report.imports)
    assert all(p.handler.imports for p in report.import_profiles)
    # Each handler's time is also given as a multiple of `import boto3`, timed in the same rounds.
    assert all(t.baseline.function == "boto3" and t.baseline.median > 0 and t.ratio > 0 for t in report.imports)
    assert "import boto3" in bench.render(report) and "× boto3" in bench.render(report)
    data = json.loads(json.dumps(bench.to_json(report)))
    assert all(i["ratio_to_boto3"] > 0 for i in data["imports"])
    assert {c["module"] for c in data["import_components"]} >= {"aws_xray_sdk.core", "pydantic"}
    assert all(c["ratio_to_boto3"] > 0 for c in data["import_components"])
    assert [s["registrations"] for s in data["sizes"]] == list(SIZES)
    assert data["burst"]["passed"] is True and data["burst"]["people"] == BURST


def test_a_verification_reads_one_partition_per_registration_whatever_the_table(report):
    """R-BAS-4, R-ACT-5: completing a verification costs the state, the account, one transaction, the registrations,
    one Query per registration for pre-launch participations and one transaction per claim: never a Scan, and the
    same at both sizes (test_cost_does_not_depend_on_table_size)."""
    for size in report.sizes:
        dave = measured(size)["verification: complete (dave)"].cost
        operations = [c.operation for c in dave.calls]
        assert operations.count("TransactWriteItems") == 1 + 4  # the account and subject claim, then 4 claims
        assert operations.count("Query") == 1 + 2  # the registrations (index), then 飛騨市's and 岐阜県's participations
        assert "Scan" not in operations
