"""The statistics' consistency check, for operators: recompute every 関係人口 figure from the items themselves and
report every difference from the incremental counters (shared/logic/statistics.py keeps them from the stream).

An offline full pass: it Scans the whole table, the one program allowed to (never a request path, never a Lambda
function). Run it against a copy or off-peak:

    .venv/bin/python -m ops.recount --table <name>          # exit code 0: no difference; 1: differences listed

Both sides use the same rules (shared/domain/statistics.py), so a difference means the incremental path lost,
doubled or misplaced a change (or a stream record is still in flight: run it again once the stream is drained)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from shared.dal import keys
from shared.dal.items import load
from shared.dal.statistics import COUNTER_TYPE, MEMBERSHIP_TYPE, figures_of, scope_key
from shared.domain import statistics as rules
from shared.logic.statistics import prefecture_of


def scan(client, table: str) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {"TableName": table}
    while True:
        response = client.scan(**request)
        for raw in response["Items"]:
            yield load(raw)
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _scope_of_counter(pk: str) -> str:
    return pk.removeprefix(keys.STATISTICS).rsplit("#", 1)[0]


def recount(items: Iterable[dict[str, Any]]) -> list[str]:
    """Every difference between the figures the items add up to and the counters (and the memberships), as lines."""
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    counted: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, set[str]] = defaultdict(set)
    stored_members: dict[str, set[str]] = {}
    for item in items:
        kind = item.get("type")
        if kind == COUNTER_TYPE:
            counted[_scope_of_counter(item["pk"])].update(figures_of(item))
            continue
        if kind == MEMBERSHIP_TYPE:
            stored_members[item["pk"].removeprefix(keys.stat_membership("")["pk"])] = set(item.get("codes", ()))
            continue
        code = item.get("org_code")
        if not code:
            continue
        for scope_kind, figures in rules.item_contributions(item).items():
            expected[scope_key(scope_kind, code if scope_kind == "org" else prefecture_of(code))].update(figures)
        if rules.registration_counts(item):
            members[item.get("user_id") or keys.user_of(item["user_pk"])].add(code)
    for codes in members.values():
        expected[scope_key("national")][rules.PEOPLE] += 1
        for area in {prefecture_of(c) for c in codes}:
            expected[scope_key("area", area)][rules.PEOPLE] += 1
    differences: list[str] = []
    for scope in sorted(set(expected) | set(counted)):
        want, have = expected.get(scope, Counter()), counted.get(scope, Counter())
        for name in sorted(set(want) | set(have)):
            if want.get(name, 0) != have.get(name, 0):
                differences.append(f"{scope} {name}: items {want.get(name, 0)}, counter {have.get(name, 0)}")
    for user in sorted(set(members) | set(stored_members)):
        if members.get(user, set()) != stored_members.get(user, set()):
            differences.append(
                f"membership of a person ({len(members.get(user, ()))} counted registrations, "
                f"{len(stored_members.get(user, ()))} in the membership item)"
            )  # no id: the report may be shared (R-PRIV-1)
    return differences


def main(argv: list[str] | None = None, client=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True)
    args = parser.parse_args(argv)
    if client is None:
        import boto3

        client = boto3.client("dynamodb")
    differences = recount(scan(client, args.table))
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s)", file=sys.stderr)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
