"""The whole bench: DynamoDB cost per scenario at each table size, handler import times, and a burst of check-ins
over HTTP on the local runtime."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shared import functions as function_list
from shared.routes import Route

from . import burst as burst_mode
from . import environment
from . import schedules as schedule_costs
from .burst import BurstResult
from .costs import SizeResult, measure
from .imports import VARIANTS, ImportProfile, ImportTiming, profile_import, time_components, time_imports, warm_up
from .scenarios import SCENARIOS, uncovered_routes
from .schedules import ScheduleCost

FUNCTIONS = tuple(f.name for f in function_list.FUNCTIONS)

DEFAULT_SIZES = (1_000, 100_000)
DEFAULT_SCHEDULE_SIZES = (10_000, 100_000)  # the daily schedules' items read versus items due (bench/schedules.py)
DEFAULT_IMPORT_RUNS = 5
DEFAULT_IMPORT_TOP = 6
DEFAULT_BURST = burst_mode.DEFAULT_PEOPLE
DEFAULT_BURST_WORKERS = burst_mode.DEFAULT_WORKERS


@dataclass
class BenchReport:
    sizes: list[SizeResult] = field(default_factory=list)
    imports: list[ImportTiming] = field(default_factory=list)
    components: list[ImportTiming] = field(default_factory=list)  # what each capability costs at import
    import_profiles: list[ImportProfile] = field(default_factory=list)
    uncovered_routes: list[Route] = field(default_factory=list)
    import_runs: int = 0
    burst: BurstResult | None = None
    schedules: list[ScheduleCost] = field(default_factory=list)
    wall_seconds: float = 0.0


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    import_runs: int = DEFAULT_IMPORT_RUNS,
    import_top: int = DEFAULT_IMPORT_TOP,
    load_method: str = "backend",
    progress: Callable[[str], None] = lambda message: None,
    burst: int = 0,
    burst_workers: int = DEFAULT_BURST_WORKERS,
    import_variants: Sequence[str] = tuple(VARIANTS),
    import_warm_up: bool = True,
    moto_table_copies: bool = False,
    schedule_sizes: Sequence[int] = (),
) -> BenchReport:
    """Run everything asked for: `sizes=()` skips the costs, `import_runs=0` the import timings, `burst=0` the
    burst (N people checking in at once over HTTP on the local runtime, `burst_workers` client threads).
    `import_warm_up=False` skips the unmeasured first import of each handler (bytecode already cached, e.g. by the
    costs, which import the handlers in this process)."""
    started = time.perf_counter()
    report = BenchReport(uncovered_routes=uncovered_routes(SCENARIOS) if sizes else [], import_runs=import_runs)
    with environment.configured():
        for size in sizes:
            progress(f"{size:,} registrations: loading and measuring")
            report.sizes.append(measure(size, load_method))
        for size in schedule_sizes:
            progress(f"daily schedules over {size:,} registrations")
            report.schedules.append(schedule_costs.measure(size))
        if import_runs > 0:
            if import_warm_up:
                for function in FUNCTIONS:
                    warm_up(function, import_variants)
            for variant in import_variants:
                progress(f"import times of {', '.join(FUNCTIONS)} and boto3 ({variant}): {import_runs} rounds")
                report.imports += time_imports(FUNCTIONS, variant, import_runs)
            progress(f"import times of each capability alone ({import_variants[0]}): {import_runs} rounds")
            report.components = time_components(import_variants[0], import_runs)
            for function in FUNCTIONS:
                for variant in import_variants:
                    report.import_profiles.append(profile_import(function, variant, import_top))
    if burst > 0:
        report.burst = burst_mode.run(
            burst, burst_workers, progress=progress, moto_table_copies=moto_table_copies,
        )
    report.wall_seconds = time.perf_counter() - started
    return report
