"""The bench report as plain text (for people) and as JSON (for comparing runs)."""

from __future__ import annotations

from typing import Any

from .burst import BurstResult, Wave
from .costs import Measurement, SizeResult
from .dataset import ACTIVITIES_PER_ORGANISATION, ATTENDING_SHARE
from .imports import ModuleTime
from .scenarios import Task
from .schedules import render as render_schedules
from .suite import FUNCTIONS, BenchReport

MS = 1000
IMPORT_TREE_SHARE = 0.05


def _route(m: Measurement) -> str:
    method, path = m.scenario.request.shown
    return f"{method:<6} {path}"


def _figures(m: Measurement) -> tuple[int, ...]:
    c = m.cost
    return (
        c.round_trips, c.items_read, c.items_written,
        len(c.secret_calls), len(c.s3_calls), len(c.workflow_calls), len(c.mail_calls), len(c.cognito_calls),
    )


def _status(m: Measurement) -> str:
    return "-" if m.status is None else str(m.status)


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def same_at_every_size(sizes: list[SizeResult], index: int) -> bool:
    return len({_figures(s.measurements[index]) for s in sizes}) == 1


def _costs(sizes: list[SizeResult]) -> list[str]:
    headers = ["operation", "function", "route", "status"]
    for s in sizes:
        headers += [f"trips@{s.size:,}", "read", "wrote"]
    headers += ["secrets", "S3", "SFN", "SES", "Cognito", "same", "DynamoDB calls"]
    rows, right = [], {3, *range(4, 9 + 3 * len(sizes))}
    for i, first in enumerate(sizes[0].measurements):
        row = [first.scenario.name, first.scenario.function, _route(first), _status(first)]
        for s in sizes:
            row += [str(n) for n in _figures(s.measurements[i])[:3]]
        calls = {s.measurements[i].cost.summary for s in sizes}
        row += [str(n) for n in _figures(first)[3:]]  # the same at every size, or "same" says NO
        row += ["yes" if same_at_every_size(sizes, i) else "NO", " | ".join(sorted(calls))]
        rows.append(row)
    return _table(headers, rows, right)


def _key_figures(sizes: list[SizeResult]) -> list[str]:
    """The scenarios marked with a key, grouped: what the data layer promises, stated on its own."""
    sizes_text = " and ".join(f"{s.size:,}" for s in sizes)
    lines = [f"Key figures (DynamoDB round trips per request; registrations in the table: {sizes_text}):"]
    keys = list(dict.fromkeys(m.scenario.key for m in sizes[0].measurements if m.scenario.key))
    for key in keys:
        lines.append(f"  {key}:")
        for i, m in enumerate(sizes[0].measurements):
            if m.scenario.key != key:
                continue
            secrets = f"{len(m.cost.secret_calls)} Secrets Manager call{'' if len(m.cost.secret_calls) == 1 else 's'}"
            others = "".join(f", {name}" for name in (*m.cost.workflow_calls, *m.cost.mail_calls, *m.cost.cognito_calls))
            same = "same at every size" if same_at_every_size(sizes, i) else "DIFFERS between sizes"
            lines.append(
                f"    {m.scenario.name:<36} {m.cost.round_trips:>2} trip{'s' if m.cost.round_trips != 1 else ' '}"
                f" {m.cost.items_read:>4} read  {m.cost.summary}; {secrets}{others} ({same})"
            )
    return lines


def _judgement_figures(cost) -> str:
    """Round trips and items read of a judge task, and the share of its records (Queries on the table itself, 100 a
    page) and of its activities' names and counting (the BatchGetItems after them, 100 keys each)."""
    calls = cost.calls
    first = next((i for i, c in enumerate(calls) if c.operation == "Query" and c.index is None), len(calls))
    records = [c for c in calls if c.operation == "Query" and c.index is None]
    activities = [c for c in calls[first:] if c.operation == "BatchGetItem"]
    return (
        f"{cost.round_trips} round trips, {cost.items_read} items read: its records {len(records)} "
        f"Quer{'y' if len(records) == 1 else 'ies'} ({sum(c.items_read for c in records)} returned), its activities "
        f"{len(activities)} BatchGetItem{'' if len(activities) == 1 else 's'} ({sum(c.items_read for c in activities)} "
        "returned)"
    )


def _judgements(sizes: list[SizeResult]) -> list[str]:
    """The premium judgement (the judge task) of each applicant, at every size."""
    lines = []
    for i, m in enumerate(sizes[0].measurements):
        request = m.scenario.request
        if not (isinstance(request, Task) and request.payload.get("task") == "judge"):
            continue
        figures = {s.size: _judgement_figures(s.measurements[i].cost) for s in sizes}
        if len(set(figures.values())) == 1:
            lines.append(f"  {m.scenario.name}: {figures[sizes[0].size]} (same at every size)")
        else:
            lines.append(f"  {m.scenario.name}: DIFFERS between sizes")
            lines += [f"    at {size:,}: {text}" for size, text in figures.items()]
    if not lines:
        return []
    return [
        "Premium judgement (the judge task): the application, the registration, the account, the settings, the",
        "person's registrations (index, then their expiries), their records at the organisation in the 12 months",
        "(100 a Query: 101 asked, the extra one says more follow), their activities' names and counting (100 keys a",
        "BatchGetItem each), then the outcome (an UpdateItem: into the approvals inbox):",
        *lines,
    ]


def _findings(sizes: list[SizeResult]) -> list[str]:
    everything = [m for s in sizes for m in s.measurements]
    scans = sorted({m.scenario.name for m in everything if m.cost.scans})
    filtered = sorted({m.scenario.name for m in everything if m.cost.items_examined != m.cost.items_read})
    differing = [m.scenario.name for i, m in enumerate(sizes[0].measurements) if not same_at_every_size(sizes, i)]
    return [
        f"Scans: {', '.join(scans) if scans else 'none'}.",
        f"Reads examining more items than they return (filters): {', '.join(filtered) if filtered else 'none'}.",
        "Round trips and items read/written "
        + (f"DIFFER between sizes for: {', '.join(differing)}." if differing else "are the same at every size."),
    ]


def _datasets(sizes: list[SizeResult]) -> list[str]:
    lines = []
    for s in sizes:
        d = s.dataset
        lines += [
            (
                f"  {d.registrations:>9,} registrations ({d.co_registered_prefectures:,} co-registered prefectures, "
                f"{d.with_personal_data:,} with personal data) + {d.accounts:,} accounts"
            ),
            (
                f"  {'':>9} {d.activities:,} activities, {d.attendees:,} people who attended 1-10 of them: "
                f"{d.attendances:,} attendances = {d.records:,} records"
            ),
            (
                f"  {'':>9} {d.items:,} items generated and loaded in {d.load_seconds:.1f} s "
                f"({d.items / max(d.load_seconds, 1e-9):,.0f} items/s); scenarios run in {s.measure_seconds:.1f} s"
            ),
        ]
    d = sizes[0].dataset
    lines += [
        (
            f"  At every size: the same {d.activities:,} activities ({ACTIVITIES_PER_ORGANISATION} per joined "
            f"organisation, 2026-04 onward); {ATTENDING_SHARE:.0%} of the people"
        ),
        "  attended some, of organisations they are registered with, 2 records each (venue municipality + prefecture);",
        (
            f"  and the people the scenarios read: a regular attendee ({d.regular_attendances} attendances: every "
            "飛騨市 activity), Carol (evidence),"
        ),
        "  Fiona (6 飛騨市 activities this year; verifies, applies for premium), Grace (verified, premium at 飛騨市",
        "  expiring within the renewal window; renews) and Hana (verified; "
        f"{d.many_records} records at 飛騨市 in the 12 months over {d.many_records_activities} activities",
        "  岐阜県 designated there: one blanket, multi-day and single ones).",
    ]
    return lines


def _import_tree(modules: list[ModuleTime], threshold: float, depth: int, indent: str = "") -> list[str]:
    lines = []
    for m in sorted(modules, key=lambda m: -m.cumulative_seconds):
        if m.cumulative_seconds < threshold:
            break
        lines.append(f"    {m.cumulative_seconds * MS:6.0f} ms  {indent}{m.name}")
        if depth > 1:
            lines += _import_tree(m.imports, threshold, depth - 1, indent + "  ")
    return lines


def _imports(report: BenchReport) -> list[str]:
    if not report.imports:
        return []
    rows = []
    baselines = {t.variant: t.baseline for t in report.imports if t.baseline}
    for variant, b in baselines.items():
        timings = (f"{s * MS:.0f} ms" for s in (b.median, min(b.seconds), max(b.seconds)))
        rows.append(["import boto3", variant, *timings, "1.00×", str(b.modules)])
    for t in report.imports:
        timings = (f"{s * MS:.0f} ms" for s in (t.median, min(t.seconds), max(t.seconds)))
        ratio = f"{t.ratio:.2f}×" if t.ratio is not None else "-"
        rows.append([t.function, t.variant, *timings, ratio, str(t.modules)])
    lines = [
        "",
        (
            f"Handler import time: a fresh interpreter per run, {report.import_runs} rounds (boto3, then each handler),"
            " bytecode cached, interpreter start-up excluded."
        ),
        "× boto3 = the handler's median over `import boto3`'s median in the same rounds: comparable across machines"
        " and loads; milliseconds are not (this machine may be busy). The boto3 import is part of every handler's.",
        *_table(["function", "environment", "median", "min", "max", "× boto3", "modules loaded"], rows, {2, 3, 4, 5, 6}),
    ]
    if report.components:
        from .imports import COMPONENTS

        names = {module: name for name, module in COMPONENTS.items()}
        rows = [[names[t.function], f"{t.median * MS:.0f} ms", f"{t.ratio:.2f}×"] for t in report.components]
        lines += [
            "",
            f"What each capability costs at import, alone in a fresh interpreter ({report.components[0].variant}; "
            "they overlap, boto3 is in none):",
            *_table(["capability", "median", "× boto3"], rows, {1, 2}),
        ]
    for p in report.import_profiles:
        total = p.handler.cumulative_seconds
        lines += [
            "",
            f"Where the time goes: {p.function}, {p.variant}: {total * MS:.0f} ms in one `python -X importtime` run",
            f"  import tree, modules taking {IMPORT_TREE_SHARE:.0%} or more (with what they import):",
            *_import_tree(p.handler.imports, total * IMPORT_TREE_SHARE, depth=3),
            "  heaviest modules by their own time (without what they import):",
            *(f"    {m.self_seconds * MS:6.0f} ms  {m.name}" for m in p.heaviest),
        ]
    return lines


def render(report: BenchReport) -> str:
    lines: list[str] = []
    if report.sizes:
        joined = report.sizes[0].dataset.joined_organisations
        lines += [
            f"DynamoDB cost per request: every function ({', '.join(FUNCTIONS)}), one container's life each",
            "(in-process moto; counted from botocore events on the handlers' DynamoDB client, request by request).",
            "trips = API calls (round trips), read = items returned, wrote = items written (each transaction item",
            "counts), secrets = Secrets Manager calls (signing keys, cached SECRET_CACHE_SECONDS=300 s as deployed),",
            "S3 = S3 calls (evidence files; presigned URLs are signed locally, no call), SFN = Step Functions calls",
            "(StartExecution when applying, SendTaskSuccess when staff decide), SES = e-mails sent, Cognito = Cognito",
            "calls (InitiateAuth: the approval page's staff sign-in; AdminDeleteUser: account deletion; the staff pool's",
            "JWKS, read over HTTP once per container, is not counted). A `task` is one of the premium workflow's tasks:",
            "the premium function invoked with the payload its state sends (the state machine exists in moto but is",
            "not executed; status - : no HTTP).",
            "Clock frozen at 2027-06-05 10:30 JST, during the activity the scenarios designate. Latencies on moto",
            "say nothing of DynamoDB's: not reported.",
            "",
            f"Table contents ({joined} joined organisations at every size):",
            *_datasets(report.sizes),
            "",
            *_costs(report.sizes),
            "",
            *(f"  {m.scenario.name}: {m.scenario.note}" for m in report.sizes[0].measurements if m.scenario.note),
            "",
            *_key_figures(report.sizes),
            "",
            *_judgements(report.sizes),
            "",
            *_findings(report.sizes),
        ]
    if report.uncovered_routes:
        routes = ", ".join(f"{r.method} {r.path}" for r in report.uncovered_routes)
        lines += ["", f"Routes without a scenario (not measured): {routes}"]
    if report.schedules:
        lines += ["", *render_schedules(report.schedules)]
    lines += _imports(report)
    if report.burst is not None:
        lines += ["", *render_burst(report.burst)]
    lines += ["", f"Bench wall time: {report.wall_seconds:.1f} s"]
    return "\n".join(lines)


def _wave(w: Wave) -> list[str]:
    statuses = ", ".join(f"{status}: {n:,}" for status, n in w.statuses.items())
    errors = ", ".join(f"{problem}: {n:,}" for problem, n in w.errors.items()) or "none"
    return [
        (
            f"  {w.name}: {w.requests:,} scans in {w.wall_seconds:.1f} s = {w.throughput:,.0f} scans/s; latency p50 "
            f"{w.latency(0.5) * MS:,.0f} ms, p95 {w.latency(0.95) * MS:,.0f} ms, max {w.latency(1) * MS:,.0f} ms"
        ),
        f"    statuses {statuses}; created=true {w.created:,}, created=false {w.repeated:,}; errors: {errors};",
        f"    answers carrying another person's record: {w.misattributed:,}",
    ]


def render_burst(b: BurstResult) -> list[str]:
    lines = [
        (
            f"Check-in burst over HTTP: {b.people:,} people scan one activity's printed code at once, {b.workers} "
            "client threads on loopback,"
        ),
        f"through the local runtime's app gateway ({b.runtime}).",
        f"  set-up: runtime started in {b.startup_seconds:.1f} s;",
        (
            f"  {b.people:,} citizens signed in through /local/sign-in in {b.sign_in_seconds:.1f} s "
            f"({b.people / max(b.sign_in_seconds, 1e-9):,.0f}/s, {b.workers} at a time, {b.sign_in_retries} retried "
            "after a 5xx from moto's Cognito);"
        ),
        (
            "  their registrations (飛騨市 + 岐阜県) written through the data layer (BatchWriteItem into the runtime's "
            f"moto) in {b.registration_seconds:.1f} s"
        ),
    ]
    for wave in b.waves:
        lines += _wave(wave)
    lines.append(f"  verification ({b.verify_seconds:.1f} s for the first wave's):")
    lines += [f"    [{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in b.checks]
    lines.append(f"  burst {'PASSED' if b.ok else 'FAILED'} in {b.wall_seconds:.1f} s")
    if any(w.misattributed for w in b.waves):
        lines += [
            "  Answers with another person's record: the request ran as someone else. Powertools' resolver keeps the",
            "  current event on a class attribute (BaseRouter.current_event), one per process: the local runtime",
            "  must run one invocation at a time (local/dispatcher.py), as a Lambda environment does.",
        ]
    lines += [
        "  These rates say nothing about AWS: the local runtime serialises every DynamoDB request in one moto",
        "  server (local/motoserver.py), runs one handler invocation at a time in one interpreter",
        "  (local/dispatcher.py), and verifies the ID token on every request. Deployed, each Lambda environment handles one",
        "  request at a time and scales out, and DynamoDB serves different partitions in parallel. The burst tests",
        "  correctness under concurrency: no record lost, doubled or recorded for the wrong person.",
    ]
    return lines


def _tree_json(m: ModuleTime, threshold: float = 0.001) -> dict[str, Any]:
    """The import tree down to modules of a millisecond."""
    return {
        "module": m.name,
        "self_seconds": round(m.self_seconds, 4),
        "cumulative_seconds": round(m.cumulative_seconds, 4),
        "imports": [_tree_json(c, threshold) for c in m.imports if c.cumulative_seconds >= threshold],
    }


def to_json(report: BenchReport) -> dict[str, Any]:
    return {
        "schedules": [
            {"registrations": c.registrations, "due": c.due, "items_read_due_index": c.items_read_due_index,
             "ratio": round(c.ratio, 3), "items_read_other": c.items_read_other, "round_trips": c.round_trips,
             "items_written": c.items_written, "messages": c.messages}
            for c in report.schedules
        ],
        "sizes": [
            {
                "registrations": s.size,
                "dataset": {
                    "joined_organisations": s.dataset.joined_organisations,
                    "registrations": s.dataset.registrations,
                    "co_registered_prefectures": s.dataset.co_registered_prefectures,
                    "with_personal_data": s.dataset.with_personal_data,
                    "accounts": s.dataset.accounts,
                    "activities": s.dataset.activities,
                    "attendees": s.dataset.attendees,
                    "attendances": s.dataset.attendances,
                    "records": s.dataset.records,
                    "regular_attendances": s.dataset.regular_attendances,
                    "many_records": s.dataset.many_records,
                    "many_records_activities": s.dataset.many_records_activities,
                    "items": s.dataset.items,
                    "load_seconds": round(s.dataset.load_seconds, 3),
                },
                "measure_seconds": round(s.measure_seconds, 3),
                "operations": [
                    {
                        "name": m.scenario.name,
                        "method": m.scenario.request.shown[0],  # "task" for a workflow task
                        "route": m.scenario.request.shown[1],  # the task's name for a workflow task
                        "status": m.status,
                        "round_trips": m.cost.round_trips,
                        "items_read": m.cost.items_read,
                        "items_examined": m.cost.items_examined,
                        "items_written": m.cost.items_written,
                        "calls_by_operation": m.cost.by_operation,
                        "calls": [c.label for c in m.cost.calls],
                        "function": m.scenario.function,
                        "secrets_manager_calls": m.cost.secret_calls,
                        "s3_calls": m.cost.s3_calls,
                        "step_functions_calls": m.cost.workflow_calls,
                        "ses_calls": m.cost.mail_calls,
                        "cognito_calls": m.cost.cognito_calls,
                    }
                    for m in s.measurements
                ],
            }
            for s in report.sizes
        ],
        "imports": [
            {
                "function": t.function,
                "environment": t.variant,
                "median_seconds": round(t.median, 4),
                "min_seconds": round(min(t.seconds), 4),
                "max_seconds": round(max(t.seconds), 4),
                "runs_seconds": [round(x, 4) for x in t.seconds],
                "modules_loaded": t.modules,
                "boto3_median_seconds": round(t.baseline.median, 4) if t.baseline else None,
                "ratio_to_boto3": round(t.ratio, 3) if t.ratio is not None else None,
            }
            for t in report.imports
        ],
        "import_components": [
            {"module": t.function, "median_seconds": round(t.median, 4), "ratio_to_boto3": round(t.ratio, 3)}
            for t in report.components
        ],
        "import_profiles": [
            {
                "function": p.function,
                "environment": p.variant,
                "total_seconds": round(p.handler.cumulative_seconds, 4),
                "import_tree": _tree_json(p.handler),
                "heaviest_modules": [{"module": m.name, "self_seconds": round(m.self_seconds, 4)} for m in p.heaviest],
            }
            for p in report.import_profiles
        ],
        "uncovered_routes": [f"{r.method} {r.path}" for r in report.uncovered_routes],
        "burst": _burst_json(report.burst) if report.burst is not None else None,
        "wall_seconds": round(report.wall_seconds, 1),
    }


def _burst_json(b: BurstResult) -> dict[str, Any]:
    return {
        "people": b.people,
        "workers": b.workers,
        "runtime": b.runtime,
        "startup_seconds": round(b.startup_seconds, 2),
        "sign_in_seconds": round(b.sign_in_seconds, 2),
        "sign_in_retries": b.sign_in_retries,
        "registration_seconds": round(b.registration_seconds, 2),
        "waves": [
            {
                "name": w.name,
                "requests": w.requests,
                "wall_seconds": round(w.wall_seconds, 3),
                "per_second": round(w.throughput, 1),
                "statuses": w.statuses,
                "created": w.created,
                "not_created": w.repeated,
                "misattributed": w.misattributed,
                "errors": w.errors,
                "latency_seconds": {
                    "p50": round(w.latency(0.5), 4), "p95": round(w.latency(0.95), 4), "max": round(w.latency(1), 4)
                },
            }
            for w in b.waves
        ],
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in b.checks],
        "passed": b.ok,
        "wall_seconds": round(b.wall_seconds, 1),
    }
