"""End to end over HTTP: the local runtime (`python -m local`, as `make run` starts it) in its own process on free
ports, started once per test session and stopped after it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


class Api:
    def __init__(self, base: str, moto: str, admin: str) -> None:
        self.base = base
        self.moto = moto
        self.admin = admin
        self.http = requests.Session()

    def __call__(self, method: str, path: str, token: str | None = None, base: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = token
        return self.http.request(method, (base or self.base) + path, headers=headers, timeout=30, **kwargs)

    def admin_call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self(method, path, token, base=self.admin, **kwargs)

    def staff_sign_in(self, organisation_code: str, role: str = "editor") -> str:
        email = f"{role}@{organisation_code}.example.lg.jp"
        body = {"email": email, "password": "Staff-Passw0rd!", "organisation_code": organisation_code, "role": role}
        response = self("POST", "/local/sign-in", base=self.admin, json=body)
        assert response.status_code == 200, response.text
        return response.json()["id_token"]

    def sign_in(self, email: str, password: str = "Furusato-2026") -> str:
        response = self("POST", "/local/sign-in", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["id_token"]


@pytest.fixture(scope="session")
def api():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "POWERTOOLS_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 60
    lines = []
    base = admin = moto = None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("READY "):
            parts = line.split()
            base, admin, moto = parts[1], parts[2].removeprefix("admin="), parts[3].removeprefix("moto=")
            break
    if base is None:
        process.kill()
        pytest.fail("local runtime did not start:\n" + "".join(lines))
    # Keep draining its output so the runtime never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    yield Api(base, moto, admin)
    process.terminate()
    process.wait(timeout=10)
