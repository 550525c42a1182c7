"""`python -m bench`: print the report; `--json PATH` also writes the figures as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import bench

from .report import render, to_json
from .suite import DEFAULT_IMPORT_RUNS, DEFAULT_IMPORT_TOP, DEFAULT_SIZES, run


def _sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or any(s < 0 for s in sizes):
        raise argparse.ArgumentTypeError("a comma-separated list of registration counts, e.g. 1000,100000")
    return sizes


def main(argv: list[str] | None = None) -> int:
    description = bench.__doc__.split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench", description=description)
    parser.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES), help="registrations, e.g. 1000,100000")
    parser.add_argument("--import-runs", type=int, default=DEFAULT_IMPORT_RUNS, help="imports per handler (0: none)")
    parser.add_argument("--import-top", type=int, default=DEFAULT_IMPORT_TOP, help="heaviest modules listed")
    parser.add_argument("--load", choices=("backend", "batch-write"), default="backend", help="how the data is loaded")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    report = run(args.sizes, args.import_runs, args.import_top, args.load, progress)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"JSON: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
