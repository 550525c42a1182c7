"""The evidence bucket (R-ACT-3): attendance photos and documents, uploaded by the app with a presigned POST and
viewed by staff with a presigned GET. Private, encrypted with the table's key (it holds personal data too),
SSL only, versioned, access-logged, and files expire (evidence serves a decision, not an archive)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .. import constants
from ..nag import acknowledge


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
                    expiration=Duration.days(constants.EVIDENCE_RETENTION_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def grant(self, role: iam.IRole, access: str) -> None:
        """"upload": sign presigned POSTs and check the upload (Put/Get on evidence/*); "view": presigned GETs."""
        objects = self.bucket.arn_for_objects("evidence/*")
        actions = ["s3:PutObject", "s3:GetObject"] if access == "upload" else ["s3:GetObject"]
        role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[objects]))
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(self.bucket.node.default_child)}.Arn>/evidence/*]",
            "Evidence object keys are generated per upload (evidence/<organisation>/<user>/<id>); the grant is limited "
            "to the evidence/ prefix of this one bucket and to object reads/writes, no listing or deletion.",
        )
        kms_actions = ["kms:Decrypt", "kms:GenerateDataKey"] if access == "upload" else ["kms:Decrypt"]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=kms_actions,
                resources=[self.bucket.encryption_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{constants.REGION}.amazonaws.com"}},
            )
        )
