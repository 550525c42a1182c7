"""The function list: every Lambda function, what invokes it (its triggers) and what it may do in AWS (its grants).

One definition, several readers: the CDK stack builds each function, its triggers and its role from it
(infra/components/functions.py), the local runtime's dispatcher knows every entry point and fires schedules from it
(local/dispatcher.py), each handler checks at cold start that the settings its grants need are present
(shared/config.py), and tests/handlers/test_least_privilege.py records every AWS call each function makes and
requires the recorded calls to equal the grants: no grant unused, none missing.

Adding a function: a folder `functions/<name>/handler.py` with `lambda_handler`, an entry here. Adding an AWS call:
its grant here, in the same change (the least-privilege test fails otherwise)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .dal.keys import AREAS, EXPORT_OBJECTS, REVIEWED_OBJECTS, UPLOAD_OBJECTS
from .dal.table import INDEXES
from .routes import ROUTES, Route
from .workflows import WORKFLOWS, Workflow

# --- triggers ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Http:
    """API Gateway (Lambda proxy): the function serves its routes in shared/routes.py (`Route.function == name`)."""


SCHEDULE_SOURCE = "furusato.schedule"
SCHEDULE_TIMEZONE = "Asia/Tokyo"  # every schedule reads its cron in Japan's time (no daylight saving time)


@dataclass(frozen=True)
class Schedule:
    """EventBridge Scheduler invokes the function. `cron` is EventBridge's six-field form
    `cron(minutes hours day-of-month month day-of-week year)`, read in Asia/Tokyo (SCHEDULE_TIMEZONE), not UTC:
    `cron(0 3 * * ? *)` is 03:00 in Japan every day."""

    name: str  # unique among schedules; the event names it, so one function can serve several
    cron: str
    description: str

    def __post_init__(self) -> None:
        if not (self.cron.startswith("cron(") and self.cron.endswith(")") and len(self.cron[5:-1].split()) == 6):
            raise ValueError(f"schedule {self.name!r}: {self.cron!r} is not cron(min hour dom month dow year)")

    def event(self, scheduled_time: str) -> dict[str, Any]:
        """What the function receives. Deployed, Scheduler fills `scheduled_time` from the placeholder
        `<aws.scheduler.scheduled-time>` (ISO 8601, UTC); locally the dispatcher passes the clock's time."""
        return {"source": SCHEDULE_SOURCE, "schedule": self.name, "scheduled_time": scheduled_time}

    def local_event(self, at: datetime) -> dict[str, Any]:
        return self.event(at.isoformat())


@dataclass(frozen=True)
class StateMachineTask:
    """A Task state of a state machine invokes the function (lambda:InvokeFunction by the state machine's role)."""

    state_machine: str
    state: str


@dataclass(frozen=True)
class TableStream:
    """The table's stream delivers changed items of these `type`s (an event source mapping with a filter)."""

    item_types: tuple[str, ...]


@dataclass(frozen=True)
class Queue:
    """An SQS queue's messages (an event source mapping; failed messages go to the queue's dead-letter queue)."""

    name: str


Trigger = Http | Schedule | StateMachineTask | TableStream | Queue

# --- resources and grants ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """Something the stack builds and functions call. `setting` is the environment variable that carries its name or
    ARN to the functions granted access to it (set by the stack, checked at cold start by shared/config.py)."""

    name: str
    service: str  # the IAM service prefix of its actions
    setting: str
    # Settings that come with the resource (not names of AWS resources): set by the stack for the same functions.
    companions: tuple[str, ...] = ()


TABLE = Resource("table", "dynamodb", "TABLE_NAME")
EVIDENCE_BUCKET = Resource("evidence-bucket", "s3", "EVIDENCE_BUCKET")
# The check-in keys (docs/decisions.md, "Check-in codes are signed with Ed25519"): the private signing keys, and their
# public halves, the only ones the internet-facing checkin function may read.
CHECKIN_SIGNING_KEYS = Resource("checkin-signing-keys", "secretsmanager", "CHECKIN_KEYS_SECRET")
CHECKIN_VERIFICATION_KEYS = Resource("checkin-verification-keys", "secretsmanager", "CHECKIN_VERIFY_KEYS_SECRET")
CITIZEN_USER_POOL = Resource("citizen-user-pool", "cognito-idp", "CITIZEN_USER_POOL_ID")
# Identity verification (R-BAS-4): the client's private key registered with the provider and the subject-hash key;
# VERIFIER_PROVIDER (issuer, endpoints, client id, redirect URI; JSON) comes with it.
VERIFIER_KEYS = Resource("verifier-keys", "secretsmanager", "VERIFIER_SECRET", companions=("VERIFIER_PROVIDER",))
# Premium registration (R-PRE-5): the state machine of shared/workflows/premium.asl.json (its ARN), the SES sender
# identity (MAIL_FROM: the address e-mails come from) and the approval keys (links e-mailed to staff, the approval
# page's sessions; APPROVAL_BASE_URL, where the admin API serves that page, comes with them).
PREMIUM_WORKFLOW = Resource("premium-workflow", "states", "PREMIUM_STATE_MACHINE")
MAIL = Resource("mail", "ses", "MAIL_FROM")
APPROVAL_KEYS = Resource("approval-keys", "secretsmanager", "APPROVAL_SECRET", companions=("APPROVAL_BASE_URL",))
# The daily schedules' work queues (R-PRE-6, R-BAS-5): a run sends one message per shard of the due index, each
# message's page sends the next (shared/logic/schedules.py). Each has a dead-letter queue (infra/components/queues.py).
RENEWAL_WORK = Resource("renewal-work", "sqs", "RENEWAL_QUEUE_URL")
EXPIRY_WORK = Resource("expiry-work", "sqs", "EXPIRY_QUEUE_URL")
# The staff registrant export (shared/logic/exports.py): admin queues an export's first step, each step sends the next.
EXPORT_WORK = Resource("export-work", "sqs", "EXPORT_QUEUE_URL")
QUEUES: tuple[Resource, ...] = (RENEWAL_WORK, EXPIRY_WORK, EXPORT_WORK)
RESOURCES: tuple[Resource, ...] = (
    TABLE, EVIDENCE_BUCKET, CHECKIN_SIGNING_KEYS, CHECKIN_VERIFICATION_KEYS, CITIZEN_USER_POOL, VERIFIER_KEYS,
    PREMIUM_WORKFLOW, MAIL, APPROVAL_KEYS, *QUEUES,
)

# Settings that name nothing the function is granted in IAM (Function.plain_settings): the stack sets their values for
# the functions that list them, and each is checked at cold start like a resource's.
# The staff user pool and its app client (the admin API's): the approval page signs staff in with InitiateAuth and
# RespondToAuthChallenge, public operations of the app client that IAM does not authorize (no grant), and verifies
# the ID token against the pool's JWKS (its public URL, derived from the pool id).
STAFF_SIGN_IN = ("STAFF_USER_POOL_ID", "STAFF_CLIENT_ID")

INDEX_SCOPE = "index/"


@dataclass(frozen=True)
class Grant:
    """IAM actions on one resource, scoped where the resource allows it:
    - the table: a key area of shared/dal/keys.py (`organisation`, `national`; IAM dynamodb:LeadingKeys on the area's
      prefix) or `index/<name>` (Query on that index only);
    - a bucket: an object key prefix (`evidence/`);
    - a secret: "" (the secret itself).
    TransactWriteItems has no IAM action of its own: each item is authorized as what it is (Put -> PutItem,
    Update -> UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem), in its own area."""

    resource: Resource
    actions: tuple[str, ...]
    scope: str = ""

    def __post_init__(self) -> None:
        if not self.actions or any(not a.startswith(f"{self.resource.service}:") or "*" in a for a in self.actions):
            raise ValueError(f"{self.resource.name}: actions must be explicit {self.resource.service}:<Action>: {self.actions}")
        if self.resource is TABLE and self.scope not in AREAS and self.scope.removeprefix(INDEX_SCOPE) not in {i.name for i in INDEXES}:
            raise ValueError(f"table grant scope {self.scope!r}: a key area {sorted(AREAS)} or index/<name>")


def table(area: str, *actions: str) -> Grant:
    return Grant(TABLE, tuple(sorted(actions)), area)


def index(name: str) -> Grant:
    return Grant(TABLE, ("dynamodb:Query",), f"{INDEX_SCOPE}{name}")


# --- the list ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    name: str  # folder under functions/; entry point functions.<name>.handler.lambda_handler
    triggers: tuple[Trigger, ...]
    grants: tuple[Grant, ...]
    plain_settings: tuple[str, ...] = ()  # settings beyond its resources' (e.g. STAFF_SIGN_IN)

    @property
    def entry_point(self) -> str:
        return f"functions.{self.name}.handler.lambda_handler"

    @property
    def settings(self) -> tuple[str, ...]:
        """The environment variables the function cannot start without: one per resource it is granted (and the
        resource's companions), and its plain settings."""
        granted = {s for g in self.grants for s in (g.resource.setting, *g.resource.companions)}
        return tuple(sorted(granted | set(self.plain_settings)))

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        return tuple(t for t in self.triggers if isinstance(t, Schedule))

    def serves_http(self) -> bool:
        return any(isinstance(t, Http) for t in self.triggers)


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "register",
        triggers=(Http(),),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # Repository._batch_get: organisation profiles + the user's registrations
                "dynamodb:ConditionCheckItem",  # ActivityRepository.apply: registered with the recruiting organisation
                "dynamodb:DeleteItem",  # withdraw_application (transaction Delete)
                "dynamodb:GetItem",  # ActivityRepository.get_activity (apply)
                "dynamodb:PutItem",  # create_registration, apply (transaction Put)
                "dynamodb:UpdateItem",  # registrations, applicant count (transactions)
            ),
            table(
                "national",
                "dynamodb:ConditionCheckItem",  # create_registration: the account is not deleted (DELETE /me)
                "dynamodb:GetItem",  # Repository.get_account: the card shows the account's verification (R-CARD-1)
                "dynamodb:PutItem",  # the idempotency record, in the registration transaction (shared/dal/idempotency.py)
                "dynamodb:UpdateItem",  # Repository.record_access (last app access, R-BAS-5)
            ),
            table(
                "statistics",
                "dynamodb:BatchGetItem",  # StatisticsRepository.current / snapshots: the national shards (R-STAT-2)
                "dynamodb:Query",  # StatisticsRepository.months: the national snapshots' months
            ),
            index("registrations_by_user"),  # registrations_of_user, applications_of_user, recruitment
            index("joined_organisations"),  # Repository.joined_organisation_codes
            index("open_recruitment"),  # ActivityRepository.open_activities (R-BAS-7)
        ),
    ),
    Function(
        "account",  # withdrawal and account deletion: the one function that may erase (docs/retention.md)
        triggers=(Http(),),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # Repository.get_registrations (the withdrawal's plan)
                "dynamodb:DeleteItem",  # PersonalDataEraser, delete_registrations (transaction Delete)
                "dynamodb:GetItem",  # an evidence item or a record before erasing it
                "dynamodb:PutItem",  # anonymous records (transaction Put)
                "dynamodb:Query",  # PersonalDataEraser.items_at: the person's partition at one organisation
                "dynamodb:UpdateItem",  # applicant counts, the prefecture's `via` (transactions)
            ),
            table(
                "national",
                "dynamodb:GetItem",  # Repository.get_account: deleted already?
                "dynamodb:PutItem",  # finish_account_deletion: the tombstone
                # PersonalDataEraser: erase_open_uploads, erase_subject_claim, erase_verification_requests
                "dynamodb:DeleteItem",
                "dynamodb:Query",  # PersonalDataEraser.erase_verification_requests: the account's partition
                "dynamodb:UpdateItem",  # begin_account_deletion; record_access (withdrawal)
            ),
            index("registrations_by_user"),  # PersonalDataEraser.items_of_person: everything a person owns
            Grant(
                EVIDENCE_BUCKET,
                (
                    "s3:DeleteObjectVersion",  # EvidenceFiles.delete_all: every version (DeleteObject with a VersionId)
                    "s3:ListBucketVersions",  # EvidenceFiles.delete_all: the versions of one evidence's files
                ),
                "uploads/",
            ),
            Grant(EVIDENCE_BUCKET, ("s3:DeleteObjectVersion", "s3:ListBucketVersions"), "evidence/"),  # reviewed copies
            Grant(CITIZEN_USER_POOL, ("cognito-idp:AdminDeleteUser",)),  # CitizenAccounts.delete (DELETE /me)
        ),
    ),
    Function(
        "verify",  # identity verification (R-BAS-4, R-PRE-3), claiming pre-launch participations (R-ACT-5)
        triggers=(Http(),),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # VerificationRepository.registrations_with_personal
                "dynamodb:DeleteItem",  # claim (transaction Delete of the unclaimed participation, the offer)
                "dynamodb:GetItem",  # get_offer
                "dynamodb:PutItem",  # claim (transaction Put of the records), offer
                "dynamodb:Query",  # PrelaunchRepository.unclaimed_of: one person's participations at one organisation
                "dynamodb:UpdateItem",  # write_verified_personal
            ),
            table(
                "national",
                "dynamodb:GetItem",  # get_verification (the account)
                "dynamodb:PutItem",  # put_pending; the subject claim (transaction Put)
                # take_pending (a state works once), the account's verification (transaction Update), record_access
                "dynamodb:UpdateItem",
            ),
            index("registrations_by_user"),  # registered_codes, offers_of_user
            Grant(VERIFIER_KEYS, ("secretsmanager:GetSecretValue",)),  # VerifierKeyStore: client assertion, subject hash
        ),
    ),
    Function(
        # premium on the app API (R-PRE-5, R-PRE-6): apply, follow applications, notices; and the daily renewal
        # schedule: reminders, renewal by the system's judgement (shared/logic/schedules.py)
        "renewal",
        triggers=(
            Http(),
            Schedule("renewal", "cron(0 3 * * ? *)", "Premium reminders and automatic renewals (R-PRE-6), 03:00 JST"),
            Queue(RENEWAL_WORK.name),
        ),
        grants=(
            table(
                "organisation",
                # Repository.get_registrations (the registration applied with, reminded of); activity kinds (judge)
                "dynamodb:BatchGetItem",
                "dynamodb:GetItem",  # PremiumRepository.get (an application), PremiumSettingsRepository.get
                "dynamodb:PutItem",  # PremiumRepository.create (transaction Put of the application), put_notice
                "dynamodb:Query",  # PremiumJudge._records: the person's records (automatic renewal)
                # PremiumRepository.create (transaction Update: the registration's open mark), mark_emailed
                "dynamodb:UpdateItem",
            ),
            table(
                "national",
                "dynamodb:BatchGetItem",  # ScheduleRepository.done_shards: the run records
                "dynamodb:GetItem",  # PremiumJudge.assess: the account's verification (automatic renewal)
                "dynamodb:UpdateItem",  # AccessRecorder: last app access (R-BAS-5); ScheduleRepository.mark_done
            ),
            index("registrations_by_user"),  # PremiumRepository.applications_of_user, PremiumJudge._expiries
            index("inbox"),  # PremiumRepository.notices_of_user
            index("due"),  # ScheduleRepository.due_page: premium ending in PREMIUM_REMINDER_DAYS
            Grant(PREMIUM_WORKFLOW, ("states:StartExecution",)),  # WorkflowClient.start (named after the application)
            Grant(MAIL, ("ses:SendRawEmail",)),  # Notifier: the reminder by e-mail
            Grant(RENEWAL_WORK, ("sqs:SendMessage",)),  # WorkQueue.send (SendMessageBatch is authorized as SendMessage)
        ),
    ),
    Function(
        # the daily expiry schedule (R-PRE-6, R-BAS-5): premium lapses, inactivity notices and removals. Removal goes
        # through the withdrawal (AccountService.withdraw), hence the account function's erasure grants.
        "expiry",
        triggers=(
            Schedule("expiry", "cron(30 3 * * ? *)", "Premium lapses and inactive registrations (R-PRE-6, R-BAS-5), 03:30 JST"),
            Queue(EXPIRY_WORK.name),
        ),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # Repository.get_registrations
                "dynamodb:DeleteItem",  # the withdrawal: PersonalDataEraser, delete_registrations
                "dynamodb:GetItem",  # the withdrawal: an evidence item or a record before erasing it
                "dynamodb:PutItem",  # put_notice; the withdrawal's anonymous records
                "dynamodb:Query",  # the withdrawal: the person's partition at one organisation
                "dynamodb:UpdateItem",  # ScheduleRepository.lapse, mark_emailed; the withdrawal's counts and `via`
            ),
            table(
                "national",
                "dynamodb:BatchGetItem",  # ScheduleRepository.done_shards
                "dynamodb:GetItem",  # Repository.get_account
                "dynamodb:UpdateItem",  # mark_done, tell_of_removal, removal_done
            ),
            index("registrations_by_user"),  # the person's registrations; the withdrawal's items of the person
            index("due"),  # ScheduleRepository.due_page
            Grant(EVIDENCE_BUCKET, ("s3:DeleteObjectVersion", "s3:ListBucketVersions"), "uploads/"),  # the withdrawal
            Grant(EVIDENCE_BUCKET, ("s3:DeleteObjectVersion", "s3:ListBucketVersions"), "evidence/"),  # the withdrawal
            Grant(MAIL, ("ses:SendRawEmail",)),  # Notifier: lapses, inactivity notices, removals by e-mail
            Grant(EXPIRY_WORK, ("sqs:SendMessage",)),  # WorkQueue.send
        ),
    ),
    Function(
        "premium",  # the premium workflow's tasks (shared/workflows/premium.asl.json): no HTTP route
        triggers=tuple(StateMachineTask("premium", state) for state in ("Judge", "AwaitStaff", "Unanswered", "Notify", "Failed")),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # the person's registrations (expiries), the activities' kinds
                "dynamodb:GetItem",  # the application, the premium settings
                "dynamodb:PutItem",  # notices; the audit entry of an automatic approval (transaction Put)
                "dynamodb:Query",  # the person's records at the organisation (ActivityRepository.records_of_user)
                "dynamodb:UpdateItem",  # the application, the registration (transactions)
            ),
            table(
                "national",
                "dynamodb:GetItem",  # the account: verification (R-PRE-3), the premium guard
                "dynamodb:UpdateItem",  # the premium guard of an automatic approval (transaction Update)
            ),
            index("registrations_by_user"),  # the person's registrations (PremiumJudge._expiries)
            # Mailer.send: approval requests to staff, outcomes to the person. SESv2 SendEmail with Content.Raw (our
            # own MIME) is authorized as ses:SendRawEmail, not ses:SendEmail (tests/aws_calls.py records it so).
            Grant(MAIL, ("ses:SendRawEmail",)),
            Grant(APPROVAL_KEYS, ("secretsmanager:GetSecretValue",)),  # ApprovalKeyStore: signs approval links
        ),
    ),
    Function(
        "checkin",
        triggers=(Http(),),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # ActivityRepository.activity_names (my records, a check-in's confirmation)
                "dynamodb:ConditionCheckItem",  # record_attendance: activity running, registration exists
                "dynamodb:GetItem",  # ActivityRepository.get_activity (why a check-in was refused); evidence
                "dynamodb:PutItem",  # record_attendance (transaction Put of the records); evidence
                "dynamodb:Query",  # records_of_user, EvidenceRepository.of_user: the person's partition
                "dynamodb:UpdateItem",  # EvidenceRepository.mark_submitted
            ),
            table(
                "national",
                "dynamodb:GetItem",  # EvidenceRepository.open_uploads (the cap on open uploads)
                # AccessRecorder / the check-in transaction: last app access (R-BAS-5); the open uploads (evidence
                # start and submit transactions)
                "dynamodb:UpdateItem",
            ),
            Grant(CHECKIN_VERIFICATION_KEYS, ("secretsmanager:GetSecretValue",)),  # VerificationKeyStore: verifies scans
            Grant(
                EVIDENCE_BUCKET,
                (
                    "s3:DeleteObject",  # EvidenceFiles.discard_upload, once copied for review
                    # EvidenceFiles.uploaded (HeadObject is authorized as GetObject, and the ranged GET of the first
                    # bytes), keep_for_review (CopyObject reads its source)
                    "s3:GetObject",
                    "s3:PutObject",  # EvidenceFiles.upload_form (the presigned POST the app uploads with)
                ),
                UPLOAD_OBJECTS,
            ),
            Grant(EVIDENCE_BUCKET, ("s3:PutObject",), REVIEWED_OBJECTS),  # EvidenceFiles.keep_for_review (the copy)
        ),
    ),
    Function(
        "admin",
        triggers=(Http(),),
        grants=(
            table(
                "organisation",
                "dynamodb:BatchGetItem",  # PrelaunchRepository: which rows of an upload exist already; activity_names
                "dynamodb:BatchWriteItem",  # PrelaunchRepository.store_new (R-ACT-5)
                "dynamodb:ConditionCheckItem",  # ActivityRepository.record_attendance (staff entry)
                "dynamodb:GetItem",  # ActivityRepository.get_activity, registrations, evidence, PremiumSettingsRepository.get
                "dynamodb:PutItem",  # create_activity, record_attendance (transaction Put)
                "dynamodb:Query",  # list_activities (ORG#<code>, ACTIVITY#), a registrant's records
                # replace_activity (edit, cancel), decide_application, evidence decisions, PremiumSettingsRepository.save
                "dynamodb:UpdateItem",
            ),
            table(
                "statistics",
                "dynamodb:BatchGetItem",  # StatisticsRepository.current / snapshots: the organisation's shards
                "dynamodb:Query",  # StatisticsRepository.months: its snapshots' months
            ),
            index("records_by_activity"),  # ActivityRepository.records_of_activity
            index("applications_by_activity"),  # ActivityRepository.applications_of_activity (R-BAS-7)
            index("evidence_to_review"),  # EvidenceRepository.to_review (R-ACT-3)
            index("inbox"),  # PremiumRepository.waiting_for_staff (R-PRE-5)
            index("registrations_by_user"),  # PremiumJudge._expiries: the applicant's premium organisations (R-PRE-4)
            index("registrants"),  # RegistrantRepository.page: the staff registrant list (R-PRIV-2, R-ORG-3)
            table(
                "national",
                "dynamodb:GetItem",  # PremiumRepository.premium_guard
                "dynamodb:UpdateItem",  # the premium guard of an approval (transaction Update)
            ),
            Grant(PREMIUM_WORKFLOW, ("states:SendTaskSuccess",)),  # WorkflowClient.resume: the decision's execution
            Grant(CHECKIN_SIGNING_KEYS, ("secretsmanager:GetSecretValue",)),  # SigningKeyStore: signs check-in codes (only here)
            Grant(EVIDENCE_BUCKET, ("s3:GetObject",), REVIEWED_OBJECTS),  # EvidenceFiles.view_url (presigned GET)
            Grant(EVIDENCE_BUCKET, ("s3:GetObject",), EXPORT_OBJECTS),  # ExportFiles.link: a done export (presigned GET)
            Grant(EXPORT_WORK, ("sqs:SendMessage",)),  # ExportService.create: an export's first step (WorkQueue.send)
            # ApprovalKeyStore: the approval page verifies the e-mailed links (link key) and signs and verifies its
            # staff sessions and forms (session key); APPROVAL_BASE_URL comes with it (the page's path, for cookies
            # and forms)
            Grant(APPROVAL_KEYS, ("secretsmanager:GetSecretValue",)),
        ),
        plain_settings=STAFF_SIGN_IN,  # the approval page's staff sign-in
    ),
)


STATS = Function(
    "stats",  # 関係人口 statistics (R-STAT-1/2): counters kept from the table's stream, month-end snapshots
    triggers=(
        TableStream(item_types=("Registration", "ActivityRecord", "AnonymousRecord")),  # domain.statistics.COUNTED_TYPES
        Schedule("statistics-snapshot", "cron(5 0 1 * ? *)", "Month-end snapshot of the 関係人口 statistics"),
    ),
    grants=(
        table(
            "statistics",
            "dynamodb:BatchGetItem",  # Snapshots.take: every scope's shards
            "dynamodb:BatchWriteItem",  # StatisticsRepository.save_snapshots
            "dynamodb:DeleteItem",  # the membership of a person who counts nowhere any more (transaction Delete)
            "dynamodb:GetItem",  # StatisticsRepository.membership
            "dynamodb:PutItem",  # the event marker, the membership (transaction Put)
            "dynamodb:UpdateItem",  # the counters (transaction Update, ADD)
        ),
    ),
)
FUNCTIONS = (*FUNCTIONS, STATS)

EXPORTS = Function(
    "exports",  # the staff registrant export's steps (shared/logic/exports.py): no HTTP route
    triggers=(Queue(EXPORT_WORK.name),),
    grants=(
        table(
            "organisation",
            "dynamodb:BatchGetItem",  # RegistrantRepository.personal_data: a page's personal data
            "dynamodb:GetItem",  # ExportRepository.job: the export item
            "dynamodb:UpdateItem",  # ExportRepository.start, record_part, finish, fail (conditional on the part)
        ),
        index("registrants"),  # RegistrantRepository.page: the list's pages
        # ExportFiles: CreateMultipartUpload, UploadPart and CompleteMultipartUpload are authorized as s3:PutObject;
        # AbortMultipartUpload (a failed export, a lost race for the upload) as itself
        Grant(EVIDENCE_BUCKET, ("s3:AbortMultipartUpload", "s3:PutObject"), EXPORT_OBJECTS),
        Grant(EXPORT_WORK, ("sqs:SendMessage",)),  # ExportWriter: the next step
    ),
)
FUNCTIONS = (*FUNCTIONS, EXPORTS)


def function(name: str, functions: Iterable[Function] = FUNCTIONS) -> Function:
    for candidate in functions:
        if candidate.name == name:
            return candidate
    raise LookupError(f"no function {name!r} in shared/functions.py")


def problems(
    functions: tuple[Function, ...] = FUNCTIONS,
    routes: tuple[Route, ...] = ROUTES,
    workflows: tuple[Workflow, ...] = WORKFLOWS,
) -> list[str]:
    """What makes the list inconsistent (the stack refuses to build it; a test requires none)."""
    found: list[str] = []
    names = [f.name for f in functions]
    found += [f"function {n!r} declared twice" for n in sorted({n for n in names if names.count(n) > 1})]
    schedules = [s.name for f in functions for s in f.schedules]
    found += [f"schedule {n!r} declared twice" for n in sorted({n for n in schedules if schedules.count(n) > 1})]
    with_routes = {r.function for r in routes}
    for f in functions:
        if not f.triggers:
            found.append(f"function {f.name!r} has no trigger: nothing would ever invoke it")
        if f.serves_http() and f.name not in with_routes:
            found.append(f"function {f.name!r} has an Http trigger but no route in shared/routes.py")
    queues = {q.name for q in QUEUES}
    consumers = [t.name for f in functions for t in f.triggers if isinstance(t, Queue)]
    found += [f"queue {n!r} has no resource in QUEUES" for n in sorted(set(consumers) - queues)]
    found += [f"queue {n!r} is consumed by two functions" for n in sorted({n for n in consumers if consumers.count(n) > 1})]
    http = {f.name for f in functions if f.serves_http()}
    found += [f"routes of {n!r}, which is not a function with an Http trigger" for n in sorted(with_routes - http)]
    return found + workflow_problems(functions, workflows)


def workflow_problems(
    functions: tuple[Function, ...] = FUNCTIONS, workflows: tuple[Workflow, ...] = WORKFLOWS
) -> list[str]:
    """The state machines' Task states (shared/workflows/*.asl.json) against the functions' StateMachineTask triggers:
    each trigger names a Task state of its workflow that invokes that very function, and each Task state's function
    declares it. The stack derives the state machine role's lambda:InvokeFunction from the Task states; a trigger
    without its Task (or a Task without its trigger) means the list and the definition tell different stories."""
    found: list[str] = []
    names = {f.name for f in functions}
    tasks: dict[str, dict[str, str]] = {}
    for workflow in workflows:
        if workflow.placeholders() != set(workflow.substitutions):
            found.append(
                f"workflow {workflow.name!r}: placeholders {sorted(workflow.placeholders())} of {workflow.path.name} "
                f"are not its substitutions {sorted(workflow.substitutions)}"
            )
        try:
            tasks[workflow.name] = workflow.task_functions()
        except (AttributeError, KeyError, TypeError) as error:
            found.append(
                f"workflow {workflow.name!r}: a Task's FunctionName is not one of its placeholders ({error!r})"
            )
            tasks[workflow.name] = {}  # its triggers are then reported as naming no Task of it
            continue
        found += [
            f"workflow {workflow.name!r} invokes {f!r}, which is not a function of the list"
            for f in sorted(set(workflow.substitutions.values()) - names)
        ]
    declared = {
        (t.state_machine, t.state): f.name for f in functions for t in f.triggers if isinstance(t, StateMachineTask)
    }
    for f in functions:
        for trigger in f.triggers:
            if not isinstance(trigger, StateMachineTask):
                continue
            if trigger.state_machine not in tasks:
                found.append(f"function {f.name!r}: {trigger} names no workflow of shared/workflows")
            elif tasks[trigger.state_machine].get(trigger.state) != f.name:
                found.append(
                    f"function {f.name!r}: {trigger} is not a Task state of {trigger.state_machine!r} that invokes it"
                )
    for workflow_name, states in tasks.items():
        for state, function_name in states.items():
            if declared.get((workflow_name, state)) != function_name:
                found.append(
                    f"workflow {workflow_name!r}: Task {state!r} invokes {function_name!r}, which does not declare "
                    f"StateMachineTask({workflow_name!r}, {state!r})"
                )
    return found
