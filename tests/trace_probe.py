"""Runs the routes that handle personal data with tracing ENABLED, as in Lambda, and prints every X-Ray entity the
SDK emitted as JSON lines (R-PRIV-1, R-PRIV-2). Started in a process of its own by
tests/handlers/test_traces_hold_no_personal_data.py: the Tracer decides at import whether it is enabled and what it
captures, and the test session imports every handler with tracing disabled.

Not a test module (no `test_` prefix): `python -m tests.trace_probe` prints `PERSONAL <json>` (the personal values
it sent) and `ENTITY <json>` lines."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# As in Lambda with active tracing: the runtime sets the task root, the function name and the trace header.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "TABLE_NAME": "furusato-trace",
        "POWERTOOLS_SERVICE_NAME": "furusato-trace",
        "POWERTOOLS_METRICS_NAMESPACE": "Furusato",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "ORGANISATION_CACHE_SECONDS": "0",
        "CHECKIN_KEYS_SECRET": "furusato-trace/checkin-signing-keys",
        "CHECKIN_VERIFY_KEYS_SECRET": "furusato-trace/checkin-verification-keys",
        "SECRET_CACHE_SECONDS": "0",
        "EVIDENCE_BUCKET": "furusato-trace-evidence",
        "VERIFIER_SECRET": "furusato-trace/verifier-keys",
        "VERIFIER_PROVIDER": json.dumps({
            "issuer": "https://provider.test", "authorization_endpoint": "https://provider.test/authorize",
            "token_endpoint": "https://provider.test/token", "jwks_uri": "https://provider.test/jwks",
            "client_id": "furusato-trace", "redirect_uri": "https://app.test/verification/callback",
        }),
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "trace-probe",
        "_X_AMZN_TRACE_ID": "Root=1-6750e0a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
)
for name in ("POWERTOOLS_TRACE_DISABLED", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(name, None)

from datetime import datetime, timedelta  # noqa: E402

import requests  # noqa: E402
from aws_xray_sdk.core import xray_recorder  # noqa: E402
from moto import mock_aws  # noqa: E402

from shared import clock  # noqa: E402
from shared.dal import aws  # noqa: E402
from shared.dal.evidence import create_evidence_bucket  # noqa: E402
from shared.dal.repository import Repository  # noqa: E402
from shared.dal.secrets import create_signing_keys_secret  # noqa: E402
from shared.dal.table import create_table  # noqa: E402

HIDA = "212172"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
# Distinctive values, so that finding one in a trace cannot be a coincidence.
PERSONAL = {
    "name": "飛騨トレース太郎",
    "postal_code": "509-4292",
    "address": "岐阜県飛騨市古川町本町２番２２号トレース荘",
    "birth_date": "1987-03-14",
    "email": "trace.probe.person@example.jp",
}
# What the card says in the verification (the development provider's form): distinctive too.
CARD = {"name": "飛騨トレース花子", "address": "岐阜県飛騨市古川町トレース通り1-1", "postal_code": "509-4225",
        "birthdate": "1979-09-19", "gender": "female"}
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
PHOTO = b"\xff\xd8\xff\xe0" + b"0" * 2000


class RecordingEmitter:
    """Stands in for the UDP emitter to the X-Ray daemon: keeps what would have been sent."""

    def __init__(self) -> None:
        self.entities: list[str] = []

    def send_entity(self, entity) -> None:
        self.entities.append(entity.serialize())

    def set_daemon_address(self, address) -> None:  # the SDK calls it when configured
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


def main() -> None:
    emitter = RecordingEmitter()
    xray_recorder.configure(emitter=emitter, sampling=False, context_missing="LOG_ERROR")
    # Importing after the environment is set: the Tracer is enabled and patches botocore, as in Lambda.
    from local.seed import seed
    from tests.handlers.conftest import _function, staff_claims

    with mock_aws():
        aws.reset()
        create_table(aws.client("dynamodb"), os.environ["TABLE_NAME"])
        create_signing_keys_secret(
            aws.client("secretsmanager"), os.environ["CHECKIN_KEYS_SECRET"], os.environ["CHECKIN_VERIFY_KEYS_SECRET"]
        )
        create_evidence_bucket(aws.client("s3"), os.environ["EVIDENCE_BUCKET"])
        seed(Repository(aws.client("dynamodb"), os.environ["TABLE_NAME"]))
        staff = staff_claims(HIDA)
        with _function("register") as register, _function("checkin") as checkin, _function("admin") as admin:
            clock.freeze(START - timedelta(days=2))
            body = {"name": "清掃活動", "kind": "project", "place": "飛騨市", "starts_at": START.isoformat(),
                    "ends_at": (START + timedelta(hours=2)).isoformat()}
            activity = admin("POST", "/activities", body=body, claims=staff).body
            person = {"organisation_code": HIDA, "answers": ANSWERS, "personal": {**PERSONAL, "gender": "other"}}
            calls = [
                register("POST", "/registrations", user="u1", body=person),
                register("GET", "/me/registrations", user="u1"),
                register("GET", f"/me/registrations/{HIDA}/card", user="u1"),
                admin("GET", "/registrants/u1", claims=staff),
                admin("GET", "/registrants/u1/records", claims=staff),
            ]
            clock.freeze(START + timedelta(days=1))
            upload = {"organisation_code": HIDA, "activity_id": activity["id"], "day": "2026-12-05",
                      "content_type": "image/jpeg", "size_bytes": len(PHOTO)}
            created = checkin("POST", "/me/evidence", user="u1", body=upload)
            calls.append(created)
            form = created.body["upload"]
            fields = {**form["fields"], "Content-Type": "image/jpeg"}
            requests.post(form["url"], data=fields, files={"file": ("photo.jpg", PHOTO)}, timeout=10)
            evidence_id = created.body["evidence"]["id"]
            calls.append(checkin("POST", f"/me/evidence/{HIDA}/{evidence_id}/submit", user="u1"))
            view = admin("GET", f"/evidence/u1/{evidence_id}", claims=staff)
            calls.append(view)
            for response in calls:
                if not 200 <= response.status < 300:
                    raise SystemExit(f"a probe call failed: {response.status} {response.body}")
            # Identity verification: the card's 4 info pass through the verify function (R-BAS-4).
            from local.oidc_provider import DevelopmentProvider
            from local.wsgi_http import WsgiHttp
            from shared import wiring
            from shared.dal.identity_provider import create_verifier_secret
            from tests.handlers.conftest import CardTap

            provider = DevelopmentProvider("https://provider.test")
            keys = create_verifier_secret(aws.client("secretsmanager"), os.environ["VERIFIER_SECRET"])
            provider.register_client("furusato-trace", keys.public_jwks(), ["https://app.test/verification/callback"])
            wiring.http = lambda: WsgiHttp(provider)
            with _function("verify") as verify:
                verified = CardTap(verify, provider)("u1", **CARD)
                if verified.status != 200:
                    raise SystemExit(f"the probe's verification failed: {verified.status} {verified.body}")
                calls.append(verify("GET", "/me/verification", user="u1"))
            calls.append(register("GET", f"/me/registrations/{HIDA}/card", user="u1"))
            calls.append(admin("GET", "/registrants/u1", claims=staff))
            for response in calls:
                if not 200 <= response.status < 300:
                    raise SystemExit(f"a probe call failed: {response.status} {response.body}")
            secrets = {**PERSONAL, **{f"card_{k}": v for k, v in CARD.items() if k != "gender"}, "upload_url_signature": form["fields"].get("x-amz-signature") or form["fields"].get("signature", ""),
                       "view_url": view.body["view_url"]}
        aws.reset()
    print("PERSONAL " + json.dumps(secrets, ensure_ascii=False))
    for entity in emitter.entities:
        print("ENTITY " + entity)


if __name__ == "__main__":
    main()
