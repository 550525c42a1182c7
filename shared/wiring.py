"""Builds the services a function uses from its validated settings and the AWS clients. Each handler module keeps
what it builds in its own cache (`lru_cache` in the handler): one per container, like its module-level state."""

from __future__ import annotations

from .config import provider_config, settings
from .dal import aws
from .dal.activities import ActivityRepository
from .dal.repository import Repository
from .logic.access import AccessRecorder
from .logic.activities import ActivityService


def access_recorder() -> AccessRecorder:
    return AccessRecorder(Repository(aws.client("dynamodb"), settings().table_name))


def activity_service() -> ActivityService:
    """Signs codes where CHECKIN_KEYS_SECRET is set (admin), verifies scans where CHECKIN_VERIFY_KEYS_SECRET is
    (checkin); a function without either still records attendance entered by staff or from evidence."""
    from .dal.secrets import SigningKeyStore, VerificationKeyStore

    config = settings()  # checked at cold start (shared/config.py): each secret is set for the function granted it
    cache = config.secret_cache_seconds
    signing = SigningKeyStore(config.checkin_keys_secret, cache) if config.checkin_keys_secret else None
    verifying = VerificationKeyStore(config.checkin_verify_keys_secret, cache) if config.checkin_verify_keys_secret else None
    return ActivityService(ActivityRepository(aws.client("dynamodb"), config.table_name), signing, verifying)


def registration_service():
    from .logic.registration import RegistrationService

    config = settings()
    return RegistrationService(
        Repository(aws.client("dynamodb"), config.table_name),
        idempotency_ttl_seconds=config.idempotency_ttl_seconds,
        cache_seconds=config.organisation_cache_seconds,
    )


def prelaunch_importer():
    from .dal.prelaunch import PrelaunchRepository
    from .logic.prelaunch import PrelaunchImportService

    return PrelaunchImportService(PrelaunchRepository(aws.client("dynamodb"), settings().table_name))


def recruitment_service():
    from .dal.activities import ActivityRepository
    from .logic.recruitment import RecruitmentService

    config = settings()
    dynamodb = aws.client("dynamodb")
    return RecruitmentService(ActivityRepository(dynamodb, config.table_name), Repository(dynamodb, config.table_name))


def evidence_service():
    from .dal.activities import ActivityRepository
    from .dal.evidence import EvidenceFiles, EvidenceRepository
    from .logic.evidence import EvidenceService

    config = settings()  # checked at cold start (shared/config.py)
    dynamodb = aws.client("dynamodb")
    registrations = Repository(dynamodb, config.table_name)
    return EvidenceService(
        EvidenceRepository(dynamodb, config.table_name),
        EvidenceFiles(aws.client("s3"), config.evidence_bucket),
        ActivityRepository(dynamodb, config.table_name),
        activity_service(),
        is_registered=lambda code, user: code in registrations.get_registrations(user, [code]),
    )


def registrant_service():
    from .dal.activities import ActivityRepository
    from .dal.registrants import RegistrantRepository
    from .logic.registrants import RegistrantService

    config = settings()
    dynamodb = aws.client("dynamodb")
    return RegistrantService(
        Repository(dynamodb, config.table_name), ActivityRepository(dynamodb, config.table_name),
        RegistrantRepository(dynamodb, config.table_name),
    )


def account_service():
    from .dal.citizens import CitizenAccounts
    from .dal.evidence import EvidenceFiles
    from .dal.personal_data import PersonalDataEraser
    from .logic.account import AccountService

    config = settings()
    dynamodb = aws.client("dynamodb")
    return AccountService(
        Repository(dynamodb, config.table_name),
        PersonalDataEraser(dynamodb, config.table_name, EvidenceFiles(aws.client("s3"), config.evidence_bucket)),
        CitizenAccounts(aws.client("cognito-idp"), config.citizen_user_pool_id).delete,
        items_per_request=config.erasure_items_per_request,
    )


def verification_service():
    from .dal.identity_provider import OidcClient, VerifierKeyStore
    from .dal.prelaunch import PrelaunchRepository
    from .dal.verification import VerificationRepository
    from .logic.verification import VerificationService

    config = settings()  # checked at cold start: VERIFIER_SECRET and VERIFIER_PROVIDER are set for verify
    dynamodb = aws.client("dynamodb")
    return VerificationService(
        VerificationRepository(dynamodb, config.table_name),
        PrelaunchRepository(dynamodb, config.table_name),
        OidcClient(provider_config(), VerifierKeyStore(config.verifier_secret, config.secret_cache_seconds), http()),
    )


def http():
    """The HTTP client of outbound calls (the identity provider). The local runtime and tests may replace it."""
    from .dal.identity_provider import Urllib3Http

    return Urllib3Http()


def premium_settings_service():
    from .dal.premium_settings import PremiumSettingsRepository
    from .logic.premium_settings import PremiumSettingsService

    return PremiumSettingsService(PremiumSettingsRepository(aws.client("dynamodb"), settings().table_name))


def _premium_judge():
    from .dal.activities import ActivityRepository
    from .dal.premium import PremiumRepository
    from .dal.premium_settings import PremiumSettingsRepository
    from .logic.premium import PremiumJudge

    config = settings()
    dynamodb = aws.client("dynamodb")
    return PremiumJudge(
        PremiumRepository(dynamodb, config.table_name), Repository(dynamodb, config.table_name),
        ActivityRepository(dynamodb, config.table_name), PremiumSettingsRepository(dynamodb, config.table_name),
    )


def _workflow():
    from .dal.workflow import WorkflowClient

    return WorkflowClient(aws.client("stepfunctions"), settings().premium_state_machine)


def premium_applications():
    """renewal function: apply, follow, notices."""
    from .dal.premium import PremiumRepository
    from .logic.premium import PremiumApplications

    config = settings()
    dynamodb = aws.client("dynamodb")
    return PremiumApplications(
        PremiumRepository(dynamodb, config.table_name), Repository(dynamodb, config.table_name), _workflow(),
        approval_timeout_seconds=config.approval_timeout_seconds, renewal_window_days=config.renewal_window_days,
    )


def approval_keys():
    from .dal.approval_keys import ApprovalKeyStore

    config = settings()
    return ApprovalKeyStore(config.approval_secret, config.secret_cache_seconds)


def premium_workflow_tasks():
    """premium function: the state machine's tasks."""
    from .dal.mail import Mailer
    from .logic.premium import PremiumWorkflowTasks

    config = settings()
    return PremiumWorkflowTasks(
        _premium_judge(), Mailer(aws.client("sesv2"), config.mail_from), approval_keys().link_key,
        config.approval_base_url,
    )


def premium_decisions(keys=None):
    """admin function: the staff queue and decisions (and, where the approval keys are set, the e-mailed links)."""
    from .logic.premium import PremiumDecisions

    config = settings()
    if keys is None and config.approval_secret:
        keys = approval_keys()
    return PremiumDecisions(_premium_judge(), _workflow(), keys.link_key if keys else None)


def approval_desk():
    """admin function: the approval page (links, staff sign-in on the staff pool, sessions, decisions)."""
    import os

    from .dal.staff_sign_in import StaffSignIn
    from .logic.approval import ApprovalDesk

    config = settings()  # checked at cold start: APPROVAL_SECRET, STAFF_USER_POOL_ID, STAFF_CLIENT_ID are set for admin
    keys = approval_keys()
    # Locally AWS_ENDPOINT_URL is moto, which serves the pool's JWKS under its own address (as boto3 reads it).
    sign_in = StaffSignIn(aws.client("cognito-idp"), config.staff_user_pool_id, config.staff_client_id, http(),
                          endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
    return ApprovalDesk(premium_decisions(keys), sign_in, keys.session_key,
                        Repository(aws.client("dynamodb"), config.table_name))


def schedule_runner(function_name: str):
    """renewal and expiry functions: the daily schedules' runner with the jobs of `function_name`."""
    from .dal.mail import Mailer
    from .dal.premium import PremiumRepository
    from .dal.premium_settings import PremiumSettingsRepository
    from .dal.schedules import ScheduleRepository, WorkQueue
    from .domain.schedules import EXPIRY_JOBS, RENEWAL_JOBS, Timing
    from .logic import schedules

    config = settings()  # checked at cold start: the queue's URL and MAIL_FROM are set for both functions
    dynamodb = aws.client("dynamodb")
    registrations = Repository(dynamodb, config.table_name)
    store = ScheduleRepository(dynamodb, config.table_name)
    notifier = schedules.Notifier(PremiumRepository(dynamodb, config.table_name), Mailer(aws.client("sesv2"), config.mail_from))
    timing = Timing(reminder_days=config.premium_reminder_days, inactivity_years=config.inactivity_years,
                    notice_days=config.removal_notice_days)
    if function_name == "renewal":
        steps = {"premium_reminder": schedules.PremiumReminders(
            registrations, PremiumSettingsRepository(dynamodb, config.table_name), _premium_judge().assess,
            premium_applications().apply, notifier)}
        return schedules.ScheduleRunner(RENEWAL_JOBS, store, WorkQueue(aws.client("sqs"), config.renewal_queue_url),
                                        steps, timing)
    inactivity = schedules.Inactivity(registrations, store, notifier, _withdrawals(registrations).withdraw, timing)
    steps = {"premium_lapse": schedules.PremiumLapses(registrations, store, notifier),
             "inactivity_notice": inactivity.notice, "inactivity_removal": inactivity.removal}
    return schedules.ScheduleRunner(EXPIRY_JOBS, store, WorkQueue(aws.client("sqs"), config.expiry_queue_url), steps, timing)


def _withdrawals(registrations: Repository):
    """expiry function: the withdrawal of AccountService (the same erasure as DELETE /me/registrations/{code}),
    without account deletion: it never deletes a sign-in (no Cognito grant)."""
    from .dal.evidence import EvidenceFiles
    from .dal.personal_data import PersonalDataEraser
    from .logic.account import AccountService

    def no_sign_in_deletion(_: str) -> None:
        raise RuntimeError("the expiry function removes registrations, never a sign-in")

    config = settings()
    eraser = PersonalDataEraser(aws.client("dynamodb"), config.table_name, EvidenceFiles(aws.client("s3"), config.evidence_bucket))
    return AccountService(registrations, eraser, no_sign_in_deletion, items_per_request=config.erasure_items_per_request)


def statistics_repository():
    from .dal.statistics import StatisticsRepository

    return StatisticsRepository(aws.client("dynamodb"), settings().table_name)


def statistics_upkeep():
    from .logic.statistics import StatisticsUpkeep

    return StatisticsUpkeep(statistics_repository())


def statistics_snapshots():
    from .logic.statistics import Snapshots

    return Snapshots(statistics_repository())


def statistics_reader():
    from .logic.statistics import StatisticsReader

    return StatisticsReader(statistics_repository())


def _exports_parts():
    from .dal.exports import ExportFiles, ExportRepository
    from .dal.schedules import WorkQueue

    config = settings()  # checked at cold start: EXPORT_QUEUE_URL and EVIDENCE_BUCKET are set for admin and exports
    return (ExportRepository(aws.client("dynamodb"), config.table_name), ExportFiles(aws.client("s3"), config.evidence_bucket),
            WorkQueue(aws.client("sqs"), config.export_queue_url))


def export_service():
    """admin function: the staff registrant export (ask, follow, list)."""
    from .logic.exports import ExportService

    return ExportService(*_exports_parts())


def export_writer():
    """exports function: one step of an export per queue message."""
    from .logic.exports import ExportWriter

    return ExportWriter(*_exports_parts(), registrant_service(), part_bytes=settings().export_part_bytes)
