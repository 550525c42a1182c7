"""The bench at tiny sizes through its Python API: it covers every route and the premium workflow's tasks, and its
figures hold what the data layer promises: never a Scan, a request costs the same whatever the table holds, a
check-in is one round trip, a person's 12-month count is one Query, a premium judgement pages a person's records;
and a small burst of concurrent check-ins over HTTP on the local runtime records each person exactly once."""

from __future__ import annotations

import json

import pytest

import bench
from bench.costs import Measurement, SizeResult
from bench.scenarios import HANA_RECORDS, Request, Task
from shared.functions import FUNCTIONS
from shared.routes import ROUTES

SIZES = (50, 500)
BURST = 30  # people scanning at once, one client thread each
SCHEDULE_SIZES = (1_000, 4_000)
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
        schedule_sizes=SCHEDULE_SIZES,
    )


def measured(size: SizeResult) -> dict[str, Measurement]:
    return {m.scenario.name: m for m in size.measurements}


# The premium workflow's tasks (shared/workflows/premium.asl.json) the scenarios run: the premium function has no
# route; unanswered and fail are its error paths, measured by the fault sweep, not here.
PREMIUM_TASKS = {"judge", "request_approval", "notify"}


def test_every_route_and_function_is_measured(report):
    assert report.uncovered_routes == []
    text = bench.render(report)
    for size in report.sizes:
        requests = [m.scenario.request for m in size.measurements if isinstance(m.scenario.request, Request)]
        assert {(r.route.method, r.route.path) for r in requests} == {(r.method, r.path) for r in ROUTES}
        assert {m.scenario.function for m in size.measurements} == {f.name for f in FUNCTIONS}
        tasks = [m for m in size.measurements if isinstance(m.scenario.request, Task)]
        assert {m.scenario.request.payload["task"] for m in tasks} == PREMIUM_TASKS
        assert {m.scenario.function for m in tasks} == {"premium"} and {m.status for m in tasks} == {None}
    for route in ROUTES:
        assert f"{route.method:<6} {route.path}" in text
    for task in PREMIUM_TASKS:
        assert f"task   {task}" in text


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
            (c.round_trips, c.items_read, c.items_written, c.by_operation, c.secret_calls, c.s3_calls,
             c.workflow_calls, c.mail_calls, c.cognito_calls)
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
            function = m.scenario.function
            calls[function] = calls.get(function, 0) + len(m.cost.secret_calls)
        # ... and the verifier's keys (client key, subject-hash key) once by the verify function's container, the
        # approval keys once by the premium function's (signing the e-mailed links) and once more by the admin
        # function's (the approval page: verifying the link, signing the session).
        assert calls == {
            "register": 0, "checkin": 1, "admin": 2, "account": 0, "verify": 1, "renewal": 0, "premium": 1, "stats": 0,
            "expiry": 0, "exports": 0,
        }


def test_other_services_are_counted(report):
    for size in report.sizes:
        s3 = {m.scenario.name: m.cost.s3_calls for m in size.measurements if m.cost.s3_calls}
        # submit: check the upload (HeadObject, ranged GetObject of its first bytes), copy it for review, delete it
        checked_and_moved = ["HeadObject", "GetObject", "CopyObject", "DeleteObject"]
        # the registrant export (one part at these sizes): the multipart upload begun, its part, completed
        exported = ["CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"]
        assert s3 == {"evidence: submit after uploading": checked_and_moved, "evidence: submit the second": checked_and_moved,
                      "exports: write the export": exported}
        cognito = {m.scenario.name: m.cost.cognito_calls for m in size.measurements if m.cost.cognito_calls}
        # the approval page's staff sign-in; deleting an account deletes its sign-in
        assert cognito == {"approval page: sign in": ["InitiateAuth"], "delete my account": ["AdminDeleteUser"]}


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
    assert {t.function for t in report.imports} == {f.name for f in FUNCTIONS}  # the premium function has no route
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
    tasks = [o for o in data["sizes"][0]["operations"] if o["method"] == "task"]
    assert {(o["function"], o["route"], o["status"]) for o in tasks} == {("premium", t, None) for t in PREMIUM_TASKS}
    applied = next(o for o in data["sizes"][0]["operations"] if o["name"] == "premium: apply")
    assert applied["step_functions_calls"] == ["StartExecution"] and applied["ses_calls"] == []
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


def test_premium_workflow_costs_the_same_whatever_the_table(report):
    """R-PRE-5/6: applying is the registration and one transaction, then the execution started (named after the
    application); judging reads the person's own items only; staff approval is one transaction and resumes the
    execution; a renewal costs what a first application costs. The same at both sizes (above)."""
    for size in report.sizes:
        m = measured(size)
        for name in ("premium: apply", "premium renewal: apply", f"premium: apply ({HANA_RECORDS} records)"):
            apply = m[name]
            assert apply.status == 201 and apply.cost.workflow_calls == ["StartExecution"], name
            # the access record (its condition fails when written today already), the registration, the transaction
            calls = [c.label.split("!")[0] for c in apply.cost.calls]
            assert calls == ["UpdateItem", "BatchGetItem", "TransactWriteItems(2)"], name
        retried = m["premium: apply, retried"]  # the open one: read, its execution started again (same name)
        assert retried.status == 200 and retried.cost.workflow_calls == ["StartExecution"]
        assert retried.cost.items_written == 0
        for name in ("staff: approve premium", "staff: approve a renewal"):
            approve = m[name].cost
            assert approve.workflow_calls == ["SendTaskSuccess"], name
            # the application with its task token, the premium guard, the person's registrations (index, expiries)
            reads = [c.operation for c in approve.calls][:4]
            assert reads == ["GetItem", "GetItem", "Query", "BatchGetItem"], name
            assert approve.calls[-1].label == "TransactWriteItems(4)"  # application, registration, guard, audit entry
        for name in ("premium task: request approval", "premium renewal task: request approval"):
            assert m[name].cost.mail_calls == ["SendEmail"], name  # the approvers' e-mail with the signed link
        for name in ("premium task: notify", "premium renewal task: notify"):
            assert m[name].cost.mail_calls == ["SendEmail"], name  # the person gave an e-mail address
        assert m["premium task: judge"].cost.round_trips == m["premium renewal task: judge"].cost.round_trips
        for name, expected in (("premium task: judge", 6), ("premium renewal task: judge", 5)):
            records = [c for c in m[name].cost.calls if c.operation == "Query" and c.index is None]
            assert [c.items_read for c in records] == [expected], name  # the records of the counting period only


def test_a_judgement_pages_the_records_of_a_person_with_many(report):
    """The judge task reads a person's records at the organisation 100 a Query (101 asked: the extra one says more
    follow), then their activities' names and kinds together, 100 keys a BatchGetItem: bounded by the person's own
    records and activities."""
    for size in report.sizes:
        m = measured(size)
        few, many = m["premium task: judge"].cost, m[f"premium task: judge, {HANA_RECORDS} records"].cost
        records = [c for c in many.calls if c.operation == "Query" and c.index is None]
        assert [c.items_read for c in records] == [101, 101, 100]
        activities = many.calls[many.calls.index(records[-1]) + 1:-1]
        assert [c.operation for c in activities] == ["BatchGetItem"] * 2  # names and kinds: 100 keys a call
        assert sum(c.items_read for c in activities) == size.dataset.many_records_activities == 121
        assert size.dataset.many_records == HANA_RECORDS
        assert many.round_trips == few.round_trips + 3  # two more record pages, one more BatchGetItem
        assert many.items_read == few.items_read - (6 + 6) + 302 + 121
    text = bench.render(report)
    line = f"premium task: judge, {HANA_RECORDS} records: {many.round_trips} round trips, {many.items_read} items read"
    assert line in text


def test_the_approval_page_reads_the_link_s_application_and_decides_as_staff_do(report):
    """R-PRE-5: staff open the e-mailed link, sign in (Cognito, then the session in a cookie), see the application and
    approve it. Every page reads the link's application (with its nonce, one GetItem); the decision then costs what the staff API's
    approval costs: bounded by the person's own items, the same at both sizes (above)."""
    for size in report.sizes:
        m = measured(size)
        pages = [m[f"approval page: {step}"] for step in ("open the link", "sign in", "the application", "approve")]
        assert [p.status for p in pages] == [200, 303, 200, 200]
        assert all(p.scenario.function == "admin" for p in pages)
        link_reads = ["GetItem"]  # the application with its link's nonce
        opened, signed, shown, approved = ([c.operation for c in p.cost.calls] for p in pages)
        assert opened == signed == link_reads and shown == [*link_reads, "BatchGetItem"]  # + the applicant's name
        assert pages[0].cost.secret_calls == ["GetSecretValue"]  # the approval keys, once per container
        assert pages[1].cost.cognito_calls == ["InitiateAuth"] and pages[1].cost.items_written == 0
        by_api = m["staff: approve premium"].cost
        assert approved == link_reads + [c.operation for c in by_api.calls]
        assert pages[3].cost.calls[-1].label == "TransactWriteItems(4)"
        assert pages[3].cost.workflow_calls == ["SendTaskSuccess"]


def test_statistics_upkeep_costs_two_round_trips_per_record_and_a_read_one_or_two(report):
    """R-STAT-1: one stream record that starts a registration counting costs the membership's GetItem and one
    TransactWriteItems of 5 items (event marker, organisation/area/national shards, membership); a change that
    counts nothing new costs nothing; a statistics read is one BatchGetItem (all shards) and one Query (months)."""
    for size in report.sizes:
        m = measured(size)
        first = m["stats: upkeep of a registration + co-registration"]
        assert [c.label for c in first.cost.calls] == ["GetItem", "TransactWriteItems(5)"] * 2
        assert first.cost.items_written == 10
        linked = m["stats: upkeep of a registration + a linked prefecture"]
        assert [c.label for c in linked.cost.calls] == ["GetItem", "TransactWriteItems(5)"]
        for name in ("stats: staff read their figures", "stats: the public national figures"):
            assert sorted(c.operation for c in m[name].cost.calls) == ["BatchGetItem", "Query"], name


def test_r_pre_6_r_bas_5_a_daily_run_reads_what_falls_due_not_the_table(report):
    """The daily schedules read from the due index the items that fall due that day and nothing else: the same
    ratio (1.0) at either size, whatever else the table holds (no Scan)."""
    small, large = report.schedules
    assert large.due_total > small.due_total > 0
    for cost in report.schedules:
        assert cost.items_read_due_index == cost.due_total, cost
        assert cost.ratio <= 1.1
    text = bench.render(report)
    assert "Daily schedules" in text and "read@due" in text
