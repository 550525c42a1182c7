"""cdk-nag (AwsSolutions) acknowledgments: every one goes through `acknowledge`, which refuses an empty reason.
docs/infra.md lists them; the tests check the synthesized report has no unacknowledged finding."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. "AwsSolutions-L1" or "AwsSolutions-IAM5[Resource::*]") on `scope` and below."""
    if not rule.startswith("AwsSolutions-"):
        raise ValueError(f"not an AwsSolutions rule: {rule!r}")
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule} needs a real reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
