"""Records every AWS call the code makes, as IAM authorizes it: (resource, action, scope) per function.

botocore event hooks are installed for every client created while recording (BUILTIN_HANDLERS are registered on each
new botocore session, and shared/dal/aws.py makes each client from a new session): `provide-client-params` sees
every API call and every presigned GET before it is serialized, `before-sign.s3.PutObject` sees presigned POSTs
(whose policy botocore builds on a CreateBucket model, without the key in the parameters).

What a call needs in IAM:
- its action `<service>:<Operation>`, except where IAM names it otherwise (HeadObject -> s3:GetObject;
  CreateMultipartUpload, UploadPart, CompleteMultipartUpload -> s3:PutObject; CopyObject -> s3:GetObject on the
  source and s3:PutObject on the copy; DeleteObjects -> s3:DeleteObject per key; DeleteObject or GetObject of
  one version (VersionId) -> s3:DeleteObjectVersion, s3:GetObjectVersion; each item of
  TransactWriteItems / TransactGetItems as its own action; a presigned POST -> s3:PutObject, a presigned GET ->
  s3:GetObject: the URL is signed with the function's credentials, and S3 checks the function's grant when the app
  uses it; SES v2 SendEmail -> ses:SendRawEmail when its content is Raw (SES authorizes raw MIME as SendRawEmail
  whichever API sends it), ses:SendEmail for Simple or Template content; SQS SendMessageBatch -> sqs:SendMessage);
- its resource, found by the name or ARN the code passes (compared with the environment variable each resource of
  shared/functions.py sets);
- nothing for the operations IAM never authorizes (UNAUTHORIZED_OPERATIONS: the staff pool app client's sign-in,
  which the approval page calls);
- its scope where grants are scoped: the key area of every item (table; one non-transactional call touching two areas
  cannot be granted per area and is recorded as such), the index (Query), the object key's declared prefix (S3)."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore import handlers

from shared.dal import aws, keys
from shared.dal.table import PARTITION_KEY
from shared.functions import FUNCTIONS, INDEX_SCOPE, RESOURCES, Function

Call = tuple[str, str, str]  # (resource name, IAM action, scope)

TRANSACTION_ITEMS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# Public operations of a Cognito app client: Cognito does not evaluate IAM policies for them (a caller needs no
# credentials at all), so they need no grant and are not recorded.
UNAUTHORIZED_OPERATIONS = frozenset({("cognito-idp", "InitiateAuth"), ("cognito-idp", "RespondToAuthChallenge")})
S3_ACTIONS = {
    "HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "ListObjectVersions": "ListBucketVersions",
    # a multipart upload's steps are authorized as PutObject; AbortMultipartUpload is its own action
    "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject", "CompleteMultipartUpload": "PutObject",
}


def granted(function: Function) -> set[Call]:
    return {(g.resource.name, action, g.scope) for g in function.grants for action in g.actions}


def _resource_named(identifier: str) -> str:
    """The resource of shared/functions.py whose setting holds `identifier` (a name or an ARN ending in it)."""
    for resource in RESOURCES:
        value = os.environ.get(resource.setting)
        if value and (identifier == value or identifier.endswith(f":{value}") or identifier.endswith(f"/{value}")):
            return resource.name
    return f"unknown:{identifier}"


def _area(key: dict[str, Any]) -> str:
    value = key.get(PARTITION_KEY, {}).get("S", "")
    return keys.area_of(value) or f"outside every area:{value}"


def _areas(keys_: list[dict[str, Any]]) -> str:
    return "+".join(sorted({_area(k) for k in keys_}))


def _partition_value_of_query(params: dict[str, Any]) -> str:
    names = params.get("ExpressionAttributeNames", {})
    for name, placeholder in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")):
        if names.get(name, name) == PARTITION_KEY:
            return params["ExpressionAttributeValues"][placeholder]["S"]
    return ""


def _s3_scope(bucket: str, key: str) -> str:
    """The longest prefix declared for this bucket in any function that `key` starts with (else the key itself)."""
    resource = _resource_named(bucket)
    prefixes = [g.scope for f in FUNCTIONS for g in f.grants if g.resource.name == resource and key.startswith(g.scope)]
    return max(prefixes, key=len) if prefixes else f"undeclared key:{key}"


def _dynamodb(operation: str, params: dict[str, Any]) -> list[Call]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        calls = []
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            key = body.get("Key") or body.get("Item")
            calls.append((_resource_named(body["TableName"]), f"dynamodb:{TRANSACTION_ITEMS[kind]}", _area(key)))
        return calls
    if operation in ("BatchGetItem", "BatchWriteItem"):
        calls = []
        for table_name, request in params["RequestItems"].items():
            if operation == "BatchGetItem":
                item_keys = request["Keys"]
            else:
                item_keys = [r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"] for r in request]
            calls.append((_resource_named(table_name), f"dynamodb:{operation}", _areas(item_keys)))
        return calls
    resource = _resource_named(params["TableName"])
    if operation in ("Query", "Scan") and "IndexName" in params:
        return [(resource, f"dynamodb:{operation}", f"{INDEX_SCOPE}{params['IndexName']}")]
    if operation == "Query":
        value = _partition_value_of_query(params)
        return [(resource, "dynamodb:Query", keys.area_of(value) or f"outside every area:{value}")]
    key = params.get("Key") or params.get("Item")
    return [(resource, f"dynamodb:{operation}", _area(key) if key else "whole table")]


def _s3(operation: str, params: dict[str, Any]) -> list[Call]:
    bucket = params.get("Bucket", "")
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):
            source_bucket, _, source_key = source.lstrip("/").partition("/")
        else:
            source_bucket, source_key = source["Bucket"], source["Key"]
        return [
            (_resource_named(source_bucket), "s3:GetObject", _s3_scope(source_bucket, source_key)),
            (_resource_named(bucket), "s3:PutObject", _s3_scope(bucket, params["Key"])),
        ]
    if operation == "DeleteObjects":
        return [
            (_resource_named(bucket), "s3:DeleteObject", _s3_scope(bucket, o["Key"])) for o in params["Delete"]["Objects"]
        ]
    action = f"s3:{S3_ACTIONS.get(operation, operation)}"
    if operation in ("DeleteObject", "GetObject") and "VersionId" in params:  # one version: IAM's own action
        action += "Version"
    if "Key" in params:
        return [(_resource_named(bucket), action, _s3_scope(bucket, params["Key"]))]
    prefix = params.get("Prefix", "")
    return [(_resource_named(bucket), action, _s3_scope(bucket, prefix) if prefix else "whole bucket")]


class AwsCallRecorder:
    def __init__(self) -> None:
        self.current = ""  # the function whose handler is running
        self.calls: dict[str, set[Call]] = defaultdict(set)

    def on_params(self, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
        context = context or {}
        service = model.service_model.signing_name
        if model.service_model.service_name == "dynamodbstreams":
            # Reading the table's stream is the event source mapping's (the Lambda service's), not a function's code:
            # CDK grants it with the mapping (tests/infra checks it); recorded apart from the table's actions.
            service = "dynamodbstreams"
        operation = model.name
        if context.get("is_presign_request") and service == "s3" and operation == "CreateBucket":
            return  # a presigned POST: recorded by on_presign_post, which sees the key
        if (service, operation) in UNAUTHORIZED_OPERATIONS:
            return
        if service == "dynamodb":
            calls = _dynamodb(operation, params)
        elif service == "s3":
            calls = _s3(operation, params)
        elif service == "ses" and operation == "SendEmail":
            raw = "Raw" in params.get("Content", {})
            calls = [(_resource_named(params.get("FromEmailAddress", "")), f"ses:Send{'Raw' if raw else ''}Email", "")]
        elif service == "sqs" and operation == "SendMessageBatch":  # authorized as SendMessage, per message
            calls = [(_resource_named(params.get("QueueUrl", "")), "sqs:SendMessage", "")]
        elif service == "states" and operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
            # A task token names no state machine in the call; IAM authorizes it on the state machine whose
            # execution issued the token, and the premium workflow's is the only one that waits on tokens.
            calls = [(_resource_named(os.environ.get("PREMIUM_STATE_MACHINE", "")), f"states:{operation}", "")]
        else:
            identifier = next(
                (str(v) for k, v in params.items() if k in ("SecretId", "stateMachineArn", "UserPoolId", "KeyId", "QueueUrl")),
                "",
            )
            calls = [(_resource_named(identifier), f"{service}:{operation}", "")]
        self.calls[self.current] |= set(calls)

    def on_presign_post(self, request: Any, **_: Any) -> None:
        fields = request.context.get("s3-presign-post-fields")
        if fields is None:
            return  # an ordinary PutObject: recorded by on_params
        policy = request.context["s3-presign-post-policy"]
        bucket = next(c["bucket"] for c in policy["conditions"] if isinstance(c, dict) and "bucket" in c)
        self.calls[self.current].add((_resource_named(bucket), "s3:PutObject", _s3_scope(bucket, fields["key"])))


@contextmanager
def recording() -> Iterator[AwsCallRecorder]:
    """Every client made inside (shared/dal/aws.py's cache is emptied before and after) reports to the recorder."""
    recorder = AwsCallRecorder()
    hooks = [("provide-client-params", recorder.on_params), ("before-sign.s3.PutObject", recorder.on_presign_post)]
    handlers.BUILTIN_HANDLERS.extend(hooks)
    aws.reset()
    try:
        yield recorder
    finally:
        for hook in hooks:
            handlers.BUILTIN_HANDLERS.remove(hook)
        aws.reset()
