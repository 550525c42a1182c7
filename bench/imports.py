"""Cold import time of each function's handler module: what a Lambda cold start spends before the first request.
Each run is a fresh interpreter timing `import functions.<name>.handler` with perf_counter (interpreter start-up
excluded). Bytecode caches are warm (one unmeasured run first), as they are in a package shipped with them.

Two environments, because the X-Ray SDK (which Powertools' Tracer imports even with tracing disabled) behaves
differently at import: outside Lambda (the tests, the local runtime) its recorder builds a centralised sampler
with two botocore clients; in Lambda (LAMBDA_TASK_ROOT set) it uses a local sampler, and the Tracer, enabled
there, patches botocore for tracing instead."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .environment import REMOVED, VARIABLES

ROOT = Path(__file__).resolve().parent.parent

_TIMED_IMPORT = """
import importlib, json, sys, time
before = len(sys.modules)
started = time.perf_counter()
importlib.import_module(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started, "modules": len(sys.modules) - before}))
"""

_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def outside_lambda(function: str) -> dict[str, str]:
    return dict(VARIABLES)  # tracing disabled, as in the tests


def in_lambda(function: str) -> dict[str, str]:
    variables = {k: v for k, v in VARIABLES.items() if k != "POWERTOOLS_TRACE_DISABLED"}
    return {**variables, "LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": function}


VARIANTS = {"Lambda env, tracing on": in_lambda, "outside Lambda (tests)": outside_lambda}


BASELINE = "boto3"  # what every handler is compared with: `import boto3` alone, timed in the same runs

# What each capability a handler carries costs at import, each alone in a fresh interpreter (with what it imports,
# so they overlap: pydantic is inside the resolver's validation, boto3 is not inside any of them).
COMPONENTS: dict[str, str] = {
    "pydantic (models, validation)": "pydantic",
    "Powertools resolver (event_handler; its __init__ also loads AppSync, asyncio)": "aws_lambda_powertools.event_handler",
    "Powertools OpenAPI validation (openapi.params)": "aws_lambda_powertools.event_handler.openapi.params",
    "Powertools Logger + Metrics": "aws_lambda_powertools.logging",
    "X-Ray SDK (the Tracer's provider)": "aws_xray_sdk.core",
    "our domain models (shared.domain.models, with pydantic)": "shared.domain.models",
}


@dataclass
class ImportTiming:
    function: str  # a function folder, or BASELINE
    variant: str
    seconds: list[float]
    modules: int  # modules the import loaded
    baseline: ImportTiming | None = None  # `import boto3` in the same environment, the same rounds

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float | None:
        """Median import time as a multiple of `import boto3`'s: comparable across machines and loads, unlike ms."""
        return self.median / self.baseline.median if self.baseline else None


@dataclass
class ModuleTime:
    name: str
    self_seconds: float
    cumulative_seconds: float  # with everything it imported (first imports only: a module is imported once)
    imports: list[ModuleTime] = field(default_factory=list)


@dataclass
class ImportProfile:
    """One `python -X importtime` run: the handler's import tree, and the heaviest modules by their own time."""

    function: str
    variant: str
    handler: ModuleTime
    heaviest: list[ModuleTime]


def _environment(variables: dict[str, str]) -> dict[str, str]:
    """This process's environment without anything a variant decides, plus the variant's variables."""
    decided = {*VARIABLES, *REMOVED, "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME", "PYTHONDONTWRITEBYTECODE"}
    return {**{k: v for k, v in os.environ.items() if k not in decided}, **variables}


def _python(args: list[str], variables: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=_environment(variables), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return done


def warm_up(function: str, variants: tuple[str, ...] | list[str] = tuple(VARIANTS)) -> None:
    """One unmeasured import in each environment: writes the bytecode caches and warms the file cache."""
    for variant in variants:
        _python(["-c", f"import functions.{function}.handler"], VARIANTS[variant](function))


def _module(function: str) -> str:
    if function == BASELINE or function in COMPONENTS.values():
        return function
    return f"functions.{function}.handler"


def time_components(variant: str, runs: int) -> list[ImportTiming]:
    """Each of COMPONENTS alone, round by round with `import boto3`, as a multiple of it."""
    return time_imports(tuple(COMPONENTS.values()), variant, runs)


def time_import(function: str, variant: str, runs: int) -> ImportTiming:
    variables = VARIANTS[variant](function)
    results = [json.loads(_python(["-c", _TIMED_IMPORT, _module(function)], variables).stdout) for _ in range(runs)]
    return ImportTiming(function, variant, [r["seconds"] for r in results], results[0]["modules"])


def time_imports(functions: list[str] | tuple[str, ...], variant: str, runs: int) -> list[ImportTiming]:
    """Each handler and `import boto3`, round by round (boto3, then every handler, `runs` times), so that a load on
    the machine weighs on the baseline as on the handlers; each handler's timing carries that baseline."""
    names = [BASELINE, *functions]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    modules: dict[str, int] = {}
    for _ in range(runs):
        for name in names:
            result = json.loads(_python(["-c", _TIMED_IMPORT, _module(name)], VARIANTS[variant](name)).stdout)
            seconds[name].append(result["seconds"])
            modules.setdefault(name, result["modules"])
    baseline = ImportTiming(BASELINE, variant, seconds[BASELINE], modules[BASELINE])
    return [ImportTiming(name, variant, seconds[name], modules[name], baseline) for name in functions]


def profile_import(function: str, variant: str, top: int) -> ImportProfile:
    module = f"functions.{function}.handler"
    stderr = _python(["-X", "importtime", "-c", f"import {module}"], VARIANTS[variant](function)).stderr
    # A module's line comes after the lines of what it imported, indented one level deeper.
    waiting: dict[int, list[ModuleTime]] = {}  # depth -> modules whose importer has not been listed yet
    everything: list[ModuleTime] = []
    handler = None
    for line in stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if not match:
            continue
        own, cumulative, indent, name = match.groups()
        depth = (len(indent) - 1) // 2
        entry = ModuleTime(name, int(own) / 1e6, int(cumulative) / 1e6, waiting.pop(depth + 1, []))
        waiting.setdefault(depth, []).append(entry)
        everything.append(entry)
        if name == module:
            handler = entry
    if handler is None:
        raise RuntimeError(f"{module} not found in the -X importtime output")
    return ImportProfile(function, variant, handler, sorted(everything, key=lambda m: -m.self_seconds)[:top])
