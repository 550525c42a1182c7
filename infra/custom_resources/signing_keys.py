"""Custom resource `Custom::CheckinSigningKeys`: writes the first check-in key set into the two secrets the stack
creates (the Ed25519 signing keys, and their public halves, the verification keys), so the key material is generated
in AWS and never appears in the template, the cloud assembly or a log.

CloudFormation creates each secret with a random placeholder (one version). On Create and Update the handler writes a
generated key set (`shared.dal.secrets.publish`: the verification keys first) only while the signing secret still has
that single version: a secret that was bootstrapped, rotated (`python -m infra.signing_keys rotate`) or set by hand
has at least two labelled versions (AWSCURRENT, AWSPREVIOUS) and is never overwritten. Delete does nothing (the
secrets are retained).

The function needs secretsmanager:DescribeSecret and secretsmanager:PutSecretValue on both secrets and
kms:GenerateDataKey via Secrets Manager; it cannot read either."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

import boto3

from shared.dal.secrets import publish
from shared.domain.checkin_token import SigningKeys

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def needs_keys(client: Any, secret_id: str) -> bool:
    """True while the secret holds no more than the value CloudFormation created."""
    versions = client.describe_secret(SecretId=secret_id).get("VersionIdsToStages") or {}
    return len(versions) <= 1


def bootstrap(client: Any, secret_id: str, verification_secret_id: str) -> bool:
    """Write a generated key set unless the signing secret already has one; returns whether it wrote."""
    if not needs_keys(client, secret_id):
        return False
    publish(client, SigningKeys.generate(), secret_id, verification_secret_id)
    return True


def _respond(
    event: dict[str, Any],
    status: str,
    physical_id: str,
    reason: str = "",
    data: dict | None = None,
    no_echo: bool = True,
) -> None:
    """Answer CloudFormation. `no_echo` masks the response's data wherever CloudFormation would show it (Fn::GetAtt);
    only a response that carries nothing secret and is meant to be shown (the verifier's public JWK Set) turns it
    off."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:1000] or status,
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": no_echo,
            "Data": data or {},
        }
    ).encode("utf-8")
    # The pre-signed S3 URL is signed without a content type: send none.
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def lambda_handler(event: dict[str, Any], context: Any, client: Any = None) -> None:
    secret_id = event.get("ResourceProperties", {}).get("SecretId", "")
    verification_secret_id = event.get("ResourceProperties", {}).get("VerificationSecretId", "")
    physical_id = secret_id or event.get("PhysicalResourceId") or event["LogicalResourceId"]
    try:
        written = False
        if event["RequestType"] in ("Create", "Update"):
            if not secret_id or not verification_secret_id:
                raise ValueError("properties SecretId and VerificationSecretId are required")
            written = bootstrap(client or boto3.client("secretsmanager"), secret_id, verification_secret_id)
        logger.info("%s %s: key set %s", event["RequestType"], secret_id, "written" if written else "left as it is")
        _respond(event, "SUCCESS", physical_id, data={"Written": str(written).lower()})
    except Exception as error:  # CloudFormation must hear back, or it waits for an hour
        logger.exception("signing keys bootstrap failed")
        _respond(event, "FAILED", physical_id, reason=f"{type(error).__name__}: {error}")
