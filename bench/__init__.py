"""Engineering evidence for every function: DynamoDB round trips and items read/written per API request (and the
Secrets Manager calls), at two table sizes (cost must not grow with the table), each handler module's cold import
time, and a burst of concurrent check-ins over HTTP on the local runtime (correctness under concurrency).

    .venv/bin/python -m bench [--sizes 1000,100000] [--import-runs 5] [--burst 1000] [--json results.json]

From Python: `bench.run(sizes=(50, 500), import_runs=1, burst=30)` returns a BenchReport; `bench.render(report)` is
the text."""

from .report import render, to_json
from .suite import BenchReport, run

__all__ = ["BenchReport", "render", "run", "to_json"]
