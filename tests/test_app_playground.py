"""Playground page (AppTest): heat maps, numbers, capacity slider, shareable links."""

from __future__ import annotations

from apptools import no_exceptions, page, specs, trace_names


def _heatmap_titles(spec: dict) -> list[str]:
    return [t["name"] for t in spec["data"] if t["type"] == "heatmap"]


def test_default_view_has_p0_teacher_and_three_students():
    at = page("pages/1_Playground.py").run()
    no_exceptions(at)
    (spec,) = specs(at)
    titles = _heatmap_titles(spec)
    assert titles[0] == "True probabilities p0" and titles[1].startswith("Teacher p̂")
    assert titles[2:] == ["Student: Vanilla KD", "Student: Cross-fit KD",
                          "Student: Enhanced KD (cross-fit + correction)"]
    assert "training label 1" in trace_names(spec)
    labels = [m.label for m in at.metric]
    assert "Teacher on its training points" in labels and "Teacher on fresh points" in labels
    assert at.query_params["capacity"] == "8" and at.query_params["seed"] == "0"


def test_capacity_slider_overfits_the_teacher_and_updates_the_link():
    at = page("pages/1_Playground.py").run()
    shallow = {m.label: float(m.value) for m in at.metric}
    at.select_slider(key="pg.capacity").set_value(20).run()
    no_exceptions(at)
    deep = {m.label: float(m.value) for m in at.metric}
    assert at.query_params["capacity"] == "20"
    assert "max_depth = 20" in _heatmap_titles(specs(at)[0])[1]
    # a deep teacher memorises: its error on its own training points exceeds the fresh-point error ...
    assert deep["Teacher on its training points"] > deep["Teacher on fresh points"]
    # ... and the vanilla student gets worse while cross-fitting protects the student
    assert deep["Vanilla KD"] > shallow["Vanilla KD"]
    assert deep["Cross-fit KD"] < deep["Vanilla KD"]


def test_link_round_trip_restores_the_view():
    q = {"teacher": "knn-k", "capacity": "5", "label_noise": "0.1", "seed": "3", "methods": "vanilla,crossfit"}
    at = page("pages/1_Playground.py", q).run()
    no_exceptions(at)
    assert not at.warning
    assert at.session_state["pg.teacher"] == "knn-k" and at.session_state["pg.capacity"] == 5
    assert at.session_state["pg.seed"] == 3
    titles = _heatmap_titles(specs(at)[0])
    assert titles[1] == "Teacher p̂ (k = 5)" and len(titles) == 4
    assert {k: at.query_params[k] for k in q} == q


def test_invalid_and_oversized_link_values_are_refused_with_messages():
    q = {"capacity": "999", "n": "1000000", "seed": "abc", "label_noise": "x" * 400, "dataset": "csv:/etc/passwd"}
    at = page("pages/1_Playground.py", q).run()
    no_exceptions(at)
    text = " ".join(w.value for w in at.warning)
    for key in ("capacity", "n", "seed", "label_noise", "dataset"):
        assert repr(key) in text or f"{key}=" in text, key
    assert "too long" in text
    assert at.session_state["pg.n"] == 600 and at.session_state["pg.capacity"] == 8
    assert at.query_params["n"] == "600"  # the link is rewritten with the defaults
    assert specs(at)  # and the page still draws
