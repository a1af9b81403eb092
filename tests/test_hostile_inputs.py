"""Real data stays real: awkward files load as what they are, and bad input stops before any compute.

Every file is generated here. Each test names the item of issue 9 it covers.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kdviz.data.openml as openml
from kdviz.cli.main import main
from kdviz.config import load_config_file, make_config
from kdviz.data.load import load_dataset, read_table
from kdviz.errors import ConfigError, DatasetError

FAST = ["--n", "300", "--capacities", "1,3", "--teacher-option", "n_estimators=5", "--folds", "2",
        "--repeats", "1", "--c", "0.1", "--jobs", "1", "--methods", "no_kd,vanilla"]


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(openml, "_openml_reachable", lambda timeout=3.0: False)  # tests never use the network


def _frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = np.where(a + b + 0.5 * rng.normal(size=n) > 0, "yes", "no")
    return pd.DataFrame({"a": a.round(3), "b": b.round(3), "c": rng.integers(0, 5, n), "label": y})


def _write_csv(path: Path, df: pd.DataFrame, **kw) -> Path:
    df.to_csv(path, index=False, **kw)
    return path


class _Result:
    def __init__(self, returncode: int, stderr: str):
        self.returncode, self.stderr = returncode, stderr


def _cli(*args: str, cwd: Path | None = None) -> _Result:
    """`kdviz ARGS` in this process (main() is what the console script calls); stderr captured."""
    import contextlib
    import io

    err = io.StringIO()
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                rc = main(list(args))
            except SystemExit as e:  # argparse errors
                rc = e.code
    finally:
        os.chdir(old)
    return _Result(rc, err.getvalue())


# ----------------------------------------------------------------------------- 2. numbers stay numbers


def test_semicolons_with_decimal_commas_are_three_numeric_features(tmp_path):
    df = _frame()
    text = df.to_csv(index=False, sep=";").replace(".", ",")  # a European spreadsheet export
    path = tmp_path / "euro.csv"
    path.write_text(text)
    ds = load_dataset(f"csv:{path}", target="label")
    assert ds.feature_names == ["a", "b", "c"]
    assert "semicolon-separated" in ds.report.notes and any("decimal commas" in n for n in ds.report.notes)
    raw = pd.read_csv(path, sep=";", decimal=",")
    np.testing.assert_allclose(np.sort(raw["a"].to_numpy()), np.sort(read_table(path)["a"].to_numpy()))


def test_thousands_dots_with_decimal_commas(tmp_path):
    path = tmp_path / "money.csv"
    rows = [f"{'1.234,5' if i % 2 else '17,25'};{i % 2}" for i in range(60)]
    path.write_text("amount;label\n" + "\n".join(rows) + "\n")
    df = read_table(path)
    assert set(df["amount"]) == {1234.5, 17.25}


def test_a_stray_word_in_a_numeric_column_is_missing_and_reported(tmp_path):
    df = _frame().astype({"a": object})
    df.loc[7, "a"] = "unknown"
    path = _write_csv(tmp_path / "stray.csv", df)
    ds = load_dataset(f"csv:{path}", target="label")
    assert ds.feature_names == ["a", "b", "c"]  # not 200 one-hot columns
    assert any("'a': 1 non-numeric cell ('unknown')" in n for n in ds.report.notes)
    assert "'a' 1" in ds.summary()  # the cell is counted as missing (then imputed)


def test_label_variants_are_merged_with_a_warning(tmp_path):
    df = _frame(300)
    y = df["label"].map({"yes": ">50K", "no": "<=50K"}).astype(object)
    y[::3] = y[::3] + "."  # as in Adult's test file
    y[1::7] = " " + y[1::7]
    df["label"] = y
    ds = load_dataset(f"csv:{_write_csv(tmp_path / 'adult_like.csv', df)}", target="label")
    assert ds.class_names == ["<=50K", ">50K"]
    merged = next(n for n in ds.report.notes if n.startswith("labels merged"))
    assert "'>50K' ← '>50K' (" in merged and "'>50K.' (" in merged and "'<=50K' ← '<=50K' (" in merged


def test_id_columns_are_dropped_with_a_note(tmp_path):
    df = _frame()
    df.insert(0, "customer", [f"C{i:05d}" for i in range(len(df))])
    df.insert(0, "Unnamed: 0", range(len(df)))  # a pandas index written out
    ds = load_dataset(f"csv:{_write_csv(tmp_path / 'ids.csv', df)}", target="label")
    assert ds.feature_names == ["a", "b", "c"]
    assert "column 'customer' (unique per row: an ID)" in ds.summary()
    assert "column 'Unnamed: 0' (unique per row: an ID)" in ds.summary()


def test_rows_with_a_missing_target_are_counted(tmp_path):
    df = _frame()
    df.loc[[3, 9, 11], "label"] = None
    ds = load_dataset(f"csv:{_write_csv(tmp_path / 'gaps.csv', df)}", target="label")
    assert ds.report.rows_used == 197 and "3 rows with a missing target" in ds.summary()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1"])
def test_encodings(tmp_path, encoding):
    df = _frame()
    df["city"] = np.where(df["c"] > 2, "Zürich", "Göteborg")
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(df.to_csv(index=False).encode(encoding))
    table = read_table(path)
    assert list(table.columns) == ["a", "b", "c", "label", "city"]
    assert set(table["city"]) == {"Zürich", "Göteborg"}
    if encoding.startswith("utf-16"):
        assert "read as UTF-16 text" in table.attrs["kdviz_notes"]
    if encoding == "latin-1":
        assert any("Latin-1" in n for n in table.attrs["kdviz_notes"])


def test_utf16_with_bom_is_not_called_binary():
    raw = codecs.BOM_UTF16_LE + "x,label\n1,a\n2,b\n".encode("utf-16-le")
    assert list(read_table(raw)["label"]) == ["a", "b"]


# ----------------------------------------------------------------------------- 5. infinite values


def test_infinite_values_are_missing_named_by_column_and_a_sweep_runs(tmp_path, capsys):
    df = _frame(300).astype({"b": object})
    df.loc[[2, 5], "b"] = ["inf", "-inf"]
    path = _write_csv(tmp_path / "inf.csv", df)
    ds = load_dataset(f"csv:{path}", target="label")
    assert np.isfinite(ds.X_train).all() and np.isfinite(ds.X_test).all()
    assert "'b' 2 infinite" in ds.summary()
    out = tmp_path / "r.csv"
    assert main(["sweep", "--dataset", f"csv:{path}", "--target", "label", *FAST, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "'b' 2 infinite" in err and "NaN" not in err
    assert len(pd.read_csv(out))


# ----------------------------------------------------------------------------- CLI data summary


def test_cli_prints_the_data_summary_before_any_fit(tmp_path):
    df = _frame(300)
    df.insert(0, "id", [f"row{i}" for i in range(300)])
    df.loc[0, "a"] = np.nan
    path = _write_csv(tmp_path / "d.csv", df)
    proc = _cli("sweep", "--dataset", f"csv:{path}", "--target", "label", *FAST, "--quiet")
    assert proc.returncode == 0, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first == ("kdviz: data: 300 rows, 3 features after encoding, 2 classes "
                     "(dropped: column 'id' (unique per row: an ID); missing: 'a' 1)")


# ----------------------------------------------------------------------------- 3. config files


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bin.toml", bytes(range(256)) * 4, "binary file"),
    ("latin.toml", 'dataset = "csv:daten_größe.csv"\n'.encode("latin-1"), "not UTF-8 text"),
    ("list.json", b"[1, 2]", "must hold a table of settings"),
    ("null.json", b"null", "must hold a table of settings"),
    ("preset.toml", b'sweep = "quick"\n', 'preset = "quick"'),
    ("typo.toml", b'preset = "quik"\n', "unknown preset 'quik'"),
    ("broken.toml", b"n = = 3\n", "not valid TOML"),
])
def test_config_files_that_are_not_settings_get_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        load_config_file(path)
    proc = _cli("sweep", "--config", str(path))
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert message.split("'")[0] in proc.stderr


def test_a_config_file_can_start_from_a_preset(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('preset = "quick"\nrepeats = 1\n')
    cfg = make_config(**load_config_file(path))
    assert cfg.repeats == 1 and cfg.n == 2000 and cfg.cv_metric == "brier"


# ----------------------------------------------------------------------------- 4. outputs before compute


def test_out_into_a_missing_folder_fails_before_loading_data(tmp_path):
    proc = _cli("sweep", "--dataset", "synthetic:gmm", *FAST, "--out", str(tmp_path / "nope" / "r.csv"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr
    assert "data:" not in proc.stderr and "progress" not in proc.stderr  # nothing was loaded or fitted


def test_out_never_overwrites_the_input_csv(tmp_path):
    path = _write_csv(tmp_path / "mine.csv", _frame())
    before = path.read_bytes()
    proc = _cli("sweep", "--dataset", f"csv:{path}", "--target", "label", *FAST, "--out", str(path))
    assert proc.returncode == 1 and "input file" in proc.stderr and "overwritten" in proc.stderr
    assert path.read_bytes() == before
    rel = _cli("sweep", "--dataset", "csv:mine.csv", "--target", "label", *FAST, "--out", "./mine.csv", cwd=tmp_path)
    assert rel.returncode == 1 and "input file" in rel.stderr and path.read_bytes() == before


def test_out_must_be_writable(tmp_path, monkeypatch):
    import kdviz.cli.tools as cli

    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access  # CI runs as root, where every folder is writable: answer as for another user
    monkeypatch.setattr(cli.os, "access", lambda p, mode: False if Path(p) == ro else real(p, mode))
    proc = _cli("sweep", *FAST, "--out", str(ro / "r.csv"))
    assert proc.returncode == 1 and "no permission" in proc.stderr


# ----------------------------------------------------------------------------- 6. resource limits


def test_jobs_are_capped_at_the_cores_with_a_note(tmp_path):
    proc = _cli("sweep", *FAST[:-4], "--methods", "vanilla", "--jobs", "1000", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert f"--jobs 1000 capped at {os.cpu_count()}" in proc.stderr
    bad = _cli("sweep", *FAST[:-4], "--jobs", "0")
    assert bad.returncode == 1 and "--jobs must be at least 1" in bad.stderr


@pytest.mark.parametrize(("flag", "message"), [
    ("--teacher-option", "n_estimators must be a number in [1, 2000], got 100000000.0"),
    ("--student-option", "n_estimators must be a number in [1, 2000], got 100000000.0"),
])
def test_option_ranges_are_bounded(flag, message):
    proc = _cli("sweep", flag, "n_estimators=1e8")
    assert proc.returncode == 1 and message in proc.stderr


def test_big_tables_report_progress_and_suggest_sampling(tmp_path, monkeypatch, capsys):
    import kdviz.cli.tools as cli
    import kdviz.data.tables as tables

    monkeypatch.setattr(tables, "CHUNKED_BYTES", 1000)
    monkeypatch.setattr(tables, "_CHUNK_ROWS", 100)
    monkeypatch.setattr(cli, "LARGE_ROWS", 250)
    path = _write_csv(tmp_path / "big.csv", _frame(400))
    messages: list[str] = []
    read_table(path, progress=messages.append)
    assert messages[0].startswith("reading") and messages[-1] == "parsed 400 rows"
    assert main(["sweep", "--dataset", f"csv:{path}", "--target", "label", *FAST[2:], "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "parsed 400 rows" in err and "add --n 50000" in err


# ----------------------------------------------------------------------------- 7. submit checks the data


def test_submit_refuses_data_that_cannot_load(tmp_path):
    from kdviz.jobs import list_jobs

    one_class = tmp_path / "one.csv"
    one_class.write_text("a,label\n" + "1,x\n" * 80)
    proc = _cli("submit", "--dataset", f"csv:{one_class}", "--target", "label", "--no-worker")
    assert proc.returncode == 1 and "only one class" in proc.stderr
    assert list_jobs() == []


# ----------------------------------------------------------------------------- 8. smaller items


def test_a_closed_pipe_ends_quietly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kdviz.cli", "jobs"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ})
    proc.stdout.close()  # `| head` that has already exited
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_unused_uploads_are_pruned_and_used_ones_kept():
    from ui import sweep_form as form

    old = form.save_upload(b"a,label\n1,x\n", "old.csv")
    kept = form.save_upload(b"a,label\n2,y\n", "kept.csv")
    fresh = form.save_upload(b"a,label\n3,z\n", "fresh.csv")
    day_ago = time.time() - 2 * form.UPLOAD_KEEP_S
    for f in (old, kept):
        os.utime(f, (day_ago, day_ago))
    gone = form.prune_uploads({f"csv:{kept}"})
    assert gone == [old] and kept.exists() and fresh.exists()


def test_openml_offline_is_refused_before_run():
    from ui import sweep_form as form

    form._openml_available.cache_clear()
    with pytest.raises(DatasetError, match="cannot be reached"):
        form.validate_values({**form.DEFAULTS, "dataset": "openml:NotCachedHere"})


def test_links_name_uploads_not_server_paths():
    from ui import sweep_form as form

    path = form.save_upload(b"a,label\n" + b"1,x\n2,y\n" * 30, "secret name.csv")
    values = {**form.DEFAULTS, "dataset": f"csv:{path}", "target": "label"}
    linked = form.link_values(values)
    assert linked["dataset"] == f"upload:{path.name}" and "/" not in linked["dataset"]
    assert form.from_link_dataset(linked["dataset"]) == f"csv:{path}"
    assert form.from_link_dataset("upload:../../etc/passwd") == f"csv:{form.uploads_dir() / 'passwd'}"
    cfg = form.validate_values({**values, "dataset": linked["dataset"], **form.data_defaults("csv:x")})
    assert cfg.dataset == f"csv:{path}" and cfg.n is None and cfg.label_noise == 0.0


# ---------------------------------------------------------------------------------------------------
# issue 20: the last rough edges of real data


def _two_label_columns(path: Path) -> Path:
    rng = np.random.default_rng(1)
    n = 200
    real = np.where(rng.normal(size=n) > 0, "yes", "no")
    rows = [f"{rng.normal():.3f},{rng.normal():.3f},{i % 3},{rng.normal():.3f},{real[i]}" for i in range(n)]
    path.write_text("a,label,b,c,label\n" + "\n".join(rows) + "\n")
    return path


def test_a_target_naming_two_columns_is_refused_naming_both(tmp_path):
    path = _two_label_columns(tmp_path / "twice.csv")
    with pytest.raises(DatasetError) as e:
        load_dataset(f"csv:{path}", target="label")
    msg = str(e.value)
    assert "'label' (column 2)" in msg and "'label.1' (column 5)" in msg  # both columns, by position
    assert "--target 'label.1'" in msg and "Rename" in msg  # how to pick one
    ds = load_dataset(f"csv:{path}", target="label.1")  # the second one, by the name kdviz gave it
    assert ds.class_names == ["no", "yes"] and "label" in ds.feature_names
    assert any("'label' heads columns 2, 5" in n for n in ds.report.notes)
    r = _cli("sweep", "--dataset", f"csv:{path}", "--target", "label", *FAST[2:])
    assert r.returncode != 0 and "matches 2 columns" in r.stderr and "Traceback" not in r.stderr


def test_every_rename_of_a_header_is_a_note(tmp_path):
    path = tmp_path / "renamed.csv"
    rows = [f"{i % 9},{i % 4},{i % 5},{i % 6},{'a' if i % 2 else 'b'}" for i in range(100)]
    path.write_text("x,,score, score,y\n" + "\n".join(rows) + "\n")  # ' score' is 'score' once stripped
    ds = load_dataset(f"csv:{path}", target="y")
    assert ds.feature_names == ["x", "Unnamed: 1", "score", "score.1"]
    notes = " | ".join(ds.report.notes)
    assert "column 2 → 'Unnamed: 1'" in notes
    assert "'score' heads columns 3, 4: read as 'score', 'score.1'" in notes


def test_a_title_line_above_the_data_is_skipped_with_a_note(tmp_path):
    """UCI's adult.test: a first line `|1x3 Cross validator`, then data rows without a header."""
    rng = np.random.default_rng(2)
    rows = [f"{rng.integers(17, 90)}, {rng.choice(['Private', 'State-gov', 'Self-emp'])}, {rng.integers(1e4, 1e6)}, "
            f"{rng.choice(['11th', 'HS-grad', 'Bachelors'])}, {rng.integers(1, 16)}, {rng.choice(['<=50K.', '>50K.'])}"
            for _ in range(300)]
    path = tmp_path / "adult.test"
    path.write_text("|1x3 Cross validator\n" + "\n".join(rows) + "\n")
    df = read_table(path)
    assert df.shape == (300, 6)  # not two pipe-separated columns; the first data row is data
    notes = df.attrs["kdviz_notes"]
    assert any("skipped the first line '|1x3 Cross validator'" in n and "the lines below have 6" in n for n in notes)
    assert any("looks like data, not a header" in n and "column6" in n for n in notes)
    ds = load_dataset(f"csv:{path}", target="column6")
    assert ds.class_names == ["<=50K.", ">50K."] and ds.report.rows_used == 300
    # with a header below the title line, the header is kept
    path.write_text("|1x3 Cross validator\nage, work, fnlwgt, edu, num, Salary\n" + "\n".join(rows) + "\n")
    df = read_table(path)
    assert list(df.columns) == ["age", "work", "fnlwgt", "edu", "num", "Salary"] and len(df) == 300


def test_a_header_of_numbers_is_still_a_header(tmp_path):
    rng = np.random.default_rng(3)
    rows = [f"{rng.normal():.3f},{rng.normal():.3f},{rng.normal():.3f},{i % 2}" for i in range(100)]
    path = tmp_path / "indexed.csv"
    path.write_text("0,1,2,3\n" + "\n".join(rows) + "\n")
    assert list(read_table(path).columns) == ["0", "1", "2", "3"]


def test_the_merge_note_lists_every_variant_with_its_rows(tmp_path):
    rows = (["a,b,y"] + [f"{i},{i % 7},yes" for i in range(300)] + [f"{i},{i % 5},no" for i in range(300)]
            + [f'{i},1," no"' for i in range(152)] + [f"{i},1,No" for i in range(20)])
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(f"csv:{path}", target="y")
    assert ds.class_names == ["no", "yes"]
    merged = next(n for n in ds.report.notes if n.startswith("labels merged"))
    assert "'no' ← 'no' (300 rows), ' no' (152 rows), 'No' (20 rows)" in merged


def test_a_presets_demo_data_settings_stay_on_its_own_dataset(tmp_path):
    from kdviz.cli.main import build_parser, config_from_args

    path = _write_csv(tmp_path / "mine.csv", _frame(300))
    parse = build_parser().parse_args
    cfg = config_from_args(parse(["sweep", "--preset", "quick", "--dataset", f"csv:{path}", "--target", "label"]))
    assert cfg.n is None and cfg.label_noise == 0.0  # all rows, no label noise
    assert cfg.capacities == (1, 2, 4, 8, 16)  # the rest of the preset applies
    cfg = config_from_args(parse(["sweep", "--preset", "quick", "--dataset", f"csv:{path}", "--target", "label",
                                  "--label-noise", "0.1"]))
    assert cfg.n is None and cfg.label_noise == 0.1  # given explicitly: kept
    cfg = config_from_args(parse(["sweep", "--preset", "quick"]))
    assert cfg.n == 2000 and cfg.label_noise == 0.2  # the preset's own dataset: its demo settings
    conf = tmp_path / "c.toml"
    conf.write_text(f'preset = "quick"\ndataset = "csv:{path}"\ntarget = "label"\n')
    assert make_config(**load_config_file(conf)).n is None
    r = _cli("sweep", "--preset", "quick", "--dataset", f"csv:{path}", "--target", "label", "--capacities", "1,2",
             "--repeats", "1", "--folds", "2", "--c", "0.1", "--jobs", "1", "--methods", "vanilla")
    assert r.returncode == 0, r.stderr
    assert "demo data settings (n = 2000, label_noise = 0.2)" in r.stderr and "data: 300 rows" in r.stderr
