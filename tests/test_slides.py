"""Slide-ready kdviz (issue 19): named runs (CLI, store, overlays, packs), the projector theme's contrast,
Material icons instead of emoji, the whole-lesson pack, animated HTML frames."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from kdviz.cli.main import main
from kdviz.errors import ConfigError
from kdviz.figures import plots
from kdviz.jobs import open_store, rename, stop_workers, submit
from kdviz.jobs.labels import clean_tags, matches

ROOT = Path(__file__).resolve().parents[1]
SWEEP_FLAGS = ["--dataset", "synthetic:gmm", "--n", "300", "--capacities", "1,3", "--folds", "2", "--repeats", "1"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path / "home"))
    yield str(tmp_path / "home")
    stop_workers()


# ----------------------------------------------------------------------------------------------
# named runs
def test_cli_submit_names_and_tags_a_run_and_jobs_searches_them(home, capsys):
    assert main(["submit", *SWEEP_FLAGS, "--home", home, "--no-worker", "--name", "magic  noise 20 %",
                 "--tag", "talk", "--tag", "noise", "--tag", "Talk"]) == 0
    named = capsys.readouterr().out.strip()
    assert main(["submit", *SWEEP_FLAGS, "--home", home, "--no-worker"]) == 0
    plain = capsys.readouterr().out.strip()
    job = open_store(home).get_job(named)
    assert (job.name, job.tags, job.label) == ("magic noise 20 %", ("talk", "noise"), "magic noise 20 %")
    assert open_store(home).get_job(plain).label == f"sweep {plain[:6]}"
    assert main(["jobs", "--home", home, "--search", "NOISE talk"]) == 0
    out = capsys.readouterr().out
    assert named in out and plain not in out and "name: magic noise 20 %  tags: talk, noise" in out
    assert main(["label", plain[:6], "--home", home, "--name", "baseline", "--tag", "ref"]) == 0
    assert "name: baseline  tags: ref" in capsys.readouterr().out
    assert main(["status", plain, "--home", home]) == 0
    assert "name      baseline" in capsys.readouterr().out
    assert main(["label", plain, "--home", home, "--name", "x" * 81]) == 1  # refused: nothing changes
    assert "at most 80 characters" in capsys.readouterr().err
    assert open_store(home).get_job(plain).name == "baseline"


def test_names_are_validated_before_a_run_is_queued(home):
    with pytest.raises(ConfigError, match="no commas|at most"):
        submit("sweep", {"dataset": "synthetic:gmm", "n": 300}, home=home, start_worker=False,
               tags=["x" * 31])
    assert open_store(home).list_jobs() == []
    assert clean_tags("a, b,, a ,B") == ("a", "b")
    jid = submit("sweep", {"dataset": "synthetic:gmm", "n": 300}, home=home, start_worker=False)
    job = rename(jid, "  two   words ", ["x"], home=home)
    assert job.name == "two words" and matches(job, "WORDS x") and not matches(job, "three")


def test_an_old_store_gains_name_and_tag_columns(tmp_path):
    """A store of schema 2 (before names) is migrated: its runs keep everything and get empty labels."""
    from kdviz.jobs.store_schema import MIGRATIONS

    db = tmp_path / "jobs.sqlite"
    conn = sqlite3.connect(db)
    for v, stmts in enumerate(MIGRATIONS[:2]):
        for s in stmts:
            conn.execute(s)
        conn.execute(f"PRAGMA user_version = {v + 1}")
    conn.execute("INSERT INTO jobs (id, kind, config, digest, status, created) VALUES "
                 "('abc123abc123', 'sweep', '{}', 'd', 'done', 1.0)")
    conn.commit()
    conn.close()
    job = open_store(tmp_path).get_job("abc123")
    assert (job.name, job.tags, job.label) == ("", (), "sweep abc123")


def _table(shift: float = 0.0, repeats: int = 2) -> pd.DataFrame:
    rows = []
    for r in range(repeats):
        for c in (1, 2, 4):
            for m, base in (("vanilla", 0.80), ("crossfit", 0.82)):
                rows.append(dict(method=m, capacity=c, repeat=r, test_auc=base + shift + 0.01 * c + 0.002 * r,
                                 dataset="synthetic:gmm", teacher="rf-depth"))
    return pd.DataFrame(rows)


def test_overlay_legends_use_run_names_and_say_what_was_left_out():
    fig = plots.overlay_chart({"magic, no noise": _table(), "magic, 20 % noise": _table(-0.05)}, "test_auc",
                              left_out=["theory d4a10f"])
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert "magic, no noise · Vanilla KD" in names and "magic, 20 % noise · Vanilla KD" in names
    assert not any(n.startswith("[") for n in names)
    assert "2 runs" in fig.layout.title.text and "left out: theory d4a10f" in fig.layout.title.subtitle.text
    one = plots.overlay_chart({"baseline": _table()}, "test_auc")
    assert "1 runs" not in one.layout.title.text and one.layout.title.text.endswith("— baseline")


def test_overlay_of_mixed_kinds_keeps_one_kind():
    from ui.run_names import pick_same_kind, unique_labels

    kinds = {"a": "sweep", "b": "theory_gamma", "c": "sweep"}
    assert pick_same_kind(["a", "b", "c"], kinds) == (["a", "c"], ["b"])
    assert pick_same_kind([], kinds) == ([], [])

    class R:
        def __init__(self, i, name):
            self.id, self.name, self.kind = i, name, "sweep"

        @property
        def label(self):
            return self.name or f"{self.kind} {self.id[:6]}"

    assert unique_labels([R("aaaaaaa1", "x"), R("bbbbbbb2", "x"), R("ccccccc3", "")]) == {
        "aaaaaaa1": "x (aaaaaa)", "bbbbbbb2": "x (bbbbbb)", "ccccccc3": "sweep cccccc"}


# ----------------------------------------------------------------------------------------------
# icons: Streamlit's Material set, never emoji (a machine without an emoji font draws empty boxes)
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u23E9-\u23FA\u2139\uFE0F]")


def test_no_emoji_in_the_dashboard_sources():
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    found = [f"{f.name}:{n}: {line.strip()[:80]}" for f in files
             for n, line in enumerate(f.read_text().splitlines(), 1) if _EMOJI.search(line)]
    assert not found, "emoji used as icons (use :material/…: instead):\n" + "\n".join(found)
    from ui.common import NAV

    assert all(icon.startswith(":material/") for *_, icon in NAV)


# ----------------------------------------------------------------------------------------------
# the projector theme: every text/background pair meets WCAG AA, every trace stands out on black
def test_projector_text_pairs_meet_wcag_aa():
    from kdviz.figures.style import PROJECTOR, PROJECTOR_TEXT_PAIRS, contrast

    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0) and contrast("#777777", "#777777") == 1.0
    low = {k: round(contrast(PROJECTOR[fg], PROJECTOR[bg]), 2) for k, (fg, bg) in PROJECTOR_TEXT_PAIRS.items()
           if contrast(PROJECTOR[fg], PROJECTOR[bg]) < 4.5}
    assert not low, low
    for needed in ("success alerts (lesson verdict)", "warning alerts", "error alerts", "info alerts",
                   "metric deltas", "disabled buttons", "captions", "links"):
        assert needed in PROJECTOR_TEXT_PAIRS
    from ui.common import _PROJECTOR_CSS

    for fg, bg in PROJECTOR_TEXT_PAIRS.values():  # the page really uses these colours
        assert PROJECTOR[fg] in _PROJECTOR_CSS and PROJECTOR[bg] in _PROJECTOR_CSS
    for kind in ("Success", "Info", "Warning", "Error"):
        assert f'stAlertContent{kind}' in _PROJECTOR_CSS
    assert "stMetricDelta" in _PROJECTOR_CSS


def _trace_colours(fig) -> list[tuple[str, str]]:
    out = []
    for t in fig.data:
        if t.type in ("heatmap",) or (t.visible is False):
            continue
        line = getattr(t, "line", None)
        if line is not None and isinstance(line.color, str) and (line.width is None or line.width > 0):
            out.append((t.name or t.type, line.color))
        marker = getattr(t, "marker", None)
        if marker is not None and isinstance(marker.color, str) and t.mode and "markers" in t.mode:
            out.append((t.name or t.type, marker.color))
        err = getattr(t, "error_y", None)
        if err is not None and err.array is not None and isinstance(err.color, str):
            out.append((f"{t.name} error bars", err.color))
    return out


def test_every_trace_and_the_boundary_stand_out_on_the_projector_background():
    from kdviz.figures.style import PROJECTOR, apply_theme, contrast
    from kdviz.teaching import lesson as L
    from kdviz.teaching import playground as pg

    df = _table()
    df = pd.concat([df, df[df["method"] == "vanilla"].assign(method="teacher"),
                    df[df["method"] == "vanilla"].assign(method="no_kd", capacity=float("nan"))])
    figs = {"capacity": plots.capacity_chart(df, "test_auc"), "lesson 3": L.step_figure(2, 0, revealed=True),
            "playground": pg.figure(pg.PlaygroundParams(n=300, resolution=30, methods=("vanilla", "crossfit"))),
            "lesson 6": L.step_figure(5, 0)}
    for name, fig in figs.items():
        dark = apply_theme(fig, "projector")
        assert dark.layout.plot_bgcolor == PROJECTOR["bg"]
        low = [(n, c, round(contrast(c, PROJECTOR["bg"]), 2)) for n, c in _trace_colours(dark)
               if c.startswith(("#", "rgb(")) and contrast(c, PROJECTOR["bg"]) < 3.0]
        assert not low, (name, low)
    boundary = [t for t in apply_theme(figs["playground"], "projector").data if t.type == "contour"]
    heat = [t for t in apply_theme(figs["playground"], "projector").data if t.type == "heatmap"]
    assert boundary and all(contrast(t.line.color, PROJECTOR["bg"]) >= 3 for t in boundary)
    mid = heat[0].colorscale[1][1]  # the map's colour at p = 0.5, where the boundary line runs
    assert all(contrast(t.line.color, mid) >= 3 for t in boundary)
    assert figs["playground"].data[1].line.color == "#222"  # the light theme is untouched


def test_projector_margins_keep_a_busy_legend_off_the_axis_title():
    from kdviz.figures.style import style_figure

    fig = plots.capacity_chart(_table(), "test_auc", presentation=True)
    assert fig.layout.legend.orientation == "h"  # two short entries: one row under the chart
    busy = plots.overlay_chart({f"run {k}": _table(0.01 * k) for k in range(4)}, "test_auc", presentation=True)
    leg = busy.layout.legend  # eight long entries: one per row in the bottom margin, which grows to hold them
    assert (leg.entrywidthmode, leg.entrywidth, leg.yref, leg.y) == ("fraction", 1, "container", 0)
    assert busy.layout.margin.b >= 130 + 26 * 8 and busy.layout.height >= 620 + 26 * 8
    again = style_figure(go.Figure(busy), True)  # restyling does not pile up
    assert (again.layout.margin.b, again.layout.height) == (busy.layout.margin.b, busy.layout.height)


# ----------------------------------------------------------------------------------------------
# the whole-lesson pack
def test_lesson_pack_holds_before_and_after_for_each_question_and_a_handout():
    from kdviz.figures.export import browser_available
    from kdviz.teaching import lesson as L
    from kdviz.teaching.lesson_pack import lesson_pack

    pack = lesson_pack(0, link="https://example.org/Lesson?step=1", formats=())
    z = zipfile.ZipFile(io.BytesIO(pack.data))
    names = set(z.namelist())
    for i in range(1, 5):  # steps 2–5 ask a question
        stem = f"step{i + 1}_{L.STEPS[i].key}"
        assert {f"charts/{stem}_before.html", f"charts/{stem}_after.html"} <= names
        before = pd.read_csv(io.BytesIO(z.read(f"results/{stem}_before.csv")))
        after = pd.read_csv(io.BytesIO(z.read(f"results/{stem}_after.csv")))
        assert len(before) < len(after)
        text = before.to_csv()
        assert "student" not in text.lower() or "student_error" in before and before["student_error"].isna().all()
        for m in ("vanilla", "crossfit", "corrected"):
            assert f",{m}," not in text  # no student's row before Reveal
    assert {"charts/step1_p0.html", "charts/step6_theory.html", "handout.html", "handout.md", "answers.md",
            "captions.md"} <= names
    handout = z.read("handout.html").decode()
    assert handout.startswith("<!doctype html>") and "<h2>2. An underfitting teacher</h2>" in handout
    assert "answer" not in handout.lower()  # the students' page never gives the answers away
    answers = z.read("answers.md").decode()
    for i in range(1, 5):
        out = L.outcome(i, 0)
        assert L.STEPS[i].question.choices[out.answer] + "  ← **this run's answer**" in answers
    assert json.loads(z.read("config.json"))["seed"] == 0
    assert "hidden until you reveal" in z.read("charts/step2_underfit_before.html").decode()
    assert "hidden until you reveal" not in z.read("charts/step2_underfit_after.html").decode()
    if browser_available():  # one SVG of each step through kaleido (PNG: see the browser tests)
        svg = lesson_pack(0, formats=("svg",))
        zs = zipfile.ZipFile(io.BytesIO(svg.data))
        assert zs.read("charts/step2_underfit_before.svg").lstrip().startswith(b"<svg")
        assert sum(n.endswith(".svg") for n in zs.namelist()) == 10, svg.notes


# ----------------------------------------------------------------------------------------------
# animated HTML: every frame keeps every trace's bands and error bars; the slider clears the subtitle
def test_animated_html_keeps_error_bars_and_bands_in_every_frame():
    from kdviz.figures.style import animate_capacity

    df = _table()
    df = pd.concat([df, df[df["method"] == "vanilla"].assign(method="teacher"),
                    df[df["method"] == "vanilla"].assign(method="no_kd", capacity=float("nan"))])
    fig = plots.capacity_chart(df, "test_auc")
    anim = animate_capacity(fig)
    teacher = next(i for i, t in enumerate(anim.data) if t.name == "Teacher")
    nokd_band = next(i for i, t in enumerate(anim.data) if t.fill == "toself" and t.legendgroup == "no_kd")
    assert len(anim.frames) == 3
    for f in anim.frames:
        t = next(d for d, k in zip(f.data, f.traces) if k == teacher)
        assert len(t.error_y.array) == len(t.x) > 0 and t.error_y.color == fig.data[teacher].error_y.color
        assert t.error_y.visible
        assert nokd_band not in f.traces  # a flat reference band stays whole in every frame
        bands = [k for k in f.traces if anim.data[k].fill == "toself"]
        assert bands and all(len(d.x) >= 2 for d, k in zip(f.data, f.traces) if k in bands)
    assert len(anim.data[nokd_band].x) == 4
    play = anim.layout.updatemenus[0].buttons[0].args[1]
    assert play["frame"]["redraw"] is True and play["frame"]["duration"] == 1000
    # the title block is pinned to the top; the slider and buttons get their own 110 px above the plot
    assert anim.layout.title.yref == "container" and anim.layout.title.y == 1.0
    assert anim.layout.margin.t >= fig.layout.margin.t + 130
    assert anim.layout.updatemenus[0].y > anim.layout.sliders[0].y  # buttons above the slider, not beside it


# ----------------------------------------------------------------------------------------------
# named runs on the Runs page (AppTest): search, the name editor, an overlay by name, another kind left out
def test_runs_page_names_search_and_overlay_by_name(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from apptools import no_exceptions, page, specs, trace_names

    from kdviz.jobs import wait
    from ui import runs

    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    base = dict(dataset="synthetic:gmm", n=300, capacities=(1, 4), methods=("no_kd", "vanilla"), repeats=1,
                folds=2, teacher_options={"n_estimators": 10})
    a = runs.submit(base, name="baseline", tags=["talk"])
    b = runs.submit({**base, "label_noise": 0.3}, name="noisy", tags=["noise"])
    for i in (a, b):
        assert wait(i, timeout=180).status == "done"
    store = open_store(str(tmp_path))
    with store.write() as c:  # a Theory run (its own kind) beside the sweeps
        c.execute("INSERT INTO jobs (id, kind, config, digest, status, created, name) VALUES "
                  "('theory000001', 'theory-eps', '{}', 'd', 'done', 1.0, 'slopes')")
    at = page("pages/4_Runs.py", {"overlay": f"{a},{b},theory000001", "view": "Overlay runs"}).run()
    no_exceptions(at)
    assert any("Left out slopes (theory-eps)" in w.value for w in at.warning)
    overlay = next(s for s in specs(at) if "runs" in s["layout"]["title"]["text"])
    names = trace_names(overlay)
    assert "baseline · Vanilla KD" in names and "noisy · Vanilla KD" in names
    assert "2 runs" in overlay["layout"]["title"]["text"]
    assert "left out: slopes" in overlay["layout"]["title"]["subtitle"]["text"]

    at.text_input(key="runs_search").set_value("noise").run()  # search by tag
    assert list(at.dataframe[0].value["name"]) == ["noisy"] and at.query_params["q"] == "noise"
    at.text_input(key="runs_search").set_value("").run()
    opened = at.session_state["runs_open"]
    next(t for t in at.text_input if t.label == "Name").set_value("renamed run")
    next(t for t in at.text_input if t.label == "Tags").set_value("talk, class 2")
    at.button[next(i for i, bt in enumerate(at.button) if bt.label == "Save")].click().run()
    no_exceptions(at)
    saved = open_store(str(tmp_path)).get_job(opened)
    assert (saved.name, saved.tags) == ("renamed run", ("talk", "class 2"))


def test_sweep_form_names_the_run_and_refuses_a_bad_tag(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from apptools import no_exceptions, page

    from kdviz.jobs import stop_workers

    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    small = {"dataset": "synthetic:gmm", "n": "300", "capacities": "1,4", "methods": "no_kd,vanilla", "repeats": "1",
             "folds": "2", "trees": "10", "seed": "3"}
    try:
        at = page("pages/2_Sweep.py", small).run()
        no_exceptions(at)
        at.text_input(key="sw_run_tags").set_value("x" * 40).run()  # too long: Run is disabled, the page says why
        assert any("at most 30 characters" in e.value for e in at.error)
        assert at.button[0].disabled
        at.text_input(key="sw_run_name").set_value("my first sweep")
        at.text_input(key="sw_run_tags").set_value("class, demo").run()
        at.button[0].click().run()
        no_exceptions(at)
        job = open_store(str(tmp_path)).get_job(at.query_params["run"])
        assert (job.name, job.tags) == ("my first sweep", ("class", "demo"))
    finally:
        stop_workers(home=str(tmp_path))
