"""The function list (shared/functions.py) against the code: every function folder is declared, the list agrees with
the route table, and the local dispatcher fires a schedule with the event EventBridge Scheduler sends."""

from __future__ import annotations

import sys
import types
from datetime import datetime
from pathlib import Path

import pytest

from local.dispatcher import LambdaDispatcher
from shared import clock
from shared.functions import FUNCTIONS, Function, Schedule, problems, table

ROOT = Path(__file__).resolve().parents[2]


def test_every_function_folder_is_declared_and_every_declared_function_exists() -> None:
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/handler.py")}
    assert folders == {f.name for f in FUNCTIONS}
    assert problems() == []


def test_a_schedule_reads_six_field_cron() -> None:
    with pytest.raises(ValueError, match="cron"):
        Schedule("every-minute", "cron(* * * * *)", "five fields: not EventBridge's form")


def test_the_local_dispatcher_fires_a_schedule_of_a_function_without_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    received = []
    handler = types.ModuleType("functions.nightly_test.handler")
    handler.lambda_handler = lambda event, context: received.append((event, context.function_name)) or {"done": 1}
    monkeypatch.setitem(sys.modules, "functions.nightly_test.handler", handler)
    nightly = Function(
        "nightly_test",
        triggers=(Schedule("nightly-test", "cron(0 3 * * ? *)", "03:00 in Japan"),),
        grants=(table("organisation", "dynamodb:Query"),),
    )
    dispatcher = LambdaDispatcher([nightly])
    at = datetime(2026, 12, 3, 3, 0, tzinfo=clock.TOKYO)
    clock.freeze(at)
    try:
        assert dispatcher.schedules == {"nightly-test": "nightly_test"}
        assert dispatcher.fire("nightly-test") == {"done": 1}
    finally:
        clock.reset()
    assert received == [
        ({"source": "furusato.schedule", "schedule": "nightly-test", "scheduled_time": at.isoformat()}, "furusato-nightly_test")
    ]
    with pytest.raises(LookupError):
        dispatcher.fire("weekly")
