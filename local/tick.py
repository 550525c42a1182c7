"""`make tick DATE=2027-05-01`: run the days up to DATE on the running local runtime (`make run`), as they would pass:
each day its schedules fire at 03:00 JST and their work queues are drained (POST /local/days)."""

from __future__ import annotations

import argparse
import json
import sys

import requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:3000", help="the app gateway of `make run`")
    parser.add_argument("--to", required=True, help="the last day to run (YYYY-MM-DD)")
    parser.add_argument("--from", dest="first", help="the first day (default: the day after the runtime's clock)")
    args = parser.parse_args(argv)
    body = {"to": args.to, **({"from": args.first} if args.first else {})}
    response = requests.post(f"{args.base}/local/days", json=body, timeout=3600)
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.ok and not response.json().get("errors") else 1


if __name__ == "__main__":
    sys.exit(main())
