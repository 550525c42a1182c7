"""Accepting evidence is atomic (issue 11 defect 1, R-ACT-3): whichever AWS call of an acceptance fails (refused
before it is applied, or applied with its response lost), the records count if and only if the evidence is accepted,
the evidence waits in the review queue if and only if it is submitted, and finishing the review (accepting again, or
rejecting) reaches a state where that still holds: a rejection never leaves records behind. The general sweep over
every operation lives with the fault-injection harness; this one is kept to acceptance."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from shared.dal import aws
from tests.handlers.conftest import staff_claims
from tests.handlers.test_evidence import ANSWERS, GIFU, HIDA, attended, start, upload  # noqa: F401 (fixture)


class FailKthCall:
    """The k-th AWS call (DynamoDB or S3) fails: refused before it reaches AWS, or applied with the response lost."""

    def __init__(self, k: int, kind: str) -> None:
        self.k, self.kind, self.calls, self.fired = k, kind, 0, False
        self.clients = [aws.client("dynamodb"), aws.client("s3")]

    def before(self, model, **_):
        self.calls += 1
        if self.calls == self.k and self.kind == "refused":
            self.fired = True
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, model.name)

    def after(self, model, **_):
        if self.calls == self.k and self.kind == "lost":
            self.fired = True
            raise ReadTimeoutError(endpoint_url=f"injected after {model.name}")

    def __enter__(self):
        for client in self.clients:
            client.meta.events.register("before-call", self.before, unique_id="fail-kth-before")
            client.meta.events.register("after-call", self.after, unique_id="fail-kth-after")
        return self

    def __exit__(self, *_):
        for client in self.clients:
            client.meta.events.unregister("before-call", unique_id="fail-kth-before")
            client.meta.events.unregister("after-call", unique_id="fail-kth-after")


def _state(checkin_api, admin_api, user: str, eid: str) -> tuple[str, tuple[int, int], bool]:
    (evidence,) = [e for e in checkin_api("GET", f"/me/evidence/{HIDA}", user=user).body["evidence"] if e["id"] == eid]
    counts = tuple(checkin_api("GET", f"/me/records/{code}", user=user).body["count_last_12_months"] for code in (HIDA, GIFU))
    queued = eid in [e["id"] for e in admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"]]
    return evidence["status"], counts, queued


def _consistent(state, recorded_before: bool) -> None:
    status, counts, queued = state
    assert queued == (status == "submitted"), state
    if recorded_before:  # the person's record existed already (staff entered it): it stays, counted once
        assert counts == (1, 1), state
    else:
        assert counts == ((1, 1) if status == "accepted" else (0, 0)), state


@pytest.mark.parametrize("recorded_before", [False, True], ids=["new-record", "record-exists"])
@pytest.mark.parametrize("then", ["accept-again", "reject"])
def test_r_act_3_a_fault_in_any_call_of_accept_never_leaves_records_without_acceptance(
    register_api, checkin_api, admin_api, attended, recorded_before, then
):
    staff = staff_claims(HIDA)
    users = (f"p{n}" for n in count())
    trials = {"refused": 0, "lost": 0}
    for kind in trials:
        for k in count(1):
            user = next(users)
            assert register_api("POST", "/registrations", user=user, body={"organisation_code": HIDA, "answers": ANSWERS}).status == 201
            if recorded_before:
                entered = admin_api("POST", f"/activities/{attended['id']}/records", body={"user_id": user, "day": "2026-12-05"}, claims=staff)
                assert entered.status == 201
            created = start(checkin_api, attended, user=user).body
            eid = created["evidence"]["id"]
            upload(created)
            assert checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user=user).status == 200

            with FailKthCall(k, kind) as fault:
                answer = admin_api("POST", f"/evidence/{user}/{eid}/accept", claims=staff)
            if not fault.fired:  # accept makes fewer than k calls: every position was tried
                assert answer.status == 200
                break
            trials[kind] += 1
            assert answer.status >= 500, (kind, k, answer.body)  # never 2xx for an effect that may be incomplete
            state = _state(checkin_api, admin_api, user, eid)
            _consistent(state, recorded_before)

            if then == "accept-again":
                again = admin_api("POST", f"/evidence/{user}/{eid}/accept", claims=staff)
                expected = 409 if state[0] == "accepted" else 200  # decided already: its records are there
                assert again.status == expected, (kind, k, again.body)
                final = _state(checkin_api, admin_api, user, eid)
                assert final[0] == "accepted"
            else:
                rejected = admin_api("POST", f"/evidence/{user}/{eid}/reject", body={"reason": "不鮮明です"}, claims=staff)
                assert rejected.status == (409 if state[0] == "accepted" else 200), (kind, k, rejected.body)
                final = _state(checkin_api, admin_api, user, eid)
            _consistent(final, recorded_before)
    assert trials["refused"] >= 3 and trials["lost"] >= 3, trials
