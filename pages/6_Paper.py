"""Paper: the paper's tabular figures re-computed beside the published ones, with an agreement test."""

from __future__ import annotations

import streamlit as st

from kdviz.paper import CITATION, DEFAULT_TOL, SIGN_THRESHOLD
from kdviz.paper.gallery import DATASET_NAMES, cards
from ui.common import page_setup, presentation_mode, talk_pack_button
from ui.paper import card_states, draw_card
from ui.state import share_link

page_setup("Paper")
present = presentation_mode()

st.title("Paper")
st.markdown(
    "The tabular experiments of *Knowledge Distillation as Semiparametric Inference* (Dao et al., ICLR 2021): "
    "each card draws the **published** curves (dashed, ± 1 s.e.) and **kdviz's finished run** of the same "
    "paper preset (solid, ± 1 s.e. over repeats). Below each chart, the agreement test: **levels** "
    "(kdviz − paper per method and capacity) and **effects** (each method − vanilla, vanilla − no-KD) within "
    f"±{DEFAULT_TOL:g}, and whether kdviz has the sign of every published effect larger than {SIGN_THRESHOLD:g}.")
st.caption(f"Published numbers: {CITATION}. Same test on the command line: `kdviz paper compare results.csv`.")

all_cards = cards()
datasets = list(dict.fromkeys(c.dataset for c in all_cards))
states = card_states(all_cards)
done = sum(s.agreement is not None for s in states)
st.caption(f"{len(all_cards)} cards (experiment × dataset × scale); {done} with a finished kdviz run.")

slides = []
for tab, ds in zip(st.tabs([DATASET_NAMES.get(d, d) for d in datasets]), datasets, strict=True):
    with tab:
        mine = [s for s in states if s.card.dataset == ds]
        for i in range(0, len(mine), 2):
            cols = st.columns(2)
            for col, state in zip(cols, mine[i:i + 2], strict=False):
                with col:
                    slides.append(draw_card(state, present=present))

st.divider()
tables = {s.card.key: s.agreement.table() for s in states if s.agreement is not None}
talk_pack_button("pp", slides, config=None, link=share_link({}, "Paper"), results=tables or None,
                 title="kdviz: the paper's figures", filename="kdviz_paper_gallery")
