"""The tables of docs/infra.md that describe code, generated from it: each function's triggers and grants
(shared/functions.py) and the table's indexes (shared/dal/table.py). A test requires the document to hold exactly
these tables; after changing the function list or an index:

    .venv/bin/python -m infra.docs --write"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from shared.dal.keys import AREAS
from shared.dal.table import INDEXES
from shared.functions import FUNCTIONS, INDEX_SCOPE, SCHEDULE_TIMEZONE, TABLE, Http, Schedule, StateMachineTask

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "infra.md"


def _short(actions: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{a.split(':', 1)[1]}`" for a in sorted(actions))


def _triggers(function) -> str:
    parts = []
    tasks: dict[str, list[str]] = {}  # state machine -> its Task states that invoke the function
    for trigger in function.triggers:
        if isinstance(trigger, Http):
            parts.append("HTTP (its routes)")
        elif isinstance(trigger, Schedule):
            parts.append(f"schedule `{trigger.name}` `{trigger.cron}` ({SCHEDULE_TIMEZONE})")
        elif isinstance(trigger, StateMachineTask):
            tasks.setdefault(trigger.state_machine, []).append(f"`{trigger.state}`")
        else:
            parts.append(type(trigger).__name__)
    parts += [f"state machine `{machine}`: Task states {', '.join(states)}" for machine, states in tasks.items()]
    return "; ".join(parts)


def permission_table() -> str:
    areas = list(AREAS)
    header = (
        ["Function", "Triggers"]
        + [f"Table, {area} area (`{AREAS[area]}*`)" for area in areas]
        + ["`Query` on index", "Other resources", "Settings (checked at cold start)"]
    )
    rows = []
    for function in FUNCTIONS:
        by_area = {area: [] for area in areas}
        indexes, others = [], []
        for grant in function.grants:
            if grant.resource is TABLE and grant.scope.startswith(INDEX_SCOPE):
                indexes.append(f"`{grant.scope.removeprefix(INDEX_SCOPE)}`")
            elif grant.resource is TABLE:
                by_area[grant.scope] += grant.actions
            else:
                where = f" `{grant.scope}*`" if grant.scope else ""
                others.append(f"{grant.resource.name}{where}: {_short(grant.actions)}")
        rows.append(
            [f"`{function.name}`", _triggers(function)]
            + [_short(by_area[area]) or "—" for area in areas]
            + [", ".join(indexes) or "—", "; ".join(others) or "—", ", ".join(f"`{s}`" for s in function.settings)]
        )
    return _markdown(header, rows)


def index_table() -> str:
    header = ["Index", "Partition key", "Sort key", "Projected attributes (`INCLUDE`)"]
    rows = [
        [f"`{i.name}`", f"`{i.partition_key}`", f"`{i.sort_key}`", ", ".join(f"`{a}`" for a in i.non_key_attributes)]
        for i in INDEXES
    ]
    return _markdown(header, rows)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


GENERATED = {"permissions": permission_table, "indexes": index_table}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} \(python -m infra\.docs --write\) -->\n)(.*?)(<!-- end: {name} -->)", re.S)


def current(text: str, name: str) -> str | None:
    match = _block(name).search(text)
    return match.group(2).removesuffix("\n") if match else None


def rewritten(text: str) -> str:
    for name, build in GENERATED.items():
        if current(text, name) is None:
            raise LookupError(f"docs/infra.md has no generated block {name!r}")
        text = _block(name).sub(lambda m, b=build: m.group(1) + b() + "\n" + m.group(3), text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the code-derived tables of docs/infra.md.")
    parser.add_argument("--write", action="store_true", help="rewrite docs/infra.md (default: check only)")
    args = parser.parse_args()
    text = DOCUMENT.read_text(encoding="utf-8")
    new = rewritten(text)
    if args.write:
        DOCUMENT.write_text(new, encoding="utf-8")
    elif new != text:
        sys.exit("docs/infra.md is stale: run .venv/bin/python -m infra.docs --write")


if __name__ == "__main__":
    main()
