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


@pytest.fixture
def class_server(tmp_path):
    proc, port = lg.start_server(tmp_path)
    yield port, tmp_path
    lg.stop_server(proc)


def test_a_class_of_five_follows_answers_and_sees_every_reveal(class_server):
    import class_session_load as csl

    port, home = class_server
    r = asyncio.run(csl.run_class(port, home, 5))
    assert not r["errors"], r["errors"]
    assert r["votes"] and all(counted == 5 for _, counted in r["votes"]), r["votes"]
    assert len(r["follow"]) == 5 * (len(csl.PATH) - 1) and len(r["reveal"]) == 5 * len(r["votes"])


async def _runs_after(ws, back: bytes) -> tuple[list[str], int]:
    """Send one request; the headings drawn and the last script_finished status, once the runs settle."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await ws.send(back)
    headings, status = [], -1
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=3.0)
        except TimeoutError:
            return headings, status
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "heading":
            headings.append(msg.delta.new_element.heading.body)
        elif kind == "script_finished":
            status = msg.script_finished


def test_a_follow_tick_from_a_browser_that_missed_the_page_draws_it_again(class_server):
    """Under load Streamlit can drop a finished run's last messages; the browser's address (?cv=) says which
    class version it drew, and a tick that still carries an older one redraws the page."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from kdviz.teaching.classroom import ClassStore
    from ui.class_session import ACK

    port, home = class_server
    store = ClassStore(home)
    code = store.create("teacher").code

    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=2**26) as ws:
            first = BackMsg()
            first.rerun_script.query_string, first.rerun_script.page_name = f"class={code}", "Lesson"
            await ws.send(first.SerializeToString())
            fragment, page, query = "", "", ""
            while True:  # the first full run: the follow fragment's id, the page, the address it writes
                msg = ForwardMsg()
                msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=120))
                kind = msg.WhichOneof("type")
                if kind == "auto_rerun":
                    fragment = msg.auto_rerun.fragment_id
                elif kind == "navigation":
                    page = msg.navigation.page_script_hash
                elif kind == "page_info_changed":
                    query = msg.page_info_changed.query_string
                elif kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    break
            version = store.snapshot(code).version
            assert f"{ACK}={version}" in query  # the page's end wrote the version it drew into the address

            def tick(q: str) -> bytes:
                b = BackMsg()
                b.rerun_script.query_string, b.rerun_script.page_script_hash = q, page
                b.rerun_script.fragment_id, b.rerun_script.is_auto_rerun = fragment, True
                return b.SerializeToString()

            await asyncio.sleep(2.5)  # past the time a drawn page may take to arrive
            drawn = await _runs_after(ws, tick(query))
            missed = await _runs_after(ws, tick(f"class={code}"))  # the browser never got the page's address
            return drawn, missed

    drawn, missed = asyncio.run(go())
    assert drawn == ([], ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)  # up to date: the tick draws nothing
    assert missed[0] and missed[0][0].startswith("1. ") and missed[1] == ForwardMsg.FINISHED_SUCCESSFULLY
