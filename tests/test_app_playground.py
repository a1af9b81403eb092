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
    assert "Training points: teacher's error" in labels and "Fresh points: teacher's error" in labels
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
    assert deep["Training points: teacher's error"] > deep["Fresh points: teacher's error"]
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


def _tick(at) -> None:
    """One ▶ Play tick: run_every never ticks in AppTest, so each rerun stands for a poll once the step is due
    (the next step is computed in a background thread: poll until it is ready and shown)."""
    import time

    before = at.session_state["pg.capacity"]
    for _ in range(100):
        at.session_state["pg_due"] = 0.0
        at.run()
        no_exceptions(at)
        if at.session_state["pg.capacity"] != before or not at.session_state["pg_playing"]:
            return
        time.sleep(0.1)


def test_play_steps_the_capacity_through_its_grid_then_pause_stops():
    at = page("pages/1_Playground.py", {"capacity": "16"}).run()
    at.button(key="pg_play").click().run()
    no_exceptions(at)
    assert at.session_state["pg_playing"] and at.button(key="pg_play").label == "Pause"
    assert at.session_state["pg_due"] > 0  # the first step is due a second after Play
    seen = []
    for _ in range(2):
        _tick(at)
        seen.append(at.session_state["pg.capacity"])
    assert seen == [20, 20] and not at.session_state["pg_playing"]  # the end of the grid stops it
    assert at.query_params["capacity"] == "20" and "max_depth = 20" in _heatmap_titles(specs(at)[0])[1]
    at.button(key="pg_play").click().run()  # at the end: Play starts again from the first capacity
    assert at.session_state["pg.capacity"] == 1
    _tick(at)
    assert at.session_state["pg.capacity"] == 2
    at.button(key="pg_play").click().run()  # Pause
    at.session_state["pg_due"] = 0.0
    at.run()
    assert at.session_state["pg.capacity"] == 2 and at.button(key="pg_play").label == "▶ Play"


def test_classroom_links_hide_or_lock_the_controls():
    at = page("pages/1_Playground.py", {"hide": "all", "capacity": "20"}).run()
    no_exceptions(at)
    assert not at.slider and not at.select_slider and not at.button and not at.selectbox and not at.toggle
    assert not at.get("download_button") and not at.expander
    assert "max_depth = 20" in _heatmap_titles(specs(at)[0])[1]  # the view still follows the link
    at = page("pages/1_Playground.py", {"hide": "seed,play"}).run()
    assert not at.number_input and not at.button and at.select_slider(key="pg.capacity")
    at = page("pages/1_Playground.py", {"lock": "1"}).run()
    widgets = [*at.slider, *at.select_slider, *at.button, *at.selectbox, *at.multiselect, *at.number_input]
    assert widgets and all(w.disabled for w in widgets)


def test_classroom_link_builder_writes_hide_and_lock():
    at = page("pages/1_Playground.py").run()
    assert not at.checkbox  # the builder's checkboxes appear when asked for
    at.toggle(key="pg_cl_on").set_value(True).run()
    at.checkbox(key="pg_cl_hide_seed").check().run()
    at.checkbox(key="pg_cl_hide_play").check().run()
    at.checkbox(key="pg_cl_lock").check().run()
    assert any(c.value.endswith("&hide=seed%2Cplay&lock=1") for c in at.code), [c.value for c in at.code]


def test_projector_theme_from_the_link_makes_charts_dark():
    at = page("pages/1_Playground.py", {"theme": "projector"}).run()
    no_exceptions(at)
    assert at.query_params["present"] == "1" and at.query_params["theme"] == "projector"
    assert specs(at)[0]["layout"]["paper_bgcolor"] == "#000000"
    at.sidebar.radio[0].set_value("light").run()
    assert "theme" not in at.query_params and specs(at)[0]["layout"].get("paper_bgcolor") != "#000000"
