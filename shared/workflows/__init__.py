"""State machine definitions (Amazon States Language), one file each, read by the CDK stack (infra/components/
workflows.py: `DefinitionBody.from_string` with the substitutions) and by the local runtime and tests (moto executes
them; tasks are dispatched to the real handlers): one definition, deployed and local.

`${Name}` placeholders are the Lambda functions the tasks invoke (`SUBSTITUTIONS`: placeholder -> function of
shared/functions.py); the wait for staff reads its timeout from the execution's input (`approval_timeout_seconds`),
so it is configured where executions start (APPROVAL_TIMEOUT_SECONDS), and tests can make it short: moto runs
executions on a worker thread and measures timeouts on the wall clock."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Workflow:
    name: str  # the state machine's name suffix and its definition file `<name>.asl.json`
    substitutions: dict[str, str]  # placeholder -> the function (shared/functions.py) a Task invokes

    @property
    def path(self) -> Path:
        return HERE / f"{self.name}.asl.json"

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.text()))

    def definition(self, function_arns: dict[str, str]) -> str:
        """The definition with every placeholder replaced by the ARN of its function (`function_arns`: function
        name -> ARN), as the local runtime creates it in moto; the stack lets CloudFormation substitute."""
        values = {placeholder: function_arns[function] for placeholder, function in self.substitutions.items()}
        text = PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text())
        json.loads(text)  # a broken definition fails here, not in an execution
        return text

    def states(self) -> dict[str, Any]:
        return json.loads(self.text())["States"]

    def task_functions(self) -> dict[str, str]:
        """Task state -> the function it invokes."""
        found = {}
        for state_name, state in self.states().items():
            if state.get("Type") == "Task":
                placeholder = PLACEHOLDER.fullmatch(state["Parameters"]["FunctionName"]).group(1)
                found[state_name] = self.substitutions[placeholder]
        return found


PREMIUM = Workflow("premium", {"PremiumFunction": "premium"})
WORKFLOWS: tuple[Workflow, ...] = (PREMIUM,)
