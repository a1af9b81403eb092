"""`kdviz submit / jobs / status / results / cancel / resume / delete` on a small real sweep."""

from __future__ import annotations

import pandas as pd
import pytest

from kdviz.cli.main import main
from kdviz.jobs import stop_workers

SWEEP_FLAGS = ["--dataset", "synthetic:gmm", "--n", "300", "--capacities", "1,3", "--teacher-option",
               "n_estimators=10", "--folds", "2", "--repeats", "1", "--c-grid", "0.1,1", "--cv-folds", "2"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_WORKER_JOBS", "2")
    yield str(tmp_path / "home")
    stop_workers()


def test_submit_wait_then_inspect_and_export(home, tmp_path, capsys):
    assert main(["submit", *SWEEP_FLAGS, "--home", home, "--wait", "--quiet"]) == 0
    job_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(job_id) == 12

    assert main(["jobs", "--home", home]) == 0
    out = capsys.readouterr().out
    assert job_id in out and "done" in out

    assert main(["status", job_id[:6], "--home", home]) == 0
    out = capsys.readouterr().out
    assert "status    done" in out and "progress  21/21" in out

    csv = tmp_path / "results.csv"
    assert main(["results", job_id, "--home", home, "--out", str(csv)]) == 0
    df = pd.read_csv(csv)
    assert set(df["method"]) == {"teacher", "no_kd", "vanilla", "crossfit", "corrected", "enhanced"}

    assert main(["results", job_id, "--home", home]) == 0
    assert "mean test_auc" in capsys.readouterr().out
    assert main(["resume", job_id, "--home", home]) == 0  # done: nothing to resume
    assert main(["cancel", job_id, "--home", home]) == 0
    assert capsys.readouterr().out.strip() .endswith("done")


def test_submit_without_wait_prints_only_the_id_and_errors_are_one_line(home, capsys):
    assert main(["submit", *SWEEP_FLAGS, "--home", home, "--no-worker"]) == 0
    job_id = capsys.readouterr().out.strip()
    assert len(job_id) == 12 and "\n" not in job_id
    assert main(["cancel", job_id, "--home", home]) == 0
    assert capsys.readouterr().out.strip() == f"{job_id} cancelled"
    assert main(["delete", job_id, "--home", home]) == 0
    capsys.readouterr()
    assert main(["status", job_id, "--home", home]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kdviz: error:") and "kdviz jobs" in err and len(err.strip().splitlines()) == 1
    assert main(["submit", "--folds", "1", "--home", home]) == 1
    assert "folds" in capsys.readouterr().err
