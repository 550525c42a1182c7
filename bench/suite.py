"""The whole bench: DynamoDB cost per scenario at each table size, then handler import times."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shared.routes import FUNCTIONS, Route

from . import environment
from .costs import SizeResult, measure
from .imports import VARIANTS, ImportProfile, ImportTiming, profile_import, time_import, warm_up
from .scenarios import SCENARIOS, uncovered_routes

DEFAULT_SIZES = (1_000, 100_000)
DEFAULT_IMPORT_RUNS = 7
DEFAULT_IMPORT_TOP = 6


@dataclass
class BenchReport:
    sizes: list[SizeResult] = field(default_factory=list)
    imports: list[ImportTiming] = field(default_factory=list)
    import_profiles: list[ImportProfile] = field(default_factory=list)
    uncovered_routes: list[Route] = field(default_factory=list)
    import_runs: int = 0
    wall_seconds: float = 0.0


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    import_runs: int = DEFAULT_IMPORT_RUNS,
    import_top: int = DEFAULT_IMPORT_TOP,
    load_method: str = "backend",
    progress: Callable[[str], None] = lambda message: None,
) -> BenchReport:
    """Run everything; `import_runs=0` skips the import timings."""
    started = time.perf_counter()
    report = BenchReport(uncovered_routes=uncovered_routes(SCENARIOS), import_runs=import_runs)
    with environment.configured():
        for size in sizes:
            progress(f"{size:,} registrations: loading and measuring")
            report.sizes.append(measure(size, load_method))
        if import_runs > 0:
            for function in FUNCTIONS:
                warm_up(function)
                for variant in VARIANTS:
                    progress(f"import time of {function} ({variant}): {import_runs} runs")
                    report.imports.append(time_import(function, variant, import_runs))
                    report.import_profiles.append(profile_import(function, variant, import_top))
    report.wall_seconds = time.perf_counter() - started
    return report
