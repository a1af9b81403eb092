"""Lesson page (AppTest): every step, Back/Next and ?step=N, predict-then-reveal with computed verdicts,
bad links, classroom flags."""

from __future__ import annotations

import dataclasses
import re

import pytest
from apptools import no_exceptions, page, specs, trace_names

from kdviz.teaching import lesson as L

PAGE = "pages/5_Lesson.py"
QUESTION_STEPS = [i for i, s in enumerate(L.STEPS) if s.question is not None]


def _subtitles(spec: dict) -> str:
    return " ".join(a.get("text") or "" for a in spec["layout"].get("annotations", []))


def _hidden(spec: dict, i: int) -> bool:
    """Are the students absent from step i's chart?"""
    if L.STEPS[i].key == "overfit":
        return "Vanilla KD" not in trace_names(spec)
    return "hidden until you reveal" in _subtitles(spec)


def test_six_steps_walk_with_next_and_back_each_with_a_live_chart_and_the_step_in_the_link():
    assert len(L.STEPS) >= 6 and QUESTION_STEPS == [1, 2, 3, 4]
    at = page(PAGE).run()
    for i, step in enumerate(L.STEPS):
        no_exceptions(at)
        assert at.title[0].value == f"{i + 1}. {step.title}"
        assert at.query_params["step"] == str(i + 1)
        (spec,) = specs(at)
        assert spec["data"], i
        caps = " ".join(c.value for c in at.caption)
        assert "What to look for" in caps and step.look_for in caps
        assert "Try it yourself" in " ".join(m.value for m in at.markdown) or at.get("page_link")
        if step.question is not None:  # asked first: the students are hidden and Reveal waits for a choice
            assert _hidden(spec, i)
            assert at.button(key=f"lesson_reveal_{i}").disabled
            assert len(at.radio) == 1 and list(at.radio[0].options) == list(step.question.choices.values())
        assert at.button(key="lesson_back").disabled == (i == 0)
        assert at.button(key="lesson_next").disabled == (i == len(L.STEPS) - 1)
        if i < len(L.STEPS) - 1:
            at.button(key="lesson_next").click().run()
    at.button(key="lesson_back").click().run()
    assert at.title[0].value.startswith(f"{len(L.STEPS) - 1}.") and at.query_params["step"] == str(len(L.STEPS) - 1)


@pytest.mark.parametrize("i", QUESTION_STEPS)
def test_reveal_shows_the_students_and_judges_the_prediction_by_this_runs_numbers(i):
    out = L.outcome(i, 0)
    choices = L.STEPS[i].question.choices
    wrong = next(k for k in choices if k != out.answer)
    for choice, held in ((out.answer, True), (wrong, False)):
        at = page(PAGE, {"step": str(i + 1)}).run()
        at.radio(key=f"lesson_pred_{i}_0").set_value(choice).run()
        assert not at.button(key=f"lesson_reveal_{i}").disabled
        assert _hidden(specs(at)[0], i)  # choosing does not reveal
        at.button(key=f"lesson_reveal_{i}").click().run()
        no_exceptions(at)
        spec = specs(at)[0]
        assert not _hidden(spec, i)
        shown = at.success if held else at.warning
        assert len(shown) == 1 and ("prediction held" in shown[0].value) == held
        text = shown[0].value
        # the verdict quotes the numbers the chart shows (then the paired comparison over the seeds)
        assert f"over seeds 0–{L.SEEDS - 1}" in text and "two standard errors" in text
        numbers = re.findall(r"0\.\d{4}", text.split(" in this chart")[0])
        assert numbers
        if L.STEPS[i].key != "overfit":
            assert all(n in _subtitles(spec) for n in numbers), (numbers, _subtitles(spec))
        else:
            ys = next(t for t in spec["data"] if t["name"] == "Vanilla KD")["y"]
            assert {f"{y:.4f}" for y in ys} >= set(numbers)
        assert at.radio[0].disabled  # the prediction is kept and frozen


def test_verdict_follows_the_numbers_not_a_script(monkeypatch):
    """Swap the two students' errors: the answer the page accepts swaps too."""
    i = next(k for k in QUESTION_STEPS if L.STEPS[k].key == "crossfit")
    before = L.outcome(i, 0).answer
    real = L.pg.compute

    def swapped(p):
        res = real(p)  # the shared cached result: return a changed copy, never change it
        (a, ea), (b, eb) = res.student_errors.items()
        return dataclasses.replace(res, student_errors={a: eb, b: ea})

    monkeypatch.setattr(L.pg, "compute", swapped)
    monkeypatch.setattr(L, "outcome", L.outcome.__wrapped__)  # answers are cached per (step, seed): not these
    after = L.outcome(i, 0)
    assert after.answer != before
    assert L.verdict(i, 0, after.answer).held and not L.verdict(i, 0, before).held


@pytest.mark.parametrize("query, message", [
    ({"step": "abc"}, "step='abc'"), ({"step": "99"}, "step must be between 1 and 6"),
    ({"hide": "nav,bogus"}, "unknown control(s) 'bogus'"), ({"lock": "maybe"}, "lock='maybe'"),
])
def test_bad_links_get_a_message_and_fall_back(query, message):
    at = page(PAGE, query).run()
    no_exceptions(at)
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.title[0].value.startswith("1.")
    assert specs(at)


def test_hide_all_hides_every_control_and_lock_disables_them():
    at = page(PAGE, {"step": "4", "hide": "all"}).run()
    no_exceptions(at)
    assert not at.button and not at.radio and not at.number_input and not at.toggle
    assert not at.get("download_button") and not at.expander
    assert not _hidden(specs(at)[0], 3)  # no question asked: the chart shows the answer
    at = page(PAGE, {"step": "4", "lock": "1"}).run()
    no_exceptions(at)
    assert at.button and all(b.disabled for b in at.button)
    assert all(r.disabled for r in at.radio) and all(n.disabled for n in at.number_input)
    at = page(PAGE, {"step": "4", "hide": "nav"}).run()
    assert not any(b.label in ("Back", "Next") for b in at.button) and at.radio


def test_seed_changes_the_run_and_stays_in_the_link():
    at = page(PAGE, {"step": "1", "seed": "2"}).run()
    no_exceptions(at)
    assert at.query_params["seed"] == "2"
    res = L.pg.compute(L.params(0, 2))
    assert f"{res.student_errors['vanilla']:.4f}" in _subtitles(specs(at)[0])
