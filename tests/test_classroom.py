"""A small class on one server (no browsers): every student's every interaction succeeds and shows
the expected content. Timing is measured in benchmarks/bench_classroom.py, never asserted here."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import loadgen as lg  # noqa: E402


@pytest.fixture
def server(tmp_path):
    proc, port = lg.start_server(tmp_path)
    yield port
    lg.stop_server(proc)


def test_five_students_at_once_get_every_page_without_errors(server):
    steps = lg.lesson()
    results = asyncio.run(lg.classroom(server, 5, steps, timeout=240))
    assert len(results) == 5
    for outcomes in results:
        assert [o.name for o in outcomes] == [s[0] for s in steps]
        bad = [f"{o.name}: {o.error}" for o in outcomes if not o.ok]
        assert not bad, bad
    # the same link gives every student the same picture (the same seeded computation)
    charts = {next(t for t in r[2].texts if t.startswith("{")) for r in results}
    assert len(charts) == 1
