"""Runs our Lambda handlers in-process, one invocation at a time in the whole process, as each Lambda execution
environment does. Not per function: Powertools' resolver keeps the current event on a class attribute
(`BaseRouter.current_event`) shared by every resolver in the process, so two invocations running at once on two
threads could read each other's request (seen: a check-in recorded for another person under a burst). Concurrent
HTTP requests still arrive concurrently and race where it matters, in DynamoDB's conditions. (A handler must not
wait on another function synchronously: our functions hand work on through Step Functions, asynchronously.)

moto has no Docker here, so its Lambda backend cannot run code itself; `install_into_moto` points moto's
no-Docker backend at this dispatcher, so `lambda:Invoke` (direct, or from a Step Functions task) runs the real
handler. That only works when moto runs in this same process (local runtime, tests)."""

from __future__ import annotations

import importlib
import json
import threading
import traceback
from types import ModuleType
from typing import Any

from local.events import FakeLambdaContext

FUNCTION_PREFIX = "furusato-"  # moto function name = prefix + folder name under functions/


class LambdaDispatcher:
    def __init__(self, functions: tuple[str, ...]) -> None:
        self._handlers: dict[str, ModuleType] = {f: importlib.import_module(f"functions.{f}.handler") for f in functions}
        self._one_at_a_time = threading.Lock()

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        with self._one_at_a_time:
            return self._handlers[function].lambda_handler(event, FakeLambdaContext(FUNCTION_PREFIX + function))

    def install_into_moto(self) -> None:
        """Answer moto's no-Docker Lambda invocations with the real handlers (function name or ARN)."""
        from moto.awslambda_simple.models import LambdaSimpleBackend

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
