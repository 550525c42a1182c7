"""`python -m bench.localrun [--port 0 ...]`: the local runtime exactly as `python -m local` starts it, with moto's
TransactWriteItems rolling back the items it touches instead of deep-copying the whole table for each of its
items, and its Query starting from the partition asked for instead of sorting the whole table
(bench/motopatch.py). moto's whole-table work makes every transaction and query O(table size): with the local
runtime's DynamoDB serialised, a burst of check-ins would measure moto copying its table, not our system. Nothing
else changes: same gateways, handlers, dispatcher, moto server and its DynamoDB lock."""

from __future__ import annotations

from contextlib import ExitStack

from local.__main__ import main

from .motopatch import without_whole_table_work

if __name__ == "__main__":
    with ExitStack() as patches:
        patches.enter_context(without_whole_table_work())
        main()
