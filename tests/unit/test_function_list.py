"""The function list (shared/functions.py) against the code: every function folder is declared, the list agrees with
the route table, and the local dispatcher fires a schedule with the event EventBridge Scheduler sends."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from datetime import datetime
from pathlib import Path

import pytest

from local.dispatcher import LambdaDispatcher
from shared import clock
from shared.functions import FUNCTIONS, Function, Schedule, StateMachineTask, problems, table, workflow_problems
from shared.workflows import PREMIUM, Workflow

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


# --- state machine tasks against the workflows' definitions --------------------------------------------------------


def _workflow(tmp_path: Path, states: dict, substitutions: dict[str, str] | None = None) -> Workflow:
    """A workflow named "tiny" whose definition file is written to (and read from) tmp_path."""

    class Located(Workflow):
        @property
        def path(self) -> Path:
            return tmp_path / f"{self.name}.asl.json"

    text = json.dumps({"StartAt": next(iter(states)), "States": states})
    (tmp_path / "tiny.asl.json").write_text(text, encoding="utf-8")
    return Located("tiny", substitutions if substitutions is not None else {"TinyFunction": "tiny"})


def _task(function: str = "${TinyFunction}", resource: str = "arn:aws:states:::lambda:invoke") -> dict:
    return {"Type": "Task", "Resource": resource, "Parameters": {"FunctionName": function, "Payload": {}}, "End": True}


def _tiny(*states: str) -> Function:
    return Function("tiny", triggers=tuple(StateMachineTask("tiny", s) for s in states), grants=())


def test_every_task_state_and_its_function_trigger_agree() -> None:
    """The premium workflow's Task states are exactly the premium function's StateMachineTask triggers (the stack
    grants the state machine's role Invoke from the Task states)."""
    assert workflow_problems() == []
    tasks = PREMIUM.task_functions()
    assert tasks == {s: "premium" for s in ("Judge", "AwaitStaff", "Unanswered", "Notify", "Failed")}
    declared = {(t.state_machine, t.state) for f in FUNCTIONS for t in f.triggers if isinstance(t, StateMachineTask)}
    assert declared == {("premium", s) for s in tasks}
    assert PREMIUM.states()["AwaitStaff"]["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"


def test_a_trigger_without_its_task_state_is_a_problem(tmp_path: Path) -> None:
    tiny = _workflow(tmp_path, {"Work": _task()})
    assert workflow_problems((_tiny("Work"),), (tiny,)) == []
    assert workflow_problems((_tiny("Work", "Gone"),), (tiny,)) == [
        "function 'tiny': StateMachineTask(state_machine='tiny', state='Gone') is not a Task state of 'tiny' that invokes it"
    ]
    pass_state = _workflow(tmp_path, {"Work": _task(), "Idle": {"Type": "Pass", "End": True}})
    assert workflow_problems((_tiny("Work", "Idle"),), (pass_state,)) == [  # a Pass state invokes nothing
        "function 'tiny': StateMachineTask(state_machine='tiny', state='Idle') is not a Task state of 'tiny' that invokes it"
    ]
    other = Function("other", triggers=(StateMachineTask("elsewhere", "Work"),), grants=())
    assert workflow_problems((_tiny("Work"), other), (tiny,)) == [
        "function 'other': StateMachineTask(state_machine='elsewhere', state='Work') names no workflow of shared/workflows"
    ]


def test_a_task_state_whose_function_does_not_declare_it_is_a_problem(tmp_path: Path) -> None:
    tiny = _workflow(tmp_path, {"Work": {**_task(), "End": False, "Next": "More"}, "More": _task()})
    assert workflow_problems((_tiny("Work"),), (tiny,)) == [
        "workflow 'tiny': Task 'More' invokes 'tiny', which does not declare StateMachineTask('tiny', 'More')"
    ]
    # the trigger on another function than the one the Task invokes
    impostor = Function("impostor", triggers=(StateMachineTask("tiny", "More"),), grants=())
    assert workflow_problems((_tiny("Work"), impostor), (tiny,)) == [
        "function 'impostor': StateMachineTask(state_machine='tiny', state='More') is not a Task state of 'tiny' that "
        "invokes it",
        "workflow 'tiny': Task 'More' invokes 'tiny', which does not declare StateMachineTask('tiny', 'More')",
    ]


def test_a_workflow_invoking_an_undeclared_function_or_without_its_placeholders_is_a_problem(tmp_path: Path) -> None:
    unknown = _workflow(tmp_path, {"Work": _task()}, {"TinyFunction": "ghost"})
    assert workflow_problems((_tiny(),), (unknown,)) == [
        "workflow 'tiny' invokes 'ghost', which is not a function of the list",
        "workflow 'tiny': Task 'Work' invokes 'ghost', which does not declare StateMachineTask('tiny', 'Work')",
    ]
    literal = _workflow(tmp_path, {"Work": _task("arn:aws:lambda:ap-northeast-1:123456789012:function:x")})
    found = workflow_problems((_tiny("Work"),), (literal,))
    assert found[0] == "workflow 'tiny': placeholders [] of tiny.asl.json are not its substitutions ['TinyFunction']"
    assert found[1].startswith("workflow 'tiny': a Task's FunctionName is not one of its placeholders")


def test_problems_include_the_workflows() -> None:
    """problems() is what the stack checks before it builds anything (tests/infra/test_guards.py)."""
    premium = next(f for f in FUNCTIONS if f.name == "premium")
    fewer = dataclasses.replace(premium, triggers=premium.triggers[:-1])
    functions = tuple(fewer if f is premium else f for f in FUNCTIONS)
    assert problems(functions) == [
        "workflow 'premium': Task 'Failed' invokes 'premium', which does not declare StateMachineTask('premium', 'Failed')"
    ]
