"""Key builders: the only place that knows how keys are spelled (docs/access-patterns.md lists every query).

Two areas, told apart by the leading key (R-PRIV-1), so IAM can separate them with dynamodb:LeadingKeys:
- organisation area `ORG#<code>…`: an organisation's profile, and each person's registration with it, personal
  data included. A registration is its own partition (`ORG#<code>#USER#<sub>`), so an organisation with a million
  registrants spreads over a million partition keys instead of becoming one hot partition.
- national area `NAT#…`: the account (last access; no personal data but e-mail) and idempotency records."""

from __future__ import annotations

import hashlib

ORG = "ORG#"
NATIONAL = "NAT#"
STATISTICS = "STAT#"  # 関係人口 statistics (R-STAT-1): counters, snapshots; no personal data (see the stat_* keys below)
# Key areas by name: a function's DynamoDB grant on the table is per area (shared/functions.py), enforced in IAM
# with dynamodb:LeadingKeys on `<prefix>*`.
AREAS: dict[str, str] = {"organisation": ORG, "national": NATIONAL, "statistics": STATISTICS}


def area_of(partition_key: str) -> str | None:
    """The name of the area a base-table partition key belongs to (None: outside every area)."""
    return next((name for name, prefix in AREAS.items() if partition_key.startswith(prefix)), None)


def organisation_profile(code: str) -> dict[str, str]:
    return {"pk": f"{ORG}{code}", "sk": "PROFILE"}


def premium_settings(code: str) -> dict[str, str]:
    """The organisation's premium settings (R-ADM-2, R-PRE-1/2/7): one item in its own partition, beside its profile."""
    return {"pk": f"{ORG}{code}", "sk": "PREMIUM_SETTINGS"}


def registration(code: str, user_id: str) -> dict[str, str]:
    return {"pk": f"{ORG}{code}#USER#{user_id}", "sk": "REGISTRATION"}


# The staff registrant list (registrants index, sparse: registration items only). Write-sharded: an organisation's
# million registrants spread over REGISTRANT_SHARDS partitions, by a stable hash of the user id (never Python's
# salted hash()), so neither writes at a campaign's peak nor an export's reads meet one hot partition.
REGISTRANT_SHARDS = 16


def registrant_shard(user_id: str) -> int:
    return int.from_bytes(hashlib.sha256(user_id.encode("utf-8")).digest()[:4], "big") % REGISTRANT_SHARDS


def registrants(code: str, shard: int) -> str:
    """registrants index partition: one shard of an organisation's registrants (sort key `<since>#<user id>`)."""
    return f"REGISTRANTS#{code}#{shard}"


def registrant_of_organisation(code: str, user_id: str, since: str) -> dict[str, str]:
    """registrants index keys of a registration (`since`: its ISO 8601 registration time)."""
    return {"registrants_pk": registrants(code, registrant_shard(user_id)), "registrants_sk": f"{since}#{user_id}"}


USER = "USER#"
APPLICATION_PREFIX = "APPLICATION#"
EVIDENCE_PREFIX = "EVIDENCE#"
PRELAUNCH_PREFIX = "PRELAUNCH#"


def registrations_by_user(user_id: str) -> dict[str, str]:
    """GSI registrations_by_user partition key of every item a person owns (registrations, applications, records,
    evidence): the one way to find all of a person's items (account deletion, shared.dal.personal_data). The sort
    key adds what the item is (`ORG#…`, `APPLICATION#…`, `RECORD#…`, `EVIDENCE#…`)."""
    return {"user_pk": f"{USER}{user_id}"}


def user_of(user_pk: str) -> str:
    """The person a registrations_by_user partition key names."""
    return user_pk.removeprefix(USER)


def registration_by_user(user_id: str, code: str) -> dict[str, str]:
    """GSI registrations_by_user keys of a registration: its sort key starts with ORG (see USER_REGISTRATIONS)."""
    return {**registrations_by_user(user_id), "user_sk": f"{ORG}{code}"}


def application_by_user(user_id: str, code: str, activity_id: str) -> dict[str, str]:
    """GSI registrations_by_user keys of an application: its sort key starts with APPLICATION_PREFIX."""
    return {**registrations_by_user(user_id), "user_sk": f"{APPLICATION_PREFIX}{code}#{activity_id}"}


USER_REGISTRATIONS = ORG  # begins_with(user_sk, …): a person's registrations in registrations_by_user


def person_partition(code: str, user_id: str) -> str:
    """The partition of everything a person has at one organisation (withdrawal empties it)."""
    return f"{ORG}{code}#{USER}{user_id}"


def activity(code: str, activity_id: str) -> dict[str, str]:
    """Activities live in their organisation's partition: a few thousand at most, written by staff."""
    return {"pk": f"{ORG}{code}", "sk": f"ACTIVITY#{activity_id}"}


ACTIVITY_PREFIX = "ACTIVITY#"


def record(code: str, user_id: str, day: str, activity_id: str) -> dict[str, str]:
    """An attendance record, in the person's partition of the organisation it counts for: the 12-month count is
    one Query on that partition (sort key starts with the day)."""
    return {"pk": f"{ORG}{code}#USER#{user_id}", "sk": f"{RECORD_PREFIX}{day}#{activity_id}"}


RECORD_PREFIX = "RECORD#"


def record_of_person(code: str, day: str, activity_id: str) -> str:
    """registrations_by_user sort key of a record (both copies: each organisation's count is found on its own)."""
    return f"{RECORD_PREFIX}{code}#{day}#{activity_id}"


def anonymous_record(code: str, anonymous_id: str, day: str, activity_id: str) -> dict[str, str]:
    """A record whose person withdrew or deleted their account: kept as a fact of the activity (statistics, the
    activity's attendance), in its own partition under an id that links to no one (docs/retention.md)."""
    return {"pk": f"{ORG}{code}#ANON#{anonymous_id}", "sk": f"{RECORD_PREFIX}{day}#{activity_id}"}


def records_by_activity(activity_id: str) -> str:
    return f"ACT#{activity_id}"


def unclaimed_record(uploader_code: str, identity_key: str, row_key: str) -> dict[str, str]:
    """A pre-launch participation (R-ACT-5) not yet claimed by a registrant, kept (with the participant's details)
    in the area of the organisation that uploaded it; grouped by identity (hash of name and birth date, not the
    place: shared.domain.prelaunch.identity_key) so a claim finds exact and near matches with one Query of the
    partition (`unclaimed_record(code, identity_key, "")["pk"]`; sort keys start with PRELAUNCH_PREFIX)."""
    return {"pk": f"{ORG}{uploader_code}#UNCLAIMED#{identity_key}", "sk": f"{PRELAUNCH_PREFIX}{row_key}"}


def application(code: str, user_id: str, activity_id: str) -> dict[str, str]:
    """An application to an activity (R-BAS-7), in the person's partition of the recruiting organisation."""
    return {"pk": f"{ORG}{code}#{USER}{user_id}", "sk": f"{APPLICATION_PREFIX}{activity_id}"}


def open_recruitment(code: str) -> str:
    return f"RECRUIT#{code}"


def applications_by_activity(activity_id: str) -> str:
    return f"APPS#{activity_id}"


def evidence(code: str, user_id: str, evidence_id: str) -> dict[str, str]:
    """Evidence of attendance (R-ACT-3), in the person's partition of the organisation that designated the activity."""
    return {"pk": f"{ORG}{code}#{USER}{user_id}", "sk": f"{EVIDENCE_PREFIX}{evidence_id}"}


def evidence_of_person(code: str, evidence_id: str) -> str:
    """registrations_by_user sort key of an evidence item."""
    return f"{EVIDENCE_PREFIX}{code}#{evidence_id}"


def evidence_to_review(code: str) -> str:
    return f"REVIEW#{code}"


def open_uploads(user_id: str) -> dict[str, str]:
    """The person's evidence uploads started and not yet submitted (evidence id -> until when it stays open), in the
    national area: the cap counts uploads across every organisation. No personal data."""
    return {"pk": f"{NATIONAL}USER#{user_id}", "sk": "OPEN_UPLOADS"}


# Evidence files in S3 (R-ACT-3). The app's presigned POST can only target its own key under UPLOAD_OBJECTS; the
# submitted file is copied server-side under REVIEWED_OBJECTS, which no upload form reaches, and staff view that.
UPLOAD_OBJECTS = "uploads/"
REVIEWED_OBJECTS = "evidence/"


def evidence_upload_object(code: str, user_id: str, evidence_id: str) -> str:
    return f"{UPLOAD_OBJECTS}{code}/{user_id}/{evidence_id}"


def evidence_reviewed_object(code: str, user_id: str, evidence_id: str, etag: str) -> str:
    """Named after the ETag of the upload it copies: two racing submits of one evidence copy to different keys, and
    the one recorded as submitted is never overwritten by the other."""
    return f"{REVIEWED_OBJECTS}{code}/{user_id}/{evidence_id}/{etag.strip(chr(34))}"


def account(user_id: str) -> dict[str, str]:
    return {"pk": f"{NATIONAL}USER#{user_id}", "sk": "ACCOUNT"}


def verification_request(user_id: str, state: str) -> dict[str, str]:
    """A started identity verification (R-BAS-4): its state, nonce and PKCE verifier, bound to the account that
    started it (national area, no personal data; expires in minutes)."""
    return {"pk": f"{NATIONAL}USER#{user_id}", "sk": f"{VERIFICATION_PREFIX}{state}"}


VERIFICATION_PREFIX = "VERIFICATION#"


def subject_claim(subject_hash: str) -> dict[str, str]:
    """One person, one account (R-BAS-4): the keyed hash of a verified card holder's subject and the account it
    belongs to. National area: no name, address or birth date (R-PRIV-1)."""
    return {"pk": f"{NATIONAL}SUBJECT#{subject_hash}", "sk": "SUBJECT"}


MATCH_PREFIX = "MATCH#"


def prelaunch_match(code: str, user_id: str, row_key: str) -> dict[str, str]:
    """A near match of a verified person and a pre-launch participation (R-ACT-5): offered to the person to confirm,
    in their partition of the organisation that uploaded it."""
    return {"pk": f"{ORG}{code}#{USER}{user_id}", "sk": f"{MATCH_PREFIX}{row_key}"}


def prelaunch_match_of_person(code: str, row_key: str) -> str:
    """registrations_by_user sort key of a near match (the person's list of offers: begins_with MATCH#)."""
    return f"{MATCH_PREFIX}{code}#{row_key}"


# --- premium registration (R-PRE-1..7) --------------------------------------------------------------------------

PREMIUM_APPLICATION_PREFIX = "PREMIUM#"
NOTICE_PREFIX = "NOTICE#"
PREMIUM_AUDIT_PREFIX = "AUDIT#"


def premium_application(code: str, user_id: str, application_id: str) -> dict[str, str]:
    """A premium application (R-PRE-5), in the person's partition of the organisation applied to: the judgement,
    the status the person follows, the staff decision. Its id is also its Step Functions execution's name."""
    return {"pk": f"{ORG}{code}#{USER}{user_id}", "sk": f"{PREMIUM_APPLICATION_PREFIX}{application_id}"}


def premium_application_of_person(code: str, applied_at: str, application_id: str) -> str:
    """registrations_by_user sort key of a premium application (the person's list: begins_with PREMIUM#, newest
    last)."""
    return f"{PREMIUM_APPLICATION_PREFIX}{applied_at}#{code}#{application_id}"


def notice(code: str, user_id: str, at: str, notice_id: str) -> dict[str, str]:
    """An in-app notice to the person (an application's outcome; later the schedules'), in their partition of the
    organisation it is about: withdrawal and account deletion take it with the person's other items there."""
    return {"pk": f"{ORG}{code}#{USER}{user_id}", "sk": f"{NOTICE_PREFIX}{at}#{notice_id}"}


def notice_of_person(code: str, at: str, notice_id: str) -> str:
    """registrations_by_user sort key of a notice (account deletion finds it there)."""
    return f"{NOTICE_PREFIX}{code}#{at}#{notice_id}"


def premium_audit(code: str, decided_at: str, application_id: str) -> dict[str, str]:
    """One decision on a premium application (who, when, what the judgement said): the organisation's audit trail,
    one partition per organisation and month (a few thousand decisions at most)."""
    return {"pk": f"{ORG}{code}#{PREMIUM_AUDIT_PREFIX}{decided_at[:7]}", "sk": f"{decided_at}#{application_id}"}


def premium_audit_of_person(code: str, decided_at: str, application_id: str) -> str:
    """registrations_by_user sort key of an audit entry naming the person (account deletion anonymises it)."""
    return f"{PREMIUM_AUDIT_PREFIX}{code}#{decided_at}#{application_id}"


# The inbox index: two sparse lists that share it (an overloaded GSI; one index added to the table, not two).
def notices_inbox(user_id: str) -> str:
    """A person's notices, newest first (inbox_sk: `<at>#<code>#<id>`)."""
    return f"NOTICES#{user_id}"


def approvals_inbox(code: str) -> str:
    """An organisation's premium applications waiting for a staff decision, oldest first (inbox_sk:
    `<applied_at>#<id>`); an application leaves it when decided."""
    return f"APPROVALS#{code}"


def idempotency(key: str) -> dict[str, str]:
    return {"pk": f"{NATIONAL}IDEMPOTENCY#{key}", "sk": "IDEMPOTENCY"}


JOINED_PARTITION = "JOINED"  # joined_organisations GSI: at most ~1,800 small items, read through a cache


# --- schedules (R-PRE-6, R-BAS-5): the sparse, write-sharded `due` index ------------------------------------------
# An item that something will fall due on carries the due index's keys: `due_pk = DUE#<anchor>#<day>#<shard>`, its
# anchor (shared.domain.schedules.Anchor) the date the schedules count from (a registration: its premium expiry; an
# account: its last app access, then its removal deadline once told). A daily job reads the partitions of one anchor day, one shard at a
# time, so a run reads the items that fall due and nothing else; millions falling due on one day spread over
# DUE_SHARDS partitions (no hot key), each worked through by its own queue messages.
DUE_SHARDS = 16
DUE_PREFIX = "DUE#"


def due_shard(user_id: str) -> int:
    """A stable spread of people over the shards (not Python's salted hash: every container must agree)."""
    from hashlib import blake2b

    return int.from_bytes(blake2b(user_id.encode(), digest_size=2).digest(), "big") % DUE_SHARDS


def due_partition(anchor: str, day: str, shard: int) -> str:
    return f"{DUE_PREFIX}{anchor}#{day}#{shard:02d}"


def due(anchor: str, day: str, user_id: str, code: str | None = None) -> dict[str, str]:
    """The due index's keys of an item: a registration's (with its organisation's code) or an account's."""
    return {"due_pk": due_partition(anchor, day, due_shard(user_id)), "due_sk": f"{code}#{user_id}" if code else user_id}


def schedule_run(job: str, day: str) -> dict[str, str]:
    """What a daily job has finished of one day (the shards done): a repeated or resumed run skips them. National
    area, no personal data; one small item per job and day."""
    return {"pk": f"{NATIONAL}SCHEDULE#{job}", "sk": day}


# --- statistics (R-STAT-1/2): the statistics area `STAT#…` (shared/logic/statistics.py) ----------------------------
# A scope is what one set of figures is about: `NAT` (the country), `PREF#<code>` (a prefecture's whole area: its own
# registrations and its municipalities'), `ORG#<code>` (one organisation's own). Each scope's counter is split over
# shards, each its own partition (a partition's write throughput is what a hot key exhausts), added up when read.

STAT_NATIONAL_SCOPE = "NAT"


def stat_area_scope(prefecture_code: str) -> str:
    return f"PREF#{prefecture_code}"


def stat_organisation_scope(code: str) -> str:
    return f"ORG#{code}"


def stat_counter(scope: str, shard: int) -> dict[str, str]:
    return {"pk": f"{STATISTICS}{scope}#{shard:02d}", "sk": "COUNTER"}


def stat_snapshot(scope: str, month: str) -> dict[str, str]:
    """A scope's figures at the end of a month (`YYYY-MM`): one partition per scope, a time series is one Query."""
    return {"pk": f"{STATISTICS}{scope}#MONTHS", "sk": f"MONTH#{month}"}


STAT_MONTH_PREFIX = "MONTH#"


def stat_membership(user_id: str) -> dict[str, str]:
    """The organisations where a person counts (codes only, no personal data): unique people (実人数) nationally and
    per prefecture. Deleted when the person counts nowhere."""
    return {"pk": f"{STATISTICS}PERSON#{user_id}", "sk": "MEMBERSHIP"}


def stat_event(event_id: str) -> dict[str, str]:
    """A stream record applied to the counters (its eventID): written with the counters, so a record delivered
    twice counts once. Expires (TTL) after the stream's 24 h retention."""
    return {"pk": f"{STATISTICS}EVENT#{event_id}", "sk": "EVENT"}


# The staff registrant export (R-PRIV-2): an organisation's exports in one partition of its own area, newest id last
# (ids sort by creation), and the Idempotency-Key requests that made them; the CSVs in the evidence bucket under
# EXPORT_OBJECTS (a lifecycle rule deletes them after 7 days; the items go by TTL at the same time).
EXPORT_PREFIX = "EXPORT#"
EXPORT_REQUEST_PREFIX = "EXPORT_REQUEST#"
EXPORT_OBJECTS = "exports/"


def exports_partition(code: str) -> str:
    return f"{ORG}{code}#EXPORTS"


def export(code: str, export_id: str) -> dict[str, str]:
    return {"pk": exports_partition(code), "sk": f"{EXPORT_PREFIX}{export_id}"}


def export_request(code: str, request_hash: str) -> dict[str, str]:
    """A POST's Idempotency-Key (hashed with the staff member's id): the export it made."""
    return {"pk": exports_partition(code), "sk": f"{EXPORT_REQUEST_PREFIX}{request_hash}"}


def export_object(code: str, export_id: str) -> str:
    return f"{EXPORT_OBJECTS}{code}/{export_id}.csv"
