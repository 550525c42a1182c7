"""What a handler loads at cold start, as in Lambda (LAMBDA_TASK_ROOT set: the Tracer is enabled and patches). Each
module here is a cost with no use: the functions make every outbound call through botocore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.functions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
NEVER_LOADED = ("requests", "sqlite3", "httpx", "aiohttp", "pymysql", "psycopg2")


@pytest.mark.parametrize("function", [f.name for f in FUNCTIONS])
def test_the_tracer_patches_botocore_only(function: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"}
    environment.update(LAMBDA_TASK_ROOT=str(ROOT), AWS_LAMBDA_FUNCTION_NAME=function)
    probe = (
        "import json, sys, importlib; importlib.import_module(sys.argv[1]);"
        "from aws_xray_sdk.core.patcher import _PATCHED_MODULES;"
        "print(json.dumps({'loaded': sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[2:]),"
        " 'patched': sorted(_PATCHED_MODULES)}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, f"functions.{function}.handler", *NEVER_LOADED],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"loaded": [], "patched": ["botocore"]}
