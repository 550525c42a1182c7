"""The exports function's entry: the export work queue's messages (an SQS event source mapping, batch size 1), each
one step of a staff registrant export (shared/logic/exports.py). A failed message is reported (ReportBatchItemFailures)
and SQS delivers it again; its last delivery (MAX_RECEIVES, the queue's redrive policy) marks the export failed and
aborts its multipart upload before the dead-letter queue takes the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from ..domain.exports import MAX_RECEIVES, ExportStep
from ..logic.exports import ExportWriter

_processor = BatchProcessor(event_type=EventType.SQS)


def handle(event: dict[str, Any], context, writer: Callable[[], ExportWriter]) -> dict[str, Any]:
    def work(record: SQSRecord) -> str:
        step = ExportStep.model_validate_json(record.body)
        try:
            return writer().step(step)
        except Exception:
            if int(record.attributes.approximate_receive_count or "1") >= MAX_RECEIVES:
                writer().give_up(step)
            raise

    return process_partial_response(event=event, record_handler=work, processor=_processor, context=context)
