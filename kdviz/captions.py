"""Captions that state an outcome, computed from the numbers of the chart they sit under (pure).

A caption never claims what the theory expects as if it had happened: "cross-fit KD beats vanilla KD"
appears only when this run's numbers say so, with the numbers; differences within one standard error
are called unclear. Used by the Sweep and Runs charts, Home, the Playground and the Theory page.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kdviz.csearch import C_SEARCH_LABELS, searches_in
from kdviz.methods import METHODS, corrected_methods, kd_methods, method_label, tuned_method
from kdviz.plots import METRIC_NAMES, METRICS, summarize


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _cell(s: pd.DataFrame, method: str, cap: float) -> tuple[float, float] | None:
    r = s[(s["method"] == method) & np.isclose(s["capacity"].astype(float), cap)]
    return (float(r["mean"].iloc[0]), float(r["se"].iloc[0])) if len(r) else None


def _compare(a: tuple[float, float], b: tuple[float, float], higher_better: bool) -> str:
    """'better' / 'worse' / 'unclear' for a against b (unclear: within one standard error of each other)."""
    (ma, sa), (mb, sb) = a, b
    if abs(ma - mb) <= max(sa + sb, 1e-12):
        return "unclear"
    return "better" if (ma > mb) == higher_better else "worse"


_WORDS = {"better": ("beats", "helps"), "worse": ("does worse than", "hurts"), "unclear": ("ties with", "makes no clear difference")}


def capacity_outcome(df: pd.DataFrame | None, metric: str) -> str:
    """What this capacity chart's numbers show (best student at each end, cross-fit vs vanilla at the
    deep end, the correction at the shallow end, vanilla KD's trend, the no-KD baseline)."""
    if df is None or df.empty or metric not in df or "method" not in df:
        return ""
    higher = METRICS.get(metric, ("", True))[1]
    s = summarize(df[~df["method"].isin(["teacher", "no_kd"])], metric)
    if s.empty:
        return ""
    name = METRIC_NAMES.get(metric, metric).lower()
    caps = sorted(s["capacity"].astype(float).unique())
    lo, hi = caps[0], caps[-1]
    parts = []
    for cap, where in ((lo, "smallest"), (hi, "largest")) if len(caps) > 1 else ((lo, "only"),):
        at = s[np.isclose(s["capacity"].astype(float), cap)]
        best = at.loc[at["mean"].idxmax() if higher else at["mean"].idxmin()]
        parts.append(f"at the {where} capacity ({cap:g}) the best student is {method_label(best['method'])} "
                     f"({name} {_fmt(best['mean'])})")
    v_hi, c_hi = _cell(s, "vanilla", hi), _cell(s, "crossfit", hi)
    if v_hi and c_hi:
        verdict = _compare(c_hi, v_hi, higher)
        parts.append(f"at capacity {hi:g} cross-fit KD {_WORDS[verdict][0]} vanilla KD ({_fmt(c_hi[0])} vs {_fmt(v_hi[0])})")
    v_lo = _cell(s, "vanilla", lo)
    for m in corrected_methods():
        m_lo = _cell(s, m, lo)
        if v_lo and m_lo and len(caps) > 1:
            verdict = _compare(m_lo, v_lo, higher)
            parts.append(f"at capacity {lo:g} the loss correction ({method_label(m)}) {_WORDS[verdict][1]} against "
                         f"vanilla KD ({_fmt(m_lo[0])} vs {_fmt(v_lo[0])})")
            break
    v = s[s["method"] == "vanilla"].sort_values("capacity")
    if len(v) >= 3:
        k = int(v["mean"].to_numpy().argmax() if higher else v["mean"].to_numpy().argmin())
        best_cap = float(v["capacity"].iloc[k])
        if best_cap < hi:
            parts.append(f"vanilla KD is best at capacity {best_cap:g} ({_fmt(v['mean'].iloc[k])}) and ends at "
                         f"{_fmt(v['mean'].iloc[-1])}")
        else:
            parts.append(f"vanilla KD keeps improving up to the largest capacity ({_fmt(v['mean'].iloc[-1])})")
    nk = df.loc[df["method"] == "no_kd", metric].astype(float).dropna()
    if len(nk) and len(v):
        base = float(nk.mean())
        wins = int(((v["mean"] > base) if higher else (v["mean"] < base)).sum())
        parts.append(f"vanilla KD beats the no-KD student ({_fmt(base)}) at {wins} of {len(v)} capacities")
    return "**In this run:** " + "; ".join(parts) + "."


def playground_outcome(student_errors: Mapping[str, float], numbers: Mapping[str, float]) -> str:
    """The Playground's heat maps in words: does the teacher memorise, which student lands closest to p0."""
    tin, tout = numbers["teacher_in_sample"], numbers["teacher_out_of_sample"]
    if tin > 1.2 * tout:
        memo = (f"the teacher memorises: its error on its own training points ({tin:.4f}) is {tin / tout:.1f}× its "
                f"error on fresh points ({tout:.4f})")
    else:
        memo = f"the teacher does not memorise here (training points {tin:.4f}, fresh points {tout:.4f})"
    parts = [memo]
    if student_errors:
        best = min(student_errors, key=student_errors.get)
        parts.append(f"closest to p0: {method_label(best)} ({student_errors[best]:.4f})")
        v = student_errors.get("vanilla")
        for m, e in student_errors.items():
            if m != "vanilla" and v is not None:
                parts.append(f"{method_label(m)} {'beats' if e < v else 'does not beat'} vanilla KD "
                             f"({e:.4f} vs {v:.4f})")
    return "**In this view:** " + "; ".join(parts) + "."


def theory_outcome(key: str, df: pd.DataFrame | None) -> str:
    """The Theory page's charts in words, from their own results table."""
    if df is None or df.empty:
        return ""
    from kdviz.theory import fit_slope

    parts: list[str] = []
    methods = [m for m in kd_methods() if m in set(df["method"]) and METHODS[m].teacher != "none"]
    if key == "capacity":
        hi = float(df["capacity"].max())
        at = df[np.isclose(df["capacity"].astype(float), hi)]
        errs = {m: float(at.loc[at["method"] == m, "student_error"].mean()) for m in methods}
        if "vanilla" in errs and "crossfit" in errs:
            parts.append(f"at capacity {hi:g} cross-fit KD {'beats' if errs['crossfit'] < errs['vanilla'] else 'does not beat'} "
                         f"vanilla KD ({errs['crossfit']:.4f} vs {errs['vanilla']:.4f})")
        t = at[at["method"] == "teacher"]
        if len(t):
            tin, tout = float((t["teacher_error_train"] ** 2).mean()), float((t["teacher_error_l2"] ** 2).mean())
            parts.append(f"the teacher's in-sample error there is {tin:.4f} against {tout:.4f} out of sample")
    elif key == "eps":  # one slope per estimator: the enhanced student at each c is its own series
        from kdviz.theory.plots import estimator_series, series_label

        for key_, sub, m in estimator_series(df):
            f = fit_slope(sub, m, "bias_error")
            parts.append(f"{series_label(key_, sub)}: fitted bias slope {f.slope:.2f} "
                         f"(theory {METHODS[m].bias_power})")
    elif key == "n":
        n_lo, n_hi = df["n"].min(), df["n"].max()
        for m in methods:
            e = df[df["method"] == m].groupby("n")["student_error"].mean()
            parts.append(f"{method_label(m)} goes from {e[n_lo]:.3g} at n = {n_lo:,} to {e[n_hi]:.3g} at n = {n_hi:,} "
                         f"({e[n_lo] / e[n_hi]:.1f}× lower)")
    elif key == "c":
        enh = df[df["method"] == tuned_method()]
        for eps, g in enh.groupby("eps"):
            e = g.groupby("c")["student_error"].mean()
            v = float(df[(df["method"] == "vanilla") & (df["eps"] == eps)]["student_error"].mean())
            parts.append(f"ε = {eps:g}: best c = {e.idxmin():g} ({e.min():.3g}, vanilla {v:.3g}), "
                         f"{'a U shape' if 0 < list(e.index).index(e.idxmin()) < len(e) - 1 else 'best at an end of the grid'}")
    return ("**In this run:** " + "; ".join(parts) + ".") if parts else ""


#: "what to look for" captions, one per chart type / metric: how to read the chart, never an outcome
#: (what happened is stated by `capacity_outcome`, computed from the chart's numbers)
CAPTIONS: dict[str, str] = {
    "student_error": (
        "**What to look for:** lower is better. Left = a shallow (underfitting) teacher, right = a deep one "
        "that may memorise label noise. Compare vanilla KD with cross-fit KD at the right end (the teacher "
        "reusing its training points) and the loss-corrected students with vanilla KD at the left end (the "
        "teacher's bias)."
    ),
    "test_auc": (
        "**What to look for:** higher is better. Compare vanilla KD with cross-fit KD where the teacher is "
        "deepest (right), and the loss-corrected and enhanced students with vanilla KD where it is shallowest "
        "(left). The grey line is a student that never saw a teacher."
    ),
    "default": (
        "**What to look for:** each curve is one KD method (mean ± 1 standard error over repeats); "
        "the black dotted curve is the teacher itself and the grey line a student trained on labels "
        "only. A method helps where its curve beats the grey line."
    ),
}


def c_search_note(df: pd.DataFrame | None) -> str:
    """Which search chose the γ rule's c in this table, and the values it chose (from its rows)."""
    if df is None or "c_search" not in df or "c" not in df:
        return ""
    parts = []
    for search in searches_in(df):
        cs = sorted(float(c) for c in df.loc[df["c_search"] == search, "c"].dropna().unique())
        if not cs:
            continue
        values = f"c = {cs[0]:g}" if len(cs) == 1 else f"c between {cs[0]:g} and {cs[-1]:g}"
        how = "fixed" if search == "fixed" else f"chosen per capacity and method by {C_SEARCH_LABELS.get(search, search)}"
        parts.append(f"{values}, {how}")
    return ("**c of the corrected students:** " + "; ".join(parts) + ".") if parts else ""


def caption_for(metric: str, df: pd.DataFrame | None = None) -> str:
    """The 'what to look for' caption of a capacity chart of `metric`; with the chart's table `df`,
    followed by what this run's numbers show (computed: `capacity_outcome`)."""
    if metric in CAPTIONS:
        text = CAPTIONS[metric]
    elif metric == "test_accuracy":
        text = CAPTIONS["test_auc"].replace("AUC", "accuracy")
    else:
        text = CAPTIONS["default"]
    if df is not None:
        outcome = capacity_outcome(df, metric)
        if outcome:
            text += "  \n" + outcome
        note = c_search_note(df)
        if note:
            text += "  \n" + note
    return text
