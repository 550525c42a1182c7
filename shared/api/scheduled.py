"""The schedules' entry (renewal and expiry functions): EventBridge Scheduler's daily event fans the day out into the
function's work queue; the queue's messages (an SQS event source mapping) each work one page of one shard
(shared/logic/schedules.py). Failed messages are reported one by one (ReportBatchItemFailures): SQS delivers them
again, and after its retries moves them to the dead-letter queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from ..domain.schedules import WorkItem, run_day
from ..functions import SCHEDULE_SOURCE
from ..logic.schedules import ScheduleRunner

_processor = BatchProcessor(event_type=EventType.SQS)


def is_scheduled(event: dict[str, Any]) -> bool:
    """A schedule's event or a queue's batch (not an API Gateway request)."""
    return event.get("source") == SCHEDULE_SOURCE or "Records" in event


def handle(event: dict[str, Any], context, runner: Callable[[], ScheduleRunner]) -> dict[str, Any]:
    if event.get("source") == SCHEDULE_SOURCE:
        return runner().run(run_day(event["scheduled_time"]), context.get_remaining_time_in_millis)

    def work(record: SQSRecord) -> int:
        return runner().work(WorkItem.model_validate_json(record.body))

    return process_partial_response(event=event, record_handler=work, processor=_processor, context=context)
