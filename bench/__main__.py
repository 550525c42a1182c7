"""`python -m bench`: print the report; `--json PATH` also writes the figures as JSON.

    python -m bench                  costs at 1,000 and 100,000 registrations, import times, a burst of 1,000
    python -m bench --burst 1000     the burst alone (with --sizes or --import-runs: those too)
    python -m bench --burst 0        everything but the burst
    python -m bench --sizes 0 --import-runs 0 --burst 0 --schedule-sizes 10000,100000   the schedules' run alone

The exit status is 1 when the burst's checks fail (lost, doubled or misattributed records)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import bench

from .report import render, to_json
from .suite import (
    DEFAULT_BURST,
    DEFAULT_BURST_WORKERS,
    DEFAULT_IMPORT_RUNS,
    DEFAULT_IMPORT_TOP,
    DEFAULT_SCHEDULE_SIZES,
    DEFAULT_SIZES,
    run,
)


def _sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or any(s < 0 for s in sizes):
        raise argparse.ArgumentTypeError("a comma-separated list of registration counts, e.g. 1000,100000")
    return sizes


def main(argv: list[str] | None = None) -> int:
    description = bench.__doc__.split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench", description=description)
    parser.add_argument(
        "--sizes", type=_sizes, help=f"registrations, e.g. 1000,100000 (default {_text(DEFAULT_SIZES)})"
    )
    parser.add_argument("--import-runs", type=int, help=f"imports per handler (0: none; default {DEFAULT_IMPORT_RUNS})")
    parser.add_argument("--import-top", type=int, default=DEFAULT_IMPORT_TOP, help="heaviest modules listed")
    parser.add_argument("--load", choices=("backend", "batch-write"), default="backend", help="how the data is loaded")
    parser.add_argument(
        "--burst", type=int, metavar="N",
        help=f"N people check in at once over HTTP on the local runtime (default {DEFAULT_BURST:,}; alone: only that)",
    )
    parser.add_argument("--burst-workers", type=int, default=DEFAULT_BURST_WORKERS, help="client threads of the burst")
    parser.add_argument(
        "--moto-table-copies", action="store_true",
        help="burst on `python -m local` as is: moto copies its whole table in every transaction (slow)",
    )
    parser.add_argument(
        "--schedule-sizes", type=_sizes,
        help=f"registrations for the daily schedules' run (default {_text(DEFAULT_SCHEDULE_SIZES)}; 0: none)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    burst_only = bool(args.burst) and args.sizes is None and args.import_runs is None
    sizes = [] if burst_only else (args.sizes if args.sizes is not None else list(DEFAULT_SIZES))
    import_runs = 0 if burst_only else (args.import_runs if args.import_runs is not None else DEFAULT_IMPORT_RUNS)
    burst = args.burst if args.burst is not None else DEFAULT_BURST

    def progress(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    report = run(
        sizes, import_runs, args.import_top, args.load, progress,
        burst=burst, burst_workers=args.burst_workers, moto_table_copies=args.moto_table_copies,
        schedule_sizes=[] if burst_only else [n for n in (args.schedule_sizes or DEFAULT_SCHEDULE_SIZES) if n > 0],
    )
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"JSON: {args.json}", file=sys.stderr)
    return 1 if report.burst is not None and not report.burst.ok else 0


def _text(sizes) -> str:
    return ",".join(str(s) for s in sizes)


if __name__ == "__main__":
    sys.exit(main())
