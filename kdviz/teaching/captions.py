"""Captions that state an outcome, computed from the numbers of the chart they sit under (pure).

A caption never claims what the theory expects as if it had happened: "cross-fit KD beats vanilla KD"
appears only when this run's numbers say so, with the numbers. One rule, `paired_call`, decides every
outcome kdviz states: a difference is called only when it exceeds two standard errors of the paired
difference over repeats (or seeds); otherwise it is "unclear"; with one repeat no call is made. Used by the Sweep and Runs charts, Home, the Playground and the Theory page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kdviz.figures.plots import METRIC_NAMES, METRICS, summarize
from kdviz.kd.csearch import C_SEARCH_LABELS, searches_in
from kdviz.kd.methods import (
    BASELINE,
    CROSSFIT,
    METHODS,
    TEACHER_ROW,
    corrected_methods,
    kd_methods,
    labels_only_methods,
    method_label,
    tuned_method,
)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _cell(s: pd.DataFrame, method: str, cap: float) -> tuple[float, float] | None:
    r = s[(s["method"] == method) & np.isclose(s["capacity"].astype(float), cap)]
    return (float(r["mean"].iloc[0]), float(r["se"].iloc[0])) if len(r) else None


# ----------------------------------------------------------------------------------------------
# the one uncertainty rule
#: a difference is called only when |mean paired difference| exceeds this many standard errors
CALL_SE = 2.0
ONE_REPEAT_NOTE = ("one repeat only, so there is no standard error and no difference is called — "
                   "run more repeats (or seeds) to call one")


@dataclass(frozen=True)
class Call:
    """The verdict on "a against b" under the one rule: ``better`` / ``worse`` / ``unclear`` / ``no call``."""

    verdict: str
    diff: float   # mean of a − b over the paired repeats
    se: float     # its standard error (nan with one repeat)
    n: int        # paired repeats

    @property
    def called(self) -> bool:
        return self.verdict in ("better", "worse")

    def detail(self, unit: str = "repeats") -> str:
        if self.n < 2:
            return f"one of the {unit}: no call"
        return f"difference {self.diff:+.3g} ± {self.se:.2g} s.e. over {self.n} paired {unit}"


def paired_call(a, b, higher_better: bool = False) -> Call:
    """THE uncertainty rule of every caption and verdict: compare a with b, paired by repeat (or seed).

    `a` and `b` are equal-length sequences, element i of both from the same repeat. The mean paired
    difference is called (``better``/``worse`` for a, by `higher_better`) only when it exceeds
    CALL_SE = 2 standard errors of the paired differences; otherwise ``unclear``. With one repeat there
    is no standard error: ``no call``.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    n = int(len(d))
    if n == 0:
        return Call("no call", float("nan"), float("nan"), 0)
    mean = float(d.mean())
    if n < 2:
        return Call("no call", mean, float("nan"), n)
    se = float(d.std(ddof=1) / np.sqrt(n))
    if abs(mean) <= CALL_SE * se or mean == 0:
        return Call("unclear", mean, se, n)
    return Call("better" if (mean > 0) == higher_better else "worse", mean, se, n)


def _by_repeat(df: pd.DataFrame, metric: str, method: str, cap: float | None) -> pd.Series:
    """One value per repeat of `method` (at capacity `cap`; None: all its rows, averaged per repeat)."""
    sub = df[df["method"] == method]
    if cap is not None:
        sub = sub[np.isclose(sub["capacity"].astype(float), cap)]
    key = sub["repeat"] if "repeat" in sub else pd.Series(0, index=sub.index)
    return sub.groupby(key)[metric].mean()


def _pair(df: pd.DataFrame, metric: str, m1: str, m2: str, cap: float | None, cap2: float | None = "same",
          higher: bool = False) -> Call | None:
    a = _by_repeat(df, metric, m1, cap)
    b = _by_repeat(df, metric, m2, cap if cap2 == "same" else cap2)
    both = a.index.intersection(b.index)
    if not len(both):
        return None
    return paired_call(a[both].to_numpy(), b[both].to_numpy(), higher)


_WORDS = {"better": ("beats", "helps"), "worse": ("does worse than", "hurts"),
          "unclear": ("shows no clear difference from", "makes no clear difference"),
          "no call": ("is not called against", "is not called against")}


def capacity_outcome(df: pd.DataFrame | None, metric: str) -> str:
    """What this capacity chart's numbers show (best student at each end, cross-fit vs vanilla at the
    deep end, the correction at the shallow end, vanilla KD's trend, the no-KD baseline), every
    difference under the one rule (`paired_call`)."""
    if df is None or df.empty or metric not in df or "method" not in df:
        return ""
    higher = METRICS.get(metric, ("", True))[1]
    s = summarize(df[~df["method"].isin([TEACHER_ROW, *labels_only_methods()])], metric)
    if s.empty:
        return ""
    name = METRIC_NAMES.get(metric, metric).lower()
    caps = sorted(s["capacity"].astype(float).unique())
    lo, hi = caps[0], caps[-1]
    repeats = int(df["repeat"].nunique()) if "repeat" in df else 1
    parts = []
    for cap, where in ((lo, "smallest"), (hi, "largest")) if len(caps) > 1 else ((lo, "only"),):
        at = s[np.isclose(s["capacity"].astype(float), cap)].sort_values("mean", ascending=not higher)
        best = at.iloc[0]
        head = f"at the {where} capacity ({cap:g})"
        if len(at) < 2:
            parts.append(f"{head} {method_label(best['method'])} has {name} {_fmt(best['mean'])}")
            continue
        if repeats < 2:  # one repeat: the numbers, best first, and no call
            parts.append(f"{head}: " + ", ".join(f"{method_label(r['method'])} {_fmt(r['mean'])}"
                                                 for _, r in at.iterrows()))
            continue
        second = at.iloc[1]
        call = _pair(df, metric, best["method"], second["method"], cap, higher=higher)
        pair = (f"{method_label(best['method'])} {_fmt(best['mean'])}, next {method_label(second['method'])} "
                f"{_fmt(second['mean'])}")
        if call is not None and call.called:
            parts.append(f"{head} the best student is {method_label(best['method'])} ({name}: {pair})")
        elif call is not None and call.verdict == "unclear":
            parts.append(f"{head} no student is clearly best ({name}: {pair}, within two standard errors)")
        else:
            parts.append(f"{head} the best student is not called ({name}: {pair})")
    v_hi, c_hi = _cell(s, BASELINE, hi), _cell(s, CROSSFIT, hi)
    if v_hi and c_hi and repeats >= 2:
        call = _pair(df, metric, CROSSFIT, BASELINE, hi, higher=higher)
        verdict = call.verdict if call else "no call"
        parts.append(f"at capacity {hi:g} cross-fit KD {_WORDS[verdict][0]} vanilla KD "
                     f"({_fmt(c_hi[0])} vs {_fmt(v_hi[0])})")
    v_lo = _cell(s, BASELINE, lo)
    for m in corrected_methods():
        m_lo = _cell(s, m, lo)
        if v_lo and m_lo and len(caps) > 1 and repeats >= 2:
            call = _pair(df, metric, m, BASELINE, lo, higher=higher)
            verdict = call.verdict if call else "no call"
            parts.append(f"at capacity {lo:g} the loss correction ({method_label(m)}) {_WORDS[verdict][1]} against "
                         f"vanilla KD ({_fmt(m_lo[0])} vs {_fmt(v_lo[0])})")
            break
    v = s[s["method"] == BASELINE].sort_values("capacity")
    if len(v) >= 3:
        k = int(v["mean"].to_numpy().argmax() if higher else v["mean"].to_numpy().argmin())
        best_cap = float(v["capacity"].iloc[k])
        if best_cap < hi:
            call = _pair(df, metric, BASELINE, BASELINE, best_cap, hi, higher=higher)
            sure = "" if call is not None and call.called else \
                " (the drop is within two standard errors: unclear)" if call is not None and call.n >= 2 else \
                " (one repeat: the drop is not called)"
            parts.append(f"vanilla KD is best at capacity {best_cap:g} ({_fmt(v['mean'].iloc[k])}) and ends at "
                         f"{_fmt(v['mean'].iloc[-1])}{sure}")
        else:
            parts.append(f"vanilla KD keeps improving up to the largest capacity ({_fmt(v['mean'].iloc[-1])})")
    nk = df[df["method"].isin(labels_only_methods())]
    if len(nk) and len(v) and repeats >= 2:
        base = nk.groupby("repeat")[metric].mean()
        calls = []
        for cap in v["capacity"].astype(float):
            a = _by_repeat(df, metric, BASELINE, cap)
            both = a.index.intersection(base.index)
            calls.append(paired_call(a[both].to_numpy(), base[both].to_numpy(), higher).verdict)
        parts.append(f"vanilla KD beats the no-KD student ({_fmt(float(base.mean()))}) at {calls.count('better')} "
                     f"of {len(calls)} capacities, does worse at {calls.count('worse')}, unclear at "
                     f"{calls.count('unclear')}")
    text = "**In this run:** " + "; ".join(parts) + "."
    if repeats < 2:
        text += f" _({ONE_REPEAT_NOTE}.)_"
    else:
        text += f" _(A difference is called only when it exceeds two standard errors of the paired " \
                f"difference over the {repeats} repeats.)_"
    return text


def playground_outcome(student_errors: Mapping[str, float], numbers: Mapping[str, float]) -> str:
    """The Playground's heat maps in words: does the teacher memorise, the students' errors — one seed,
    so no student is called better than another (`paired_call` needs repeats)."""
    tin, tout = numbers["teacher_in_sample"], numbers["teacher_out_of_sample"]
    if tin > 1.2 * tout:
        memo = (f"the teacher memorises: its error on its own training points ({tin:.4f}) is {tin / tout:.1f}× its "
                f"error on fresh points ({tout:.4f})")
    else:
        memo = f"the teacher does not memorise here (training points {tin:.4f}, fresh points {tout:.4f})"
    parts = [memo]
    if student_errors:
        order = sorted(student_errors, key=student_errors.get)
        parts.append("students' error vs p0, lowest first: "
                     + ", ".join(f"{method_label(m)} {student_errors[m]:.4f}" for m in order))
    text = "**In this view:** " + "; ".join(parts) + "."
    if len(student_errors) > 1:
        text += (f" _(One seed: {ONE_REPEAT_NOTE.split(', so ')[1]}; the lesson and the Sweep page compare "
                 "students over repeats.)_")
    return text


def c_shape(g: pd.DataFrame, vanilla: pd.DataFrame | None = None) -> dict:
    """The shape of one γ/c curve (the tuned student's rows at one ε), computed: where its minimum is,
    its bumps (local maxima standing above both neighbours by the one rule), and the CV choice's place."""
    e = g.groupby("c")["student_error"].mean().sort_index()
    cs = e.index.to_numpy(dtype=float)
    k = int(np.argmin(e.to_numpy()))
    bumps = []
    for i in range(1, len(cs) - 1):
        if e.iloc[i] > e.iloc[i - 1] and e.iloc[i] > e.iloc[i + 1]:
            a = g[np.isclose(g["c"], cs[i])].groupby("repeat")["student_error"].mean()
            calls = [paired_call(a.to_numpy(), g[np.isclose(g["c"], cs[j])].groupby("repeat")["student_error"]
                                 .mean().reindex(a.index).to_numpy()) for j in (i - 1, i + 1)]
            if all(c.verdict == "worse" for c in calls):
                bumps.append(float(cs[i]))
    out = {"c_min": float(cs[k]), "e_min": float(e.iloc[k]), "interior_min": 0 < k < len(cs) - 1, "bumps": bumps,
           "e": e}
    if "c_cv" in g and g["c_cv"].notna().any():
        c_star = float(np.exp(np.log(g.groupby("repeat")["c_cv"].first()).median()))
        c_near = float(cs[np.argmin(np.abs(np.log(cs) - np.log(c_star)))])
        out.update(c_cv=c_near, e_cv=float(e[c_near]),
                   cv_on_bump=any(abs(np.log10(c_near) - np.log10(b)) <= 0.51 for b in bumps))
        if vanilla is not None and len(vanilla):
            a = g[np.isclose(g["c"], c_near)].groupby("repeat")["student_error"].mean()
            v = vanilla.groupby("repeat")["student_error"].mean().reindex(a.index)
            out["cv_vs_vanilla"] = paired_call(a.to_numpy(), v.to_numpy())
    return out


def _shape_words(sh: dict) -> str:
    cs = sh["e"].index
    if sh["bumps"]:
        where = "lowest at the small-c end" if sh["c_min"] == cs.min() else \
            "lowest at the large-c end" if sh["c_min"] == cs.max() else f"lowest at c = {sh['c_min']:.3g}"
        return (f"a bump at c = {', '.join(f'{b:.3g}' for b in sh['bumps'])} (the r² rule's own bias), "
                f"{where} ({sh['e_min']:.3g})")
    if sh["interior_min"]:
        return f"a U shape, minimum at c = {sh['c_min']:.3g} ({sh['e_min']:.3g})"
    end = "small-c (vanilla-like)" if sh["c_min"] == cs.min() else "large-c (full-correction)"
    return f"no interior minimum: lowest at the {end} end, c = {sh['c_min']:.3g} ({sh['e_min']:.3g})"


def theory_outcome(key: str, df: pd.DataFrame | None, config=None) -> str:
    """The Theory page's charts in words, from their own results table (and, for chart 2, the run's
    config: the theory slope of each estimator is computed from its population bias term)."""
    if df is None or df.empty:
        return ""
    from kdviz.theory import fit_slope

    parts: list[str] = []
    methods = [m for m in kd_methods() if m in set(df["method"]) and METHODS[m].teacher != "none"]
    if key == "capacity":
        hi = float(df["capacity"].max())
        at = df[np.isclose(df["capacity"].astype(float), hi)]
        errs = {m: float(at.loc[at["method"] == m, "student_error"].mean()) for m in methods}
        if BASELINE in errs and CROSSFIT in errs:
            call = _pair(df, "student_error", CROSSFIT, BASELINE, hi)
            parts.append(f"at capacity {hi:g} cross-fit KD {_WORDS[call.verdict if call else 'no call'][0]} "
                         f"vanilla KD ({errs[CROSSFIT]:.4f} vs {errs[BASELINE]:.4f}; "
                         f"{call.detail() if call else 'no pairs'})")
        t = at[at["method"] == "teacher"]
        if len(t):
            tin, tout = float((t["teacher_error_train"] ** 2).mean()), float((t["teacher_error_l2"] ** 2).mean())
            parts.append(f"the teacher's in-sample error there is {tin:.4f} against {tout:.4f} out of sample")
    elif key == "eps":  # one slope per estimator: the enhanced student at each c is its own series
        from kdviz.theory.plots import _theory, estimator_series, run_config, series_label, series_order
        from kdviz.theory.population import ORDER_TEXT

        cfg = run_config(df, config)
        four, other = [], []
        for key_, sub, m in estimator_series(df):
            f = fit_slope(sub, m, "bias_error")
            th = _theory(cfg, sub, m, sorted(sub["eps"].unique()))
            order = series_order(sub, m)
            parts.append(f"{series_label(key_, sub)}: fitted bias slope {f.slope:.2f}, theory over this ε range "
                         f"{th:.2f} (order as ε → 0: {ORDER_TEXT[order] if 'CV' not in key_ else 'none, c changes'})")
            (four if order == 4 else other).append(series_label(key_, sub))
        text = ("**In this run:** " + "; ".join(parts) + ".") if parts else ""
        if four:
            text += (f"  \nOnly {', '.join(four)} reach{'es' if len(four) == 1 else ''} order 4: the full correction "
                     "is mean-zero at p̂ = p0 and cancels the teacher's first-order error.")
        if any("c/(c + r²)" in o for o in other):
            text += " The r² rule c/(c + r²) has no order: γ depends on the label it multiplies, so its bias has a floor."
        if any("y-free" in o for o in other):
            text += (" The y-free rule at a finite c keeps a first-order term (1 − w)(p0 − p̂)/p̂: order 2, with a "
                     "steeper slope over a finite ε range as c grows.")
        return text
    elif key == "n":
        n_lo, n_hi = df["n"].min(), df["n"].max()
        for m in methods:
            e = df[df["method"] == m].groupby("n")["student_error"].mean()
            parts.append(f"{method_label(m)} goes from {e[n_lo]:.3g} at n = {n_lo:,} to {e[n_hi]:.3g} at n = {n_hi:,} "
                         f"({e[n_lo] / e[n_hi]:.1f}× lower)")
    elif key == "c":
        enh = df[df["method"] == tuned_method()]
        rule = str(enh["gamma_rule"].dropna().iloc[0]) if "gamma_rule" in enh and enh["gamma_rule"].notna().any() \
            else "bound_fast"
        for eps, g in enh.groupby("eps"):
            van = df[(df["method"] == BASELINE) & (df["eps"] == eps)]
            sh = c_shape(g, van)
            v = float(van["student_error"].mean())
            txt = f"ε = {eps:g}: {_shape_words(sh)}, vanilla {v:.3g}"
            if "c_cv" in sh:
                call = sh.get("cv_vs_vanilla")
                vs = {"better": "below vanilla", "worse": "above vanilla", "unclear": "no clear difference from "
                      "vanilla", "no call": "not compared (one repeat)"}[call.verdict if call else "no call"]
                txt += (f"; the CV choice c = {sh['c_cv']:.3g} gives {sh['e_cv']:.3g} ({vs})"
                        + (" — it sits on the bump" if sh["cv_on_bump"] else ""))
            parts.append(txt)
        text = ("**In this run:** " + "; ".join(parts) + ".") if parts else ""
        if parts and rule == "bound_fast":
            text += " A bump near c ≈ 0.1 is the r² rule's own bias (γ depends on y), not the teacher's."
        return text
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


def guidance(metric: str, df: pd.DataFrame) -> str:
    """'What to look for', built for the chart `df` draws: the axis it varies (teacher or student) and
    only the curves it has."""
    higher = METRICS.get(metric, ("", metric != "student_error"))[1]
    present = set(df["method"]) if "method" in df else set()
    varied = str(df["varied"].dropna().iloc[0]) if "varied" in df and df["varied"].notna().any() else "teacher"
    parts = [f"**What to look for:** {'higher' if higher else 'lower'} is better."]
    if varied == "student":
        parts.append("The teacher is fixed; left = a small student, right = a large one, so each curve shows "
                     "how much a bigger student gains from that kind of target.")
        if {BASELINE, CROSSFIT} <= present:
            parts.append("Cross-fit KD against vanilla KD shows what the teacher's reuse of its training points "
                         "costs at every student size.")
        corr = [method_label(m) for m in corrected_methods() if m in present]
        if corr and BASELINE in present:
            parts.append(f"{' and '.join(corr)} against vanilla KD shows what the correction does with this teacher.")
    else:
        parts.append("Left = a shallow (underfitting) teacher, right = a deep one that may memorise label noise.")
        if {BASELINE, CROSSFIT} <= present:
            parts.append("Compare vanilla KD with cross-fit KD at the right end (the teacher reusing its "
                         "training points).")
        corr = [method_label(m) for m in corrected_methods() if m in present]
        if corr and BASELINE in present:
            parts.append(f"Compare {' and '.join(corr)} with vanilla KD at the left end (the teacher's bias).")
    if TEACHER_ROW in present:
        parts.append("The black dotted curve is the teacher's own error vs p0." if metric == "student_error"
                     else "The black dotted curve is the teacher itself.")
    if present & set(labels_only_methods()):
        parts.append("The grey line is a student that never saw a teacher.")
    return " ".join(parts)


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
    """The 'what to look for' caption of a capacity chart of `metric`; with the chart's table `df`, built
    for what that chart draws (`guidance`) and followed by what its numbers show (`capacity_outcome`)."""
    if df is not None and "method" in df and len(df):
        text = guidance(metric, df)
    elif metric in CAPTIONS:
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
