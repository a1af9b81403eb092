"""Playground: drag the teacher's capacity on a 2-D problem with known p0 and watch the students."""

from __future__ import annotations

import time

import streamlit as st

from kdviz.errors import KdvizError
from kdviz.kd.methods import BASELINE, method_label
from kdviz.kd.students import STUDENTS
from kdviz.schema import model_fields
from kdviz.teachers import TEACHERS
from kdviz.teaching import playground as pg
from kdviz.teaching.captions import playground_outcome
from ui import play
from ui.class_session import playground_class
from ui.classroom import classroom, link_builder
from ui.common import page_setup, presentation_mode, show_chart
from ui.state import link_to_widgets, widgets_to_link, wkey

page_setup("Playground")
present = presentation_mode()

D = pg.PlaygroundParams()
DEFAULTS = D.to_dict()
FIELDS = model_fields(pg.PlaygroundParams)  # kinds, bounds and choices of the settings (kdviz.schema)
KINDS = {k: f.kind for k, f in FIELDS.items()}
C_STEPS = (1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1000.0)
P = "pg"


def _validate(values: dict) -> pg.PlaygroundParams:
    return pg.PlaygroundParams(**{**values, "methods": tuple(values["methods"])})


def rng(name: str, step: float) -> tuple:
    """A slider's (min, max): the field's bounds."""
    return FIELDS[name].widget_range(step)


def options(name: str) -> list:
    return list(FIELDS[name].choices() or ())


msgs = link_to_widgets(P, DEFAULTS, KINDS, _validate)
cls = classroom((*KINDS, "play", "share"))
klass = playground_class(P, DEFAULTS, KINDS, _validate)  # in a class: followers take the instructor's settings
ss = st.session_state
if "_pg_next_capacity" in ss:  # ▶ Play's next step (set by the ticker below, applied before the slider exists)
    ss[wkey(P, "capacity")] = ss.pop("_pg_next_capacity")


def w(name: str, widget, *args, **kw) -> None:
    """Draw the control `name` unless the link hides it (disabled under ?lock=1)."""
    if cls.show(name):
        widget(*args, key=wkey(P, name), disabled=cls.locked, **kw)

st.title("Playground")
st.markdown(
    "A 2-D problem where the **true class probabilities p0 are known**. Drag the teacher's capacity: "
    "a small teacher *underfits* (blurry boundary), a large one *overfits* (it memorises noisy labels). "
    "Watch what each student learns from it."
)
for m in msgs:
    st.warning(m, icon=":material/link_off:")

with st.sidebar:
    st.header("Data")
    w("dataset", st.selectbox, "Problem", options("dataset"), format_func=pg.playground_datasets().get)
    w("n", st.slider, "Training + test points (n)", *rng("n", 100), step=100)
    w("label_noise", st.slider, "Label noise (fraction of flipped training labels)", *rng("label_noise", 0.05),
      step=0.05)
    w("r", st.slider, "Sharpness of p0 (r)", *rng("r", 0.5), step=0.5,
      help="Larger r = probabilities closer to 0/1 near the boundary.")
    st.header("Teacher and students")
    w("teacher", st.selectbox, "Teacher family", options("teacher"),
      help="\n".join(f"- **{k}**: {TEACHERS[k].description}" for k in options("teacher")))
    w("student", st.selectbox, "Student", options("student"),
      format_func=lambda k: STUDENTS[k].playground_label or k)
    w("methods", st.multiselect, "Students to show", options("methods"), format_func=method_label)
    w("scale", st.radio, "KD target scale", options("scale"), horizontal=True, format_func={"logp": "log p", "p": "p"}.get)
    w("folds", st.slider, "Cross-fitting folds K", *rng("folds", 1))
    if st.session_state[wkey(P, "c")] not in C_STEPS:
        st.session_state[wkey(P, "c")] = min(C_STEPS, key=lambda v: abs(v - st.session_state[wkey(P, "c")]))
    w("c", st.select_slider, "Correction strength c (y-free γ rule)", C_STEPS,
      help="γ = (1/p̂)·c/(c + p̂(1 − p̂)) does not look at the label, so the correction has mean zero when "
           "p̂ = p0: a perfect teacher is left alone on average (the Sweep and Theory pages also offer the "
           "paper's c/(c + r²), which is not mean-zero). "
           "Small c = little correction; large c ≈ the full correction (more variance). "
           "The best c falls as the teacher improves: ≈ 0.1 for a depth-1 teacher, "
           "≤ 0.01 for deep ones (the Sweep page chooses it by cross-validation).")
    w("seed", st.number_input, "Seed", *rng("seed", 1), step=1)
    w("resolution", st.select_slider, "Heat-map resolution", options("resolution"))

teacher = st.session_state[wkey(P, "teacher")]
steps = pg.capacity_steps(teacher)
if st.session_state[wkey(P, "capacity")] not in steps:
    st.session_state[wkey(P, "capacity")] = steps[len(steps) // 2]
cap_name = TEACHERS[teacher].capacity_name
c_slider, c_play = st.columns([7, 1], vertical_alignment="bottom")
with c_slider:
    w("capacity", st.select_slider, f"**Teacher capacity** — {cap_name} {TEACHERS[teacher].capacity_hint}".rstrip(),
      steps)
playing = bool(ss.get("pg_playing"))


def _toggle_play() -> None:
    ss["pg_playing"] = not ss.get("pg_playing")
    if ss["pg_playing"]:
        play.start(ss, "pg")
        if ss[wkey(P, "capacity")] == steps[-1]:  # at the end: play from the start
            ss[wkey(P, "capacity")] = steps[0]


if cls.show("play"):
    c_play.button("Pause" if playing else "▶ Play", icon=":material/pause:" if playing else None, key="pg_play",
                  on_click=_toggle_play, disabled=cls.locked, width="stretch",
                  help="Steps the teacher's capacity through its grid, one step a second (the next step is "
                       "computed while this one is shown).")

values = {k: st.session_state[wkey(P, k)] for k in KINDS}
values["methods"] = tuple(values["methods"]) or (BASELINE,)
query = widgets_to_link(P, values, KINDS)
klass.share(query)  # the instructor in a class: "Share these settings with the class"

try:
    t0 = time.perf_counter()
    params = _validate(values)
    with st.spinner("Fitting the teacher's capacity path (once per data / teacher setting) …"):
        res = pg.compute(params)
    compute_s = time.perf_counter() - t0
except KdvizError as e:
    st.error(str(e), icon=":material/error:")
    st.stop()

if playing:  # ▶ Play: one capacity step a second, the next one computed ahead
    def _prepare(capacity: int) -> None:
        pg.figure(params.replace(capacity=capacity), present)

    play.ticker(ss, "pg", playing=playing, steps=steps, current=params.capacity, what=cap_name,
                apply=lambda c: ss.__setitem__("_pg_next_capacity", c), prepare=_prepare,
                settings=(repr(params), present))

n = res.numbers
fig = pg.figure(params, present)  # built once per setting for every session (not modified here)
show_chart(fig, key="pg_heatmaps", filename=f"playground_{teacher}_{params.capacity}", exports=cls.show("share"),
           caption="**What to look for:** red = class 1 likely, blue = class 0, the contour line = the 50 % boundary. "
                   "A speckled teacher map around the noisy points means it memorises; compare each student's map "
                   "with p0 (p0 includes the label noise).  \n" + playground_outcome(res.student_errors, n))

st.subheader("The numbers (mean squared error of P(class 1) against p0)")
cols = st.columns(3 + len(res.students))
cols[0].metric("Training points: teacher's error", f"{n['teacher_in_sample']:.4f}",
               help="ε2² in-sample: what the vanilla student learns from.")
cols[1].metric("Fresh points: teacher's error", f"{n['teacher_out_of_sample']:.4f}",
               delta=f"{n['teacher_in_sample'] - n['teacher_out_of_sample']:+.4f} in-sample gap",
               delta_color="off", help="ε2² out-of-sample. A big gap = the teacher overfits.")
cols[2].metric("Cross-fitted: out-of-fold error", f"{n['teacher_out_of_fold']:.4f}",
               help="ε2² of the out-of-fold p̂: what the cross-fit student learns from.")
base = res.student_errors.get(BASELINE)
for col, (m, err) in zip(cols[3:], res.student_errors.items()):
    delta = None if base is None or m == BASELINE else f"{err - base:+.4f} vs vanilla"
    col.metric(method_label(m), f"{err:.4f}", delta=delta, delta_color="inverse")
st.caption(f"**What to look for:** lower is better. When the teacher's error on its training points is far above its fresh-point "
           f"error it has memorised the labels, and vanilla KD inherits that. Drawn in {compute_s * 1000:.0f} ms "
           f"(teacher path fit once in {n['teacher_fit_seconds']:.2f} s, then cached).")
if cls.show("share"):
    with st.expander("Link to this view", icon=":material/link:"):
        link_builder(cls, query, "Playground", key="pg")
        st.caption("The address bar always holds this link: it reopens exactly these settings (seed included).")
