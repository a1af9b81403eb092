"""Issue 13 in the dashboard: Home links the paper presets; the Sweep page loads them, varies the student,
draws a second axis as a heat map."""

from __future__ import annotations

import pytest
from apptools import no_exceptions, page, progress_text, run_until, specs, trace_names

from kdviz.config import PAPER_DATASETS, PRESETS, make_config
from ui import sweep_form as form


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))


def test_home_links_every_paper_preset():
    at = page("app.py").run()
    no_exceptions(at)
    links = [el for el in at.get("page_link")]
    presets = {str(el.proto.query_string) for el in links}
    for name in PAPER_DATASETS:
        for exp in ("A", "B"):
            assert any(f"preset=paper-{name}-{exp}" in q for q in presets), (name, exp)


def test_a_paper_preset_round_trips_through_the_form():
    for name in ("paper-magic-A", "paper-adult-B"):
        want = make_config(**PRESETS[name])
        got = make_config(**form.to_config_dict(form.preset_values(name)))
        for field in ("vary", "teacher", "teacher_capacity", "capacities", "methods", "folds", "repeats", "seed",
                      "scale", "paper", "cv_metric"):
            assert getattr(got, field) == getattr(want, field), (name, field)


def test_the_sweep_page_loads_experiment_a_with_the_student_grid():
    at = page("pages/2_Sweep.py", {"preset": "paper-magic-A"}).run()
    no_exceptions(at)
    ss = at.session_state
    assert ss["sw.vary"] == "student" and ss["sw.teacher_capacity"] == 500 and ss["sw.paper"] == "magic-A"
    assert ss["sw.capacities"] == [1, 2, 3, 5, 10, 15, 20, 30, 40]
    assert any("Student capacity grid" in m.label for m in at.multiselect)
    assert any("magic-A" in c.value for c in at.caption)


def test_a_student_axis_run_with_a_second_axis_draws_the_heat_map():
    query = {"dataset": "synthetic:gmm", "n": "300", "vary": "student", "teacher": "rf-trees",
             "teacher_capacity": "20", "capacities": "1,4", "methods": "vanilla,crossfit", "repeats": "1",
             "folds": "2", "seed": "1", "axis2": "label_noise", "axis2_values": "0.0,0.2"}
    at = page("pages/2_Sweep.py", query).run()
    no_exceptions(at)
    assert not at.warning, [w.value for w in at.warning]
    at.button[0].click().run()
    at = run_until(at, lambda a: "done" in progress_text(a))
    no_exceptions(at)
    charts = specs(at)
    heat = next(s for s in charts if any(t.get("type") == "heatmap" for t in s["data"]))
    assert "Gain over vanilla" in heat["layout"]["title"]["text"]
    curves = next(s for s in charts if "Cross-fit KD" in trace_names(s))
    assert curves["layout"]["xaxis"]["title"]["text"] == "Student capacity: n_estimators"
    assert list(next(t for t in curves["data"] if t["name"] == "Vanilla KD")["x"]) == [1, 4]


def test_the_theory_page_explains_and_offers_the_y_free_rule():
    at = page("pages/3_Theory.py", {"gamma": "bound_fast_expected"}).run()
    no_exceptions(at)
    assert at.session_state["th.gamma"] == "bound_fast_expected"
    assert any("Why a y-free" in e.label for e in at.expander)
    text = " ".join(m.value for m in at.markdown)
    assert "(1 − w)(p0 − p̂)/p̂" in text and "not mean-zero at p̂ = p0" in text
    bad = page("pages/3_Theory.py", {"gamma": "nonsense"}).run()
    assert any("gamma" in w.value for w in bad.warning)
