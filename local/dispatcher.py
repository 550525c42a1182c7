"""Runs our Lambda handlers in-process, one invocation at a time in the whole process, as each Lambda execution
environment does. Not per function: Powertools' resolver keeps the current event on a class attribute
(`BaseRouter.current_event`) shared by every resolver in the process, so two invocations running at once on two
threads could read each other's request (seen: a check-in recorded for another person under a burst). Concurrent
HTTP requests still arrive concurrently and race where it matters, in DynamoDB's conditions. (A handler must not
wait on another function synchronously: our functions hand work on through Step Functions, asynchronously.)

moto has no Docker here, so its Lambda backend cannot run code itself; `install_into_moto` points moto's
no-Docker backend at this dispatcher, so `lambda:Invoke` (direct, or from a Step Functions task) runs the real
handler. That only works when moto runs in this same process (local runtime, tests).

It knows every function of the function list (shared/functions.py), not only those behind a route: schedules have no
EventBridge Scheduler locally, so `fire` invokes a schedule's function with the event Scheduler would send, at the
clock's time (against a running local runtime: `POST /local/schedules {"schedule": "<name>"}` on the app gateway)."""

from __future__ import annotations

import importlib
import json
import threading
import traceback
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from local.events import FakeLambdaContext
from shared import clock
from shared.functions import Function

FUNCTION_PREFIX = "furusato-"  # moto function name = prefix + folder name under functions/


class LambdaDispatcher:
    def __init__(self, functions: Iterable[Function]) -> None:
        self._declared = {f.name: f for f in functions}
        self._handlers: dict[str, ModuleType] = {
            name: importlib.import_module(f.entry_point.rsplit(".", 1)[0]) for name, f in self._declared.items()
        }
        self._one_at_a_time = threading.Lock()

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    @property
    def schedules(self) -> dict[str, str]:
        """Every schedule by name, with the function it invokes."""
        return {s.name: f.name for f in self._declared.values() for s in f.schedules}

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        with self._one_at_a_time:
            entry = self._declared[function].entry_point.rsplit(".", 1)[1]
            return getattr(self._handlers[function], entry)(event, FakeLambdaContext(FUNCTION_PREFIX + function))

    def fire(self, schedule: str) -> Any:
        """What EventBridge Scheduler does when `schedule` is due: invoke its function with the schedule's event."""
        if schedule not in self.schedules:
            raise LookupError(f"no schedule {schedule!r}; known: {sorted(self.schedules)}")
        function = self._declared[self.schedules[schedule]]
        (declared,) = [s for s in function.schedules if s.name == schedule]
        return self.invoke(function.name, declared.local_event(clock.now()))

    def install_into_moto(self) -> None:
        """Answer moto's no-Docker Lambda invocations with the real handlers (function name or ARN)."""
        from moto.awslambda_simple.models import LambdaSimpleBackend

        from local.motoserver import serialise_dynamodb_in_process

        serialise_dynamodb_in_process()  # our handlers now also run on moto's worker threads
        dispatcher = self

        def invoke(backend, function_name, qualifier, body, headers, response_headers):  # noqa: ANN001
            name = function_name.rsplit(":function:", 1)[-1].split(":")[0].removeprefix(FUNCTION_PREFIX)
            event = json.loads(body) if body else {}
            try:
                result = dispatcher.invoke(name, event)
            except Exception as error:  # surfaced as Lambda does: FunctionError + errorType/errorMessage
                response_headers["x-amz-function-error"] = "Unhandled"
                payload = {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
                return json.dumps(payload).encode()
            return json.dumps(result, default=str).encode()

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
