"""premium function: the premium workflow's tasks (shared/workflows/premium.asl.json), invoked by the state machine
only (no HTTP route). The one function that e-mails approvers and signs approval links. Thin: parse the task's
payload, call the workflow service, answer what the state machine routes on. Rules: R-PRE-1..7.

An exception fails the task: the state machine retries it, then ends the application failed (its Failed state)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from shared import config, wiring
from shared.logic.premium import ApplicationRef
from shared.observability import entry_point, logger

config.at_cold_start("premium")  # a missing setting fails the start, not the first task needing it

tasks = lru_cache(maxsize=1)(wiring.premium_workflow_tasks)


class Judge(BaseModel):
    task: Literal["judge"]
    application: ApplicationRef


class RequestApproval(BaseModel):
    task: Literal["request_approval"]
    application: ApplicationRef
    token: str = Field(min_length=1)
    timeout_seconds: int = Field(gt=0)


class Unanswered(BaseModel):
    task: Literal["unanswered"]
    application: ApplicationRef


class Notify(BaseModel):
    task: Literal["notify"]
    application: ApplicationRef


class Fail(BaseModel):
    task: Literal["fail"]
    application: ApplicationRef
    error: str | None = None


Task = Annotated[Judge | RequestApproval | Unanswered | Notify | Fail, Field(discriminator="task")]
TASK = TypeAdapter(Task)


@entry_point()
def lambda_handler(event: dict, context) -> dict[str, Any]:
    task = TASK.validate_python(event)
    logger.append_keys(task=task.task, application_id=task.application.id)
    try:
        return _run(task)
    finally:
        logger.remove_keys(["task", "application_id"])  # a warm container's next task starts clean


def _run(task) -> dict[str, Any]:
    match task:
        case Judge():
            return {"next": tasks().run_judgement(task.application)}
        case RequestApproval():
            tasks().request_approval(task.application, task.token, task.timeout_seconds)
        case Unanswered():
            tasks().unanswered(task.application)
        case Notify():
            tasks().notify(task.application)
        case Fail():
            tasks().fail(task.application, task.error)
    return {}
