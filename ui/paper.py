"""The Paper page's cards: published curves beside kdviz's run, the agreement, a run-what-is-missing button.

Chart building and numbers live in `kdviz.paper.gallery` (pure); this module only draws them and submits
runs through `ui.runs` (the job layer, as the Sweep page does).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kdviz.errors import KdvizError
from kdviz.figures.talkpack import TalkChart, no_paths
from kdviz.paper.gallery import (
    Card,
    CardState,
    card_agreement,
    card_caption,
    card_figure,
    dataset_status,
    openml_online,
    pick_run,
    run_config,
)
from kdviz.runtime.home import kdviz_home
from ui import runs
from ui.common import page_link, show_chart

#: how long a card remembers whether its data is on the machine (an offline OpenML check takes seconds)
DATA_CHECK_TTL_S = 300


@st.cache_data(ttl=DATA_CHECK_TTL_S, show_spinner=False)
def _online(home: str) -> bool:
    return openml_online()


def data_status(card: Card, job=None) -> tuple[bool, str]:
    """Whether the card's run can load its data here (OpenML's reachability checked once per TTL)."""
    ok, why = dataset_status(card, job=job)
    if ok or not str(run_config(card, job).get("dataset", "")).startswith("openml:"):
        return ok, why
    return dataset_status(card, online=_online(str(kdviz_home())), job=job)


def card_states(cards: list[Card]) -> list[CardState]:
    """Each card with its newest matching run from the job store and the agreement of that run."""
    try:
        jobs = runs.list_runs()
    except KdvizError as e:
        st.warning(f"The run store cannot be read ({e}); showing the published curves only.",
                   icon=":material/warning:")
        jobs = []
    states = []
    for card in cards:
        job = pick_run(card, jobs)
        results = runs.results(job.id) if job is not None and str(job.status) == "done" else None
        agreement, problem = card_agreement(card, results)
        if job is not None and job.active:
            problem = f"a run of this preset is {job.status} ({job.done}/{job.total} tasks)"
        states.append(CardState(card, job, results, agreement, problem))
    return states


def _submit(card: Card, job) -> None:
    try:
        job_id = runs.submit(run_config(card, job))
        st.session_state[f"pp_job_{card.key}"] = job_id
        st.toast(f"Started run {job_id[:8]} of paper-{card.paper} ({card.scale} scale).", icon=":material/play_arrow:")
    except KdvizError as e:
        st.session_state[f"pp_err_{card.key}"] = str(e)


def _button_state(state: CardState) -> tuple[bool, str]:
    """(disabled, why) of the card's "Run what is missing" button."""
    ok, why = data_status(state.card, state.job)
    if not ok:
        return True, why
    if state.job is not None and state.job.active:
        return True, f"already {state.job.status}: {state.job.done}/{state.job.total} tasks done"
    if state.agreement is not None and state.agreement.missing.empty:
        return True, "nothing is missing: every published cell of this card has a kdviz counterpart"
    return False, "submits the paper preset on this scale as a background run (finished tasks are reused)"


def draw_card(state: CardState, *, present: bool) -> TalkChart:
    """One card: chart (with PNG/SVG/HTML export), caption, button; returns the card as a talk-pack slide."""
    card = state.card
    fig = card_figure(card, state.results, state.agreement, presentation=present)
    caption = card_caption(state)
    with st.container(border=True, key=f"pp_card_{card.key}"):
        show_chart(fig, key=f"pp_chart_{card.key}", caption=caption, filename=f"kdviz_paper_{card.key}")
        disabled, why = _button_state(state)
        row = st.container(horizontal=True, gap="small")
        row.button("Run what is missing", icon=":material/play_arrow:", key=f"pp_run_{card.key}",
                   disabled=disabled, help=why, on_click=_submit, args=(card, state.job))
        if state.job is not None:
            with row:
                page_link("pages/2_Sweep.py", label=f"Open run {state.job.id[:8]}", icon=":material/open_in_new:",
                          query_params={"run": state.job.id})
        if disabled:
            st.caption(why)
        err = st.session_state.pop(f"pp_err_{card.key}", None)
        if err:
            st.error(f"Could not start the run: {no_paths(err)}", icon=":material/error:")
        if state.agreement is not None:
            with st.expander("Per-cell agreement", icon=":material/table_chart:"):
                st.dataframe(_cells(state), hide_index=True, width="stretch")
    return TalkChart(f"paper_{card.key}", fig, caption)


def _cells(state: CardState) -> pd.DataFrame:
    t = state.agreement.table()
    t["capacity"] = t.capacity.map(lambda c: "all" if pd.isna(c) else f"{c:g}")
    cols = ["kind", "scale", "effect", "capacity", "yours", "yours_se", "paper", "paper_se", "diff", "within",
            "sign_ok", "c_yours", "c_paper", "reason"]
    t["effect"] = t.effect.fillna(t.method)
    return t[[c for c in cols if c in t]]
