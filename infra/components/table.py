"""The single DynamoDB table, built from `shared.dal.table` (keys, indexes, TTL): the same definition moto and the
data layer use, so the deployed table cannot drift from the code."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from shared.dal import table as definition
from shared.dal.keys import AREAS
from shared.functions import INDEX_SCOPE, Grant

from .. import constants


def _string(name: str) -> dynamodb.Attribute:
    # shared.dal.table.create_table_request declares every key attribute as a string ("S")
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class DataTable(Construct):
    """On-demand table with PITR, deletion protection, RETAIN, TTL and every GSI with its INCLUDE projection.

    Encrypted with a customer-managed KMS key: the table holds personal data (R-PRIV-1), and a key of our own gives a
    key policy as a second access control, a CloudTrail record of every use by principal, and the option to disable
    the key. DynamoDB caches the table key, so KMS request cost stays small."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=constants.TABLE_KEY_ALIAS.format(stack=Stack.of(self).stack_name),
            description="Furusato table (personal data): DynamoDB server-side encryption",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_string(definition.PARTITION_KEY),
            sort_key=_string(definition.SORT_KEY),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute=definition.TTL_ATTRIBUTE,
            stream=dynamodb.StreamViewType[definition.STREAM_VIEW_TYPE],
        )
        for index in definition.INDEXES:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string(index.partition_key),
                sort_key=_string(index.sort_key),
                projection_type=dynamodb.ProjectionType.INCLUDE,
                non_key_attributes=list(index.non_key_attributes),
            )

    @property
    def setting_value(self) -> str:
        return self.table.table_name

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """A key area: its actions on the table ARN, only for items whose partition key starts with the area's prefix
        (every key of the request: ForAllValues + dynamodb:LeadingKeys). An index: Query on that index's ARN."""
        if grant.scope.startswith(INDEX_SCOPE):
            index = grant.scope.removeprefix(INDEX_SCOPE)
            role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.actions), resources=[self.index_arn(index)]))
            return
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(grant.actions),
                resources=[self.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{AREAS[grant.scope]}*"]}},
            )
        )

    def grant_key(self, role: iam.IRole) -> None:
        """DynamoDB calls KMS on the caller's behalf for the table key (only through DynamoDB: kms:ViaService)."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"}},
            )
        )

    def index_arn(self, name: str) -> str:
        """One index's ARN (never `index/*`): a function may query exactly the indexes it names."""
        if name not in {index.name for index in definition.INDEXES}:
            raise ValueError(f"the table has no index {name!r}")
        return f"{self.table.table_arn}/index/{name}"
