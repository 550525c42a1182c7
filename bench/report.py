"""The bench report as plain text (for people) and as JSON (for comparing runs)."""

from __future__ import annotations

from typing import Any

from .costs import Measurement, SizeResult
from .imports import ModuleTime
from .suite import BenchReport

MS = 1000
IMPORT_TREE_SHARE = 0.05


def _route(m: Measurement) -> str:
    route = m.scenario.request.route
    return f"{route.method:<6} {route.path}"


def _figures(m: Measurement) -> tuple[int, int, int]:
    return m.cost.round_trips, m.cost.items_read, m.cost.items_written


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def same_at_every_size(sizes: list[SizeResult], index: int) -> bool:
    return len({_figures(s.measurements[index]) for s in sizes}) == 1


def _costs(sizes: list[SizeResult]) -> list[str]:
    headers = ["operation", "route", "status"]
    for s in sizes:
        headers += [f"trips@{s.size:,}", "read", "wrote"]
    headers += ["same", "DynamoDB calls"]
    rows, right = [], {2, *range(3, 3 + 3 * len(sizes))}
    for i, first in enumerate(sizes[0].measurements):
        row = [first.scenario.name, _route(first), str(first.status)]
        for s in sizes:
            row += [str(n) for n in _figures(s.measurements[i])]
        calls = {s.measurements[i].cost.summary for s in sizes}
        row += ["yes" if same_at_every_size(sizes, i) else "NO", " | ".join(sorted(calls))]
        rows.append(row)
    return _table(headers, rows, right)


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
        lines.append(
            f"  {d.registrations:>9,} registrations ({d.co_registered_prefectures:,} co-registered prefectures, "
            f"{d.with_personal_data:,} with personal data) + {d.accounts:,} accounts: "
            f"generated and loaded in {d.load_seconds:.1f} s ({d.items / max(d.load_seconds, 1e-9):,.0f} items/s);"
            f" scenarios run in {s.measure_seconds:.1f} s"
        )
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
    for t in report.imports:
        timings = (f"{s * MS:.0f} ms" for s in (t.median, min(t.seconds), max(t.seconds)))
        rows.append([t.function, t.variant, *timings, str(t.modules)])
    lines = [
        "",
        f"Handler import time: a fresh interpreter per run, {report.import_runs} runs, bytecode cached,"
        " interpreter start-up excluded",
        *_table(["function", "environment", "median", "min", "max", "modules loaded"], rows, {2, 3, 4, 5}),
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
            "DynamoDB cost per request: register function, one container's life (in-process moto; counted from",
            "botocore events on the handler's own client). trips = API calls (round trips), read = items returned,",
            "wrote = items written (each transaction item counts). Latencies on moto say nothing of DynamoDB's:",
            "not reported.",
            "",
            f"Table contents ({joined} joined organisations at every size):",
            *_datasets(report.sizes),
            "",
            *_costs(report.sizes),
            "",
            *(f"  {m.scenario.name}: {m.scenario.note}" for m in report.sizes[0].measurements if m.scenario.note),
            "",
            *_findings(report.sizes),
        ]
    if report.uncovered_routes:
        routes = ", ".join(f"{r.method} {r.path}" for r in report.uncovered_routes)
        lines += ["", f"Routes without a scenario (not measured): {routes}"]
    lines += _imports(report)
    lines += ["", f"Bench wall time: {report.wall_seconds:.1f} s"]
    return "\n".join(lines)


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
        "sizes": [
            {
                "registrations": s.size,
                "dataset": {
                    "joined_organisations": s.dataset.joined_organisations,
                    "registrations": s.dataset.registrations,
                    "co_registered_prefectures": s.dataset.co_registered_prefectures,
                    "with_personal_data": s.dataset.with_personal_data,
                    "accounts": s.dataset.accounts,
                    "load_seconds": round(s.dataset.load_seconds, 3),
                },
                "measure_seconds": round(s.measure_seconds, 3),
                "operations": [
                    {
                        "name": m.scenario.name,
                        "method": m.scenario.request.route.method,
                        "route": m.scenario.request.route.path,
                        "status": m.status,
                        "round_trips": m.cost.round_trips,
                        "items_read": m.cost.items_read,
                        "items_examined": m.cost.items_examined,
                        "items_written": m.cost.items_written,
                        "calls_by_operation": m.cost.by_operation,
                        "calls": [c.label for c in m.cost.calls],
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
            }
            for t in report.imports
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
        "wall_seconds": round(report.wall_seconds, 1),
    }
