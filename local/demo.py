"""`make demo`: walk through basic registration against a running local runtime (`make run` in another terminal),
printing each request and its answer."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime, timedelta

import requests

ANSWERS = {"relationship": ["birthplace", "type2_regular_visits"], "interests": ["local_news"], "own_fan_club": "member"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:3000")
    parser.add_argument("--admin", default=None, help="admin API (default: the app port + 1)")
    args = parser.parse_args()
    base = args.base
    admin = args.admin or base.rsplit(":", 1)[0] + ":" + str(int(base.rsplit(":", 1)[1]) + 1)
    http = requests.Session()

    def call(method: str, path: str, token: str | None = None, api: str | None = None, **kwargs) -> dict:
        headers = {"Authorization": token} if token else {}
        headers.update(kwargs.pop("headers", {}))
        url = (api or base) + path
        response = http.request(method, url, headers=headers, timeout=30, **kwargs)
        print(f"\n$ {method} {url}" + (f"  {json.dumps(kwargs['json'], ensure_ascii=False)}" if "json" in kwargs else ""))
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

    print("\n# municipal staff of 飛騨市 designate an activity; the citizen checks in with its code")
    staff = call(
        "POST", "/local/sign-in", api=admin,
        json={"email": "staff@212172.example.lg.jp", "password": "Staff-Passw0rd!", "organisation_code": "212172", "role": "editor"},
    )["id_token"]
    now = datetime.fromisoformat(call("POST", "/local/clock", json={"reset": True})["now"])
    activity = call(
        "POST", "/activities", staff, api=admin,
        json={"name": "雪下ろしボランティア", "kind": "project", "starts_at": now.isoformat(),
              "ends_at": (now + timedelta(hours=2)).isoformat(), "place": "飛騨市古川町"},
    )
    code = call("GET", f"/activities/{activity['id']}/checkin-code", staff, api=admin)
    print(f"(the same code as a PNG: {admin}/activities/{activity['id']}/checkin-code?format=png, printable page: format=html)")
    call("POST", "/registrations", token, json={"organisation_code": "212172", "answers": {k: v for k, v in ANSWERS.items() if k != "own_fan_club"}})
    call("POST", "/checkins", token, json={"code": code["url"]})
    call("POST", "/checkins", token, json={"code": code["url"]})  # again: already recorded
    call("POST", "/checkins", token, json={"code": code["url"][:-4] + "AAAA"})  # tampered: refused
    call("GET", "/me/records/212172", token)
    call("GET", "/me/records/210005", token)  # counted for 岐阜県 too

    print("\n# 飛騨市 imports a pre-launch record of a participant; the citizen verifies with the My Number Card as that")
    print("# person (the development provider stands in for the authentication app) and the record becomes theirs")
    person = {"name": f"デモ {uuid.uuid4().hex[:4]}", "address": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4225",
              "birthdate": "1990-04-01", "gender": "female"}
    rows = (
        "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\n"
        f"D1,古川祭 会場清掃,2026年4月19日 8:30,2026年4月19日 11:30,古川町,,{person['name']},509-4225,"
        "岐阜県飛騨市古川町本町2-22,1990/4/1,女性\n"
    )
    call("POST", "/prelaunch-imports", staff, api=admin, data=rows.encode(), headers={"Content-Type": "text/csv"})
    started = call("POST", "/me/verification", token, json={"share_with_organisations": True})
    print(f"\n$ POST {started['authorization_url'].split('?')[0]}  (the provider's page, approved as {person['name']})")
    callback = http.post(started["authorization_url"], data={"decision": "approve", **person}, timeout=30).json()
    call("POST", "/me/verification/complete", token, json=callback)
    call("GET", "/me/registrations/212172/card", token)  # 本人確認済み
    call("GET", "/me/records/212172", token)  # the pre-launch participation is a record now


if __name__ == "__main__":
    main()
