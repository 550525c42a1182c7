"""The walk-through `make run` prints runs as printed, in order, to a recorded check-in: the exact text the runtime
printed, pasted into bash (with curl and python3, as a newcomer's machine has them)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HIDA = "212172"
ROOT = Path(__file__).resolve().parents[2]


def pasted_commands(banner: str) -> str:
    """The indented lines of the "Try it" section, as a person selects and pastes them."""
    section = banner.split("Try it", 1)[1].split("\nOr run all of it", 1)[0]
    lines = [line.removeprefix("  ") for line in section.splitlines()[1:] if line.startswith("  ")]
    assert lines, banner
    return "\n".join(lines) + "\n"


def test_walkthrough_runs_as_printed_to_a_recorded_checkin(api):
    for tool in ("bash", "curl", "python3"):
        assert shutil.which(tool), f"{tool} is needed to run the walk-through"
    script = pasted_commands(api.banner)
    assert "<" not in script.replace("<<", ""), "a placeholder is left in the walk-through"
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run(
            ["bash", "-e", "-u", "-o", "pipefail", "-c", script], cwd=workdir, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
        with open(f"{workdir}/code.png", "rb") as png:
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    # Exactly one problem on the way: the bad case the walk-through shows on purpose.
    assert len(re.findall(r'"type":\s*"https://furusato\.example\.jp/problems/', result.stdout)) == 1, result.stdout
    assert "invalid-survey-answer" in result.stdout
    # Step 8: the premium application was judged by the state machine, with its reasons, and a notice came
    assert re.search(r'"status":\s*"ineligible"', result.stdout) and '"code":"resident"' in result.stdout.replace(" ", "")
    assert "premium_ineligible" in result.stdout

    token = api.sign_in("hanako@example.jp")
    records = api("GET", f"/me/records/{HIDA}", token).json()["records"]
    assert [r["activity_name"] for r in records if r["source"] == "qr_printed"] == ["雪下ろし"], records
    # Step 7: verified with the development provider (R-BAS-4, R-CARD-1).
    card = api("GET", f"/me/registrations/{HIDA}/card", token).json()
    assert (card["verified"], card["verified_label"]) == (True, "本人確認済み"), card


def test_walkthrough_has_no_step_without_a_command(api):
    section = api.banner.split("Try it", 1)[1].split("\nOr run all of it", 1)[0]
    steps = [block for block in section.split("\n\n") if block.strip().startswith("# ")]
    assert steps
    for step in steps:
        commands = [line for line in step.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert commands, f"a step without a command:\n{step}"


@pytest.fixture(autouse=True)
def _banner_printed(api):
    assert "Try it" in api.banner, "the runtime printed no walk-through"


def test_make_demo_walks_both_sides_to_a_recorded_checkin(api):
    """`make demo` (local/demo.py), the walk-through run for you, against the running runtime."""
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "local.demo", "--base", api.base, "--admin", api.admin],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert '"created": true' in result.stdout and "参加を記録しました" in result.stdout, result.stdout[-3000:]
    assert '"claimed_records": 1' in result.stdout and "本人確認済み" in result.stdout, result.stdout[-3000:]
