"""No personal data in traces (R-PRIV-1): X-Ray keeps trace metadata for 30 days, outside the table and its erasure.
The routes that handle names, addresses, birth dates, e-mail and presigned URLs run with tracing enabled, as in
Lambda, in a process of their own (tests/trace_probe.py); every entity the X-Ray SDK emitted is searched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def probe() -> tuple[dict[str, str], list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.trace_probe"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    personal = next(json.loads(line.removeprefix("PERSONAL ")) for line in lines if line.startswith("PERSONAL "))
    entities = [line.removeprefix("ENTITY ") for line in lines if line.startswith("ENTITY ")]
    return personal, entities


def test_the_probe_recorded_the_handlers_segments(probe):
    """A probe that recorded nothing would pass the next test on nothing: the handlers' own subsegments and their
    DynamoDB calls must be there."""
    _, entities = probe
    names = [json.loads(entity).get("name") for entity in entities]
    assert names.count("## lambda_handler") >= 8, names
    assert "dynamodb" in names and "s3" in names, names


def test_r_priv_1_no_trace_holds_a_personal_value(probe):
    personal, entities = probe
    assert set(personal) >= {"name", "address", "birth_date", "email", "postal_code", "view_url"}
    for field, value in personal.items():
        forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        leaked = [entity[:200] for entity in entities if any(form and form in entity for form in forms)]
        assert not leaked, f"{field} found in trace entities: {leaked}"
