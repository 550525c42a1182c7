"""CDK app entry point (`cdk.json`: `.venv/bin/python -m infra.app`, run from the repository root).

`build_app` is shared by the CLI and the tests, and both read the feature flags from cdk.json, so the tests
synthesize exactly what `cdk synth` / `cdk deploy` do. cdk-nag's AwsSolutions pack runs on every synthesis: an
unacknowledged finding fails it, and the findings are written to <outdir>/policy-validation-report.json."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from . import constants
from .stack import FurusatoStack

CDK_JSON = constants.ROOT / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    return json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir, context=cdk_json_context())
    stack = FurusatoStack(
        app,
        constants.STACK_NAME,
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=constants.REGION),
        description=(
            "ふるさと住民登録 (Furusato Resident Registration): app and admin APIs, citizens' and staff identity, "
            "check-in signing keys, identity verification keys, premium workflow (state machine, e-mail, approval "
            "keys), table"
        ),
    )
    for key, value in constants.TAGS.items():
        Tags.of(stack).add(key, value)
    # Audit trail: acknowledged findings are also written into the template metadata (cdk_nag.rules_to_suppress).
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
    return app


if __name__ == "__main__":
    build_app().synth()
