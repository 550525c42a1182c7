"""The daily schedules' cost (R-PRE-6, R-BAS-5): a day's renewal and expiry runs over a table of N registrations,
their work queues drained, every DynamoDB call counted (bench/recorder.py).

The table holds what a real one would on any day: every person's account with a last app access spread over the
three years less 90 days before (one in 2,000 told and due for removal), a tenth of the registrations premium with an expiry spread over the next year (their due keys as
an approval and an access write them, shared/dal/keys.py `due`), so a day has about N/1,100 accounts to tell and
N/3,650 premium registrations to remind and to lapse. Items read are compared with items due: the runs read the
due index's pages of their anchor days and the run records, never the rest of the table."""

from __future__ import annotations

import io
import os
import random
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .environment import QUEUE_PREFIX, TABLE_NAME

BENCH_DAY = date(2027, 6, 5)  # the run day (03:00 JST); the costs' frozen day too
PREMIUM_SHARE = 10  # one registration in ten is premium
EXPIRY_SPREAD_DAYS = 365
REMOVAL_SHARE = 2_000  # one person in this many is removed on BENCH_DAY


@dataclass
class ScheduleCost:
    registrations: int
    due: dict[str, int]  # job -> items due on the bench day
    items_read_due_index: int  # items the runs and messages read from the due index
    items_read_other: int  # run records and the steps' own reads (a registration, an account...)
    round_trips: int
    items_written: int
    messages: int

    @property
    def due_total(self) -> int:
        return sum(self.due.values())

    @property
    def ratio(self) -> float:
        """Items read from the due index per item due (1.0: nothing read that was not due)."""
        return self.items_read_due_index / max(self.due_total, 1)


def _items(size: int, seed: int = 7):
    """The table's items for `size` people registered with 飛騨市, then {"__due__": what falls due on BENCH_DAY}.

    Steady state: the days before BENCH_DAY were run (their run records say every shard is done), nobody's notice
    or removal was missed; one person in REMOVAL_SHARE was told 90 days ago and has not come back."""
    from shared.dal import keys
    from shared.domain import schedules as rules

    timing = rules.Timing(reminder_days=30, inactivity_years=3, notice_days=90)
    rng = random.Random(seed)
    anchors = {job: rules.anchor_days(job, BENCH_DAY, timing) for job in rules.ANCHORS}
    oldest_access = min(anchors["inactivity_notice"])
    (removal_day,) = anchors["inactivity_removal"]
    due = {job: 0 for job in rules.ANCHORS}
    code = "212172"
    for n in range(size):
        user = f"bench-{n:07d}"
        account = {**keys.account(user), "type": "Account"}
        if n % REMOVAL_SHARE == 1:  # told of the removal 90 days before its deadline, yesterday
            last_access = rules.years_before(removal_day, timing.inactivity_years)
            account |= {"last_access": last_access.isoformat(), "removal_due": removal_day.isoformat(),
                        **keys.due("removal", removal_day.isoformat(), user)}
            due["inactivity_removal"] += 1
        else:
            last_access = oldest_access + timedelta(days=rng.randrange(0, (BENCH_DAY - oldest_access).days + 1))
            account |= {"last_access": last_access.isoformat(), **keys.due("access", last_access.isoformat(), user)}
            due["inactivity_notice"] += last_access in anchors["inactivity_notice"]
        yield account
        registration = {
            **keys.registration(code, user), **keys.registration_by_user(user, code), "type": "Registration",
            "org_code": code, "user_id": user, "level": "basic", "since": "2026-05-01T10:00:00+09:00",
            "direct": True, "resident": False,
        }
        if n % PREMIUM_SHARE == 0:
            expires_on = BENCH_DAY + timedelta(days=rng.randrange(-1, EXPIRY_SPREAD_DAYS))
            due["premium_reminder"] += expires_on in anchors["premium_reminder"]
            due["premium_lapse"] += expires_on in anchors["premium_lapse"]
            registration |= {"premium_expires_on": expires_on.isoformat(),
                             **keys.due("premium", expires_on.isoformat(), user, code)}
        yield registration
    # The catch-up days before BENCH_DAY: run already, every shard done.
    for job in rules.ANCHORS:
        for day in rules.run_days(BENCH_DAY)[:-1]:
            for anchor in rules.anchor_days(job, day, timing):
                yield {**keys.schedule_run(job, anchor.isoformat()), "type": "ScheduleRun",
                       "shards": set(range(keys.DUE_SHARDS))}
    yield {"__due__": due}


def measure(size: int) -> ScheduleCost:
    """One bench day's renewal and expiry runs on a fresh moto holding `size` registrations."""
    from moto import mock_aws

    from local.events import FakeLambdaContext
    from local.queues import QueueWorker, consumers_of, create_work_queues
    from shared import clock
    from shared.dal import aws
    from shared.dal.items import dump
    from shared.dal.mail import create_sender_identity
    from shared.dal.table import create_table
    from shared.functions import FUNCTIONS

    from .costs import handler_module, new_container
    from .dataset import _put_into_moto_backend
    from .environment import MAIL_FROM
    from .motopatch import without_whole_table_work
    from .recorder import CallRecorder

    with mock_aws():
        aws.reset()
        dynamodb = aws.client("dynamodb")
        create_table(dynamodb, TABLE_NAME)
        create_sender_identity(aws.client("sesv2"), MAIL_FROM)
        urls = create_work_queues(aws.client("sqs"), QUEUE_PREFIX)
        assert all(os.environ[name] == url for name, url in urls.items()), urls  # bench/environment.py names them
        generated = list(_items(size))
        due = generated.pop()["__due__"]
        _put_into_moto_backend(dynamodb, TABLE_NAME, (dump(item) for item in generated))
        modules = {name: handler_module(name) for name in ("renewal", "expiry")}
        for module in modules.values():
            new_container(module)
        recorder = CallRecorder(aws.client("dynamodb"))

        def invoke(function: str, event: dict):
            with redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return modules[function].lambda_handler(event, FakeLambdaContext(function, timeout_seconds=900))  # moto's latency

        worker = QueueWorker(aws.client("sqs"), invoke, consumers_of(urls))
        at = datetime(BENCH_DAY.year, BENCH_DAY.month, BENCH_DAY.day, 3, 0, tzinfo=clock.TOKYO)
        clock.freeze(at)
        try:
            with without_whole_table_work():
                for function in FUNCTIONS:
                    for schedule in function.schedules:
                        if function.name in modules:
                            invoke(function.name, schedule.event(at.astimezone(timezone.utc).isoformat()))
                messages = worker.drain()
        finally:
            clock.reset()
            for module in modules.values():
                new_container(module)
            aws.reset()
        if worker.errors:
            raise AssertionError(f"schedule messages failed: {worker.errors}")
        from_due = sum(c.items_read for c in recorder.calls if c.index == "due")
        return ScheduleCost(
            registrations=size, due=due, items_read_due_index=from_due,
            items_read_other=sum(c.items_read for c in recorder.calls) - from_due,
            round_trips=len(recorder.calls), items_written=sum(c.items_written for c in recorder.calls),
            messages=messages,
        )


def render(costs: list[ScheduleCost]) -> list[str]:
    if not costs:
        return []
    lines = [
        f"Daily schedules (renewal + expiry) on {BENCH_DAY}: one run each, their work queues drained (in-process moto).",
        "due = items falling due that day; read@due = items read from the due index; ratio = read@due / due (target",
        "≤ 1.1); other reads = run records and each step's own reads (the registration, the account).",
        f"{'registrations':>13} {'due':>6} {'read@due':>9} {'ratio':>6} {'other reads':>11} {'trips':>6} "
        f"{'written':>8} {'messages':>8}",
    ]
    for c in costs:
        lines.append(f"{c.registrations:>13,} {c.due_total:>6,} {c.items_read_due_index:>9,} {c.ratio:>6.2f} "
                     f"{c.items_read_other:>11,} {c.round_trips:>6,} {c.items_written:>8,} {c.messages:>8,}")
    lines.append("  due by job: " + "; ".join(
        f"{c.registrations:,}: " + ", ".join(f"{job} {n}" for job, n in c.due.items()) for c in costs))
    return lines
