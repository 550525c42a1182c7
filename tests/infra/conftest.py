"""The CDK app is synthesized once per test session (~10 s), into pytest's temporary directory (never the repo).

Under pytest-xdist (`make test` runs `-n 2`) the workers share one synthesis: the first worker to take the lock
synthesizes into the session's shared temp directory, the others wait and read the same cloud assembly."""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

STACK = "Furusato"


@dataclass
class Synth:
    outdir: Path
    seconds: float
    template: dict[str, Any] = field(init=False)
    report: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.template = json.loads((self.outdir / f"{STACK}.template.json").read_text(encoding="utf-8"))
        self.report = json.loads((self.outdir / "validation-report.json").read_text(encoding="utf-8"))

    @property
    def assertions(self) -> Template:
        return Template.from_json(self.template)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == cfn_type}


def _violations(outdir: Path) -> str:
    try:
        report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return "\n".join(
        f"{violation['ruleName']} ({violation['severity']}): {c['constructPath']}"
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for c in violation.get("violatingConstructs", [])
    )


def _synthesize(outdir: Path) -> float:
    from infra.app import build_app  # imported here: jsii starts its node process on import

    started = time.perf_counter()
    build_app(str(outdir)).synth()
    return time.perf_counter() - started


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by every worker of this session
    outdir, done, failed = base / "cdk.out", base / "cdk.synth-seconds", base / "cdk.synth-failed"
    with open(base / "cdk.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists() and not failed.exists():
            try:
                done.write_text(str(_synthesize(outdir)))
            except Exception as error:  # cdk-nag findings or a construct error: every test reports it
                failed.write_text(f"{type(error).__name__}: {error}\n{_violations(outdir)}")
    if failed.exists():
        pytest.fail(f"CDK synthesis failed:\n{failed.read_text()}", pytrace=False)
    return Synth(outdir=outdir, seconds=float(done.read_text()))
