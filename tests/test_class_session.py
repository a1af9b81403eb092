"""Class sessions (kdviz.teaching.classroom): create, join, follow the step, vote once per student, reveal,
export, permissions, and a restart (reopening the store) that keeps everything."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from kdviz.teaching import lesson as L
from kdviz.teaching.classroom import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ClassError,
    ClassNotFound,
    ClassStore,
    NotAllowed,
    normalize_code,
)

Q = next(i for i, s in enumerate(L.STEPS) if s.question is not None)  # the first predict step
TEACHER, A, B, C = "teacher-browser", "student-a", "student-b", "student-c"


@pytest.fixture
def store(tmp_path):
    return ClassStore(tmp_path)


def _choices(i: int) -> list[str]:
    return list(L.STEPS[i].question.choices)


def test_codes_are_short_unambiguous_letters_and_typed_codes_are_normalised(store):
    codes = {store.create(TEACHER).code for _ in range(30)}
    assert len(codes) == 30
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set(CODE_ALPHABET) & set("BGILOQSZ0123456789")
    code = next(iter(codes))
    assert normalize_code(f" {code[:2].lower()} {code[2:]} ") == code
    for bad in ("", "ABC", "ABCDEF", "AB0DE", "A-CDE", None):
        with pytest.raises(ClassError, match="not a class code"):
            normalize_code(bad)
    with pytest.raises(ClassNotFound, match="no class"):
        store.get("AAAAA" if "AAAAA" not in codes else "CCCCC")


def test_join_step_vote_replace_reveal_and_export(store):
    c = store.create(TEACHER)
    assert (c.step, c.seed, c.closed, c.settings) == (0, 0, False, None)
    for who, name in ((A, "Ana"), (B, ""), (C, None)):
        store.join(c.code, who, name)
    assert store.member_count(c.code) == 3
    store.join(c.code, A, "  Ana\x00  Lee ")  # rejoin: still one member, the name is cleaned
    assert store.member_count(c.code) == 3 and store.member_name(c.code, A) == "Ana Lee"

    v0 = store.get(c.code).version
    s = store.set_step(c.code, TEACHER, Q, 3)
    assert (s.step, s.seed) == (Q, 3) and s.version == v0 + 1 and s.voting
    assert store.set_step(c.code, TEACHER, Q, 3).version == s.version  # no change, no bump

    ch = _choices(Q)
    store.vote(c.code, A, Q, 3, ch[0])
    store.vote(c.code, B, Q, 3, ch[0])
    store.vote(c.code, A, Q, 3, ch[1])  # a changed answer replaces the earlier one
    store.vote(c.code, C, Q, 3, ch[1])
    tally = store.tally(c.code, Q, 3)
    assert list(tally) == ch and sum(tally.values()) == 3
    assert tally[ch[0]] == 1 and tally[ch[1]] == 2
    assert store.my_vote(c.code, A, Q, 3) == ch[1] and store.my_vote(c.code, TEACHER, Q, 3) is None

    with pytest.raises(ClassError, match="not an answer"):
        store.vote(c.code, A, Q, 3, "maybe")
    with pytest.raises(ClassError, match="current step"):
        store.vote(c.code, A, Q, 0, ch[0])
    with pytest.raises(ClassError, match="join class"):
        store.vote(c.code, "stranger", Q, 3, ch[0])

    r = store.reveal(c.code, TEACHER, Q, 3)
    assert r.is_revealed(Q, 3) and not r.voting and not r.is_revealed(Q, 0)
    with pytest.raises(ClassError, match="revealed"):
        store.vote(c.code, B, Q, 3, ch[1])
    assert store.tally(c.code, Q, 3) == tally  # nothing changed

    rows = list(csv.DictReader(io.StringIO(store.export_csv(c.code, TEACHER))))
    assert len(rows) == 3
    out = L.outcome(Q, 3)  # the computed answer of this run, never a canned one
    names = sorted(r["student"] for r in rows)
    assert names == ["Ana Lee", "student 2", "student 3"]
    for r in rows:
        assert r["answer_of_this_run"] == out.answer and r["held"] == str(r["answer"] == out.answer)
        assert r["step"] == str(Q + 1) and r["seed"] == "3"
    text = store.export_csv(c.code, TEACHER)
    for ident in (TEACHER, A, B, C):
        assert ident not in text


def test_only_the_instructor_moves_reveals_shares_and_exports(store):
    c = store.create(TEACHER)
    store.join(c.code, A)
    for action in (lambda: store.set_step(c.code, A, 2, 0), lambda: store.reveal(c.code, A, Q, 0),
                   lambda: store.share_settings(c.code, A, {"n": "400"}),
                   lambda: store.export_csv(c.code, A), lambda: store.close_class(c.code, A)):
        with pytest.raises(NotAllowed, match="only the instructor"):
            action()
    assert store.get(c.code).version == c.version and store.get(c.code).settings is None
    assert store.set_step(c.code, TEACHER, 2, 0).step == 2
    assert store.is_owner(c.code, TEACHER) and not store.is_owner(c.code, A)


def test_shared_settings_and_ending_the_class(store):
    c = store.create(TEACHER)
    s = store.share_settings(c.code, TEACHER, {"capacity": 20, "n": "400"})
    assert s.settings == {"capacity": "20", "n": "400"} and s.settings_version == 1
    assert store.share_settings(c.code, TEACHER, {"n": "400", "capacity": "20"}).settings_version == 1
    assert store.share_settings(c.code, TEACHER, None).settings is None
    with pytest.raises(ClassError, match="too long"):
        store.share_settings(c.code, TEACHER, {"x": "y" * 5000})
    store.join(c.code, A)
    store.set_step(c.code, TEACHER, Q, 0)
    e = store.close_class(c.code, TEACHER)
    assert e.closed and not e.voting
    with pytest.raises(ClassError, match="ended"):
        store.join(c.code, B)
    with pytest.raises(ClassError, match="ended"):
        store.vote(c.code, A, Q, 0, _choices(Q)[0])


def test_a_restart_reopening_the_store_keeps_the_class_its_step_reveals_settings_and_votes(tmp_path):
    s1 = ClassStore(tmp_path)
    c = s1.create(TEACHER)
    for who in (A, B):
        s1.join(c.code, who, who[-1].upper())
    nxt = next(i for i in range(Q + 1, len(L.STEPS)) if L.STEPS[i].question is not None)
    s1.set_step(c.code, TEACHER, Q, 1)
    s1.vote(c.code, A, Q, 1, _choices(Q)[0])
    s1.reveal(c.code, TEACHER, Q, 1)
    s1.set_step(c.code, TEACHER, nxt, 1)
    s1.vote(c.code, B, nxt, 1, _choices(nxt)[-1])
    s1.share_settings(c.code, TEACHER, {"n": "800"})
    before = s1.get(c.code)
    s1.close()

    s2 = ClassStore(tmp_path)  # a new server process: only the file remains
    after = s2.get(c.code)
    assert after == before
    assert (after.step, after.seed, after.is_revealed(Q, 1), after.settings) == (nxt, 1, True, {"n": "800"})
    assert s2.tally(c.code, Q, 1)[_choices(Q)[0]] == 1 and s2.tally(c.code, nxt, 1)[_choices(nxt)[-1]] == 1
    assert s2.member_count(c.code) == 2 and s2.is_owner(c.code, TEACHER)
    s2.vote(c.code, A, nxt, 1, _choices(nxt)[0])  # the class goes on
    assert sum(s2.tally(c.code, nxt, 1).values()) == 2


def test_snapshot_is_shared_for_a_moment_and_fresh_after_a_write(store):
    c = store.create(TEACHER)
    other = ClassStore(store.home)  # another server process writes
    other.set_step(c.code, TEACHER, 2, 0)
    assert store.snapshot(c.code, max_age=60).step == 0  # the shared snapshot (created just now)
    assert store.snapshot(c.code, max_age=0).step == 2
    store.set_step(c.code, TEACHER, 3, 0)  # this process's own write is seen at once
    assert store.snapshot(c.code, max_age=60).step == 3


def test_concurrent_votes_are_each_counted_once(store):
    c = store.create(TEACHER)
    store.set_step(c.code, TEACHER, Q, 0)
    students = [f"s{k}" for k in range(30)]
    for s in students:
        store.join(c.code, s)
    ch = _choices(Q)

    def vote(k: int) -> None:
        for rep in range(3):  # each student changes their mind twice
            store.vote(c.code, students[k], Q, 0, ch[(k + rep) % len(ch)])

    threads = [threading.Thread(target=vote, args=(k,)) for k in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tally = store.tally(c.code, Q, 0)
    assert sum(tally.values()) == 30
    assert tally == {x: sum(1 for k in range(30) if ch[(k + 2) % len(ch)] == x) for x in ch}


# ----------------------------------------------------------------------------------------------
# the Lesson and Playground pages in a class (AppTest; one AppTest per browser, identities patched)
LESSON, PLAYGROUND = "pages/5_Lesson.py", "pages/1_Playground.py"


@pytest.fixture
def browsers(monkeypatch):
    """`run(at, who)`: run an AppTest as browser `who` ("T" is the instructor; a key is set)."""
    from ui import identity

    def run(at, who: str):
        monkeypatch.setattr(identity, "owner_id", lambda: f"id-{who}")
        monkeypatch.setattr(identity, "is_instructor", lambda: who == "T")
        return at.run()

    return run


def _page(path: str, query: dict | None = None):
    from apptools import page

    return page(path, query)


def _no_exc(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _title(at) -> str:
    return at.title[0].value


def test_instructor_starts_students_join_follow_vote_and_see_the_reveal(browsers):
    from kdviz.teaching.classroom import open_class_store

    store = open_class_store()
    t = browsers(_page(LESSON), "T")
    _no_exc(t)
    t.button(key="class_start").click()
    browsers(t, "T")
    _no_exc(t)
    code = t.query_params["class"]
    assert store.get(code).step == 0 and store.is_owner(code, "id-T")
    assert t.get("imgs") or t.get("image"), "the QR code is shown"
    assert any(code in c.value for c in t.code)

    s = browsers(_page(LESSON, {"class": code.lower(), "step": "5"}), "A")  # the class's step wins
    _no_exc(s)
    assert _title(s).startswith("1.") and store.member_count(code) == 1
    assert s.button(key="lesson_next").disabled and s.button(key="lesson_back").disabled
    assert not any(b.key == "class_start" for b in s.button)

    browsers(t.button(key="lesson_next").click(), "T")  # the instructor moves to the first predict step
    assert store.get(code).step == Q and _title(t).startswith(f"{Q + 1}.")
    browsers(s, "A")  # (the follow fragment's tick)
    assert _title(s).startswith(f"{Q + 1}.")
    assert not any(b.key == f"lesson_reveal_{Q}" for b in s.button)  # the instructor reveals, not the student
    assert s.button(key="lesson_next").disabled
    out = L.outcome(Q, 0)
    wrong = next(k for k in _choices(Q) if k != out.answer)
    browsers(s.radio(key=f"lesson_pred_{Q}_0").set_value(wrong), "A")
    browsers(s.radio(key=f"lesson_pred_{Q}_0").set_value(out.answer), "A")  # a changed answer replaces it
    assert store.tally(code, Q, 0)[out.answer] == 1 and sum(store.tally(code, Q, 0).values()) == 1
    assert not s.success and not s.warning  # nothing revealed yet

    browsers(t, "T")
    assert any("1 of 1 students answered" in m.value for m in t.markdown)
    (spec,) = [json.loads(c.proto.spec) for c in t.get("plotly_chart") if "answers" in c.proto.spec]
    assert dict(zip(spec["data"][0]["x"], spec["data"][0]["y"]))[L.STEPS[Q].question.choices[out.answer]] == 1
    browsers(t.button(key="class_reveal").click(), "T")
    assert store.get(code).is_revealed(Q, 0)

    browsers(s, "A")
    _no_exc(s)
    assert len(s.success) == 1 and "prediction held" in s.success[0].value  # judged by this run's numbers
    assert s.radio[0].disabled

    s.button(key="class_follow_btn").click()  # stop following: explore freely
    browsers(s, "A")
    assert not s.button(key="lesson_next").disabled
    browsers(s.button(key="lesson_next").click(), "A")
    assert _title(s).startswith(f"{Q + 2}.")
    browsers(s.button(key="class_follow_btn").click(), "A")  # rejoin with one click
    assert _title(s).startswith(f"{Q + 1}.")


def test_exploring_students_cannot_pass_an_unrevealed_class_question(browsers):
    from kdviz.teaching.classroom import open_class_store

    store = open_class_store()
    c = store.create("id-T")
    store.set_step(c.code, "id-T", Q, 0)
    s = browsers(_page(LESSON, {"class": c.code}), "B")
    s.button(key="class_follow_btn").click()
    browsers(s, "B")
    assert s.button(key="lesson_next").disabled and not s.button(key="lesson_back").disabled
    s.query_params["step"] = str(Q + 3)  # a link past the question
    browsers(s, "B")
    _no_exc(s)
    assert _title(s).startswith(f"{Q + 1}.") and any("explore up to it" in m.value for m in s.info)


def test_a_bad_class_code_gets_a_message_and_the_lesson_still_works(browsers):
    s = browsers(_page(LESSON, {"class": "NOPE0"}), "A")
    _no_exc(s)
    assert any("not a class code" in w.value for w in s.warning) and _title(s).startswith("1.")
    s = browsers(_page(LESSON, {"class": "CCCCC"}), "A")
    assert any("no class CCCCC" in w.value for w in s.warning)


def test_followers_take_the_playground_settings_the_instructor_shares(browsers):
    from kdviz.teaching.classroom import open_class_store

    store = open_class_store()
    c = store.create("id-T")
    t = _page(PLAYGROUND)
    t.session_state["class_code"] = c.code
    t.query_params.update({"capacity": "20", "n": "400"})
    browsers(t, "T")
    _no_exc(t)
    t.toggle(key="class_share_pg").set_value(True)
    browsers(t, "T")
    assert store.get(c.code).settings["capacity"] == "20" and store.get(c.code).settings["n"] == "400"
    s = browsers(_page(PLAYGROUND, {"class": c.code}), "A")
    _no_exc(s)
    assert s.query_params["capacity"] == "20" and s.query_params["n"] == "400"


def test_a_server_restart_mid_class_keeps_the_step_and_the_votes_on_the_pages(browsers):
    import kdviz.teaching.classroom as cs

    store = cs.open_class_store()
    c = store.create("id-T")
    store.join(c.code, "id-A")
    store.set_step(c.code, "id-T", Q, 0)
    store.vote(c.code, "id-A", Q, 0, _choices(Q)[0])
    cs._STORES.clear()  # a new server process: no cached store, no sessions; only the file remains
    t = browsers(_page(LESSON, {"class": c.code}), "T")  # the instructor reopens the class link
    _no_exc(t)
    assert _title(t).startswith(f"{Q + 1}.") and any("1 of 1 students answered" in m.value for m in t.markdown)
    s = browsers(_page(LESSON, {"class": c.code}), "A")  # the student reloads theirs
    _no_exc(s)
    assert _title(s).startswith(f"{Q + 1}.") and s.radio[0].value == _choices(Q)[0]
