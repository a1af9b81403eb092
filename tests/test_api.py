"""The Python API (issue 20): `import kdviz` is cheap, `kdviz.sweep` returns Results with figures,
tables, the paper comparison and CSV; background runs; tqdm progress and heartbeats; a clean Ctrl-C;
multiclass AUC."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.metrics import roc_auc_score

import kdviz
from kdviz import experiments
from kdviz.api import Results, build_config
from kdviz.errors import ConfigError, DatasetError
from kdviz.experiments import Task, run_plan
from kdviz.kd.metrics import classification_metrics
from kdviz.runtime.progress import TqdmProgress

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(dataset="synthetic:gmm", n=300, capacities=(1, 4), teacher_options={"n_estimators": 5}, folds=2,
            repeats=2, c=0.1, methods=("no_kd", "vanilla", "crossfit"), jobs=1, progress=False)


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KDVIZ_HOME": str(tmp_path / "home")}


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def tiny() -> Results:
    return kdviz.sweep(**TINY)


def test_import_kdviz_is_cheap_and_lists_the_api(tmp_path):
    code = ("import sys, time; t = time.perf_counter(); import kdviz; t = time.perf_counter() - t; "
            "heavy = [m for m in ('torch', 'sklearn', 'pandas', 'plotly', 'streamlit') if m in sys.modules]; "
            "print(heavy, sorted(n for n in dir(kdviz) if not n.startswith('_')), f'{t:.4f}')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(tmp_path), check=True)
    heavy, names, _seconds = out.stdout.rsplit(" ", 1)[0].split("] ", 1)[0] + "]", out.stdout, None
    assert heavy == "[]", out.stdout  # nothing heavy at import time
    for name in ("sweep", "Results", "load_dataset", "submit", "jobs", "results", "presets", "methods"):
        assert f"'{name}'" in names


def test_three_lines_in_a_plain_python_session(tmp_path):
    script = ("import kdviz\n"
              "res = kdviz.sweep(dataset='synthetic:gmm', n=300, capacities=(1, 3), repeats=1, folds=2, c=0.1, jobs=1)\n"
              "print(res.df.shape, type(res.plot()).__name__)\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(tmp_path),
                       timeout=180, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Figure" in r.stdout
    assert "sweep: 100%" in r.stderr and "data: 300 rows" in r.stderr  # the tqdm bar and the data summary


def test_results_table_figures_summary_and_csv(tiny, tmp_path):
    df = tiny.df
    assert set(df["method"]) == {"teacher", "no_kd", "vanilla", "crossfit"}
    assert tiny.config.n == 300 and tiny.data_summary.startswith("data: 300 rows")
    fig = tiny.plot("student_error", log_x=True)
    assert isinstance(fig, go.Figure) and fig.layout.xaxis.type == "log"
    assert {"Vanilla KD", "Cross-fit KD"} <= {t.name for t in fig.data}
    dark = tiny.plot(theme="projector")
    assert dark.layout.paper_bgcolor != fig.layout.paper_bgcolor
    table = tiny.summary("test_auc")
    assert list(table.columns) == ["all", "1", "4"] and table.index[0] == "Teacher"
    mean = df[(df.method == "vanilla") & (df.capacity == 4)]["test_auc"].mean()
    assert table.loc["Vanilla KD", "4"].startswith(f"{mean:.4g}")
    path = tmp_path / "r.csv"
    tiny.to_csv(path)
    back = pd.read_csv(path)
    assert len(back) == len(df) and np.allclose(back["test_auc"], df["test_auc"])
    html = tiny._repr_html_()
    assert "kdviz sweep — synthetic:gmm" in html and "<table" in html and "label noise" not in html
    assert "Vanilla KD" in repr(tiny)
    with pytest.raises(ConfigError, match="unknown plot kind"):
        tiny.plot(kind="pie")


def test_compare_paper_is_kdviz_paper_compare():
    from kdviz.paper import compare, reference

    ref = reference("magic-B", "logp")
    rows = ref[ref["capacity"].notna()].head(4)
    df = pd.DataFrame({"method": rows["method"].tolist() * 2, "capacity": rows["capacity"].tolist() * 2,
                       "repeat": [0] * 4 + [1] * 4, "test_auc": list(rows["mean"] + 0.01) * 2, "c": np.nan})
    res = Results(df, kdviz.make_config(**kdviz.presets.PRESETS["paper-magic-B"]))
    got = res.compare_paper()
    assert got.paper == "magic-B" and len(got.levels) == 4
    assert np.allclose(got.levels["diff"], 0.01) and not got.levels["within"].any()  # 0.01 > ±0.005
    pd.testing.assert_frame_equal(got.levels, compare(df, "magic-B", scale="logp").levels)
    assert got.summary_line().startswith("levels 0/4 within ±0.005")


def test_config_from_a_preset_a_dict_a_file_and_keywords(tmp_path):
    cfg, notes = build_config(preset="quick", repeats=1)
    assert cfg.n == 2000 and cfg.repeats == 1 and notes == []
    cfg, notes = build_config({"dataset": "sklearn:wine"}, preset="quick")
    assert cfg.n is None and cfg.label_noise == 0.0 and "demo data settings" in notes[0]
    path = tmp_path / "s.toml"
    path.write_text('preset = "quick"\nrepeats = 4\n')
    cfg, _ = build_config(path, folds=3)
    assert (cfg.n, cfg.repeats, cfg.folds) == (2000, 4, 3)
    with pytest.raises(ConfigError, match="unknown preset"):
        build_config(preset="nope")
    with pytest.raises(ConfigError, match="repeats"):
        build_config(repeats=0)
    with pytest.raises(DatasetError, match="File not found"):
        kdviz.sweep(dataset=f"csv:{tmp_path / 'missing.csv'}", target="y", progress=False)


def test_presets_methods_and_sweep_stay_callable_modules():
    import kdviz.jobs as jobs_module
    import kdviz.sweep as sweep_module

    assert kdviz.sweep is sweep_module and callable(kdviz.sweep) and "COLUMNS" in dir(kdviz.sweep)
    assert kdviz.jobs is jobs_module and isinstance(kdviz.jobs(), pd.DataFrame)
    presets = kdviz.presets()
    assert "quick" in set(presets["preset"]) and "PRESETS" in dir(kdviz.presets)
    methods = kdviz.methods()
    assert list(methods["method"]) == list(kdviz.kd.methods.kd_methods())


def test_background_run_submit_jobs_results(tmp_path):
    home = tmp_path / "bg"
    job = kdviz.submit(dataset="synthetic:gmm", n=300, capacities=(1, 3), teacher_options={"n_estimators": 5},
                       folds=2, repeats=1, c=0.1, methods=("vanilla",), home=home)
    listed = kdviz.jobs(home=home)
    assert listed["id"].tolist() == [job] and listed["dataset"].iloc[0] == "synthetic:gmm"
    res = kdviz.results(job, wait=True, progress=False, home=home, timeout=120)
    assert res.job_id == job and set(res.df["method"]) == {"teacher", "vanilla"}
    assert kdviz.jobs(home=home)["status"].iloc[0] == "done"
    with pytest.raises(DatasetError):
        kdviz.submit(dataset=f"csv:{tmp_path / 'none.csv'}", target="y", home=home)  # refused before queueing
    assert len(kdviz.jobs(home=home)) == 1


def test_tqdm_bar_counts_tasks_and_shows_heartbeats():
    buf = io.StringIO()
    bar = TqdmProgress("sweep", file=buf)
    bar(0, 4, "start")
    bar(1, 4, "teacher")
    bar(1, 4, "teacher running 12 s")
    bar(4, 4, "student")
    text = buf.getvalue()
    assert "teacher running 12 s" in text and "4/4" in text and bar.bar is None  # closed at the end


@pytest.mark.parametrize("parallel", [False, True])
def test_long_tasks_report_a_heartbeat(monkeypatch, parallel):
    monkeypatch.setattr(experiments, "HEARTBEAT_S", 0.2)
    seen: list[tuple[int, int, str]] = []
    tasks = [Task("a", "teacher", {}), Task("b", "student", {}, ("a",))]

    def slow(t, deps):
        time.sleep(1.0 if t.kind == "teacher" else 0.0)
        return t.key

    if parallel:
        with ThreadPoolExecutor(2) as pool:
            out = run_plan(tasks, submit=lambda t, d: pool.submit(slow, t, d), jobs=2,
                           progress=lambda *a: seen.append(a))
    else:
        out = run_plan(tasks, slow, progress=lambda *a: seen.append(a))
    assert out == {"a": "a", "b": "b"}
    beats = [s for s in seen if experiments.is_heartbeat(s[2])]
    assert beats and all(d == 0 and total == 2 and s.startswith("teacher running") for d, total, s in beats)
    assert seen[-1] == (2, 2, "student")


def test_ctrl_c_stops_a_run_cleanly(tmp_path):
    """SIGINT while the pool computes: exit 130 within seconds, no leaked semaphores, no traceback."""
    cmd = [sys.executable, "-m", "kdviz.cli", "sweep", "--dataset", "synthetic:gmm", "--n", "60000", "--capacities",
           "20", "--teacher-option", "n_estimators=200", "--folds", "2", "--repeats", "1", "--c", "0.1",
           "--methods", "vanilla,crossfit", "--jobs", "2"]
    p = subprocess.Popen(cmd, env=_env(tmp_path), stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = ""
    while "progress" not in line and p.poll() is None:
        line = p.stderr.readline()
    time.sleep(1.0)  # the teachers are fitting in the pool
    assert p.poll() is None, "the run ended before it could be stopped"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "interrupted" in err and "leaked" not in err and "Traceback" not in err and "Warning" not in err


def test_multiclass_runs_have_a_one_vs_rest_macro_auc():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    scores = rng.dirichlet(np.ones(3), size=90) + 0.5 * np.eye(3)[y]
    got = classification_metrics(scores, y)["test_auc"]
    p = scores / scores.sum(axis=1, keepdims=True)
    assert got == pytest.approx(roc_auc_score(y, p, multi_class="ovr", average="macro"))
    assert np.isnan(classification_metrics(scores[y < 2], y[y < 2])["test_auc"])  # a class absent: no AUC
    res = kdviz.sweep(dataset="sklearn:wine", capacities=(1, 3), teacher_options={"n_estimators": 5}, folds=2,
                      repeats=1, c=0.1, methods=("vanilla",), jobs=1, progress=False)
    assert res.df["test_auc"].notna().all() and (res.df["n_classes"] == 3).all()
    fig = res.plot("test_auc")
    assert "AUC (one-vs-rest, macro)" in fig.layout.yaxis.title.text and "one-vs-rest" in fig.layout.title.text
    from kdviz.cli.tools import summary_table

    assert "AUC (one-vs-rest, macro)" in summary_table(res.df)
    binary = kdviz.sweep(**{**TINY, "repeats": 1})
    assert "one-vs-rest" not in binary.plot("test_auc").layout.yaxis.title.text
