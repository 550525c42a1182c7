"""End to end over HTTP: the local runtime (`python -m local`, as `make run` starts it) in its own process on free
ports, started once per test session and stopped after it."""

from __future__ import annotations

import pytest
import requests

from local.process import RuntimeDidNotStart, local_runtime


class Api:
    def __init__(self, base: str, moto: str, admin: str, banner: str = "") -> None:
        self.banner = banner  # the walk-through the runtime printed, as `make run` shows it
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
    try:
        with local_runtime() as runtime:
            yield Api(runtime.app, runtime.moto, runtime.admin, runtime.banner)
    except RuntimeDidNotStart as error:
        pytest.fail(str(error))
