"""exports function (no HTTP route): the staff registrant export's steps (R-PRIV-2, R-ORG-3). Each message of the
export work queue writes one part of the CSV to S3 and sends the next (shared/api/exports.py,
shared/logic/exports.py). Thin: the export writer does the work."""

from __future__ import annotations

from functools import lru_cache

from shared import config, wiring
from shared.api import exports
from shared.observability import entry_point

config.at_cold_start("exports")  # a missing setting fails the start, not the first message needing it

writer = lru_cache(maxsize=1)(wiring.export_writer)


@entry_point()
def lambda_handler(event: dict, context) -> dict:
    return exports.handle(event, context, writer)
