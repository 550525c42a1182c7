"""Runs our Lambda handlers in-process, as Lambda would: each function has a few "containers" (independent imports
of its handler module, so module-level state such as the resolver's current event is per container, never shared
between concurrent requests), and a container serves one invocation at a time.

moto has no Docker here, so its Lambda backend cannot run code itself; `install_into_moto` points moto's
no-Docker backend at this dispatcher, so `lambda:Invoke` (direct, or from a Step Functions task) runs the real
handler. That only works when moto runs in this same process (local runtime, tests)."""

from __future__ import annotations

import importlib.util
import json
import queue
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from local.events import FakeLambdaContext

ROOT = Path(__file__).resolve().parents[1]
FUNCTION_PREFIX = "furusato-"  # moto function name = prefix + folder name under functions/


def _load_container(function: str, index: int) -> ModuleType:
    path = ROOT / "functions" / function / "handler.py"
    name = f"functions.{function}.handler" if index == 0 else f"functions.{function}.handler__container{index}"
    if index == 0:
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class LambdaDispatcher:
    def __init__(self, functions: tuple[str, ...], containers_per_function: int = 4) -> None:
        self._pools: dict[str, queue.Queue[ModuleType]] = {}
        for function in functions:
            pool: queue.Queue[ModuleType] = queue.Queue()
            for index in range(containers_per_function):
                pool.put(_load_container(function, index))
            self._pools[function] = pool

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(self._pools)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        pool = self._pools[function]
        container = pool.get()
        try:
            return container.lambda_handler(event, FakeLambdaContext(FUNCTION_PREFIX + function))
        finally:
            pool.put(container)

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
