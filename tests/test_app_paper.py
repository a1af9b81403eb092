"""Issue 13 in the dashboard: Home links the paper presets; the Sweep page loads them, varies the student,
draws a second axis as a heat map."""

from __future__ import annotations

import pandas as pd
import pytest
from apptools import no_exceptions, page, progress_text, run_until, specs, trace_names

from kdviz.config import PAPER_DATASETS, PRESETS, make_config
from kdviz.paper import published_cells
from kdviz.paper.gallery import Card, card_config, cards
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


# ----------------------------------------------------------------------------------------------
# issue 17: the /Paper page — published curves beside kdviz's finished run, the agreement, run what is missing
def _published_run(card) -> pd.DataFrame:
    """A finished run's table (no scale column, as a sweep writes it) whose means are the published ones."""
    cells = published_cells(card.paper)
    rows = []
    for r in cells[cells.scale == card.scale].itertuples():
        for rep, sign in enumerate((-1, 1)):
            rows.append(dict(dataset="csv:magic04.csv", teacher="rf-depth", capacity_name="max_depth",
                             capacity=r.capacity, method=r.method, repeat=rep, test_auc=r.mean + sign * r.se,
                             c=r.c_chosen, varied="teacher"))
    return pd.DataFrame(rows)


def _insert_done_run(config: dict, table: pd.DataFrame) -> str:
    """A finished run in the temp store, as a worker leaves it (no worker started)."""
    from kdviz.jobs import open_store
    from kdviz.jobs.engine import config_digest, normalize_config

    store = open_store()
    _, text = normalize_config("sweep", config)
    job_id = store.add_job("sweep", text, config_digest("sweep", text))
    store.claim_job("test-worker", job_id)
    assert store.finish_job(job_id, "test-worker", "done", table=table)
    return job_id


@pytest.fixture
def offline(monkeypatch):
    import kdviz.data.openml as openml

    monkeypatch.setattr(openml, "_openml_reachable", lambda *a, **k: False)


def _card_chart(at, card) -> dict:
    return next(s for s in specs(at) if s["layout"]["title"]["text"] == card.title)


def test_the_paper_page_draws_every_published_card_and_says_which_file_to_provide(offline):
    at = page("pages/6_Paper.py").run()
    no_exceptions(at)
    charts = specs(at)
    assert len(charts) == len(cards()) == 20
    for s in charts:
        paper = [t for t in s["data"] if t.get("name", "").startswith("paper: ") and "s.e." not in t["name"]]
        assert paper and all(t["line"]["dash"] == "dash" for t in paper)
        assert "published curves only" in s["layout"]["title"]["subtitle"]["text"]
    runs = [b for b in at.button if b.label == "Run what is missing"]
    assert len(runs) == 20 and all(b.disabled for b in runs)
    magic = Card("B", "magic", "logp")
    assert any("magic04.csv" in c.value and "paper-magic-B" in c.value for c in at.caption)
    cells = published_cells(magic.paper)
    n = int((cells.scale == "logp").sum())
    assert any(c.value.startswith(f"{n} published cells; no finished kdviz run") for c in at.caption)
    assert not any("/" + "work" in c.value or "cache/openml" in c.value for c in at.caption)  # no server path


def test_a_finished_run_is_drawn_solid_beside_the_paper_with_its_agreement(offline):
    card = Card("B", "magic", "logp")
    _insert_done_run(card_config(card), _published_run(card))
    at = page("pages/6_Paper.py").run()
    no_exceptions(at)
    s = _card_chart(at, card)
    names = trace_names(s)
    assert "Vanilla KD" in names and "paper: Vanilla KD" in names
    solid = next(t for t in s["data"] if t["name"] == "Enhanced KD (cross-fit + correction)")
    assert solid.get("line", {}).get("dash") in (None, "solid")
    line = "levels 36/36 within ±0.005; effects 28/28 within ±0.005"
    assert "levels 36/36 · effects 28/28 within ±0.005 · signs 12/12" in s["layout"]["title"]["subtitle"]["text"]
    cap = next(c.value for c in at.caption if c.value.startswith(line))
    assert "c chosen by CV (paper / kdviz), 14 of 14 the same" in cap
    # the other cards still show the published curves only
    other = _card_chart(at, Card("B", "magic", "p"))
    assert "published curves only" in other["layout"]["title"]["subtitle"]["text"]
    dark = page("pages/6_Paper.py", {"theme": "projector"}).run()  # slides for a projector
    no_exceptions(dark)
    assert len(specs(dark)) == 20 and any(b.label.startswith("⬇ Download talk pack") for b in dark.get("download_button"))


def test_run_what_is_missing_submits_the_preset_on_the_cards_scale(monkeypatch):
    import kdviz.data.openml as openml
    import kdviz.jobs as jobs

    monkeypatch.setattr(openml, "_openml_reachable", lambda *a, **k: True)  # the page may download
    monkeypatch.setattr(jobs.engine, "ensure_workers", lambda *a, **k: None, raising=False)
    card = Card("A", "magic", "p")
    at = page("pages/6_Paper.py").run()
    button = next(b for b in at.button if b.key == f"pp_run_{card.key}")
    assert not button.disabled
    button.click().run()
    no_exceptions(at)
    [job] = [j for j in jobs.list_jobs() if j.config.get("paper") == "magic-A"]
    assert job.config["scale"] == "p" and job.config["vary"] == "student" and str(job.status) == "queued"
    at.run()  # the card now knows its run: no second submission
    no_exceptions(at)
    again = next(b for b in at.button if b.key == f"pp_run_{card.key}")
    assert again.disabled and "already queued" in again.help
    jobs.cancel(job.id)
