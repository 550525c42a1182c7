"""The route table: every HTTP route of both APIs, the function that serves it, and whether it needs a signed-in
user. The CDK stack builds API Gateway from it, the local gateway dispatches with it, and a test checks that each
function's resolver serves exactly its routes: one source of truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Route:
    api: Literal["app", "admin"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str  # API Gateway syntax: /organisations/{code}
    function: str  # folder under functions/
    auth: bool  # True: the API's Cognito authorizer must accept the caller's ID token


ROUTES: tuple[Route, ...] = (
    # register: organisations, registrations, cards (app API)
    Route("app", "GET", "/organisations", "register", auth=False),
    Route("app", "GET", "/organisations/{code}", "register", auth=False),
    Route("app", "GET", "/postal-codes/{postal_code}", "register", auth=False),
    Route("app", "POST", "/registrations", "register", auth=True),
    Route("app", "GET", "/me/registrations", "register", auth=True),
    Route("app", "GET", "/me/registrations/{code}/card", "register", auth=True),
    Route("app", "DELETE", "/me/registrations/{code}", "register", auth=True),
)

FUNCTIONS: tuple[str, ...] = tuple(dict.fromkeys(r.function for r in ROUTES))


def routes_of(function: str) -> tuple[Route, ...]:
    return tuple(r for r in ROUTES if r.function == function)
