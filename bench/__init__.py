"""Engineering evidence for the register function: DynamoDB round trips and items read/written per API request,
at two table sizes (cost must not grow with the table), and each handler module's cold import time.

    .venv/bin/python -m bench [--sizes 1000,100000] [--import-runs 7] [--json results.json]

From Python: `bench.run(sizes=(50, 500), import_runs=2)` returns a BenchReport; `bench.render(report)` is the text."""

from .report import render, to_json
from .suite import BenchReport, run

__all__ = ["BenchReport", "render", "run", "to_json"]
