"""The `kdviz` command line: a sweep end to end, and one clear line for every bad argument."""

import subprocess
import sys

import pandas as pd
import pytest

from kdviz.cli.main import main

FAST = ["--dataset", "synthetic:gmm", "--n", "300", "--capacities", "1,3", "--teacher-option", "n_estimators=5",
        "--folds", "2", "--repeats", "1", "--c", "0.1", "--jobs", "1"]


def test_sweep_writes_the_table_and_prints_a_summary(tmp_path, capsys):
    out = tmp_path / "results.csv"
    assert main(["sweep", *FAST, "--methods", "no_kd,vanilla,crossfit", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert set(df.method) == {"teacher", "no_kd", "vanilla", "crossfit"}
    captured = capsys.readouterr()
    assert "mean test_auc by method and max_depth" in captured.out and "crossfit" in captured.out
    assert "9/9" not in captured.out and "progress 9/9 (100%) student" in captured.err  # progress on stderr only
    assert "\r" not in captured.err  # redirected: plain lines, no carriage returns
    assert captured.err.startswith("kdviz: data: 300 rows, 5 features after encoding, 2 classes\n")


def test_config_file_and_flags_override(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text('[sweep]\ndataset = "synthetic:gmm"\nn = 300\nmethods = ["vanilla"]\ncapacities = [2]\n'
                   'folds = 2\nrepeats = 1\nteacher_options = {n_estimators = 5}\n')
    out = tmp_path / "r.csv"
    assert main(["sweep", "--config", str(cfg), "--capacities", "1", "--out", str(out), "--quiet", "--jobs", "1"]) == 0
    df = pd.read_csv(out)
    assert set(df.capacity) == {1} and set(df.method) == {"teacher", "vanilla"}


@pytest.mark.parametrize("args, message", [
    (["--folds", "1"], "folds: Input should be greater than or equal to 2"),
    (["--methods", "vanilla,bogus"], "unknown method(s) bogus"),
    (["--dataset", "nope:x"], "nope:x"),
    (["--teacher", "rf-height"], "Unknown teacher family 'rf-height'"),
    (["--capacities", "1,x"], "expected a comma-separated list"),
    (["--c", "big"], "--c must be a positive number or 'cv'"),
    (["--label-noise", "0.7"], "label_noise"),
    (["--dataset", "csv:/no/such/file.csv", "--target", "y"], "/no/such/file.csv"),
    (["--config", "/no/such.toml"], "cannot read config file"),
    (["--teacher-option", "n_estimators"], "expected KEY=VALUE"),
])
def test_bad_arguments_exit_nonzero_with_one_line_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "results.csv"
    proc = subprocess.run([sys.executable, "-m", "kdviz.cli", "sweep", *FAST, *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "Traceback" not in err
    assert err.startswith("kdviz: error:") and len(err.splitlines()) == 1, err
    assert message in err
    assert not out.exists()
