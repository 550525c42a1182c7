"""The schedules' work queues (shared/functions.py QUEUES): a run fans its day out into one message per shard of the
due index, each page's message sends the next (shared/logic/schedules.py). Each queue has a dead-letter queue: a
message that fails MAX_RECEIVES times is kept there (14 days) for operators, and the next daily run sends its shard
again (it is not marked done), so nothing is lost.

IAM: the functions send with sqs:SendMessage (their grants); the event source mapping's receive/delete permissions
are added to the consuming function's role by CDK (SqsEventSource)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.functions import Grant, Resource

from ..nag import acknowledge

MAX_RECEIVES = 5
# Longer than the consuming function's timeout (AWS requires at least that; six times is its advice for batches).
VISIBILITY_TIMEOUT = Duration.minutes(6)


class WorkQueue(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, resource: Resource) -> None:
        super().__init__(scope, construct_id)
        self.resource = resource
        self.dead_letters = sqs.Queue(
            self, "DeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This is the dead-letter queue of the work queue beside it; a dead-letter queue has none of its own.",
        )
        self.queue = sqs.Queue(
            self, "Queue", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dead_letters),
        )

    @property
    def setting_value(self) -> str:
        return self.queue.queue_url

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.actions), resources=[self.queue.queue_arn]))
