"""Lesson: six steps from "what p0 is" to the paper's slopes, with predict-then-reveal on steps 2–5."""

from __future__ import annotations

import streamlit as st

from kdviz.errors import KdvizError
from kdviz.figures.talkpack import TalkChart
from kdviz.teaching import lesson as L
from ui.class_session import lesson_class
from ui.classroom import classroom, link_builder
from ui.common import (
    lesson_pack_button,
    page_link,
    page_setup,
    presentation_mode,
    show_chart,
    talk_pack_button,
)
from ui.state import link_to_widgets, share_link, widgets_to_link, wkey

page_setup("Lesson")
present = presentation_mode()
ss = st.session_state
P = "ls"
N = len(L.STEPS)
KINDS = {"step": "int", "seed": "int"}


def _validate(v: dict) -> dict:
    if not 1 <= v["step"] <= N:
        raise KdvizError(f"step must be between 1 and {N}, got {v['step']}")
    if not 0 <= v["seed"] <= 2**31 - 1:
        raise KdvizError(f"seed must be between 0 and {2**31 - 1}, got {v['seed']}")
    return v


msgs = link_to_widgets(P, {"step": 1, "seed": 0}, KINDS, _validate)
cls = classroom(("nav", "predict", "try", "seed", "share"))
klass = lesson_class(P, cls)  # ?class=CODE: a class session (start, join, follow, poll): ui/class_session.py
for m in msgs:
    st.warning(m, icon=":material/link_off:")

if cls.show("seed"):
    st.sidebar.number_input("Seed (a different data set and forest)", 0, 2**31 - 1, step=1, key=wkey(P, "seed"),
                            disabled=cls.locked or klass.nav_disabled())
i = int(ss[wkey(P, "step")]) - 1
seed = int(ss[wkey(P, "seed")])
query = widgets_to_link(P, {"step": i + 1, "seed": seed}, KINDS)
step = L.STEPS[i]


def _go(k: int) -> None:
    ss[wkey(P, "step")] = k + 1


st.progress((i + 1) / N, text=f"Lesson · step {i + 1} of {N}")
st.title(f"{i + 1}. {step.title}")
st.markdown(step.text)

revealed_key = f"lesson_revealed_{i}_{seed}"
ask = step.question is not None and cls.show("predict")
revealed = step.question is None or not cls.show("predict") or bool(ss.get(revealed_key)) or klass.revealed(i, seed)


@st.fragment
def predict() -> None:
    """The question, the answer and its verdict: picking an answer reruns only this part, not the chart (thirty
    students voting at once). Reveal, the class's reveal and a step change rerun the whole page."""
    q = step.question
    st.markdown(f"**Predict first:** {q.prompt}")
    choice = st.radio("Your prediction", list(q.choices), format_func=q.choices.get, index=None,
                      key=f"lesson_pred_{i}_{seed}", disabled=cls.locked or revealed, label_visibility="collapsed")
    klass.vote(i, seed, choice)  # in a class: a student's answer goes to the class poll
    klass.poll(i, seed)  # in a class: the instructor sees the answers live and reveals for everyone
    if not revealed and not klass.instructs and not klass.waits(i, seed):
        if st.button("Reveal", type="primary", key=f"lesson_reveal_{i}", disabled=choice is None or cls.locked,
                     help="Shows the students and checks your prediction against this run's numbers."):
            ss[revealed_key] = True
            st.rerun()
        st.caption("Pick an answer, then press **Reveal**: the students stay hidden until then.")
    elif revealed:
        v = L.verdict(i, seed, choice)
        (st.success if v.held else st.warning)(v.text, icon=":material/check_circle:" if v.held else ":material/help:")
    if not revealed:
        L.warm(i, seed)  # the answer over the seeds is computed while the class predicts


if ask:
    predict()

fig = L.step_figure(i, seed, revealed=revealed, presentation=present)
caption = f"**What to look for:** {step.look_for}  \n{L.chart_caption(i, seed, revealed)}"
show_chart(fig, key="lesson_chart", caption=caption, filename=f"kdviz_lesson_step{i + 1}", exports=cls.show("share"))

if cls.show("try"):
    path, tq = L.try_link(i, seed)
    page_link(path, label="Try it yourself: open the full page with these settings", icon=":material/science:", query_params=tq)

if cls.show("nav"):
    b1, b2, _ = st.columns([1, 1, 4])
    b1.button("Back", key="lesson_back", disabled=i == 0 or cls.locked or klass.nav_disabled(), on_click=_go, args=(i - 1,), width="stretch")
    b2.button("Next", key="lesson_next", disabled=i == N - 1 or cls.locked or klass.next_disabled(i), on_click=_go, args=(i + 1,),
              type="primary", width="stretch")

if cls.show("share"):
    talk_pack_button("lesson", [TalkChart(f"lesson_step{i + 1}_{step.key}", fig, caption)],
                     config={"lesson_step": i + 1, "seed": seed, "step": step.key,
                             "settings": (L.params(i, seed).to_dict() if L.params(i, seed) else L.try_link(i, seed)[1])},
                     link=share_link(query, "Lesson"), results=L.table(i, seed),
                     title=f"kdviz lesson, step {i + 1}: {step.title}", filename=f"kdviz_lesson_step{i + 1}")
    lesson_pack_button(seed, link=share_link(query, "Lesson"), present=present)
    with st.expander("Link to this view", icon=":material/link:"):
        link_builder(cls, query, "Lesson", key="lesson")
klass.rendered()  # in a class: the page got to its end with the class's state
