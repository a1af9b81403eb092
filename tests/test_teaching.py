"""Teaching and presenting tools: computed captions, classroom flags, animation frames, projector theme,
talk pack (no Streamlit)."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from kdviz.figures import export
from kdviz.figures.plots import capacity_chart
from kdviz.figures.style import animate_capacity, apply_theme
from kdviz.figures.talkpack import TalkChart, talk_pack
from kdviz.kd.methods import METHODS
from kdviz.teaching import lesson as L
from kdviz.teaching.captions import capacity_outcome, caption_for, playground_outcome
from ui.links import classroom_query, parse_hide, parse_lock


def _table(vanilla, corrected, crossfit=None, caps=(1, 4, 16), repeats=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for m, ys in (("vanilla", vanilla), ("corrected", corrected), ("crossfit", crossfit)):
        if ys is None:
            continue
        for c, y in zip(caps, ys):
            rows += [{"dataset": "csv:census.csv", "teacher": "rf-depth", "capacity_name": "max_depth", "capacity": c,
                      "method": m, "repeat": r, "test_auc": y + rng.normal(0, 0.002)} for r in range(repeats)]
    return pd.DataFrame(rows)


def test_caption_says_the_correction_hurts_when_the_chart_shows_it_hurting():
    """The census report: a fixed caption claimed the correction helps while the chart showed it hurting."""
    hurts = caption_for("test_auc", _table([0.80, 0.85, 0.84], [0.74, 0.83, 0.84]))
    helps = caption_for("test_auc", _table([0.80, 0.85, 0.84], [0.86, 0.85, 0.84]))
    assert "the loss correction (Loss-corrected KD) hurts" in hurts
    assert "the loss correction (Loss-corrected KD) helps" in helps
    tie = capacity_outcome(_table([0.80, 0.85, 0.84], [0.801, 0.85, 0.84]), "test_auc")
    assert "makes no clear difference" in tie  # within one standard error
    assert "drops" not in caption_for("test_auc")  # the fixed part only says how to read the chart


def test_caption_reports_cross_fit_against_vanilla_at_the_deep_end_and_vanillas_peak():
    df = _table([0.80, 0.86, 0.78], [0.80, 0.86, 0.78], crossfit=[0.79, 0.85, 0.85])
    text = capacity_outcome(df, "test_auc")
    assert "at capacity 16 cross-fit KD beats vanilla KD (0.85" in text
    assert "vanilla KD is best at capacity 4" in text
    lower = capacity_outcome(df.assign(student_error=1 - df["test_auc"]), "student_error")
    assert "cross-fit KD beats vanilla KD" in lower  # lower is better for errors


def test_playground_caption_reads_the_numbers_and_calls_no_student_on_one_seed():
    text = playground_outcome({"vanilla": 0.04, "crossfit": 0.02}, {"teacher_in_sample": 0.08, "teacher_out_of_sample": 0.04})
    assert "memorises" in text and "lowest first: Cross-fit KD 0.0200, Vanilla KD 0.0400" in text
    assert "beats" not in text and "no difference is called" in text
    text = playground_outcome({"vanilla": 0.02, "crossfit": 0.03}, {"teacher_in_sample": 0.04, "teacher_out_of_sample": 0.04})
    assert "does not memorise" in text and "beat" not in text


def test_the_one_uncertainty_rule():
    """Two standard errors of the paired difference over repeats; one repeat: no call."""
    from kdviz.teaching.captions import paired_call

    assert paired_call([0.1], [0.5]).verdict == "no call"
    clear = paired_call([0.10, 0.11, 0.12], [0.20, 0.21, 0.22])  # a − b = −0.1 every time: lower error
    assert clear.verdict == "better" and clear.n == 3
    assert paired_call([0.10, 0.11, 0.12], [0.20, 0.21, 0.22], higher_better=True).verdict == "worse"
    noisy = paired_call([0.10, 0.30, 0.12], [0.20, 0.11, 0.22])  # differences −0.1, +0.19, −0.1
    assert noisy.verdict == "unclear"
    # pairing matters: a shared repeat effect cancels in the paired difference
    assert paired_call([1.0, 2.0, 3.0], [1.1, 2.1, 3.12]).verdict == "better"


def test_a_capacity_caption_with_one_repeat_makes_no_call():
    one = _table([0.80, 0.85, 0.84], [0.70, 0.85, 0.84], crossfit=[0.79, 0.85, 0.95], repeats=1)
    text = capacity_outcome(one, "test_auc")
    assert "beats" not in text and "helps" not in text and "hurts" not in text and "clearly" not in text
    assert "one repeat" in text and "no difference is called" in text
    many = capacity_outcome(_table([0.80, 0.85, 0.84], [0.70, 0.85, 0.84], crossfit=[0.79, 0.85, 0.95]), "test_auc")
    assert "cross-fit KD beats vanilla KD" in many and "hurts" in many


def test_guidance_fits_the_axis_and_the_curves_drawn():
    df = _table([0.80, 0.85, 0.84], [0.70, 0.85, 0.84])
    teach = caption_for("test_auc", df)
    assert "shallow (underfitting) teacher" in teach and "cross-fit" not in teach.split("**In this run")[0]
    student = caption_for("test_auc", df.assign(varied="student"))
    assert "teacher is fixed" in student and "deeper" not in student and "shallow" not in student
    van = df[df.method == "vanilla"]
    assert "Loss-corrected" not in caption_for("test_auc", van).split("**In this run")[0]


def test_classroom_flags_parse_and_build():
    names = ("capacity", "seed", "play")
    assert parse_hide("all", names) == (frozenset(names), [])
    hidden, msgs = parse_hide("seed, bogus", names)
    assert hidden == {"seed"} and "'bogus'" in msgs[0] and "capacity, seed, play" in msgs[0]
    assert parse_lock("1") == (True, []) and parse_lock("x")[0] is False and parse_lock("x")[1]
    assert classroom_query({"capacity": "8", "hide": "x"}, {"seed"}, names, True) == \
        {"capacity": "8", "hide": "seed", "lock": "1"}
    assert classroom_query({}, set(names), names, False) == {"hide": "all"}


def test_capacity_html_carries_animation_frames_with_fixed_axes():
    fig = capacity_chart(_table([0.80, 0.85, 0.84], [0.74, 0.83, 0.84]), "test_auc")
    anim = animate_capacity(fig)
    assert [f.name for f in anim.frames] == ["1", "4", "16"]
    vanilla = next(i for i, t in enumerate(anim.data) if t.name == "Vanilla KD")
    lens = [len(next(d for d, k in zip(f.data, f.traces) if k == vanilla).x) for f in anim.frames]
    assert lens == [1, 2, 3]  # the curve grows capacity by capacity
    band = next(i for i, t in enumerate(anim.data) if t.fill == "toself")
    assert len(next(d for d, k in zip(anim.frames[1].data, anim.frames[1].traces) if k == band).x) == 4
    assert anim.layout.xaxis.autorange is False and anim.layout.yaxis.range is not None
    assert anim.layout.updatemenus[0].buttons[0].label == "▶ Play"
    html = export.figure_bytes(fig, "html").decode()
    assert '"name":"16","traces":[' in html and "\\u25b6 Play" in html  # frames after the data, as newPlot takes them
    assert not fig.frames  # the on-screen chart is left alone


def test_projector_theme_is_dark_and_keeps_black_lines_visible():
    fig = capacity_chart(_table([0.8, 0.85, 0.84], [0.8, 0.85, 0.84]).assign(
        method=lambda d: d["method"].replace({"corrected": "teacher"})), "test_auc")
    dark = apply_theme(fig, "projector")
    assert dark.layout.paper_bgcolor == "#000000" and dark.layout.font.color == "#FFFFFF"
    teacher = next(t for t in dark.data if t.name == "Teacher")
    assert teacher.line.color == "#FFFFFF" and fig.data[0].line.color == METHODS["teacher"].color
    assert apply_theme(fig, "light") is fig


def test_talk_pack_without_images_ships_html_csv_config_link_and_says_why():
    fig = L.step_figure(2, 0)
    pack = talk_pack([TalkChart("overfit", fig, "**What to look for:** x")], config={"seed": 0}, link="http://h/Lesson?step=3",
                     results=L.table(2, 0), title="t", images=False)
    z = zipfile.ZipFile(io.BytesIO(pack.data))
    assert sorted(z.namelist()) == sorted(pack.names)
    assert {"charts/overfit.html", "captions.md", "config.json", "link.txt", "results.csv", "README.txt"} <= set(pack.names)
    assert not any(n.endswith((".png", ".svg")) for n in pack.names)
    assert "PNG/SVG are missing" in z.read("README.txt").decode()
    assert json.loads(z.read("config.json")) == {"seed": 0}
    assert z.read("link.txt").decode().strip() == "http://h/Lesson?step=3"
    assert "**What to look for:** x" in z.read("captions.md").decode()
    assert b'"name":"20","traces":[' in z.read("charts/overfit.html")  # a capacity chart: it plays on the slide
    assert len(pd.read_csv(z.open("results.csv"))) == len(L.table(2, 0))


@pytest.mark.skipif(not export.browser_available(), reason="PNG/SVG need chromium")
def test_talk_pack_with_chromium_has_png_and_svg_per_chart():
    pack = talk_pack([TalkChart("a", L.step_figure(5, 0))], config={}, link="l", results=L.table(5, 0))
    z = zipfile.ZipFile(io.BytesIO(pack.data))
    assert z.read("charts/a.png")[:4] == b"\x89PNG" and b"<svg" in z.read("charts/a.svg")[:300]
    assert not pack.notes


def test_without_chromium_the_talk_pack_says_so_and_still_ships_html_csv_config(monkeypatch):
    monkeypatch.setattr(export, "browser_available", lambda: False)
    pack = talk_pack([TalkChart("a", L.step_figure(0, 0))], config={"k": 1}, link="l", results=L.table(0, 0))
    assert "PNG/SVG are missing" in pack.notes[0] and "Chromium" in pack.notes[0]
    assert {"charts/a.html", "results.csv", "config.json", "link.txt", "captions.md"} <= set(pack.names)
    from apptools import page

    at = page("pages/5_Lesson.py", {"step": "6"}).run()
    assert any("No Chrome/Chromium on the server: the talk pack holds HTML, CSV and the config" in c.value
               for c in at.caption)
    assert "⬇ Download talk pack" in [b.label for b in at.get("download_button")]


# ----------------------------------------------------------------------------------------------
# the lesson says what its numbers support
def test_step_5_claim_holds_with_the_teacher_set_to_p0():
    """Step 5 says the correction has mean zero when p̂ = p0 (a perfect teacher is left alone on average).
    Set the teacher to p0 on the lesson's own data: the correction of the rule the lesson draws averages to
    zero — in closed form and over many label draws — while the paper's r² rule would move it."""
    from kdviz.kd.distill import kd_target, one_hot
    from kdviz.teaching.playground import PLAYGROUND_GAMMA, teacher_fits

    assert "mean zero when p̂ = p0" in L.STEPS[4].text and "c/(c + p̂(1 − p̂))" in L.STEPS[4].text
    bias = L.corrected_at_perfect_teacher(0)
    assert bias[PLAYGROUND_GAMMA] < 1e-12 and bias["bound_fast"] > 0.1  # the r² rule is not mean-zero
    p = L.params(4, 0)
    p0 = teacher_fits(p).dataset.p0_train
    rng = np.random.default_rng(5)
    draws = 4000
    total = np.zeros(len(p0))
    for _ in range(draws):  # Monte Carlo: fresh labels y ~ Bernoulli(p0) around the perfect teacher
        y = (rng.random(len(p0)) < p0[:, 1]).astype(int)
        total += kd_target(p0, one_hot(y, 2), p.scale, True, PLAYGROUND_GAMMA, p.c)[:, 1]
    shift = total / draws - kd_target(p0, None, p.scale)[:, 1]
    assert abs(shift.mean()) < 0.01 and np.abs(shift).mean() < 0.05  # only Monte Carlo noise


def test_lesson_answers_are_judged_over_seeds_by_the_one_rule(monkeypatch):
    out = L.outcome(3, 0)  # cross-fitting with the deep teacher
    assert out.call is not None and out.call.n == L.SEEDS and out.answer in ("crossfit", "vanilla", "unclear")
    real = L.pg.compute

    def noisy(p):  # the two students swap places from seed to seed: no clear difference
        res = real(p)  # the shared cached result: return a changed copy, never change it
        (a, ea), (b, eb) = res.student_errors.items()
        return dataclasses.replace(res, student_errors={a: eb, b: ea}) if p.seed % 2 else res

    monkeypatch.setattr(L.pg, "compute", noisy)
    monkeypatch.setattr(L, "outcome", L.outcome.__wrapped__)  # answers are cached per (step, seed): not these
    out = L.outcome(3, 0)
    assert out.answer == "unclear"
    v = L.verdict(3, 0, "crossfit")
    assert not v.held and v.text.startswith("Unclear") and "two standard errors" in v.text


def test_step_3_caption_chart_and_csv_say_squared_the_same_way():
    t = L.table(2, 0)
    sq = "teacher ε2² on its own training points (squared, as charted)"
    assert sq in t and "teacher ε2 on its own training points (root-mean-square, unsquared)" in t
    deep = t[(t.method == "teacher") & (t.capacity == L.DEEP)]
    cap = L.chart_caption(2, 0)
    assert f"{float(deep[sq].iloc[0]):.4f}" in cap and "Squared errors" in cap
    fig = L.step_figure(2, 0)
    ys = next(tr for tr in fig.data if tr.name == "Teacher ε2² on its own training points").y
    assert float(ys[-1]) == pytest.approx(float(deep[sq].iloc[0]))


def test_step_6_is_an_upper_bound_on_the_bias_term_and_names_the_actual_error():
    s = L.STEPS[5]
    assert "upper bound" in s.text and "grows like" not in s.text and "teacher-bias term" in s.text
    fig = L.step_figure(5, 0)
    assert "bias term" in fig.layout.title.text
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert len(names) <= 6  # a slide: one entry per estimator, the reference slopes, the floor
    assert any("teacher-bias term" in n for n in names)
    assert fig.layout.yaxis.exponentformat == "none" and "f̂ = the student" in fig.layout.yaxis.title.text
    cap = L.chart_caption(5, 0)
    assert "actual error" in cap and "corrected student's stays between" in cap


def test_a_class_lesson_is_prepared_a_step_ahead_once_per_process():
    import threading

    assert L.prepare(0, 2) in (True, False)  # another test may have prepared it in this process already
    assert L.prepare(0, 2) is False          # once per process
    for t in threading.enumerate():
        if t.name == "kdviz-lesson-prepare-0-2":
            t.join(120)
    before = L.step_figure.cache_info()
    for i in (2, 3):                         # the page's own calls: every one a hit, nothing computed again
        for revealed in (False, True):
            L.step_figure(i, 0, revealed=revealed, presentation=False)
            L.chart_caption(i, 0, revealed)
    after = L.step_figure.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 4


def test_a_hidden_step_fits_no_student_and_keeps_the_revealed_axes(monkeypatch):
    from kdviz.teaching import playground as pg

    seed = 4242  # a lesson seed no other test computes

    def no_student(*args, **kwargs):
        raise AssertionError("a student was fitted to draw a hidden panel")

    monkeypatch.setattr(pg, "_student", no_student)
    hidden = L.step_figure(4, seed, revealed=False)
    assert "Teacher error" in L.chart_caption(4, seed, revealed=False)
    monkeypatch.undo()
    shown = L.step_figure(4, seed, revealed=True)
    zs = [np.asarray(t.z, dtype=float) for t in hidden.data if t.type == "heatmap"]
    assert len(zs) == 2 + len(L.params(4, seed).methods)  # p0, the teacher, one blank per student
    assert all(np.isnan(z).all() for z in zs[2:]) and not np.isnan(zs[1]).all()
    assert [a.title.text for a in (hidden.layout.xaxis, hidden.layout.yaxis)] == \
        [a.title.text for a in (shown.layout.xaxis, shown.layout.yaxis)]
    before, after = L.chart_caption(4, seed, revealed=False), L.chart_caption(4, seed, revealed=True)
    assert after.startswith(before) and all(L.method_label(m) in after and L.method_label(m) not in before
                                            for m in L.params(4, seed).methods)
