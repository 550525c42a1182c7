"""The local runtime in a process of its own, on free ports, as the end-to-end tests and the bench start it:
`python -m <module> --port 0`, waiting for the READY line `local/__main__.py` prints, stopped on the way out."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class RuntimeDidNotStart(RuntimeError):
    pass


@dataclass
class RunningRuntime:
    app: str  # the app API's base URL
    admin: str  # the admin API's base URL
    moto: str  # local AWS
    process: subprocess.Popen
    startup_seconds: float
    output: deque[str]  # its last lines of output (tracebacks included), for diagnosis
    banner: str = ""  # what it printed before READY: the walk-through `make run` shows


def _own_environment() -> dict[str, str]:
    """This process's environment without AWS, Powertools and function settings: the runtime sets its own."""
    from shared.config import Settings

    settings = {field.alias for field in Settings.model_fields.values()}
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_")) and k not in settings}


@contextmanager
def local_runtime(module: str = "local", startup_seconds: float = 90, tail_lines: int = 400) -> Iterator[RunningRuntime]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"],
        cwd=ROOT, env=_own_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines: list[str] = []
        ready = None
        deadline = time.monotonic() + startup_seconds
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("READY "):
                ready = line.split()
                break
        if ready is None:
            raise RuntimeDidNotStart("the local runtime did not start:\n" + "".join(lines[-40:]))
        # Keep draining its output so it never blocks on a full pipe.
        tail: deque[str] = deque(maxlen=tail_lines)
        threading.Thread(target=lambda: tail.extend(process.stdout), daemon=True).start()
        yield RunningRuntime(
            app=ready[1], admin=ready[2].removeprefix("admin="), moto=ready[3].removeprefix("moto="),
            process=process, startup_seconds=time.perf_counter() - started, output=tail, banner="".join(lines[:-1]),
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
