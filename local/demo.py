"""`make demo`: walk through basic registration against a running local runtime (`make run` in another terminal),
printing each request and its answer."""

from __future__ import annotations

import argparse
import json
import sys
import uuid

import requests

ANSWERS = {"relationship": ["birthplace", "type2_regular_visits"], "interests": ["local_news"], "own_fan_club": "member"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:3000")
    base = parser.parse_args().base
    http = requests.Session()

    def call(method: str, path: str, token: str | None = None, **kwargs) -> dict:
        headers = {"Authorization": token} if token else {}
        headers.update(kwargs.pop("headers", {}))
        response = http.request(method, base + path, headers=headers, timeout=30, **kwargs)
        print(f"\n$ {method} {path}" + (f"  {json.dumps(kwargs['json'], ensure_ascii=False)}" if "json" in kwargs else ""))
        print(f"{response.status_code} {json.dumps(response.json(), ensure_ascii=False, indent=2)[:1500]}")
        return response.json()

    try:
        http.get(base + "/local/health", timeout=5).raise_for_status()
    except requests.RequestException:
        sys.exit(f"no local runtime at {base}: start it with `make run` first")
    call("GET", "/organisations", params={"q": "気仙沼"})
    call("GET", "/organisations/042056")
    email = f"demo-{uuid.uuid4().hex[:8]}@example.jp"
    token = call("POST", "/local/sign-in", json={"email": email, "password": "Furusato-2026"})["id_token"]
    body = {"organisation_code": "042056", "answers": ANSWERS, "personal": {"postal_code": "100-0001"}}
    call("POST", "/registrations", token, json=body, headers={"Idempotency-Key": "demo"})
    call("GET", "/me/registrations", token)
    call("GET", "/me/registrations/042056/card", token)
    print("\n# bad cases")
    call("POST", "/registrations", token, json=body)  # twice: 409
    call("POST", "/registrations", token, json={"organisation_code": "011002", "answers": ANSWERS})  # not joined
    call("POST", "/registrations", token, json={"organisation_code": "212172", "answers": {"relationship": ["x"]}})
    call("GET", "/me/registrations")  # no token: 401


if __name__ == "__main__":
    main()
