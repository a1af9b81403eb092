"""Runs page (AppTest): list, open, overlay, rerun, delete with confirmation."""

from __future__ import annotations

import pytest
from apptools import no_exceptions, page, specs, trace_names

from kdviz.config import make_config
from ui import runs


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))


def _two_runs() -> list[str]:
    from kdviz.jobs import wait

    base = dict(dataset="synthetic:gmm", n=300, capacities=(1, 4), methods=("no_kd", "vanilla", "crossfit"),
                repeats=1, folds=2, teacher_options={"n_estimators": 10})
    ids = [runs.submit(make_config(**base)), runs.submit(make_config(**base, label_noise=0.3))]
    for i in ids:
        wait(i, timeout=120)
    return ids


def test_empty_store_says_how_to_start():
    at = page("pages/4_Runs.py").run()
    no_exceptions(at)
    assert any("No runs yet" in i.value for i in at.info)


def test_runs_list_open_overlay_and_delete():
    ids = _two_runs()
    at = page("pages/4_Runs.py").run()
    no_exceptions(at)
    table = at.dataframe[0].value
    assert len(table) == 2 and set(table["status"]) == {"done"}
    charts = specs(at)
    assert len(charts) == 2
    opened, overlay = charts
    assert "Vanilla KD" in trace_names(opened)
    names = trace_names(overlay)
    assert sum(n.endswith("Vanilla KD") for n in names) == 2  # one curve per run
    dashes = {t["line"]["dash"] for t in overlay["data"] if t["name"].endswith("Vanilla KD")}
    assert dashes == {"solid", "dash"}
    assert at.query_params["open"] in ids
    labels = [b.label for b in at.get("download_button")]
    assert "⬇ Results CSV" in labels and "⬇ Run JSON" in labels

    victim = at.query_params["open"]
    at.button(key="runs_delete").click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    assert len(runs.list_runs()) == 2  # nothing deleted before confirming
    at.button(key="runs_delete_no").click().run()
    assert len(runs.list_runs()) == 2
    at.button(key="runs_delete").click().run()
    at.button(key="runs_delete_yes").click().run()
    no_exceptions(at)
    assert [r.id for r in runs.list_runs()] == [i for i in ids if i != victim]


def test_rerun_starts_a_new_run_with_the_same_config():
    ids = _two_runs()
    at = page("pages/4_Runs.py", {"open": ids[0]}).run()
    assert at.session_state["runs_open"] == ids[0]
    at.button(key="runs_rerun").click().run()
    no_exceptions(at)
    new = at.session_state["runs_open"]
    assert new not in ids and runs.get(new).config == runs.get(ids[0]).config


def test_config_summary_names_a_csv_without_an_uploads_hash():
    base = {"teacher": "rf-depth", "capacities": [1, 2], "student": "rf", "methods": ["vanilla"], "target": "y"}
    upload = runs.config_summary({**base, "dataset": "csv:/home/u/.kdviz/uploads/0123456789ab_my_data.csv"})
    own = runs.config_summary({**base, "dataset": "csv:/data/my_data.csv"})  # e.g. submitted from the CLI
    assert upload.startswith("CSV my_data.csv (target y) · all rows · no label noise · rf-depth [1,2]")
    assert own.startswith("CSV my_data.csv (target y)")
    demo = runs.config_summary({**base, "dataset": "synthetic:gmm", "n": 2000, "label_noise": 0.2})
    assert demo.startswith("synthetic:gmm · n = 2000 · label noise 20% · rf-depth")


def test_a_link_to_an_unknown_run_says_so():
    from kdviz.jobs import submit

    submit("sweep", make_config(dataset="synthetic:gmm", n=300, capacities=(1,), repeats=1, folds=2),
           start_worker=False)
    at = page("pages/4_Runs.py", {"open": "nosuchrun"}).run()
    no_exceptions(at)
    assert any("'nosuchrun'" in w.value and "not stored here" in w.value for w in at.warning)
