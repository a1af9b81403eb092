"""Sweep page (AppTest): run a small background sweep, progress, partial/final chart, links, bad input."""

from __future__ import annotations

import re

import pytest
from apptools import no_exceptions, page, progress_text, run_until, specs, trace_names

from kdviz.config import MAX_TOTAL_FITS
from ui import sweep_form as form

SMALL = {"dataset": "synthetic:gmm", "n": "300", "capacities": "1,4", "methods": "no_kd,vanilla,crossfit",
         "repeats": "2", "folds": "2", "trees": "10", "seed": "1"}


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))


def test_small_sweep_runs_in_the_background_and_draws_the_chart():
    at = page("pages/2_Sweep.py", SMALL).run()
    no_exceptions(at)
    assert not at.warning
    at.button[0].click().run()  # ▶ Run
    no_exceptions(at)
    assert "run" in at.query_params
    assert re.search(r"(queued · waiting for a worker|\d+/\d+ tasks)", progress_text(at)), progress_text(at)
    at = run_until(at, lambda a: "done" in progress_text(a))
    assert re.search(r"^done · (\d+)/\1 tasks · elapsed \d+ s$", progress_text(at)), progress_text(at)
    no_exceptions(at)
    spec = specs(at)[0]
    names = trace_names(spec)
    for label in ("Teacher", "No KD (labels only)", "Vanilla KD", "Cross-fit KD"):
        assert label in names
    vanilla = next(t for t in spec["data"] if t["name"] == "Vanilla KD")
    assert list(vanilla["x"]) == [1, 4]
    assert any(t.get("fill") == "toself" for t in spec["data"])  # ± s.e. bands over 2 repeats
    assert "AUC" in spec["layout"]["yaxis"]["title"]["text"]
    # metric picker and log-x
    at.selectbox(key="sw_metric").set_value("student_error").run()
    at.toggle(key="sw_logx").set_value(True).run()
    spec = specs(at)[0]
    assert "p0" in spec["layout"]["yaxis"]["title"]["text"] and spec["layout"]["xaxis"]["type"] == "log"
    assert any("Oracle" in n for n in trace_names(spec))
    assert any("What to look for" in c.value for c in at.caption)
    labels = [b.label for b in at.get("download_button")]
    assert "⬇ Results CSV" in labels and "⬇ PNG" in labels and "⬇ HTML" in labels
    assert "⬇ Download talk pack" in labels
    # the chart's metric and log-x are in the link; a link with them reopens this view
    assert at.query_params["metric"] == "student_error" and at.query_params["logx"] == "1"
    assert any("**In this run:**" in c.value for c in at.caption)  # the outcome, computed
    run_id = at.query_params["run"]
    again = page("pages/2_Sweep.py", {**SMALL, "run": run_id, "metric": "student_error", "logx": "1"}).run()
    assert again.selectbox(key="sw_metric").value == "student_error" and again.toggle(key="sw_logx").value
    bad = page("pages/2_Sweep.py", {**SMALL, "run": run_id, "metric": "nonsense", "hide": "all"}).run()
    no_exceptions(bad)
    assert any("metric='nonsense'" in w.value for w in bad.warning)
    assert not bad.button and not bad.selectbox and not bad.slider and not bad.get("download_button")
    assert specs(bad)  # the chart stays


def test_link_restores_config_and_refuses_oversized_runs():
    at = page("pages/2_Sweep.py", {**SMALL, "repeats": "999"}).run()
    no_exceptions(at)
    assert any("repeats" in w.value for w in at.warning)
    assert at.session_state["sw.repeats"] == form.DEFAULTS["repeats"]
    assert at.session_state["sw.capacities"] == [1, 4] and at.session_state["sw.n"] == 300

    # each value fine alone, too many fits together: the value that crosses the limit is refused
    big = {"capacities": ",".join(str(c) for c in range(1, 31)), "repeats": "20", "folds": "20",
           "cv_folds": "10", "c_grid": ",".join(str(10.0**k) for k in range(-5, 5)), "c": "cv"}  # full CV (the
    # form's default, the fast search, costs ≤ 16 fits per cell on this grid: the link would fit)
    at = page("pages/2_Sweep.py", big).run()
    no_exceptions(at)
    assert any("model fits" in w.value and "limit" in w.value for w in at.warning)
    values = {k: at.session_state[f"sw.{k}"] for k in form.KINDS}
    for k in ("capacities", "methods", "c_grid"):
        values[k] = tuple(values[k])
    assert form.validate_values(values).estimated_fits() <= MAX_TOTAL_FITS
    assert at.button[0].disabled is False  # what is left is a bounded, runnable config


def test_link_cannot_point_at_server_files_and_preset_loads():
    at = page("pages/2_Sweep.py", {"dataset": "csv:/etc/passwd", "target": "x"}).run()
    no_exceptions(at)
    assert any("uploaded" in w.value for w in at.warning)
    assert at.session_state["sw.dataset"] == form.DEFAULTS["dataset"]
    at = page("pages/2_Sweep.py", {"preset": "overfitting-teacher"}).run()
    no_exceptions(at)
    assert at.session_state["sw.capacities"] == [2, 4, 8, 16, 24]
    assert at.query_params["capacities"] == "2,4,8,16,24" and "preset" not in at.query_params


def test_uploaded_csv_preview_target_picker_and_messages(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120), "label": ["x", "y"] * 60})
    path = form.save_upload(df.to_csv(index=False).encode(), "my data.csv")
    assert path.parent == form.uploads_dir() and path.exists()
    at = page("pages/2_Sweep.py", {"dataset": f"csv:{path}", "target": "label"}).run()
    no_exceptions(at)
    assert not at.warning
    assert at.sidebar.selectbox(key="sw.target").value == "label"
    assert any("120 rows" in c.value for c in at.sidebar.caption)
    assert at.sidebar.dataframe  # preview
    at.sidebar.selectbox(key="sw.target").set_value("a").run()  # continuous target → message, no crash
    no_exceptions(at)
    assert any("distinct values" in e.value for e in at.sidebar.error)
    assert at.button[0].disabled  # unusable data cannot be submitted
    assert any("distinct values" in e.value for e in at.main.error)


def test_unusable_upload_cannot_be_run_and_a_failed_job_does_not_crash_the_page():
    bad = form.save_upload(b"a,b,label\n" + b"1,2,x\n" * 60, "one_class.csv")
    at = page("pages/2_Sweep.py", {"dataset": f"csv:{bad}", "target": "label"}).run()
    no_exceptions(at)
    # a link to it is refused with the reason, and the defaults are used instead
    assert any("only one class ('x')" in w.value for w in at.warning)
    assert at.sidebar.selectbox[0].value == form.DEFAULTS["dataset"]
    # a job whose data no longer loads (submitted elsewhere, e.g. the CLI) shows its failure, no crash
    import kdviz.jobs as jobs
    from kdviz.config import make_config

    job = jobs.submit("sweep", make_config(dataset=f"csv:{bad}", target="label"))
    jobs.wait(job, timeout=60)
    at = page("pages/2_Sweep.py", {"run": job}).run()
    no_exceptions(at)
    assert jobs.get_job(job).status == "failed" and "only one class" in jobs.get_job(job).error


def test_bad_files_give_messages():
    from kdviz.data.load import read_table
    from kdviz.errors import DatasetError

    for data, words in ((b"", "empty"), (b"\x00\x01PK\x03\x04", "binary"), (b"a,b\n", "no data")):
        with pytest.raises(DatasetError, match=words):
            read_table(data)
    bad = form.save_upload(b"a,b,label\n" + b"1,2,x\n" * 60, "one_class.csv")
    with pytest.raises(DatasetError, match="only one class"):
        form.check_target(bad, "label")


def test_torch_students_and_their_temperature_come_from_the_link():
    link = {**SMALL, "dataset": "sklearn:digits", "teacher": "mlp-epochs", "capacities": "2,5", "student": "mlp",
            "temperature": "2", "alpha": "0.9"}
    at = page("pages/2_Sweep.py", link).run()
    no_exceptions(at)
    assert not at.warning
    assert at.selectbox(key="sw.student").value == "mlp"
    assert {"mlp", "cnn", "torch-linear"} <= {o.split(":")[0] for o in at.selectbox(key="sw.student").options}
    assert at.slider(key="sw.temperature").value == 2.0 and at.slider(key="sw.alpha").value == 0.9
    cfg = form.validate_values({**form.DEFAULTS, **form.from_config_dict({})} | {
        "dataset": "sklearn:digits", "teacher": "mlp-epochs", "capacities": (2, 5), "student": "mlp",
        "temperature": 2.0, "alpha": 0.9})
    assert (cfg.student, cfg.temperature, cfg.alpha) == ("mlp", 2.0, 0.9)
    bad = page("pages/2_Sweep.py", {**link, "temperature": "500"}).run()
    no_exceptions(bad)
    assert any("temperature" in w.value for w in bad.warning)  # refused, replaced by the default


def test_a_cancelled_run_resumes_from_its_progress_panel(tmp_path, monkeypatch):
    from kdviz.config import make_config
    from kdviz.jobs import cancel, get_job, submit

    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    cfg = make_config(dataset="synthetic:gmm", n=300, capacities=(1, 4), methods=("no_kd", "vanilla"),
                      repeats=1, folds=2, teacher_options={"n_estimators": 10})
    jid = submit("sweep", cfg, start_worker=False)  # cancelled before any worker picks it up
    cancel(jid)
    assert get_job(jid).status == "cancelled"
    at = page("pages/2_Sweep.py", {"run": jid}).run()
    no_exceptions(at)
    assert any("Resume computes only the missing tasks" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Cancel"]
    at.button(key=f"sw_resume_{jid}").click().run()
    no_exceptions(at)
    at = run_until(at, lambda a: "done" in progress_text(a))
    assert get_job(jid).status == "done"
    assert not [b for b in at.button if b.label == "▶ Resume"]
    assert "Vanilla KD" in trace_names(specs(at)[0])


def test_underfitting_preset_opens_on_the_distance_to_p0_where_the_correction_shows(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    at = page("pages/2_Sweep.py", {"preset": "underfitting-teacher"}).run()
    no_exceptions(at)
    at.button[0].click().run()  # ▶ Run
    at = run_until(at, lambda a: "done" in progress_text(a), timeout=120)
    no_exceptions(at)
    assert at.selectbox(key="sw_metric").value == "student_error"
    spec = specs(at)[0]
    assert "p0" in spec["layout"]["yaxis"]["title"]["text"]

    def at_depth_1(name: str) -> float:
        trace = next(t for t in spec["data"] if t.get("name") == name)
        return trace["y"][list(trace["x"]).index(1)]

    # this preset (Brier CV for c), seeds 0–3: enhanced 0.0154–0.0183 vs vanilla 0.0317–0.0324
    assert at_depth_1("Enhanced KD (cross-fit + correction)") < at_depth_1("Vanilla KD") - 0.005


def test_real_data_uses_all_rows_and_no_label_noise_unless_set():
    """Issue 9.1: an uploaded CSV (or any real dataset) must not inherit the synthetic demo's n and noise."""
    path = form.save_upload(b"a,b,label\n" + b"".join(f"{i % 7},{i % 3},{'xy'[i % 2]}\n".encode() for i in range(120)),
                            "mine.csv")
    at = page("pages/2_Sweep.py", {"dataset": f"upload:{path.name}", "target": "label"}).run()
    no_exceptions(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.session_state["sw.n"] is None and at.session_state["sw.label_noise"] == 0.0
    assert at.query_params["dataset"] == f"upload:{path.name}"  # the link names the upload, not the path
    assert at.query_params["n"] == ""
    caption = " ".join(c.value for c in at.main.caption)
    assert "all rows · no label noise" in caption
    # picking real data in the select box switches to all rows / no noise; synthetic data brings the demo back
    at = page("pages/2_Sweep.py").run()
    assert at.session_state["sw.n"] == 2000 and at.session_state["sw.label_noise"] == 0.2
    at.sidebar.selectbox[0].set_value("sklearn:breast_cancer").run()
    no_exceptions(at)
    assert at.session_state["sw.n"] is None and at.session_state["sw.label_noise"] == 0.0
    at.sidebar.selectbox[0].set_value("synthetic:curve").run()
    assert at.session_state["sw.n"] == 2000 and at.session_state["sw.label_noise"] == 0.2


def test_a_link_with_n_cleared_keeps_all_rows():
    at = page("pages/2_Sweep.py", {**SMALL, "dataset": "sklearn:wine", "n": ""}).run()
    no_exceptions(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.session_state["sw.n"] is None


def test_the_chart_names_the_data_settings():
    at = page("pages/2_Sweep.py", {**SMALL, "label_noise": "0.1", "methods": "vanilla", "repeats": "1"}).run()
    at.button[0].click().run()
    at = run_until(at, lambda a: "done" in progress_text(a))
    subtitle = specs(at)[0]["layout"]["title"]["subtitle"]["text"]
    assert subtitle.endswith("n = 300 · label noise 10%"), subtitle


#: an absolute path in a text: "/" after a space, quote, comma or the start, then a folder and more
_ABSOLUTE = re.compile(r"(?:^|[\s'\",:=(\[])/[\w.~-]+/")


def test_no_server_path_in_the_page_or_its_downloads(tmp_path, monkeypatch):
    """A run on an upload: its results CSV, run JSON and talk pack (the bytes a click downloads), its tables
    and texts on the page name the upload by file (`upload:FILE`), never by the server's path."""
    import io
    import zipfile

    import numpy as np
    import pandas as pd
    from streamlit.runtime.media_file_manager import MediaFileManager

    import kdviz.jobs as jobs
    from kdviz.config import make_config

    made: dict[str, object] = {}  # file name → the callable a click on its download button runs
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200), "label": ["x", "y"] * 100})
    path = form.save_upload(table.to_csv(index=False).encode(), "grades.csv")
    job = jobs.submit("sweep", make_config(dataset=f"csv:{path}", target="label", capacities=(1, 4),
                                           methods=("no_kd", "vanilla"), repeats=1, folds=2,
                                           teacher_options={"n_estimators": 10}))
    jobs.wait(job, timeout=120)
    assert jobs.get_job(job).status == "done", jobs.get_job(job).error
    at = page("pages/2_Sweep.py", {"run": job}).run()
    no_exceptions(at)
    downloads = {name: made[name]() for name in ("kdviz_results.csv", "kdviz_run.json")}
    pack = next(f for n, f in made.items() if n.endswith(".zip"))()
    with zipfile.ZipFile(io.BytesIO(pack)) as z:
        downloads.update({n: z.read(n) for n in z.namelist() if not n.endswith((".png", ".svg"))})
    on_page = [df.value.to_csv() for df in at.dataframe] + [str(e.value) for e in (*at.markdown, *at.caption)]
    shown = {**{n: b.decode(errors="ignore") for n, b in downloads.items()}, **dict(enumerate(on_page))}
    assert "upload:" + path.name in shown["kdviz_results.csv"]  # the upload is still named, by its file
    for name, text in shown.items():
        for server in (str(tmp_path), str(form.uploads_dir()), str(path)):
            assert server not in text, (name, server)
        if not str(name).endswith(".html"):  # (a chart's HTML carries plotly.js, whose code has slashes)
            assert not _ABSOLUTE.search(text), (name, _ABSOLUTE.search(text))


def test_an_unset_dataset_parameter_shows_the_generators_default():
    """synthetic:gmm's d and r are unset by default (the generator's own values are used): their fields
    say which values those are instead of showing blank."""
    at = page("pages/2_Sweep.py", {"dataset": "synthetic:gmm"}).run()
    no_exceptions(at)
    d, r = at.number_input(key="sw.d"), at.number_input(key="sw.r")
    assert d.value is None and d.placeholder == "5 (default)"
    assert r.value is None and r.placeholder == "0.5 (default)"
    assert form.empty_text("d", "synthetic:curve") is None and form.empty_text("d", "csv:/x/y.csv") is None
