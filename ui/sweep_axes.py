"""The Sweep form's axes: vary the teacher or the student, an optional second axis, the paper tag.

Pure helpers (form values ⇄ config fields) first, then `axes_controls`, the sidebar widgets.
`ui.sweep_form` merges these fields into its own (KINDS, DEFAULTS, to/from config).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from kdviz.config import default_student_capacity, sweep_field
from kdviz.figures.plots import AXIS2_TITLES
from kdviz.presets import paper_data_options
from kdviz.sweep import student_grid
from ui.state import wkey

#: the SweepConfig fields these controls set (kinds and defaults from the schema, kdviz.schema)
FIELDS = ("vary", "teacher_capacity", "axis2", "axis2_values", "paper")
KINDS: dict[str, str] = {f: sweep_field(f).kind for f in FIELDS}
DEFAULTS: dict[str, Any] = {f: "" if sweep_field(f).default is None and sweep_field(f).kind == "str"
                            else sweep_field(f).default for f in FIELDS}
#: the values the second axis offers per field (its fields: the schema's axis2 choices)
AXIS2_CHOICES: dict[str, tuple[float, ...]] = {
    "label_noise": (0.0, 0.1, 0.2, 0.3, 0.4), "temperature": (1.0, 2.0, 4.0, 8.0, 16.0),
    "alpha": (0.0, 0.25, 0.5, 0.75, 1.0), "folds": (2.0, 3.0, 5.0, 10.0, 20.0),
}


def to_config(v: dict[str, Any]) -> dict[str, Any]:
    """Form values → the axes' config fields."""
    student = v.get("vary") == "student"
    return dict(vary="student" if student else "teacher",
                teacher_capacity=(v.get("teacher_capacity") or None) if student else None,
                axis2=v.get("axis2") or None, axis2_values=tuple(v.get("axis2_values") or ()) if v.get("axis2") else (),
                paper=v.get("paper") or None, **paper_data_options(v.get("paper")))


def from_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Config fields → form values (defaults for what is missing)."""
    return dict(vary=cfg.get("vary") or "teacher", teacher_capacity=cfg.get("teacher_capacity"),
                axis2=cfg.get("axis2") or "", axis2_values=tuple(cfg.get("axis2_values") or ()),
                paper=cfg.get("paper") or "")


def student_grid_choices(student: str, current: list[int]) -> list[int]:
    name = default_student_capacity(student) or "n_estimators"
    return sorted({*student_grid(student, name), *current})


# ----------------------------------------------------------------------------------------------
# Streamlit part
def vary_control(P: str, disabled: bool = False) -> bool:
    """The 'what does the capacity grid vary' switch; True when the student is varied."""
    ss = st.session_state
    st.radio("Capacity grid varies", list(sweep_field("vary").choices() or ()), horizontal=True, key=wkey(P, "vary"), disabled=disabled,
             help="teacher: the paper's Experiment B (teacher depth). student: Experiment A — the teacher is "
                  "fixed and the grid sets the student's size (trees for rf, width for mlp).")
    return ss[wkey(P, "vary")] == "student"


def student_grid_control(P: str, student: str, teacher_default: int, disabled: bool = False) -> None:
    """Teacher capacity (fixed) and the student capacity grid, when the student is varied."""
    ss = st.session_state
    if not ss.get(wkey(P, "teacher_capacity")):
        ss[wkey(P, "teacher_capacity")] = teacher_default
    lo, hi = sweep_field("teacher_capacity").widget_range(1)
    st.number_input("Fixed teacher capacity", lo, hi, help=sweep_field("teacher_capacity").description, key=wkey(P, "teacher_capacity"), disabled=disabled)
    choices = student_grid_choices(student, list(ss.get(wkey(P, "capacities"), [])))
    ss[wkey(P, "capacities")] = [c for c in ss.get(wkey(P, "capacities"), []) if c in choices] or choices
    st.multiselect(f"Student capacity grid ({default_student_capacity(student) or 'n_estimators'})", choices,
                   key=wkey(P, "capacities"), disabled=disabled)


def axis2_control(P: str, disabled: bool = False) -> None:
    """An optional second axis (a heat map of each method's gain over vanilla)."""
    ss = st.session_state
    fields = ["", *(sweep_field("axis2").choices() or ())]
    st.selectbox("Second axis", fields, key=wkey(P, "axis2"), disabled=disabled,
                 format_func=lambda f: "none" if not f else AXIS2_TITLES.get(f, f),
                 help="Reruns the sweep for each value and draws each method's gain over vanilla KD as a heat map.")
    field = ss[wkey(P, "axis2")]
    if field:
        choices = sorted({*AXIS2_CHOICES[field], *ss.get(wkey(P, "axis2_values"), [])})
        ss[wkey(P, "axis2_values")] = [v for v in ss.get(wkey(P, "axis2_values"), []) if v in choices] or choices[:3]
        st.multiselect("Second-axis values", choices, key=wkey(P, "axis2_values"), format_func=lambda v: f"{v:g}",
                       disabled=disabled)
    if ss.get(wkey(P, "paper")):
        st.caption(f"Reproduces the paper's experiment **{ss[wkey(P, 'paper')]}**: the chart overlays the "
                   "published means (dashed).")
