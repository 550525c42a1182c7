"""Every name and tunable of the stack in one place. What the application defines (table keys and indexes, routes,
functions with their triggers and grants) is NOT repeated here: the constructs read it from `shared.dal.table`,
`shared.routes` and `shared.functions`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

ROOT = Path(__file__).resolve().parents[1]  # the repository root: bundling copies application code from here

# --- stack ---------------------------------------------------------------------------------------------------------
STACK_NAME = "Furusato"
REGION = "ap-northeast-1"  # national system for residents of Japan; every user is in Japan
TAGS = {"project": "furusato", "system": "furusato-resident-registration"}

# --- table ---------------------------------------------------------------------------------------------------------
TABLE_KEY_ALIAS = "alias/{stack}/table"  # per stack: a second stack (e.g. staging) in the account cannot collide

# --- evidence bucket (R-ACT-3) ---------------------------------------------------------------------------------------
# Submitted files (evidence/): a decision is made within weeks; a year and a month covers a premium renewal's look-back.
EVIDENCE_RETENTION_DAYS = 400
EVIDENCE_LOG_DAYS = 400
# Unsubmitted uploads (uploads/): S3 deletes them this many days after upload, rounded up to the next midnight UTC, so
# within 3 days; longer than the day an upload stays submittable (shared.domain.evidence.UPLOAD_OPEN_FOR).
EVIDENCE_UPLOAD_RETENTION_DAYS = 2
# A replaced or deleted object's previous versions: kept a day (versioning guards against an operator's mistake, not
# an archive: an erased file is gone within a day).
EVIDENCE_NONCURRENT_DAYS = 1

# --- functions -----------------------------------------------------------------------------------------------------
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64  # Graviton: ~20 % cheaper per GB-s; pure Python code, layer exists for arm64
MEMORY_MB = 1024  # also buys CPU: Powertools + pydantic import and the organisation catalogue load at cold start
TIMEOUT = Duration.seconds(10)  # well under API Gateway's 29 s; boto3 retries are short (shared/dal/aws.py)
# Functions with no API Gateway route that do more per invocation: the registrant export writes one part of at least
# 5 MiB (EXPORT_PART_BYTES, 8 MiB: ~400 list pages) per message. Under the work queues' visibility timeout (6 min).
TIMEOUTS = {"exports": Duration.minutes(5)}
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
LOG_LEVEL = "INFO"
METRICS_NAMESPACE = "Furusato"  # same as shared/observability.py
LIVE_ALIAS = "live"  # the alias every trigger invokes: the published version SnapStart snapshotted


def _pinned(package: str) -> str:
    """The version `requirements.txt` pins for `package`: the deployed layer carries the version tests run with."""
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}(?:\[[^\]]*\])?==([\w.]+)", text, flags=re.MULTILINE)
    if not match:
        raise LookupError(f"requirements.txt does not pin {package} with ==")
    return match.group(1)


# AWS's public "Powertools for AWS Lambda (Python) V3" layer (account 017000801446; ships Powertools with its extras,
# pydantic v2 and the X-Ray SDK; boto3 comes with the runtime). AWS publishes, per region, one public SSM parameter per
# release that holds that release's layer ARN:
#   /aws/service/powertools/python/<arch>/<python>/<version> -> arn:aws:lambda:<region>:017000801446:layer:
#                                                               AWSLambdaPowertoolsPythonV3-python312-arm64:<n>
# Resolving it at deploy time gives exactly the pinned release without guessing the layer number <n>.
POWERTOOLS_VERSION = _pinned("aws-lambda-powertools")
POWERTOOLS_LAYER_PARAMETER = f"/aws/service/powertools/python/{ARCHITECTURE.name}/{RUNTIME.name}/{POWERTOOLS_VERSION}"


# Pure-Python runtime dependencies that are NOT in the Powertools layer, installed into every function's bundle at
# synth time (pip from the venv: `--no-deps --only-binary=:all: --platform any --abi none`, so only pure wheels can
# resolve; no Docker). segno draws the check-in QR codes (shared/qr.py); openpyxl (+ et-xmlfile, its one
# dependency) reads the pre-launch Excel template (shared/domain/prelaunch.py); PyJWT makes and checks the verifier's
# JWTs (shared/dal/identity_provider.py; its EC/RSA algorithms use the layer's `cryptography`). The layer's [all]
# extra also ships a PyJWT (>=2.14,<3, not our pin): the bundle's comes first on sys.path (/var/task before /opt).
def _pinned_or_installed(package: str) -> str:
    """A transitive dependency requirements.txt does not pin: the version installed in the venv the tests run with."""
    try:
        return _pinned(package)
    except LookupError:
        return metadata.version(package)


PYJWT_REQUIREMENT = f"PyJWT=={_pinned('PyJWT')}"
BUNDLED_REQUIREMENTS = (
    f"segno=={_pinned('segno')}",
    f"openpyxl=={_pinned('openpyxl')}",
    f"et-xmlfile=={_pinned_or_installed('et-xmlfile')}",  # openpyxl's only dependency; not pinned in requirements.txt
    PYJWT_REQUIREMENT,
)


# A scheduled invocation that fails (throttled, or an error) is retried by EventBridge Scheduler this many times.
SCHEDULE_RETRY_ATTEMPTS = 2
# A work queue's message is one page of one shard (shared/logic/schedules.py PAGE_SIZES), sized to finish well inside
# TIMEOUT: one message per invocation.
QUEUE_BATCH_SIZE = 1
# The table's stream → functions with a TableStream trigger (statistics): a batch of at most this many records, a
# failing batch halved (bisect) and retried at most STREAM_RETRY_ATTEMPTS times, then its description goes to the
# dead-letter queue (kept STREAM_DLQ_RETENTION; ops/recount.py shows what it cost the figures).
STREAM_BATCH_SIZE = 100
STREAM_RETRY_ATTEMPTS = 10
STREAM_MAX_RECORD_AGE = Duration.hours(24)
STREAM_DLQ_RETENTION = Duration.days(14)

# --- check-in signing keys -----------------------------------------------------------------------------------------
SIGNING_KEYS_KEY_ALIAS = "alias/{stack}/checkin-signing-keys"
SIGNING_KEYS_DESCRIPTION = (
    "Furusato check-in token signing keys (JSON of shared.domain.checkin_token.SigningKeys: Ed25519 private keys; only "
    "admin reads them). Generated by the stack's bootstrap custom resource; rotated by an operator: python -m infra.signing_keys"
)
SIGNING_KEYS_BOOTSTRAP_HANDLER = "infra.custom_resources.signing_keys.lambda_handler"
SIGNING_KEYS_BOOTSTRAP_TIMEOUT = Duration.seconds(60)
SIGNING_KEYS_OUTPUT = "CheckinKeysSecretArn"  # the CLI finds the secrets through these stack outputs
VERIFICATION_KEYS_OUTPUT = "CheckinVerifyKeysSecretArn"
VERIFICATION_KEYS_DESCRIPTION = (
    "Furusato check-in token verification keys (JSON of shared.domain.checkin_token.VerificationKeys: the public "
    "halves of the signing keys; checkin verifies with them). Written with every key set: python -m infra.signing_keys"
)


# --- identity verification (R-BAS-4): the verifier's keys and its provider -----------------------------------------
VERIFIER_KEY_ALIAS = "alias/{stack}/verifier-keys"
VERIFIER_KEYS_DESCRIPTION = (
    "Furusato identity verification keys (JSON of shared.dal.identity_provider.VerifierKeys: the OpenID Connect "
    "client's EC P-256 private key and the subject-hash key; only verify reads them). Generated once by the stack's "
    "bootstrap custom resource; never regenerated (a new subject-hash key would let one card verify a second account)"
)
VERIFIER_JWKS_DESCRIPTION = (
    "Furusato identity verification client JWK Set (public: the client key registered with the provider). Written "
    "with the keys by the stack's bootstrap; the stack output VerifierClientJwks shows it"
)
VERIFIER_BOOTSTRAP_HANDLER = "infra.custom_resources.verifier.lambda_handler"
VERIFIER_BOOTSTRAP_TIMEOUT = Duration.seconds(60)
VERIFIER_JWKS_OUTPUT = "VerifierClientJwks"  # the operator registers it with the Digital Agency
VERIFIER_JWKS_ATTRIBUTE = "Jwks"  # the custom resource's response attribute the output reads
# How to reach the provider (shared.domain.verification.ProviderConfig, as JSON): cdk.json, or per deployment
# `cdk deploy -c verifier='{"issuer": ..., ...}'`. cdk.json holds placeholders until the Digital Agency registers the
# client; synthesis reports it (an info) while any value is one.
VERIFIER_CONTEXT = "verifier"


# --- premium workflow (R-PRE-5): the state machines, the sender identity, the approval keys -----------------------
# Each workflow of shared/workflows becomes the state machine "<stack>-<workflow>": a fixed name, so its ARN is known
# before the state machine exists (the functions that start or answer executions are built first; docs/decisions.md).
STATE_MACHINE_NAME = "{stack}-{workflow}"
# How e-mail is sent (SES): the domain verified as an SES identity (its DKIM records go into the domain's DNS) and the
# address messages come from (in that domain). cdk.json holds placeholders on example.jp until the real domain is
# known; synthesis reports it (an info) while it is one. `-c mail='{"domain": ..., "from": ...}'` per deployment.
MAIL_CONTEXT = "mail"
APPROVAL_KEY_ALIAS = "alias/{stack}/approval-keys"
APPROVAL_KEYS_DESCRIPTION = (
    "Furusato premium approval keys (JSON {\"key\": 64 random characters}, shared.dal.approval_keys: signs the approval "
    "links e-mailed to staff and the approval page's sessions). Generated by Secrets Manager when the stack creates it"
)
APPROVAL_KEY_LENGTH = 64


# --- APIs ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiSpec:
    """One REST API built from the routes of `shared.routes` whose `api` is `key`."""

    key: str  # Route.api
    construct_id: str
    rest_api_name: str
    description: str
    stage: str = "v1"
    rate_limit_rps: int = 1000  # stage-wide steady state; API Gateway answers 429 (THROTTLED) above it
    burst_limit: int = 2000
    waf_rate_limit_per_5_min: int = 3000  # requests per client IP per 5 minutes (WAF rate-based rule)
    binary_media_types: tuple[str, ...] = ()  # response types API Gateway returns as binary (Lambda base64-encodes)
    # The paths whose routes may be public (auth=False); None: any. A public route elsewhere fails synthesis.
    public_paths: frozenset[str] | None = None
    # The WAF common rule set blocks request bodies over 8 KB (SizeRestrictions_BODY); an API that takes file uploads
    # counts them instead (API Gateway's own 10 MB limit still applies).
    allows_large_bodies: bool = False


APP_API = ApiSpec(
    key="app",
    construct_id="AppApi",
    rest_api_name="furusato-app",
    description="ふるさと住民登録 app API (citizens' mobile app)",
    # Japanese mobile carriers put many subscribers behind one carrier-grade NAT address: deliberately generous;
    # tune it from the WAF metrics before lowering.
    waf_rate_limit_per_5_min=3000,
)
ADMIN_API = ApiSpec(
    key="admin",
    construct_id="AdminApi",
    rest_api_name="furusato-admin",
    description="ふるさと住民登録 admin API (municipal staff over LGWAN)",
    rate_limit_rps=100,  # a few thousand staff; rotating check-in codes are one request per device per minute
    burst_limit=200,
    # LGWAN reaches the internet through a few shared gateway addresses: every municipality's staff may arrive from
    # the same IP, so the per-IP limit is per gateway, not per person.
    waf_rate_limit_per_5_min=20_000,
    binary_media_types=(
        "image/png",  # GET .../checkin-code?format=png; the client must send Accept: image/png
        # POST /prelaunch-imports: the pre-launch template as the body (R-ACT-5). A CSV too: Excel writes Shift_JIS,
        # which API Gateway would mangle as text; as binary it reaches the function byte for byte.
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
        "text/tab-separated-values",
    ),
    allows_large_bodies=True,  # POST /prelaunch-imports: a template of up to 10,000 rows; staff-only and allow-listed
    # Every staff route needs the staff pool's ID token, but the approval page the e-mailed link opens (a browser
    # cannot send the token): the admin function verifies its own staff session there (docs/decisions.md).
    public_paths=frozenset({"/approval", "/approval/sign-in", "/approval/decision"}),
)
APIS = (APP_API, ADMIN_API)
# Source addresses allowed to call the admin API (its resource policy denies every other address): the LGWAN
# gateway ranges, set per deployment in cdk.json or `cdk deploy -c adminAllowedCidrs='["a.b.c.d/nn", ...]'`.
ADMIN_ALLOWED_CIDRS_CONTEXT = "adminAllowedCidrs"

PROBLEM_TYPE_BASE = "https://furusato.example.jp/problems/"  # same as shared/api/resolver.py
PROBLEM_CONTENT_TYPE = "application/problem+json"
MIN_COMPRESSION_BYTES = 1024  # organisation lists are large JSON; mobile clients send Accept-Encoding: gzip

# --- citizens' identity --------------------------------------------------------------------------------------------
CITIZEN_POOL_NAME = "furusato-citizens"
APP_CLIENT_NAME = "furusato-app"
PASSWORD_MIN_LENGTH = 12
VERIFICATION_EMAIL_SUBJECT = "【ふるさと住民登録】メールアドレスの確認コード"
VERIFICATION_EMAIL_BODY = (
    "ふるさと住民登録の確認コードは {####} です。"
    "このコードをアプリに入力してください。"
)

# --- staff identity (admin API) ------------------------------------------------------------------------------------
STAFF_POOL_NAME = "furusato-staff"
ADMIN_CLIENT_NAME = "furusato-admin"
# The staff member's organisation: `custom:lg_code` in the ID token (shared/api/staff.py), 全国地方公共団体コード.
STAFF_ORGANISATION_ATTRIBUTE = "lg_code"
STAFF_ORGANISATION_CODE_LENGTH = 6
STAFF_REFRESH_TOKEN_VALIDITY = Duration.hours(12)  # one working day: staff sign in (with MFA) again each day
STAFF_VERIFICATION_EMAIL_SUBJECT = "【ふるさと住民登録】管理画面 メールアドレスの確認コード"
STAFF_VERIFICATION_EMAIL_BODY = "ふるさと住民登録 管理画面の確認コードは {####} です。"
STAFF_INVITATION_SUBJECT = "【ふるさと住民登録】管理画面のアカウントが作成されました"
STAFF_INVITATION_BODY = (
    "ふるさと住民登録 管理画面のアカウントが作成されました。"
    "ユーザー名: {username} 仮パスワード: {####} "
    "初回ログイン時に、パスワードの変更と認証アプリ（ワンタイムパスワード）の登録が必要です。"
    "仮パスワードの有効期限は3日間です。"
)
