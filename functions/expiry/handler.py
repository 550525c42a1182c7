"""expiry function (no HTTP route): the daily expiry schedule (R-PRE-6, R-BAS-5) — premium past its expiry without a
renewal is basic again, inactive registrations are told of their removal and, still inactive at the deadline,
removed. The schedule's event fans the day out into the function's work queue; the queue's messages come back here
(shared/api/scheduled.py). Thin: the schedules' service does the work."""

from __future__ import annotations

from functools import lru_cache

from shared import config, wiring
from shared.api import scheduled
from shared.observability import entry_point

config.at_cold_start("expiry")  # a missing setting fails the start, not the first run needing it

runner = lru_cache(maxsize=1)(lambda: wiring.schedule_runner("expiry"))


@entry_point()
def lambda_handler(event: dict, context) -> dict:
    return scheduled.handle(event, context, runner)
