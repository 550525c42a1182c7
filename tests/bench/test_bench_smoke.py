"""The bench at tiny sizes through its Python API: it covers every route, and its figures hold what the data
layer promises: never a Scan, and a request costs the same whatever the table holds."""

from __future__ import annotations

import json

import pytest

import bench
from shared.routes import ROUTES

SIZES = (50, 500)
# Served from the function's memory: the joined-organisation and profile caches (warm), the catalogue (search)
# and the bundled postal code table. Every other request needs the table.
NO_DYNAMODB = {"list organisations, warm", "organisation detail, warm", "search organisations", "postal code lookup"}


@pytest.fixture(scope="module")
def report() -> bench.BenchReport:
    return bench.run(sizes=SIZES, import_runs=2)


def test_every_route_is_measured(report):
    assert report.uncovered_routes == []
    text = bench.render(report)
    for size in report.sizes:
        measured = {(m.scenario.request.route.method, m.scenario.request.route.path) for m in size.measurements}
        assert measured == {(r.method, r.path) for r in ROUTES}
    for route in ROUTES:
        assert f"{route.method:<6} {route.path}" in text


def test_round_trips_are_counted(report):
    for size in report.sizes:
        for m in size.measurements:
            trips = m.cost.round_trips
            assert isinstance(trips, int) and not isinstance(trips, bool)
            if m.scenario.name in NO_DYNAMODB:
                assert trips == 0, f"{m.scenario.name}: {m.cost.summary}"
            else:
                assert trips > 0, m.scenario.name
                assert sum(m.cost.by_operation.values()) == trips


def test_no_operation_scans(report):
    scans = {m.scenario.name: m.cost.summary for s in report.sizes for m in s.measurements if m.cost.scans}
    assert scans == {}


def test_cost_does_not_depend_on_table_size(report):
    # No exception: every request reads by key or by a partition of its own (the user's registrations, the joined
    # organisations), and the measured users and the joined organisations are the same at both sizes.
    small, large = report.sizes
    assert (small.dataset.registrations, large.dataset.registrations) == SIZES
    for a, b in zip(small.measurements, large.measurements, strict=True):
        assert a.scenario.name == b.scenario.name
        assert (a.cost.round_trips, a.cost.items_read, a.cost.items_written, a.cost.by_operation) == (
            b.cost.round_trips,
            b.cost.items_read,
            b.cost.items_written,
            b.cost.by_operation,
        ), a.scenario.name


def test_import_times_and_json(report):
    assert {t.function for t in report.imports} == {r.function for r in ROUTES}
    assert all(len(t.seconds) == 2 and t.median > 0 and t.modules > 0 for t in report.imports)
    assert all(p.handler.imports for p in report.import_profiles)
    data = json.loads(json.dumps(bench.to_json(report)))
    assert [s["registrations"] for s in data["sizes"]] == list(SIZES)
