"""Theory: the student's error against the paper's bounds, on synthetic data where p0 is known."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import kdviz.jobs as jobs
from kdviz.errors import KdvizError
from kdviz.experiments import run_experiment
from kdviz.figures.plots import GAMMA_LABELS
from kdviz.figures.talkpack import TalkChart
from kdviz.jobs import Status
from kdviz.kd.methods import tuned_method
from kdviz.teaching.captions import theory_outcome
from kdviz.theory.plots import SLOPE_NOTE, SLOPE_NOTE_TUNED, WHY_Y_FREE, slope_table
from kdviz.theory.presets import PRESETS, TheoryPreset
from ui import runs
from ui.classroom import classroom, link_builder
from ui.common import (
    job_progress,
    page_setup,
    presentation_mode,
    show_chart,
    show_error,
    talk_pack_button,
)
from ui.results_view import shared_figure
from ui.state import link_to_widgets, share_link, widgets_to_link, wkey

page_setup("Theory")
present = presentation_mode()
ss = st.session_state
P = "th"
KINDS = {"repeats": "int", "seed": "int", "gamma": "str"}  # the page's whole configuration (presets hold the rest)


def _validate(v: dict) -> dict:
    for name, hi in (("repeats", 20), ("seed", 2**31 - 1)):
        if not 0 <= v[name] <= hi:
            raise KdvizError(f"{name} must be between 0 and {hi}, got {v[name]}")
    if v["gamma"] not in GAMMA_RULES:
        raise KdvizError(f"gamma must be one of {', '.join(GAMMA_RULES)}, got {v['gamma']!r}")
    return v


GAMMA_RULES = ("bound_fast", "bound_fast_expected")
msgs = link_to_widgets(P, {"repeats": 0, "seed": 0, "gamma": "bound_fast"}, KINDS, _validate)

st.title("Theory: the student's error against the paper's bounds")
st.markdown(
    "On synthetic data the true class probabilities **p0 are known**, so every term of the bounds in "
    "*Knowledge Distillation as Semiparametric Inference* (Dao et al., ICLR 2021) can be measured: the "
    "teacher's errors ε2 = ‖p̂ − p0‖₂ and ε4, the student's error ‖f̂ − f0‖², and the floor δ² of an "
    "oracle student trained on the exact p0. Charts 2–4 use a **controlled teacher** "
    "p̂ = σ(κ·logit p0 + ε·h(x)) whose error is a dial. The bounds hold up to unknown constants, so every "
    "bound curve below is a **fitted scaling** (constants fitted to the points), never a prediction."
)
for m in msgs:
    st.warning(m, icon=":material/link_off:")
with st.expander("Why a y-free γ rule?"):
    st.markdown(WHY_Y_FREE)
cls = classroom(("running", "repeats", "seed", "gamma", "run", "config", "share"))

with st.sidebar:
    st.header("Running")
    inline = cls.show("running") and st.toggle(
        "Run in this process", value=False, disabled=cls.locked,
        help="Small runs only: the page waits for the result. Otherwise each preset runs as a "
             "background job (progress, cancel, results cached by task).")
    if cls.show("repeats"):
        st.number_input("Repeats (0 = preset's own)", 0, 20, key=wkey(P, "repeats"), disabled=cls.locked,
                        help="Re-seeded repetitions: error bars and slope confidence intervals.")
    if cls.show("seed"):
        st.number_input("Seed", 0, 2**31 - 1, key=wkey(P, "seed"), disabled=cls.locked)
    if cls.show("gamma"):
        st.radio("γ rule of the enhanced student", GAMMA_RULES, key=wkey(P, "gamma"), disabled=cls.locked,
                 format_func=GAMMA_LABELS.get, help="See “Why a y-free γ rule?” below the title.")
    repeats, seed, gamma = int(ss[wkey(P, "repeats")]), int(ss[wkey(P, "seed")]), str(ss[wkey(P, "gamma")])
    query = widgets_to_link(P, {"repeats": repeats, "seed": seed, "gamma": gamma}, KINDS)
    if cls.show("share"):
        with st.expander("Link to this view", icon=":material/link:"):
            link_builder(cls, query, "Theory", key="th")
            st.caption("Reopens these settings; finished runs show at once from the cache.")


def _overrides() -> dict:
    out = {"seed": int(seed)}
    if gamma != "bound_fast":
        out["gamma"] = gamma
    if repeats:
        out["repeats"] = int(repeats)
    return out


def _find_done_job(p: TheoryPreset) -> str | None:
    """The newest finished job that ran exactly this configuration: its results show instantly."""
    try:
        found = jobs.find_run(p.kind, p.make_config(**_overrides()), status=Status.DONE)
    except KdvizError:
        return None
    return found.id if found else None


def _start(p: TheoryPreset) -> None:
    cfg = p.make_config(**_overrides())
    ss.pop(f"theory_df_{p.key}", None)
    if inline:
        with st.spinner(f"Running “{p.title}” in this process …"):
            ss[f"theory_df_{p.key}"] = run_experiment(p.kind, cfg, jobs=1)
        ss.pop(f"theory_job_{p.key}", None)
    else:
        ss[f"theory_job_{p.key}"] = runs.submit(cfg, p.kind)  # (owned by this browser: it may cancel it)


def _results(p: TheoryPreset) -> pd.DataFrame | None:
    df = ss.get(f"theory_df_{p.key}")
    if df is not None:
        return df
    job_id = ss.get(f"theory_job_{p.key}") or _find_done_job(p)
    if job_id is None:
        return None
    try:
        job = runs.get(job_id) or jobs.get_job(job_id)  # (shared status; the store's message if it is gone)
        if job.active:
            job_progress(job_id, get_job=runs.get, cancel=runs.cancel, may_manage=runs.mine, key=f"theory_{p.key}")
        elif job.status in (Status.CANCELLED, Status.INTERRUPTED):  # finished tasks come back from the cache
            st.warning(f"The last run of this preset was {job.status}; press the preset button to finish it.")
        elif job.status == Status.FAILED:
            show_error(job.error or "unknown error", prefix="The run failed: ")
        df = runs.results(job_id)  # loaded once per run version for every session
    except KdvizError as e:  # e.g. the job was deleted on the Runs page
        show_error(str(e))
        return None
    return df if df is not None and len(df) else None


if cls.show("run") and st.button("▶ Run all four presets", key="theory_run_all", disabled=cls.locked,
                                 help="About a minute on 2 cores in the background; finished tasks are cached "
                                      "for everyone."):
    try:
        for p in PRESETS.values():
            _start(p)
    except KdvizError as e:
        show_error(str(e))

pack: list[TalkChart] = []
tables: dict[str, pd.DataFrame] = {}
for p in PRESETS.values():
    st.subheader(p.title)
    c1, c2 = st.columns([2, 5])
    if cls.show("run") and c1.button("▶ Reproduce with the preset", key=f"theory_run_{p.key}", type="primary",
                                     disabled=cls.locked, help="Runs the preset configuration (cached tasks are reused)."):
        try:
            _start(p)
        except KdvizError as e:
            show_error(str(e))
    if cls.show("config"):
        with c2.expander("Preset configuration"):
            try:
                st.json(p.make_config(**_overrides()).model_dump(mode="json"), expanded=False)
            except KdvizError as e:
                show_error(str(e))
    df = _results(p)
    version = "empty" if df is None else df.attrs.get("kdviz_key")
    fig = shared_figure(("theory", p.key, version, present) if version else None,
                        lambda p=p, df=df: p.chart(df, presentation=present))
    try:
        run_cfg = p.make_config(**_overrides())
    except KdvizError:
        run_cfg = None
    caption = p.caption() + ("  \n" + theory_outcome(p.key, df, run_cfg) if df is not None else "")
    show_chart(fig, key=f"theory_chart_{p.key}", caption=caption, filename=f"kdviz-theory-{p.key}",
               exports=cls.show("share"))
    pack.append(TalkChart(f"theory_{p.key}", fig, caption))
    if df is not None:
        tables[p.key] = df
    if df is not None and len(df):
        if p.key == "eps":
            st.dataframe(slope_table(df, config=run_cfg), hide_index=True)
            st.caption(SLOPE_NOTE + (SLOPE_NOTE_TUNED if tuned_method() in set(df["method"]) else ""))
        if cls.show("share"):
            st.download_button("⬇ Results (CSV)", df.to_csv(index=False).encode(), f"kdviz-theory-{p.key}.csv",
                               "text/csv", key=f"theory_csv_{p.key}")
    st.divider()

st.caption(
    "Errors in charts 2–4 are squared distances on the student's output scale (log p), averaged over "
    "fresh points; chart 1 uses probabilities. Students in 2–4 are least-squares quadratic regressions "
    "(so each fit splits exactly into bias and variance); the bias term is the student fit to the "
    "conditional expectation of its target given X (log p̂ for vanilla KD, log p̂ + p0/p̂ − 1 corrected), "
    "computable only because p0 is known. See THEORY §5–§6."
)


def _configs() -> dict:
    try:
        return {p.key: p.make_config(**_overrides()).model_dump(mode="json") for p in PRESETS.values()}
    except KdvizError as e:
        return {"error": str(e)}


if cls.show("share"):
    talk_pack_button("theory", pack, config=_configs(),
                     link=share_link(query, "Theory"), results=tables, title="kdviz theory charts",
                     filename="kdviz_theory_talk_pack")
