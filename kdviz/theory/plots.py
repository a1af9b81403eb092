"""The four theory charts: pure functions from a theory results table to a plotly Figure.

Every curve whose height comes from the bounds is a *fitted scaling* (constants fitted to the
measured points, THEORY §2 gives only the shape): its name says so. Reference slopes are anchored to
the data (through the geometric centre of the points they compare with).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kdviz.figures.style import style_figure
from kdviz.kd.methods import (
    BASELINE,
    CROSSFIT,
    METHODS,
    TEACHER_ROW,
    is_labels_only,
    kd_methods,
    labels_only_methods,
    method_color,
    method_label,
    theory_methods,
    tuned_method,
)
from kdviz.theory.controlled import MethodSpec
from kdviz.theory.fits import (
    FITTED_LABEL,
    bias_dominated,
    bound_form,
    fit_bound,
    fit_slope,
    reference_line,
    summarize,
)
from kdviz.theory.population import ORDER_TEXT, asymptotic_order, theory_slope

LOG_ERR = "squared error on the log-p scale, mean (f̂ − f0)²<br>(f̂ = the student, f0 = the best student of its class)"
EPS2_AXIS = "teacher error ε2 = root-mean-square distance of the teacher's p̂ from the true p0"
#: THEORY §3 and §5: why the y-free γ rule exists (shown on the Theory page).
WHY_Y_FREE = (
    "The paper's bound-fast weight w = c/(c + r²), r = y − p̂, depends on the very label it multiplies, so the "
    "corrected target is **not mean-zero at p̂ = p0**: on the log scale "
    "E[T | x] − log p0 = c(1 − p0)(2p0 − 1) / [(c + (1 − p0)²)(c + p0²)], zero only at p0 = ½, largest near "
    "c ≈ 0.1 (the bump of chart 4). The **y-free rule** w = c/(c + p̂(1 − p̂)) replaces r² by its expectation "
    "under p̂; its correction is mean-zero at p̂ = p0 for every c. Neither reaches the ε⁴ rate at a finite c: "
    "the weight leaves a first-order term (1 − w)(p0 − p̂)/p̂ — THEORY §3's check measured bias slopes of the "
    "y-free rule 1.93 / 2.10 / 4.12 at c = 0.1 / 1 / 1000 (r² rule at c = 1000: 4.53); the table under chart 2 "
    "gives this preset's own, one row per rule and c. Only c → ∞, the full correction, recovers ε⁴. Choose the rule in the sidebar; both are available wherever γ is (CLI `--gamma`, the Sweep page)."
)
#: the notes under chart 2's slope table (how its "theory" and "order" columns are computed)
SLOPE_NOTE = (
    "**theory (this ε range)** is computed, not typed: the log-log slope, over the same ε as the fitted row, of "
    "the estimator's *population* bias term — the student class's fit to E[T | x] − log p0, with E[T | x] in "
    "closed form (THEORY §3) on 20,000 fresh points of the same generator. A fitted slope should approach it "
    "with enough repeats. **order as ε → 0**: 2 for vanilla KD, 4 for the full correction, 2 for the y-free rule "
    "at a finite c, none for the r² rule (its bias has a floor). The fitted ε4⁴ bound is drawn only for order 4."
)
SLOPE_NOTE_TUNED = (
    " The enhanced student is a different estimator for each c, so each fixed c is its own series and slope; the "
    "CV choice (a different c at different ε) is one more series, whose theory value uses the c chosen at each ε."
)
GREY = "#555555"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return "rgba({},{},{},{})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)), alpha)


def _empty(message: str, presentation: bool) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style_figure(fig, presentation)


def _band(fig: go.Figure, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str, name: str,
          **where) -> None:
    fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[hi, lo[::-1]], fill="toself", mode="lines",
                             line=dict(width=0), fillcolor=_rgba(color, 0.18), name=name, hoverinfo="skip",
                             legendgroup=name), **where)


def _floor_band(fig: go.Figure, df: pd.DataFrame, x: np.ndarray, name: str, **where) -> None:
    """The oracle floor δ² (mean ± sd over repeats) as a horizontal band across x."""
    o = df.groupby("repeat")["oracle_error"].first() if "repeat" in df else df["oracle_error"]
    m, s = float(o.mean()), float(o.std(ddof=1)) if len(o) > 1 else 0.0
    xs = np.array([x.min(), x.max()])
    _band(fig, xs, np.full(2, max(m - s, m * 0.05)), np.full(2, m + s), GREY, name, **where)
    fig.add_trace(go.Scatter(x=xs, y=np.full(2, m), mode="lines", line=dict(color=GREY, width=1.5),  # the mean
                             name=name, legendgroup=name, showlegend=False, hoverinfo="skip"), **where)


# ----------------------------------------------------------------------------------------------
# 1. capacity sweep (overfitting)
def capacity_theory_chart(df: pd.DataFrame, presentation: bool = False) -> go.Figure:
    """Student error vs teacher capacity (top) and the teacher's errors where the student learns (bottom)."""
    if df is None or df.empty:
        return _empty("No results yet: run the capacity-sweep preset.", presentation)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.58, 0.42],
                        subplot_titles=("Student error ‖f̂ − p0‖² (mean ± s.d. over repeats)",
                                        "Teacher error on the points the student learns from"))
    for m in [m for m in kd_methods() if not is_labels_only(m)] + list(labels_only_methods()):
        s = df[df["method"] == m].groupby("capacity")["student_error"].agg(["mean", "std"]).fillna(0.0)
        if s.empty:
            continue
        fig.add_trace(go.Scatter(x=s.index, y=s["mean"], error_y=dict(type="data", array=s["std"]),
                                 mode="lines+markers", name=method_label(m), legendgroup=m,
                                 line=dict(color=method_color(m), dash="dot" if is_labels_only(m) else "solid"),
                                 marker=dict(symbol=METHODS[m].symbol)), row=1, col=1)
    caps = np.asarray(sorted(df["capacity"].dropna().unique()), dtype=float)
    if df["oracle_error"].notna().any() and len(caps):
        _floor_band(fig, df.dropna(subset=["oracle_error"]), caps,
                    "oracle floor δ² (student trained on exact p0)", row=1, col=1)
    t = df[df["method"] == TEACHER_ROW].groupby("capacity")
    cf = df[df["method"] == CROSSFIT].groupby("capacity")
    series = [
        (t["teacher_error_train"], "teacher in-sample: on its own training points (what vanilla KD sees)",
         method_color(BASELINE), "solid"),
        (cf["teacher_error_train"], "teacher out-of-fold (what cross-fit KD sees)", method_color(CROSSFIT), "dash"),
        (t["teacher_error_l2"], "teacher out-of-sample: fresh points", method_color(TEACHER_ROW), "dot"),
    ]
    for g, name, color, dash in series:
        s = (g.mean() ** 2) if len(g.size()) else None
        if s is None or s.empty:
            continue
        fig.add_trace(go.Scatter(x=s.index, y=s.values, mode="lines+markers", name=name,
                                 line=dict(color=color, dash=dash), marker=dict(symbol="diamond")), row=2, col=1)
    cap_name = str(df["capacity_name"].dropna().iloc[0]) if "capacity_name" in df and df["capacity_name"].notna().any() else "capacity"
    fig.update_xaxes(title_text=f"Teacher capacity ({cap_name})", row=2, col=1)
    fig.update_yaxes(title_text="mean (f̂ − p0)² (prob.²)", type="log", row=1, col=1)
    fig.update_yaxes(title_text="teacher ε2² (prob.²)", type="log", row=2, col=1)
    fig.update_layout(title="Capacity sweep: an overfitting teacher hurts vanilla KD, not cross-fit KD", height=720)
    return style_figure(fig, presentation)


# ----------------------------------------------------------------------------------------------
# 2. teacher-error sweep (underfitting)
def default_focus(df: pd.DataFrame) -> set[str]:
    """The series a class needs by default: vanilla against the full correction (all if neither is there)."""
    keys = {k for k, _, m in estimator_series(df) if METHODS[m].theory in ("plain", "full")}
    return keys or {k for k, _, _ in estimator_series(df)}


def eps_chart(df: pd.DataFrame, presentation: bool = False, ratio: float = 1.0,
              focus: set[str] | None = None) -> go.Figure:
    """Log-log teacher-bias term vs ε2 (fitted slopes), finite-n error, floors, reference slopes.

    One legend entry per estimator (a click shows or hides all its traces); the estimators outside
    `focus` (default: vanilla and the full correction) start hidden, one click away. The fitted
    C2·ε4⁴ bound is drawn only for estimators whose bias term is of order 4; order-2 ones get C2·ε2²;
    a rule with a bias floor gets no bound."""
    if df is None or df.empty:
        return _empty("No results yet: run the teacher-error preset.", presentation)
    fig = go.Figure()
    focus = default_focus(df) if focus is None else set(focus)
    x_all = df["teacher_error_l2"].to_numpy()
    n = int(df["n"].iloc[0])
    anchors: dict[int, str] = {}
    fixed = 0
    for key, sub, m in estimator_series(df):
        s = summarize(sub, ["eps"], ["teacher_error_l2", "bias_error", "student_error", "variance_error"])
        color = method_color(m)
        if METHODS[m].theory == "config" and sub["c_cv"].isna().all():  # the tuned student at one fixed c
            color, fixed = EPS_COLORS[fixed % len(EPS_COLORS)], fixed + 1
        label = series_label(key, sub)
        vis = True if key in focus else "legendonly"
        fb = fit_slope(sub, m, "bias_error")
        order = series_order(sub, m)
        keys = ["filled: the bias term", "hollow: the student's actual error"]
        keys += ["dashed: its label-noise variance term"] if sub["variance_error"].max() > 0 else []
        keys += ["dotted: the fitted upper bound"] if order is not None else []
        fig.add_trace(go.Scatter(
            x=s["teacher_error_l2"], y=s["bias_error"], error_y=dict(type="data", array=s["bias_error_sd"]),
            mode="lines+markers", line=dict(color=color), marker=dict(symbol=METHODS[m].symbol, size=9),
            name=f"{label}: teacher-bias term, {fb.label()}<br>({'; '.join(keys)})",
            legendgroup=key, visible=vis))
        win = bias_dominated(sub, m, ratio)
        fn = fit_slope(sub, m, "student_error", eps=win) if len(win) >= 2 else None
        txt = (f"{fn.label()} for ε ∈ [{min(win):g}, {max(win):g}] (bias ≥ variance)" if fn is not None
               else "bias never dominates the variance here: no slope")
        fig.add_trace(go.Scatter(
            x=s["teacher_error_l2"], y=s["student_error"], error_y=dict(type="data", array=s["student_error_sd"]),
            mode="markers", marker=dict(color=color, symbol=METHODS[m].symbol + "-open", size=10),
            name=f"{label}: student's actual error at n = {n:,}, {txt}", legendgroup=key, showlegend=False,
            visible=vis))
        if sub["variance_error"].max() > 0:
            fig.add_trace(go.Scatter(x=s["teacher_error_l2"], y=s["variance_error"], mode="lines",
                                     line=dict(color=color, dash="dash", width=1.5), legendgroup=key,
                                     name=f"{label}: variance term (label noise in the target)", showlegend=False,
                                     visible=vis))
        if order is not None:
            col, power, form = ("teacher_error_l4", 4, "C1·δ² + C2·ε4⁴") if order == 4 else \
                ("teacher_error_l2", 2, "C1·δ² + C2·ε2²")
            bf = fit_bound(sub["oracle_error"], sub[col], sub["student_error"], power, m, form)
            if np.isfinite(bf.c1):
                xs = s["teacher_error_l2"].to_numpy()
                tcol = sub.groupby("eps")[col].mean().to_numpy()
                fig.add_trace(go.Scatter(x=xs, y=bf(sub["oracle_error"].mean(), np.asarray(tcol)), mode="lines",
                                         line=dict(color=color, dash="dot", width=1.5), legendgroup=key,
                                         name=f"{label}: upper bound {bf.label()}", showlegend=False, visible=vis))
        if order in (2, 4) and order not in anchors and key in focus:
            anchors[order] = m
            xs, ys = reference_line(s["teacher_error_l2"], s["bias_error"], order)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines",
                                     line=dict(color=GREY, dash="longdash" if order == 2 else "dashdot", width=2),
                                     name=f"reference slope {order} (anchored to {method_label(m)} bias data)"))
    _floor_band(fig, df, x_all, "oracle floor δ² (student on exact log p0), mean ± s.d.")
    fig.update_xaxes(type="log", title_text=EPS2_AXIS, exponentformat="none")
    fig.update_yaxes(type="log", title_text=LOG_ERR, exponentformat="none")
    fig.update_layout(title="Teacher-error sweep: the teacher-bias term, slope 2 (vanilla) vs 4 (full correction)",
                      height=680)
    return style_figure(fig, presentation)


def estimator_series(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str]]:
    """(series key, its rows, method) per estimator: vanilla, corrected, enhanced with c chosen by CV
    per ε, and enhanced at each fixed c — never one series pooled across different c."""
    if "series" not in df or df["series"].isna().all():  # tables from before the per-c series
        df = df.assign(series=df["method"])
    order = {m: i for i, m in enumerate(theory_methods())}
    out = []
    for key, sub in df.groupby("series", sort=False):
        m = str(sub["method"].iloc[0])
        out.append((str(key), sub, m))
    c_of = {k: (0 if "CV" in k else float(sub["c"].iloc[0]) if pd.notna(sub["c"].iloc[0]) else 0) for k, sub, _ in out}
    return sorted(out, key=lambda t: (order.get(t[2], 9), c_of[t[0]]))


def series_label(key: str, sub: pd.DataFrame) -> str:
    """The legend name of one estimator: method, γ rule and c."""
    m = str(sub["method"].iloc[0])
    if METHODS[m].theory != "config":
        return method_label(m)
    rule = str(sub["gamma_rule"].dropna().iloc[0]) if "gamma_rule" in sub and sub["gamma_rule"].notna().any() \
        else "bound_fast"
    rule_txt = {"bound_fast": "c/(c + r²)", "bound_fast_expected": "y-free c/(c + p̂(1−p̂))"}.get(rule, rule)
    if sub["c_cv"].notna().any():
        return f"{_short(m)}, γ {rule_txt}, c by CV per ε"
    return f"{_short(m)}, γ {rule_txt}, c = {float(sub['c'].iloc[0]):g}"


def _short(method: str) -> str:
    """"Enhanced KD (cross-fit + correction)" → "Enhanced KD"."""
    return method_label(method).split(" (")[0]


def series_spec(sub: pd.DataFrame, m: str) -> MethodSpec:
    """The estimator one series is: method, γ rule and c (the c of its first row)."""
    kind = METHODS[m].theory
    if kind == "plain":
        return MethodSpec(m, False)
    if kind == "full":
        return MethodSpec(m, True, "full")
    rule = str(sub["gamma_rule"].dropna().iloc[0]) if "gamma_rule" in sub and sub["gamma_rule"].notna().any() \
        else "bound_fast"
    c = sub["c"].dropna()
    return MethodSpec(m, True, rule, float(c.iloc[0]) if len(c) else None)


def series_order(sub: pd.DataFrame, m: str) -> int | None:
    """The asymptotic order of a series' bias term (None: a floor, or c changes with ε)."""
    if METHODS[m].theory == "config" and "c_cv" in sub and sub["c_cv"].notna().any():
        return None
    return asymptotic_order(series_spec(sub, m))


def run_config(df: pd.DataFrame, config=None):
    """The theory config a results table was made with (the page passes it; else the defaults)."""
    if config is not None:
        return config
    from kdviz.theory.experiments import make_eps_config

    first = df.iloc[0]
    kw = {k: first[k] for k in ("dataset", "student", "kappa") if k in df and pd.notna(first[k])}
    return make_eps_config(**kw)


def _theory(cfg, sub: pd.DataFrame, m: str, eps: list[float]) -> float:
    """The population bias slope of this series over `eps` (THEORY §3, `kdviz.theory.population`)."""
    spec = series_spec(sub, m)
    eps = sorted(float(e) for e in eps)
    if METHODS[m].theory == "config" and "c_cv" in sub and sub["c_cv"].notna().any():
        chosen = sub.groupby("eps")["c_cv"].median()
        return theory_slope(cfg, spec, eps, [float(chosen[e]) for e in eps])
    return theory_slope(cfg, spec, eps)


def slope_table(df: pd.DataFrame, ratio: float = 1.0, config=None) -> pd.DataFrame:
    """One fitted log-log slope per estimator and measured quantity, beside the **theory** slope computed
    from that estimator's population bias term over the same ε (`kdviz.theory.population`) and its
    asymptotic order; every row names method, γ rule and c."""
    cfg = run_config(df, config)
    rows = []
    for _key, sub, m in estimator_series(df):
        kind = METHODS[m].theory
        rule = "—" if kind == "plain" else ("full (γ = γ*)" if kind == "full" else
                                           str(sub["gamma_rule"].dropna().iloc[0]) if "gamma_rule" in sub and
                                           sub["gamma_rule"].notna().any() else "bound_fast")
        cv = kind == "config" and sub["c_cv"].notna().any()
        if cv:
            chosen = sub.groupby("eps")["c_cv"].median()
            c_txt = "CV per ε: " + ", ".join(f"{c:g}" for c in chosen)
        elif kind == "config":
            c_txt = f"{float(sub['c'].iloc[0]):g}"
        else:
            c_txt = "—" if kind == "plain" else "∞ (full)"
        order = "— (c changes with ε)" if cv else ORDER_TEXT[series_order(sub, m)]
        for what, q, eps in (("bias term (all ε)", "bias_error", None),
                             ("finite-n error (ε where bias ≥ variance)", "student_error",
                              bias_dominated(sub, m, ratio))):
            if eps is not None and len(eps) < 2:
                continue
            f = fit_slope(sub, m, q, eps=eps)
            used = sorted(sub["eps"].unique()) if eps is None else eps
            rows.append({"method": m, "γ rule": rule, "c": c_txt, "measured": what,
                         "fitted slope": round(f.slope, 2), "95% CI": f"[{f.lo:.2f}, {f.hi:.2f}]",
                         "ε range": f"{f.eps_min:g} – {f.eps_max:g}", "repeats": f.repeats,
                         "theory (this ε range)": round(_theory(cfg, sub, m, used), 2),
                         "order as ε → 0": order})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# 3. sample-size sweep
def size_chart(df: pd.DataFrame, presentation: bool = False) -> go.Figure:
    """Student error vs n: fitted scalings C1·δ_n² + C2·ε², their plateaus, the oracle floor."""
    if df is None or df.empty:
        return _empty("No results yet: run the sample-size preset.", presentation)
    fig = go.Figure()
    ns = np.asarray(sorted(df["n"].unique()), dtype=float)
    o = summarize(df[df["method"] == df["method"].iloc[0]], ["n"], ["oracle_error"])
    _band(fig, o["n"].to_numpy(dtype=float), np.maximum(o["oracle_error"] - o["oracle_error_sd"], o["oracle_error"] * 0.05),
          o["oracle_error"] + o["oracle_error_sd"], GREY, "oracle floor δ_n² (student on exact log p0), mean ± s.d.")
    for m in [m for m in theory_methods() if m in set(df["method"])]:
        sub = df[df["method"] == m]
        s = summarize(sub, ["n"], ["student_error", "oracle_error", "teacher_error_l2", "teacher_error_l4"])
        color = method_color(m)
        fig.add_trace(go.Scatter(x=s["n"], y=s["student_error"], error_y=dict(type="data", array=s["student_error_sd"]),
                                 mode="markers", marker=dict(color=color, size=10, symbol=METHODS[m].symbol),
                                 name=f"{method_label(m)}: measured student error", legendgroup=m))
        col, power, form = bound_form(m)
        bf = fit_bound(sub["oracle_error"], sub[col], sub["student_error"], power, m, form)
        if not np.isfinite(bf.c1):
            continue
        t = float(sub[col].mean())
        fig.add_trace(go.Scatter(x=s["n"], y=bf(s["oracle_error"], t), mode="lines", line=dict(color=color),
                                 name=f"{method_label(m)}: {bf.label()}", legendgroup=m))
        sym = "ε2²" if power == 2 else "ε4⁴"
        fig.add_trace(go.Scatter(x=[ns.min(), ns.max()], y=[bf.c2 * t ** power] * 2, mode="lines",
                                 line=dict(color=color, dash="dash", width=1.5), legendgroup=m,
                                 name=f"{method_label(m)}: fitted plateau C2·{sym} = {bf.c2 * t ** power:.2g} "
                                      f"({sym} = {t ** power:.2g}; constant unknown)"))
    eps = df["eps"].iloc[0]
    fig.update_xaxes(type="log", title_text="training points n")
    fig.update_yaxes(type="log", title_text=LOG_ERR)
    fig.update_layout(title=f"Sample-size sweep at a fixed teacher (ε = {eps:g}): plateaus ≈ ε2² vs ≈ ε4⁴", height=640)
    return style_figure(fig, presentation)


# ----------------------------------------------------------------------------------------------
# 4. γ / c sweep
EPS_COLORS = ("#56B4E9", "#0072B2", "#CC79A7", "#D55E00", "#E69F00", "#009E73")


def c_chart(df: pd.DataFrame, presentation: bool = False) -> go.Figure:
    """Enhanced student error vs c (log x), one curve per teacher; the CV-chosen c marked with a star."""
    if df is None or df.empty:
        return _empty("No results yet: run the γ/c preset.", presentation)
    fig = go.Figure()
    tuned = tuned_method()
    enh = df[df["method"] == tuned]
    cs = np.asarray(sorted(enh["c"].unique()), dtype=float)
    for i, (eps, g) in enumerate(enh.groupby("eps")):
        color = EPS_COLORS[i % len(EPS_COLORS)]
        s = summarize(g, ["c"], ["student_error", "teacher_error_l2"])
        e2 = float(s["teacher_error_l2"].mean())
        fig.add_trace(go.Scatter(x=s["c"], y=s["student_error"], error_y=dict(type="data", array=s["student_error_sd"]),
                                 mode="lines+markers", line=dict(color=color), legendgroup=str(eps),
                                 name=f"{tuned}, teacher ε = {eps:g} (ε2 = {e2:.3f})"))
        chosen = g.groupby("repeat")["c_cv"].first()
        c_star = float(np.exp(np.log(chosen).median()))
        c_near = float(cs[np.argmin(np.abs(np.log(cs) - np.log(c_star)))])
        y_star = float(s.loc[np.isclose(s["c"], c_near), "student_error"].iloc[0])
        fig.add_trace(go.Scatter(x=[c_near], y=[y_star], mode="markers", legendgroup=str(eps),
                                 marker=dict(symbol="star", size=18, color=color, line=dict(color="black", width=1)),
                                 name=f"CV-chosen c = {c_near:.3g} (median over repeats), ε = {eps:g}"))
        v = df[(df["method"] == BASELINE) & (df["eps"] == eps)]["student_error"].mean()
        fig.add_trace(go.Scatter(x=[cs.min(), cs.max()], y=[v, v], mode="lines", legendgroup=str(eps),
                                 line=dict(color=color, dash="dot", width=1.5),
                                 name=f"vanilla KD (c → 0 limit), ε = {eps:g}"))
    rule = str(enh["gamma_rule"].dropna().iloc[0]) if "gamma_rule" in enh and enh["gamma_rule"].notna().any() \
        else "bound_fast"
    w = "c/(c + r²), r = y − p̂" if rule == "bound_fast" else "c/(c + p̂(1 − p̂)), y-free"
    fig.update_xaxes(type="log", exponentformat="none",
                     title_text=f"constant c of the γ rule (γ = γ*·{w}; γ* = 1/p̂ the full correction; large c → full)")
    fig.update_yaxes(type="log", title_text=LOG_ERR, exponentformat="none")
    n = int(df["n"].iloc[0])
    fig.update_layout(title=f"γ/c sweep (n = {n:,}): student error against the correction constant c, one curve "
                            "per teacher", height=620)
    return style_figure(fig, presentation)


__all__ = ["capacity_theory_chart", "eps_chart", "size_chart", "c_chart", "estimator_series", "series_label",
           "slope_table", "FITTED_LABEL"]
