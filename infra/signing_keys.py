"""Operator commands for the check-in signing keys secret the stack creates. Never prints key material.

    .venv/bin/python -m infra.signing_keys status      # current key id, key ids kept, last change
    .venv/bin/python -m infra.signing_keys rotate      # new current key; the previous one keeps verifying
    .venv/bin/python -m infra.signing_keys bootstrap   # what the stack's custom resource does (only if still empty)

The secret is found through the stack output `CheckinKeysSecretArn` (or give `--secret <arn or name>`). Uses the
caller's AWS credentials (`AWS_PROFILE`, ...): they need secretsmanager:GetSecretValue/PutSecretValue on the secret
and kms:Decrypt/GenerateDataKey on its key (administrators have both through the key policy's account statement)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3

from shared.dal.secrets import rotate_signing_keys
from shared.domain.checkin_token import SigningKeys

from .custom_resources.signing_keys import bootstrap

STACK_NAME = "Furusato"  # = constants.STACK_NAME (not imported: infra.constants starts the CDK's node runtime)
REGION = "ap-northeast-1"  # = constants.REGION
SECRET_OUTPUT = "CheckinKeysSecretArn"  # = constants.SIGNING_KEYS_OUTPUT


def find_secret(cloudformation: Any, stack: str) -> str:
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    for output in described.get("Outputs", []):
        if output["OutputKey"] == SECRET_OUTPUT:
            return output["OutputValue"]
    raise LookupError(f"stack {stack} has no output {SECRET_OUTPUT}")


def status(client: Any, secret: str) -> str:
    text = client.get_secret_value(SecretId=secret)["SecretString"]
    try:
        keys = SigningKeys.from_secret_string(text)
    except ValueError:
        return f"{secret}: no key set yet (placeholder); run `python -m infra.signing_keys bootstrap`"
    changed = client.describe_secret(SecretId=secret).get("LastChangedDate")
    return f"{secret}: current key {keys.current}; verifying keys (oldest first) {', '.join(keys.keys)}; changed {changed}"


def rotate(client: Any, secret: str) -> str:
    keys = rotate_signing_keys(client, secret)
    return (
        f"{secret}: new current key {keys.current}; still verifying {', '.join(k for k in keys.keys if k != keys.current)}."
        " Running functions sign with the new key within SECRET_CACHE_SECONDS (default 300 s); checkin re-reads the"
        " secret at once when it meets an unknown key id."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.signing_keys", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("status", "rotate", "bootstrap"))
    parser.add_argument("--secret", help="secret ARN or name (default: the stack output)")
    parser.add_argument("--stack", default=STACK_NAME)
    parser.add_argument("--region", default=REGION)
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    secret = args.secret or find_secret(session.client("cloudformation"), args.stack)
    client = session.client("secretsmanager")
    if args.command == "status":
        print(status(client, secret))
    elif args.command == "rotate":
        print(rotate(client, secret))
    else:
        print(f"{secret}: " + ("key set written" if bootstrap(client, secret) else "already has a key set; unchanged"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
