"""Helpers for the AppTest page tests (not a test module)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the pages' shared `ui` package lives at the repository root
    sys.path.insert(0, str(ROOT))
TIMEOUT = 30


def page(path: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def trace_names(spec: dict) -> list[str]:
    return [t.get("name") or "" for t in spec["data"]]


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def progress_text(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def run_until(at: AppTest, predicate, timeout: float = 90.0, every: float = 0.5) -> AppTest:
    """Rerun the app (fragments with run_every never tick in AppTest) until predicate(at) holds."""
    end = time.time() + timeout
    while True:
        at.run()
        if predicate(at):
            return at
        if time.time() > end:
            raise AssertionError(f"timed out; progress: {progress_text(at)!r}; errors: {[e.value for e in at.error]}")
        time.sleep(every)
