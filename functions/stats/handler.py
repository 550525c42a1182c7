"""stats function: 関係人口 statistics upkeep (R-STAT-1/2, R-BAS-6), no HTTP route.

- The table's stream (Registration, ActivityRecord, AnonymousRecord items; an event source mapping with a filter on
  `type`): each record's change is applied to the counters exactly once, in order. A failing record is reported
  (batchItemFailures): the records before it stay applied, it and the ones after are delivered again; records
  applied twice count once (shared/logic/statistics.py).
- The monthly schedule: the month-end snapshot of every scope's figures."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shared import config, wiring
from shared.functions import SCHEDULE_SOURCE
from shared.observability import entry_point, logger, metrics

config.at_cold_start("stats")  # a missing setting fails the start, not the first record needing it

upkeep = lru_cache(maxsize=1)(wiring.statistics_upkeep)
snapshots = lru_cache(maxsize=1)(wiring.statistics_snapshots)


@entry_point()
def lambda_handler(event: dict, context) -> dict[str, Any]:
    if event.get("source") == SCHEDULE_SOURCE:
        return _snapshot(event)
    failures: list[dict[str, str]] = []
    applied = 0
    records = event.get("Records", [])
    for record in records:
        try:
            if upkeep().apply(record).applied:
                applied += 1
        except Exception:
            # No payload in the log (R-PRIV-1): the record's images carry personal data.
            logger.exception("statistics record failed", extra={"event_id": record.get("eventID")})
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            break  # the rest come again, in order, after it
    metrics.add_metric(name="StatisticsRecordsApplied", unit="Count", value=applied)
    return {"batchItemFailures": failures}


def _snapshot(event: dict) -> dict[str, Any]:
    from datetime import datetime

    from shared import clock

    at = datetime.fromisoformat(event["scheduled_time"].replace("Z", "+00:00")) if event.get("scheduled_time") else clock.now()
    result = snapshots().take(at)
    logger.info("statistics snapshot", extra=result)
    return result
