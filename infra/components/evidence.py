"""The evidence bucket (R-ACT-3): attendance photos and documents, uploaded by the app with a presigned POST under
uploads/, copied on submit under evidence/ (which no upload form can target), viewed by staff with a presigned GET.
Private, encrypted with the table's key (it holds personal data too), SSL only, versioned, access-logged, and files
expire (evidence serves a decision, not an archive): unsubmitted uploads within days, submitted files after 400."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.dal.keys import EXPORT_OBJECTS, REVIEWED_OBJECTS, UPLOAD_OBJECTS
from shared.domain.exports import RETENTION_DAYS as EXPORT_RETENTION_DAYS
from shared.functions import Grant

from .. import constants
from ..nag import acknowledge

# What S3 asks KMS for on the caller's behalf, per object action (SSE-KMS with the table's key). A multipart upload
# (its writer also holds s3:AbortMultipartUpload) needs kms:Decrypt as well: S3 decrypts the data key for each part.
KMS_FOR_S3 = {"s3:PutObject": "kms:GenerateDataKey", "s3:GetObject": "kms:Decrypt", "s3:AbortMultipartUpload": "kms:Decrypt"}


# Actions on the bucket itself (listings), not on objects: granted on the bucket ARN with the prefix as a condition.
BUCKET_ACTIONS = frozenset({"s3:ListBucket", "s3:ListBucketVersions"})


class EvidenceBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logging cannot write to a KMS bucket
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(constants.EVIDENCE_LOG_DAYS))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="evidence/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="submitted-evidence",
                    prefix=REVIEWED_OBJECTS,
                    expiration=Duration.days(constants.EVIDENCE_RETENTION_DAYS),
                    noncurrent_version_expiration=Duration.days(constants.EVIDENCE_NONCURRENT_DAYS),
                ),
                s3.LifecycleRule(
                    id="unsubmitted-uploads",
                    prefix=UPLOAD_OBJECTS,
                    expiration=Duration.days(constants.EVIDENCE_UPLOAD_RETENTION_DAYS),
                    noncurrent_version_expiration=Duration.days(constants.EVIDENCE_NONCURRENT_DAYS),
                ),
                s3.LifecycleRule(
                    id="registrant-exports",  # staff registrant exports (shared/logic/exports.py): a week
                    prefix=EXPORT_OBJECTS,
                    expiration=Duration.days(EXPORT_RETENTION_DAYS),
                    noncurrent_version_expiration=Duration.days(constants.EVIDENCE_NONCURRENT_DAYS),
                ),
                s3.LifecycleRule(id="incomplete-multipart-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

    @property
    def setting_value(self) -> str:
        return self.bucket.bucket_name

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """The grant's actions on the objects under its key prefix, and the bucket key through S3 for what they need:
        writing an object makes a data key (kms:GenerateDataKey), reading one decrypts it (kms:Decrypt)."""
        if not grant.scope.endswith("/"):
            raise ValueError(f"evidence bucket grants are per key prefix ending in '/': {grant.scope!r}")
        object_actions = [a for a in grant.actions if a not in BUCKET_ACTIONS]
        if object_actions:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=object_actions, resources=[self.bucket.arn_for_objects(f"{grant.scope}*")])
            )
        listing = [a for a in grant.actions if a in BUCKET_ACTIONS]
        if listing:  # a listing is authorised on the bucket, for the keys under the prefix only
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=listing,
                    resources=[self.bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{grant.scope}*"]}},
                )
            )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(self.bucket.node.default_child)}.Arn>/{grant.scope}*]",
            "Evidence object keys are generated per upload (uploads/<organisation>/<user>/<id>, then "
            "evidence/<organisation>/<user>/<id>/<etag>, exports/<organisation>/<id>.csv); the grant is limited to one key prefix of this one bucket "
            "and to the object actions the function's code calls (shared/functions.py).",
        )
        kms_actions = sorted(
            {KMS_FOR_S3[action] for action in grant.actions if action in KMS_FOR_S3}
        )
        if kms_actions:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=kms_actions,
                    resources=[self.bucket.encryption_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{constants.REGION}.amazonaws.com"}},
                )
            )
