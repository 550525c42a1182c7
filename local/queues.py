"""SQS event source mappings, locally: moto would invoke a queue's function synchronously inside SendMessage, on a
path our dispatcher does not patch (../notes: local-aws), so the local runtime and the tests poll instead. A worker
receives a queue's messages, invokes the consuming function with the event the mapping would send (batch size 1, as
deployed: infra/constants.py QUEUE_BATCH_SIZE) and deletes what the function did not report failed
(ReportBatchItemFailures); a failed message comes back after its visibility timeout, as deployed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.events import sqs_event

Invoke = Callable[[str, dict[str, Any]], Any]  # (function name, event) -> the handler's result


@dataclass
class QueueWorker:
    sqs: Any  # boto3 SQS client
    invoke: Invoke
    consumers: dict[str, str]  # queue URL -> the function its Queue trigger names (shared/functions.py)
    errors: list[str] = field(default_factory=list)  # what failed, for the runtime's log and the tests
    _arns: dict[str, str] = field(default_factory=dict)
    # One drain at a time (the background poller, a request's drain): a drain that returns has seen every message of
    # the run it follows handled, not merely taken by the other.
    _draining: threading.Lock = field(default_factory=threading.Lock)

    def _arn(self, url: str) -> str:
        if url not in self._arns:
            self._arns[url] = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return self._arns[url]

    def poll_once(self, url: str) -> int:
        """Up to ten messages of the queue, each handled in its own invocation (batch size 1, as deployed); how many
        were received (0: the queue is empty for now)."""
        received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in received:
            try:
                result = self.invoke(self.consumers[url], sqs_event([message], self._arn(url))) or {}
            except Exception as error:  # the mapping retries it after the visibility timeout
                self.errors.append(f"{self.consumers[url]}: {type(error).__name__}: {error}")
                continue
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            if message["MessageId"] in failed:
                self.errors.append(f"{self.consumers[url]}: message {message['MessageId']} failed")
                continue
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(received)

    def drain(self, limit: int = 100_000) -> int:
        """Every queue until none has a visible message (a page's continuation is handled in the same drain); the
        number of messages handled. A message that keeps failing stays invisible until its timeout: not waited for."""
        with self._draining:
            return self._drain(limit)

    def _drain(self, limit: int) -> int:
        handled = 0
        while handled < limit:
            round_handled = sum(self.poll_once(url) for url in self.consumers)
            if not round_handled:
                return handled
            handled += round_handled
        raise RuntimeError(f"queues not drained after {limit} messages")

    def start(self, stop: threading.Event, interval: float = 1.0) -> threading.Thread:
        """Poll in the background (the local runtime), as a deployed event source mapping would."""

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.drain()
                except Exception as error:  # keep polling: a deployed mapping does not stop either
                    self.errors.append(f"poller: {type(error).__name__}: {error}")

        thread = threading.Thread(target=loop, daemon=True, name="queue-worker")
        thread.start()
        return thread


def create_work_queues(sqs, prefix: str, visibility_timeout: int = 30) -> dict[str, str]:
    """The work queues of shared/functions.py (QUEUES), named `<prefix><name>`: their settings -> URLs."""
    from shared.functions import QUEUES

    return {
        q.setting: sqs.create_queue(QueueName=f"{prefix}{q.name}", Attributes={"VisibilityTimeout": str(visibility_timeout)})["QueueUrl"]
        for q in QUEUES
    }


def consumers_of(urls: dict[str, str]) -> dict[str, str]:
    """Queue URL -> consuming function, from the function list's Queue triggers and the queues' settings."""
    from shared.functions import FUNCTIONS, QUEUES, Queue

    by_name = {q.name: urls[q.setting] for q in QUEUES}
    return {by_name[t.name]: f.name for f in FUNCTIONS for t in f.triggers if isinstance(t, Queue)}
