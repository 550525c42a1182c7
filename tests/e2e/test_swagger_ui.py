"""The local Swagger UI (/docs on both APIs) renders offline: headless Chromium loads the page with every network
request outside loopback failing, and Swagger UI must have built the operation list from /openapi.json."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from local import openapi

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def rendered_dom(url: str) -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium) when run as root")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}",
                # Offline as a newcomer without internet would be: any host but loopback fails to resolve.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000", "--dump-dom", url,
            ],
            capture_output=True, text=True, timeout=90,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("api_name", ["app", "admin"])
def test_swagger_ui_renders_every_operation_offline(api, api_name):
    base = api.base if api_name == "app" else api.admin
    dom = rendered_dom(base + "/docs")
    document = openapi.build(api_name)
    summaries = [operation["summary"] for ops in document["paths"].values() for operation in ops.values()]
    rendered_paths = set(re.findall(r'data-path="([^"]+)"', dom))
    assert rendered_paths == set(document["paths"]), "Swagger UI did not build the operation list"
    missing = [s for s in summaries if s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") not in dom]
    assert not missing, missing
