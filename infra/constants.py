"""Every name and tunable of the stack in one place. What the application defines (table keys and indexes, routes,
functions) is NOT repeated here: the constructs read it from `shared.dal.table` and `shared.routes`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, aws_lambda as lambda_, aws_logs as logs

ROOT = Path(__file__).resolve().parents[1]  # the repository root: bundling copies application code from here

# --- stack ---------------------------------------------------------------------------------------------------------
STACK_NAME = "Furusato"
REGION = "ap-northeast-1"  # national system for residents of Japan; every user is in Japan
TAGS = {"project": "furusato", "system": "furusato-resident-registration"}

# --- table ---------------------------------------------------------------------------------------------------------
TABLE_KEY_ALIAS = "alias/{stack}/table"  # per stack: a second stack (e.g. staging) in the account cannot collide

# --- functions -----------------------------------------------------------------------------------------------------
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64  # Graviton: ~20 % cheaper per GB-s; pure Python code, layer exists for arm64
MEMORY_MB = 1024  # also buys CPU: Powertools + pydantic import and the organisation catalogue load at cold start
TIMEOUT = Duration.seconds(10)  # well under API Gateway's 29 s; boto3 retries are short (shared/dal/aws.py)
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
LOG_LEVEL = "INFO"
METRICS_NAMESPACE = "Furusato"  # same as shared/observability.py
HANDLER = "functions.{name}.handler.lambda_handler"


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


APP_API = ApiSpec(
    key="app",
    construct_id="AppApi",
    rest_api_name="furusato-app",
    description="ふるさと住民登録 app API (citizens' mobile app)",
)
# The admin API (municipal staff, its own staff user pool, resource-policy IP allow-list standing in for LGWAN) is a
# later issue: it adds an ApiSpec here and one RouteApi in stack.py; until then an admin route fails synthesis.

PROBLEM_TYPE_BASE = "https://furusato.example.jp/problems/"  # same as shared/api/resolver.py
PROBLEM_CONTENT_TYPE = "application/problem+json"
MIN_COMPRESSION_BYTES = 1024  # organisation lists are large JSON; mobile clients send Accept-Encoding: gzip

# --- WAF -----------------------------------------------------------------------------------------------------------
# Requests per client IP per 5 minutes. Japanese mobile carriers put many subscribers behind one carrier-grade NAT
# address, so this is deliberately generous; tune it from the WAF metrics before lowering.
WAF_RATE_LIMIT_PER_5_MIN = 3000

# --- citizens' identity --------------------------------------------------------------------------------------------
CITIZEN_POOL_NAME = "furusato-citizens"
APP_CLIENT_NAME = "furusato-app"
PASSWORD_MIN_LENGTH = 12
VERIFICATION_EMAIL_SUBJECT = "【ふるさと住民登録】メールアドレスの確認コード"
VERIFICATION_EMAIL_BODY = (
    "ふるさと住民登録の確認コードは {####} です。"
    "このコードをアプリに入力してください。"
)
