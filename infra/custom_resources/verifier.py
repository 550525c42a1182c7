"""Custom resource `Custom::VerifierKeys`: generates the identity verifier's keys in AWS, once (R-BAS-4), so no key
material is ever in the template, the cloud assembly or a log: the OpenID Connect client's EC P-256 key (its public
half registered with the Digital Agency) and the subject-hash key (shared.dal.identity_provider.VerifierKeys).

CloudFormation creates both secrets with a random placeholder (one version). On Create and Update the handler writes a
generated key set only while the keys secret still has that single version: a secret that was written (by this
handler, or by hand) has at least two labelled versions and is NEVER overwritten. Regenerating would be harmful, not
just inconvenient: a new subject-hash key hashes the same card's subject differently, so one card could verify a
second account (one person, one account), and a new client key would no longer be the one registered with the
provider. Delete does nothing (the secrets are retained).

The public JWK Set goes into a second secret first, then the keys: every answer (Create, and Update, when the keys
exist already) returns the JWK Set as the attribute `Jwks`, read from that public secret, for the stack output the
operator registers with the provider. So the function needs secretsmanager:DescribeSecret and PutSecretValue on both
secrets, GetSecretValue on the public one only, kms:GenerateDataKey via Secrets Manager for both and kms:Decrypt for
the public one: it cannot read the private key (only the verify function can)."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3

from shared.dal.identity_provider import VerifierKeys

from .signing_keys import _respond, needs_keys

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

# What the output shows when the keys exist but their public half was never published here (the keys secret was set
# by hand, without the JWK Set): the operator publishes it (docs/infra.md, "Identity verification").
UNPUBLISHED = "not published: the verifier keys were not written by the stack's bootstrap (see docs/infra.md)"


def jwks_text(keys: VerifierKeys) -> str:
    return json.dumps(keys.public_jwks(), sort_keys=True, separators=(",", ":"))


def published_jwks(client: Any, jwks_secret_id: str) -> str:
    """The JWK Set in the public secret, or UNPUBLISHED while it holds CloudFormation's placeholder."""
    text = client.get_secret_value(SecretId=jwks_secret_id)["SecretString"]
    try:
        document = json.loads(text)
    except ValueError:
        return UNPUBLISHED
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list) or not document["keys"]:
        return UNPUBLISHED
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def bootstrap(client: Any, secret_id: str, jwks_secret_id: str) -> tuple[bool, str]:
    """Generate and write the keys unless the keys secret already has a value of its own; returns whether it wrote,
    and the public JWK Set."""
    if not needs_keys(client, secret_id):
        return False, published_jwks(client, jwks_secret_id)
    keys = VerifierKeys.generate()
    jwks = jwks_text(keys)
    # The public half first: should the second write fail, the keys secret still has one version, and the next run
    # generates a new pair and overwrites this JWK Set with the matching one.
    client.put_secret_value(SecretId=jwks_secret_id, SecretString=jwks)
    client.put_secret_value(SecretId=secret_id, SecretString=keys.to_secret_string())
    return True, jwks


def lambda_handler(event: dict[str, Any], context: Any, client: Any = None) -> None:
    properties = event.get("ResourceProperties", {})
    secret_id = properties.get("SecretId", "")
    jwks_secret_id = properties.get("JwksSecretId", "")
    physical_id = secret_id or event.get("PhysicalResourceId") or event["LogicalResourceId"]
    try:
        data: dict[str, str] = {}
        if event["RequestType"] in ("Create", "Update"):
            if not secret_id or not jwks_secret_id:
                raise ValueError("properties SecretId and JwksSecretId are required")
            written, jwks = bootstrap(client or boto3.client("secretsmanager"), secret_id, jwks_secret_id)
            data = {"Written": str(written).lower(), "Jwks": jwks}
            logger.info("%s %s: keys %s", event["RequestType"], secret_id, "written" if written else "left as they are")
        # Shown, not masked: the JWK Set is public (what the provider is given); nothing else is in the answer.
        _respond(event, "SUCCESS", physical_id, data=data, no_echo=False)
    except Exception as error:  # CloudFormation must hear back, or it waits for an hour
        logger.exception("verifier keys bootstrap failed")
        _respond(event, "FAILED", physical_id, reason=f"{type(error).__name__}: {error}", no_echo=False)
