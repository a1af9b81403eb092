"""kdviz Home: what knowledge distillation is, how a teacher's under/overfitting hurts it, two fixes.

Run with:  streamlit run app.py
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kdviz.config import PAPER_DATASETS
from kdviz.plugins import load_plugins
from kdviz.presets import PLAYGROUND_OVERFITTING
from kdviz.teaching import playground as pg
from ui.common import page_link, page_setup, presentation_mode, show_chart

load_plugins()  # the torch teachers/students (if torch imports) and the built-in experiments
page_setup("Home")
present = presentation_mode()
HERE = Path(__file__).parent

st.title("kdviz — what does a student learn from an imperfect teacher?")
left, right = st.columns([5, 6], gap="large") if not present else (st.container(), st.container())  # projector: full width

with left:
    st.markdown(
        """
**Knowledge distillation (KD)** trains a small *student* model to copy the class probabilities
p̂ of a big *teacher*, instead of the raw labels. It works when p̂ is close to the true
probabilities p0 — and the teacher can miss p0 in two ways:

- **Overfitting teacher.** It memorises its noisy training labels, so p̂ is *too confident exactly on
  the points the student learns from*. **Fix: cross-fitting** — split the data in K folds and score
  each point with a teacher that never saw it.
- **Underfitting teacher.** It is too simple, so p̂ is biased and the student inherits the bias.
  **Fix: loss correction** — add a term that uses the labels to cancel the teacher's error to first
  order (its error then only matters squared).

**Enhanced KD** does both. These are the results of *Knowledge Distillation as Semiparametric
Inference* (Dao, Kamath, Syrgkanis & Mackey, ICLR 2021).
"""
    )

with right:
    noise = st.select_slider("Label noise in the mini-example", [0.0, 0.1, 0.2, 0.3], value=0.2,
                             key="home_noise", help="Fraction of training labels flipped at random.")
    fig, outcome = pg.home_chart(noise, present)  # shared by every session (not modified here)
    show_chart(fig, key="home_mini", filename="kdviz_home", caption=(
        outcome + " Computed live: random-forest teacher, 10-tree student, 600 points."))

st.subheader("Start here")
page_link("pages/5_Lesson.py", label="New to this? Take the six-step lesson (predict, then see)", icon=":material/school:")
c1, c2, c3, c4 = st.columns(4)
with c1:
    st.markdown("**See it** — drag the teacher's capacity on a 2-D picture.")
    st.page_link("pages/1_Playground.py", label="Playground", icon=":material/tune:")
    st.page_link("pages/1_Playground.py", label="…with an overfitting teacher", icon=":material/park:",
                 query_params=PLAYGROUND_OVERFITTING)
with c2:
    st.markdown("**Overfitting teacher** — deep forests, vanilla vs cross-fit KD.")
    st.page_link("pages/2_Sweep.py", label="Preset: overfitting teacher", icon=":material/trending_up:",
                 query_params={"preset": "overfitting-teacher"})
    st.page_link("pages/2_Sweep.py", label="Preset: quick demo (seconds)", icon=":material/bolt:",
                 query_params={"preset": "quick"})
with c3:
    st.markdown("**Underfitting teacher** — shallow forests, where the loss correction helps.")
    st.page_link("pages/2_Sweep.py", label="Preset: underfitting teacher", icon=":material/trending_down:",
                 query_params={"preset": "underfitting-teacher"})
with c4:
    st.markdown("**The paper's MAGIC figure** — downloads MagicTelescope from OpenML once (offline: upload "
                "`magic04.csv` on the Sweep page); minutes on 2 cores.")
    st.page_link("pages/2_Sweep.py", label="Preset: paper's MAGIC figure", icon=":material/description:",
                 query_params={"preset": "paper-magic"})

st.subheader("The whole paper, one click each")
st.markdown("The authors' tabular protocols on their five datasets — **A**: vary the student (1–40 trees) under a "
            "500-tree teacher; **B**: vary the teacher's depth (1–20) for a 10-tree student. K = 10, 5 repeats, "
            "seed 2357; the charts draw the published means dashed beside yours. Heavy (minutes to an hour on 2 "
            "cores). OpenML sets download once; offline, upload the CSV on the Sweep page (FICO and StumbleUpon "
            "always come from your own files).")
cols = st.columns(len(PAPER_DATASETS))
for col, name in zip(cols, PAPER_DATASETS):
    with col:
        st.markdown(f"**{name}**")
        for exp, what in (("A", "vary student"), ("B", "vary teacher")):
            st.page_link("pages/2_Sweep.py", label=f"{exp}: {what}", icon=":material/description:",
                         query_params={"preset": f"paper-{name}-{exp}"})

if not present:
    st.divider()
    pages = [("pages/1_Playground.py", "Playground", "instant 2-D heat maps of p0, the teacher and the students"),
             ("pages/2_Sweep.py", "Sweep", "any dataset (or your CSV), background runs, curves with error bands"),
             ("pages/3_Theory.py", "Theory", "the student's error against the paper's bounds, where p0 is known"),
             ("pages/4_Runs.py", "Runs", "history, overlays, reruns and downloads"),
             ("pages/5_Lesson.py", "Lesson", "a guided lesson in six steps, with predict-then-reveal")]
    for path, label, what in pages:
        if (HERE / path).exists():
            st.page_link(path, label=f"{label} — {what}")
    st.caption("Tip: the sidebar's *Presentation mode* (or `?present=1` in the link) gives large fonts for "
               "talks, and a dark projector theme (`?theme=projector`); `?hide=all` or `?lock=1` hides or locks a "
               "page's controls for a class; every chart exports as PNG, SVG or interactive HTML; the address bar always links "
               "to exactly what you see.")
