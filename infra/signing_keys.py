"""Operator commands for the check-in key secrets the stack creates (the Ed25519 signing keys, and their public halves
the checkin function verifies with). Never prints key material.

    .venv/bin/python -m infra.signing_keys status      # current key id, key ids kept (both secrets), last change
    .venv/bin/python -m infra.signing_keys rotate      # new current key; the previous one keeps verifying
    .venv/bin/python -m infra.signing_keys bootstrap   # what the stack's custom resource does (only if still empty)

The secrets are found through the stack outputs `CheckinKeysSecretArn` and `CheckinVerifyKeysSecretArn` (or give
`--secret` and `--verification-secret`). Uses the caller's AWS credentials (`AWS_PROFILE`, ...): they need
secretsmanager:GetSecretValue/PutSecretValue on both secrets and kms:Decrypt/GenerateDataKey on their key
(administrators have both through the key policy's account statement)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3

from shared.dal.secrets import rotate_signing_keys
from shared.domain.checkin_token import SigningKeys, VerificationKeys

from .custom_resources.signing_keys import bootstrap, needs_keys

STACK_NAME = "Furusato"  # = constants.STACK_NAME (not imported: infra.constants starts the CDK's node runtime)
REGION = "ap-northeast-1"  # = constants.REGION
SECRET_OUTPUT = "CheckinKeysSecretArn"  # = constants.SIGNING_KEYS_OUTPUT
VERIFICATION_SECRET_OUTPUT = "CheckinVerifyKeysSecretArn"  # = constants.VERIFICATION_KEYS_OUTPUT


def find_secret(cloudformation: Any, stack: str, output_key: str = SECRET_OUTPUT) -> str:
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    for output in described.get("Outputs", []):
        if output["OutputKey"] == output_key:
            return output["OutputValue"]
    raise LookupError(f"stack {stack} has no output {output_key}")


def status(client: Any, secret: str, verification_secret: str) -> str:
    try:
        keys = SigningKeys.from_secret_string(client.get_secret_value(SecretId=secret)["SecretString"])
    except ValueError:
        return f"{secret}: no key set yet (placeholder); run `python -m infra.signing_keys bootstrap`"
    changed = client.describe_secret(SecretId=secret).get("LastChangedDate")
    try:
        public = VerificationKeys.from_secret_string(client.get_secret_value(SecretId=verification_secret)["SecretString"])
        published = "the same" if public == keys.verification_keys() else f"DIFFERENT ({', '.join(public.keys)}): rotate"
    except ValueError:
        published = "none yet (placeholder): run `python -m infra.signing_keys bootstrap`"
    return (
        f"{secret}: current key {keys.current}; verifying keys (oldest first) {', '.join(keys.keys)}; changed {changed}."
        f" Verification keys in {verification_secret}: {published}"
    )


def rotate(client: Any, secret: str, verification_secret: str) -> str:
    keys = rotate_signing_keys(client, secret, verification_secret)
    return (
        f"{secret}: new current key {keys.current}; still verifying {', '.join(k for k in keys.keys if k != keys.current)}."
        " Its public key was published first; admin signs with the new key within SECRET_CACHE_SECONDS (default 300 s);"
        " checkin re-reads the verification keys when it meets an unknown key id, at most once a minute."
    )


def bootstrap_both(client: Any, secret: str, verification_secret: str) -> str:
    """The custom resource's bootstrap; and, for a signing secret set before its verification secret existed, the
    public halves (the operator can read the signing keys; the custom resource cannot)."""
    if bootstrap(client, secret, verification_secret):
        return "key set written"
    if needs_keys(client, verification_secret):
        keys = SigningKeys.from_secret_string(client.get_secret_value(SecretId=secret)["SecretString"])
        client.put_secret_value(SecretId=verification_secret, SecretString=keys.verification_keys().to_secret_string())
        return "verification keys published"
    return "already has a key set; unchanged"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.signing_keys", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("status", "rotate", "bootstrap"))
    parser.add_argument("--secret", help="signing keys secret ARN or name (default: the stack output)")
    parser.add_argument("--verification-secret", help="verification keys secret ARN or name (default: the stack output)")
    parser.add_argument("--stack", default=STACK_NAME)
    parser.add_argument("--region", default=REGION)
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    cloudformation = session.client("cloudformation")
    secret = args.secret or find_secret(cloudformation, args.stack)
    verification = args.verification_secret or find_secret(cloudformation, args.stack, VERIFICATION_SECRET_OUTPUT)
    client = session.client("secretsmanager")
    if args.command == "status":
        print(status(client, secret, verification))
    elif args.command == "rotate":
        print(rotate(client, secret, verification))
    else:
        print(f"{secret}: {bootstrap_both(client, secret, verification)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
