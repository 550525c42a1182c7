"""The one table: its keys, indexes and TTL. The CDK stack, moto (local runtime and tests) and the data layer all
read this definition, so they cannot drift. Access patterns: docs/access-patterns.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str
    # Only these attributes are copied into the index. Personal data is never projected (R-PRIV-1).
    non_key_attributes: tuple[str, ...] = field(default=())


PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
# The table's stream (statistics, functions/stats): both images, so a change's effect is computed from the record alone.
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"

REGISTRATIONS_BY_USER = Index(
    name="registrations_by_user",
    partition_key="user_pk",
    sort_key="user_sk",
    # Everything a person owns: registrations (user_sk ORG#…), applications (APPLICATION#…), records (RECORD#…) and
    # evidence (EVIDENCE#…) and near matches offered (MATCH#…); `type` tells account deletion which store's eraser takes an item (personal_data.py).
    non_key_attributes=(
        "type", "org_code", "level", "since", "direct", "via", "resident", "activity_id", "status", "applied_at",
        # near matches of pre-launch participations offered to the person (user_sk MATCH#…, R-ACT-5)
        "row_key", "activity_name", "day", "place", "venue_code", "offered_at",
    ),
)
JOINED_ORGANISATIONS = Index(
    name="joined_organisations",
    partition_key="joined_pk",
    sort_key="joined_sk",
    non_key_attributes=("org_code", "joined_at"),
)
# One attendance item per activity is projected (the venue's record, not its prefecture copy), so staff list an
# activity's participants with one Query. Records carry no personal data.
RECORDS_BY_ACTIVITY = Index(
    name="records_by_activity",
    partition_key="activity_pk",
    sort_key="activity_sk",
    non_key_attributes=(
        "org_code", "user_id", "activity_id", "designated_by", "venue_code", "day", "source",
        "recorded_at", "recorded_by",
    ),
)
# Sparse: only activities open for applications carry the keys (R-BAS-7), sorted by their end, so "open now" is a
# key condition (end > now), never a filter.
OPEN_RECRUITMENT = Index(
    name="open_recruitment",
    partition_key="recruit_pk",
    sort_key="recruit_sk",
    non_key_attributes=(
        "id", "org_code", "name", "description", "kind", "starts_at", "ends_at", "place", "venue_code", "capacity",
        "conditions", "external_url",
    ),
)
APPLICATIONS_BY_ACTIVITY = Index(
    name="applications_by_activity",
    partition_key="application_pk",
    sort_key="application_sk",
    non_key_attributes=("org_code", "activity_id", "user_id", "status", "message", "applied_at", "decided_at"),
)
# Sparse: only evidence waiting for a staff decision (R-ACT-3), oldest first, per organisation.
EVIDENCE_TO_REVIEW = Index(
    name="evidence_to_review",
    partition_key="review_pk",
    sort_key="review_sk",
    # Everything staff's list shows (an Evidence as stored, no personal data beyond the note the person wrote).
    non_key_attributes=(
        "id", "org_code", "user_id", "activity_id", "day", "content_type", "size_bytes", "note", "status", "object_key",
        "created_at", "submitted_at",
    ),
)
# Sparse and overloaded (shared/dal/keys.py): a person's in-app notices (`NOTICES#<sub>`, newest first) and an
# organisation's premium applications waiting for staff (`APPROVALS#<code>`, oldest first). Each list shows what it
# projects; no personal data beyond the notice's own text (about the person, to the person).
INBOX = Index(
    name="inbox",
    partition_key="inbox_pk",
    sort_key="inbox_sk",
    non_key_attributes=(
        "id", "org_code", "user_id", "kind", "title", "body", "at", "application_id",  # notices
        "status", "applied_at", "renewal", "counted", "needed",  # applications waiting for staff
    ),
)
# Sparse and write-sharded (shared/dal/keys.py `due`): what the daily schedules act on, by anchor day (a premium
# expiry, a last access, a removal deadline). Keys only and what tells a job whether the item is still due.
DUE = Index(
    name="due",
    partition_key="due_pk",
    sort_key="due_sk",
    non_key_attributes=("type", "org_code", "user_id", "premium_expires_on", "last_access", "removal_due"),
)
# Sparse and write-sharded (shared/dal/keys.py registrants): an organisation's registrations, a prefecture's
# co-registrations included (R-ORG-3), for the staff list and, later, an export. What the list shows and filters on;
# never `personal` or `answers` (R-PRIV-1): a page's personal data comes from one BatchGetItem of its registrations.
REGISTRANTS = Index(
    name="registrants",
    partition_key="registrants_pk",
    sort_key="registrants_sk",
    non_key_attributes=(
        "org_code", "user_id", "since", "direct", "via", "resident", "relationships", "personal_verified_on",
        "premium_expires_on", "premium_lapsed", "last_active_month",
    ),
)
INDEXES: tuple[Index, ...] = (
    REGISTRATIONS_BY_USER, JOINED_ORGANISATIONS, RECORDS_BY_ACTIVITY, OPEN_RECRUITMENT, APPLICATIONS_BY_ACTIVITY,
    EVIDENCE_TO_REVIEW, INBOX, DUE, REGISTRANTS,
)


def create_table_request(table_name: str) -> dict:
    """boto3 `create_table` arguments (on-demand, as deployed)."""
    keys = {PARTITION_KEY, SORT_KEY} | {k for i in INDEXES for k in (i.partition_key, i.sort_key)}
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in sorted(keys)],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": i.name,
                "KeySchema": [
                    {"AttributeName": i.partition_key, "KeyType": "HASH"},
                    {"AttributeName": i.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(i.non_key_attributes)},
            }
            for i in INDEXES
        ],
    }


def create_table(client, table_name: str) -> None:
    """Create the table with its TTL (local runtime and tests; the CDK stack creates it when deployed)."""
    client.create_table(**create_table_request(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
