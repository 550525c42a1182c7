"""The measured requests: every route of the app API, in the order of one container's life and one user's day.
The first request of the container shows the cold organisation cache; the user's first signed-in request shows
the daily access record; every later request is measured on the warm container, as most requests run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from shared.routes import ROUTES, Route

# Joined in local.seed: 気仙沼市 and 南三陸町 (宮城県), 岐阜県, 海士町 (島根県).
KESENNUMA, MINAMISANRIKU, MIYAGI, GIFU, AMA = "042056", "046060", "040002", "210005", "325252"

COMMON_ANSWERS = {"relationship": ["type2_regular_visits", "birthplace"], "interests": ["tourism_events"]}
KESENNUMA_ANSWERS = {**COMMON_ANSWERS, "own_fan_club": "member"}

# A Cognito-like subject, stable between runs and never one of the generated users.
USER = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://furusato.example.jp/bench/alice"))


def route(method: str, path: str) -> Route:
    return next(r for r in ROUTES if r.method == method and r.path == path)


@dataclass(frozen=True)
class Request:
    route: Route
    path_parameters: dict[str, str] = field(default_factory=dict)
    query: str = ""
    user: str | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    expect_status: int = 200
    # Response fields ("a.b.0" paths) that prove the request did what the scenario says.
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        path = self.route.path
        for name, value in self.path_parameters.items():
            path = path.replace(f"{{{name}}}", value)
        return path


@dataclass(frozen=True)
class Scenario:
    name: str
    request: Request
    note: str = ""


LIST = route("GET", "/organisations")
DETAIL = route("GET", "/organisations/{code}")
POSTAL = route("GET", "/postal-codes/{postal_code}")
REGISTER = route("POST", "/registrations")
MINE = route("GET", "/me/registrations")
CARD = route("GET", "/me/registrations/{code}/card")
WITHDRAW = route("DELETE", "/me/registrations/{code}")


def register(code: str, answers: dict[str, Any], status: str, key: str | None = None) -> Request:
    return Request(
        REGISTER,
        user=USER,
        body={"organisation_code": code, "answers": answers},
        headers={"Idempotency-Key": key} if key else None,
        expect_status=201,
        expect={"registration.organisation.code": code, "co_registration.status": status},
    )


IDEMPOTENT_REGISTRATION = register(AMA, COMMON_ANSWERS, "registered", key="bench-1")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "list organisations, cold cache",
        Request(LIST),
        note="a container's first request reads every joined organisation",
    ),
    Scenario("list organisations, warm", Request(LIST), note="joined organisations from the container cache"),
    Scenario("search organisations", Request(LIST, query="q=気仙沼", expect={"organisations.0.code": KESENNUMA})),
    Scenario(
        "organisation detail, cold cache",
        Request(DETAIL, {"code": KESENNUMA}, expect={"code": KESENNUMA}),
        note="one eventually consistent read of the profile",
    ),
    Scenario(
        "organisation detail, warm",
        Request(DETAIL, {"code": KESENNUMA}, expect={"code": KESENNUMA}),
        note="the profile from the container cache",
    ),
    Scenario(
        "postal code lookup",
        Request(POSTAL, {"postal_code": "988-0017"}, expect={"municipalities.0.code": KESENNUMA}),
    ),
    Scenario(
        "user's first request today",
        Request(MINE, user=USER, expect={"registrations": []}),
        note="any signed-in route; later requests of the day skip the access record (R-BAS-5)",
    ),
    Scenario(
        "register: municipality + prefecture",
        register(KESENNUMA, KESENNUMA_ANSWERS, "registered"),
        note="宮城県 co-registered in the same transaction",
    ),
    Scenario(
        "register: 2nd municipality, linked",
        register(MINAMISANRIKU, COMMON_ANSWERS, "linked"),
        note="宮城県's registration (read first) gets 南三陸町 added to its `via`",
    ),
    Scenario("register: prefecture alone", register(GIFU, COMMON_ANSWERS, "not_applicable")),
    Scenario(
        "register with Idempotency-Key",
        IDEMPOTENT_REGISTRATION,
        note="海士町 + 島根県; Powertools' idempotency record is put (in progress), then updated (completed)",
    ),
    Scenario(
        "register, retried (same key)",
        IDEMPOTENT_REGISTRATION,
        note="the first response, returned with the failed conditional put",
    ),
    Scenario(
        "my registrations",
        Request(
            MINE,
            user=USER,
            expect={"registrations.0.organisation.code": MIYAGI, "registrations.5.organisation.code": AMA},
        ),
        note="six registrations, from the user's partition of the registrations_by_user index",
    ),
    Scenario("card", Request(CARD, {"code": KESENNUMA}, user=USER, expect={"organisation.code": KESENNUMA})),
    Scenario(
        "withdraw, prefecture kept",
        Request(WITHDRAW, {"code": KESENNUMA}, user=USER, expect={"kept_prefecture.code": MIYAGI}),
        note="宮城県 stays, still linked to 南三陸町",
    ),
    Scenario(
        "withdraw, prefecture goes too",
        Request(WITHDRAW, {"code": MINAMISANRIKU}, user=USER, expect={"withdrawn.1.code": MIYAGI}),
        note="the co-registered prefecture goes with its last municipality",
    ),
)


def uncovered_routes(scenarios: tuple[Scenario, ...] = SCENARIOS) -> list[Route]:
    """Routes of the route table that no scenario measures."""
    measured = {s.request.route for s in scenarios}
    return [r for r in ROUTES if r not in measured]
