"""The guided lesson: six steps from "what is p0" to the paper's slopes 2 vs 4 (pure, no Streamlit).

    step = STEPS[i]                        # title, text, what to look for, question, "try it" target
    fig = step_figure(i, seed, revealed)   # a live chart from kdviz's own (cached) computations
    out = outcome(i, seed)                 # which answer THIS run's numbers support, and the numbers
    v = verdict(i, seed, choice)           # did the prediction hold? (computed, never canned)

Steps 2–5 ask a question before showing the students: `step_figure(..., revealed=False)` draws the
same chart (same axes) with the students' panels or curves left out. Every number comes from
`kdviz.teaching.playground` (2-D problem with known p0, 600 points, cached per setting) or, for step 6, a
small controlled-teacher sweep (`kdviz.theory`, ≈ 0.1 s).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kdviz.figures.plots import capacity_chart, heatmap_grid
from kdviz.figures.style import drop_title_for_presentation, style_figure
from kdviz.kd.methods import BASELINE, CORRECTED, CROSSFIT, method_label
from kdviz.presets import PLAYGROUND_DEFAULTS
from kdviz.runtime import offload
from kdviz.runtime.cache import single_flight_lru
from kdviz.teaching import playground as pg
from kdviz.teaching.captions import Call, paired_call

#: the lesson's problem: curved boundary, 600 points, 20 % flipped labels (small: every step is instant)
BASE = pg.PlaygroundParams(dataset=PLAYGROUND_DEFAULTS["dataset"], n=600, label_noise=0.2, resolution=45, folds=5)
SHALLOW, MEDIUM, DEEP = 1, 4, 20
#: every answer is judged over this many seeds (the shown seed and the next ones), paired by seed, under
#: the one uncertainty rule of `kdviz.teaching.captions.paired_call` (cached: each seed's fits are computed once)
SEEDS = 3
#: step 2's "about the same": the ratio of the two errors' means (over the seeds) within this margin of 1
SAME = 0.10


@dataclass(frozen=True)
class Question:
    prompt: str
    choices: dict[str, str]  # answer key → label


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    look_for: str
    question: Question | None = None
    try_page: str = "pages/1_Playground.py"
    try_query: dict[str, str] = field(default_factory=dict)
    params: pg.PlaygroundParams | None = None


@dataclass(frozen=True)
class Outcome:
    answer: str       # the choice key the numbers support, or "unclear" (within two standard errors)
    text: str         # the numbers of the chart shown (this seed), in words
    call: Call | None = None  # the paired comparison over SEEDS seeds

    @property
    def unclear(self) -> bool:
        return self.answer == "unclear"


@dataclass(frozen=True)
class Verdict:
    held: bool
    text: str


def _q(p: pg.PlaygroundParams) -> dict[str, str]:
    return {"dataset": p.dataset, "n": str(p.n), "label_noise": f"{p.label_noise:g}", "teacher": p.teacher,
            "capacity": str(p.capacity), "methods": ",".join(p.methods), "c": f"{p.c:g}", "seed": str(p.seed)}


_P1 = BASE.replace(capacity=8, methods=(BASELINE,))
_P2 = BASE.replace(capacity=SHALLOW, methods=(BASELINE,))
_P3 = BASE.replace(capacity=MEDIUM, methods=(BASELINE,))
_P4 = BASE.replace(capacity=DEEP, methods=(BASELINE, CROSSFIT))
_P5 = BASE.replace(capacity=SHALLOW, methods=(BASELINE, CORRECTED), c=0.1)

STEPS: tuple[Step, ...] = (
    Step("p0", "What p0 is, and what a student copies",
         "Every point has a true chance **p0** of being class 1 (left: red = likely class 1, blue = class 0). "
         "We never see p0 on real data — only noisy labels, and here 20 % of them are flipped. A big "
         "**teacher** (a random forest) estimates p0 as **p̂**; a small **student** is then trained to copy "
         "p̂ instead of the labels. That is knowledge distillation (KD).",
         "how close the teacher's map (middle) and the student's map (right) come to p0 (left): "
         "each panel's error vs p0 is printed under its title.",
         params=_P1),
    Step("underfit", "An underfitting teacher",
         "Make the teacher too simple: a forest of depth-1 trees can only draw straight, axis-parallel cuts. "
         "Its p̂ is **biased** — wrong in the same direction wherever the boundary curves. The vanilla "
         "student learns only from this p̂.",
         "whether the student's map keeps the teacher's straight cuts, and its error next to the teacher's.",
         Question("Compared with its teacher's error vs p0, the vanilla student's error will be …",
                  {"lower": "clearly lower (the student fixes the bias)",
                   "same": "about the same (within 10 %: it inherits the bias)",
                   "higher": "clearly higher"}),
         params=_P2),
    Step("overfit", "An overfitting teacher",
         "Now let the teacher grow deep trees. It starts to **memorise** the noisy labels: on its own "
         "training points p̂ sits close to 0 or 1, although p0 there is not. Those are exactly the points "
         "the vanilla student learns from.",
         "the gap between the teacher's error on its own training points (dashed) and on fresh points (dotted), "
         "and where the student's curve goes as that gap opens.",
         Question(f"As the teacher grows from depth {MEDIUM} to depth {DEEP}, the vanilla student's error vs p0 will …",
                  {"rise": "rise (the student gets worse)", "fall": "fall (the student gets better)"}),
         params=_P3),
    Step(CROSSFIT, "The first fix: cross-fitting",
         "Split the training points into 5 folds. Each fold's points are scored by a teacher trained on the "
         "other 4 folds, so no point is scored by a teacher that saw its label. The **cross-fit** student "
         f"learns from these out-of-fold p̂ — same depth-{DEEP} teacher, no memorised labels.",
         "the speckles around noisy points in the teacher's map: which student copies them?",
         Question(f"With the depth-{DEEP} teacher, which student lands closer to p0?",
                  {BASELINE: "the vanilla KD student", CROSSFIT: "the cross-fit KD student"}),
         params=_P4),
    Step("correction", "The second fix: the loss correction",
         f"Back to the biased depth-{SHALLOW} teacher. The **loss correction** adds γ·(y − p̂) to the "
         "student's target: where the labels disagree with the teacher on average, the target moves towards "
         "the labels. γ is shrunk by a constant c (here c = 0.1) because the labels are noisy: "
         "γ = (1/p̂)·c/(c + p̂(1 − p̂)). This weight does not look at the label, so the correction has mean "
         "zero when p̂ = p0: a perfect teacher is left alone on average (the labels' noise still adds some "
         "variance). The paper's weight c/(c + (y − p̂)²) looks at the label and is not mean-zero — it "
         "moves even a perfect teacher's target.",
         "whether the corrected student's boundary bends with p0 where the teacher's cuts stay straight.",
         Question(f"With the depth-{SHALLOW} teacher, which student lands closer to p0?",
                  {BASELINE: "the vanilla KD student", CORRECTED: "the loss-corrected KD student"}),
         params=_P5),
    Step("theory", "The theory: slopes 2 and 4",
         "The paper proves an **upper bound** on the student's error: for a vanilla student it contains the "
         "**square** of the teacher's error ε2 (the root-mean-square distance of the teacher's p̂ from the true "
         "p0), for the fully corrected student only its **fourth power** ε4⁴: the teacher's error enters at "
         "second order. Here a controlled teacher p̂ = σ(logit p0 + ε·h(x)) (ε a dial, h a fixed smooth "
         "wave) turns its error up step by step, and we measure the **teacher-bias term** of each student — "
         "the part of its error that comes from the teacher (the student fit to the average of its target) — "
         "on log-log axes, where a power law is a straight line whose slope is the power.",
         "the two bias-term lines' slopes (fitted from these points, in the legend) next to the reference "
         "slopes 2 and 4, and the hollow points: the corrected student's actual error, which also carries the "
         "labels' noise.",
         try_page="pages/3_Theory.py", try_query={"repeats": "2"}),
)


# ----------------------------------------------------------------------------------------------
def params(i: int, seed: int = 0) -> pg.PlaygroundParams | None:
    p = STEPS[i].params
    return None if p is None else p.replace(seed=int(seed))


def try_link(i: int, seed: int = 0) -> tuple[str, dict[str, str]]:
    """(page path, query) that opens the full page with this step's settings."""
    s = STEPS[i]
    p = params(i, seed)
    q = _q(p) if p is not None else {**s.try_query, "seed": str(seed)}
    if s.key == "overfit":  # the full page shows one capacity at a time: open the deep end
        q["capacity"] = str(DEEP)
    return s.try_page, q


# ----------------------------------------------------------------------------------------------
# numbers
@single_flight_lru(maxsize=16)
def _curve(seed: int) -> pd.DataFrame:
    """(Cached, shared: do not modify.) The vanilla student at every depth: a student fit per depth, in a helper
    process (kdviz.runtime.offload), so the server keeps drawing the class's pages meanwhile."""
    return offload.call("kdviz.teaching.playground:capacity_curve", params(2, seed), (BASELINE,))


@functools.lru_cache(maxsize=8)
def _theory_table(seed: int) -> pd.DataFrame:
    from kdviz.experiments import run_experiment
    from kdviz.theory import make_eps_config

    cfg = make_eps_config(n=4000, repeats=2, eps_grid=(0.1, 0.2, 0.4, 0.8, 1.6), methods=(BASELINE, CORRECTED),
                          n_eval=4000, seed=int(seed))
    return run_experiment("theory-eps", cfg, jobs=1)


@single_flight_lru(maxsize=32)
def table(i: int, seed: int = 0) -> pd.DataFrame:
    """(Cached, shared: do not modify.) The numbers behind step i's chart, as a tidy table (the talk pack's results CSV). Every error column
    says whether it is squared: the charts and captions show squared errors (ε2², mean (f̂ − p0)²)."""
    key = STEPS[i].key
    if key == "overfit":
        t = _curve(seed).copy()
        t["teacher ε2² on its own training points (squared, as charted)"] = t["teacher_error_train"] ** 2
        t["teacher ε2² on fresh points (squared, as charted)"] = t["teacher_error_l2"] ** 2
        return t.rename(columns={
            "teacher_error_train": "teacher ε2 on its own training points (root-mean-square, unsquared)",
            "teacher_error_l2": "teacher ε2 on fresh points (root-mean-square, unsquared)",
            "teacher_error_l4": "teacher ε4 on fresh points (unsquared)",
            "student_error": "student error vs p0, mean (f̂ − p0)² (squared, as charted)"})
    if key == "theory":
        return _theory_table(seed)
    res = pg.compute(params(i, seed))
    rows = [{"quantity": "teacher error vs p0, mean (p̂ − p0)² (fresh points)", "value": res.numbers["teacher_out_of_sample"]},
            {"quantity": "teacher error vs p0, mean (p̂ − p0)² (its training points)", "value": res.numbers["teacher_in_sample"]}]
    rows += [{"quantity": f"student error vs p0, mean (f̂ − p0)²: {method_label(m)}", "value": e}
             for m, e in res.student_errors.items()]
    return pd.DataFrame(rows).assign(step=i + 1, seed=seed)


def seeds(seed: int) -> tuple[int, ...]:
    """The seeds an answer is judged over: the one shown first, then the next ones."""
    return tuple((int(seed) + k) % 2**31 for k in range(SEEDS))


def _vanilla_curve(seed: int) -> pd.Series:
    t = _curve(seed)
    return t[t["method"] == BASELINE].set_index("capacity")["student_error"]


def _over_seeds(call: Call, seed: int) -> str:
    s = seeds(seed)
    return f"over seeds {s[0]}–{s[-1]} ({call.detail('seeds')}; called only beyond two standard errors)"


@single_flight_lru(maxsize=64)
def outcome(i: int, seed: int = 0) -> Outcome | None:
    """(Cached: every session of a class asks on every rerun.) The answer the numbers support over SEEDS seeds, paired by seed (`paired_call`): "unclear" when
    the mean paired difference is within two standard errors. The text quotes the chart shown (`seed`)."""
    key = STEPS[i].key
    if key == "underfit":
        runs = [pg.compute(params(i, s)) for s in seeds(seed)]
        st = [r.student_errors[BASELINE] for r in runs]
        te = [r.numbers["teacher_out_of_sample"] for r in runs]
        call = paired_call(st, te)
        ratio = float(np.mean(st) / np.mean(te))
        # "about the same" is the question's own margin (10 %); outside it the one rule decides the direction
        ans = "same" if abs(ratio - 1) <= SAME else {"better": "lower", "worse": "higher"}.get(call.verdict, "unclear")
        return Outcome(ans, f"student {st[0]:.4f} vs teacher {te[0]:.4f} (error vs p0 on fresh points) in this chart; "
                            f"over seeds {seeds(seed)[0]}–{seeds(seed)[-1]} the student's error is {ratio:.2f}× the "
                            f"teacher's (the question's margin is 10 %); student minus teacher: {call.detail('seeds')}, called only beyond two standard errors", call)
    if key == "overfit":
        curves = [_vanilla_curve(s) for s in seeds(seed)]
        a, b = [float(v[MEDIUM]) for v in curves], [float(v[DEEP]) for v in curves]
        call = paired_call(b, a)
        ans = {"worse": "rise", "better": "fall"}.get(call.verdict, "unclear")
        return Outcome(ans, f"vanilla student {a[0]:.4f} with the depth-{MEDIUM} teacher, {b[0]:.4f} with the "
                            f"depth-{DEEP} teacher in this chart; deep minus medium {_over_seeds(call, seed)}", call)
    if key in (CROSSFIT, "correction"):
        runs = [pg.compute(params(i, s)) for s in seeds(seed)]
        (m1, e1), (m2, e2) = runs[0].student_errors.items()
        call = paired_call([r.student_errors[m1] for r in runs], [r.student_errors[m2] for r in runs])
        ans = {"better": m1, "worse": m2}.get(call.verdict, "unclear")
        return Outcome(ans, f"{method_label(m1)} {e1:.4f}, {method_label(m2)} {e2:.4f} (error vs p0) in this chart; "
                            f"{method_label(m1)} minus {method_label(m2)} {_over_seeds(call, seed)}", call)
    return None


def warm(i: int, seed: int = 0) -> None:
    """Start computing step i's answer over all SEEDS seeds in a background thread (while the class is still
    predicting), so Reveal finds it cached; the caches are single-flight, so nothing is computed twice."""
    if STEPS[i].question is None:
        return

    def run() -> None:
        try:
            outcome(i, seed)
        except Exception:  # noqa: BLE001 — a warm-up only; Reveal computes (and reports) it again
            pass

    threading.Thread(target=run, name=f"kdviz-lesson-warm-{i}-{seed}", daemon=True).start()


_PREPARED: set[tuple[int, int]] = set()
_PREPARED_LOCK = threading.Lock()


def prepare(seed: int = 0, step: int = 0) -> bool:
    """A class's lesson, computed one step ahead: step `step` and the next one, their charts and captions
    (hidden and revealed) and their answers for `seed`, in a background thread, once per process. A step
    change or a reveal then finds its page cached for thirty followers at once, and the work is spread over
    the class instead of landing when everyone joins. Returns False when this process has already done it."""
    with _PREPARED_LOCK:
        if (seed, step) in _PREPARED:
            return False
        _PREPARED.add((seed, step))

    def run() -> None:
        with offload.first():  # thirty students wait for this: it goes before single students' new settings
            for revealed in (False, True):  # what the class sees on arriving first, then the students and answers
                for i in range(step, min(step + 2, len(STEPS))):
                    try:
                        step_figure(i, seed, revealed)
                        chart_caption(i, seed, revealed)
                        if revealed:
                            outcome(i, seed)
                    except Exception:  # noqa: BLE001 — ahead of time only; the page computes (and reports) it again
                        pass

    threading.Thread(target=run, name=f"kdviz-lesson-prepare-{seed}-{step}", daemon=True).start()
    return True


def verdict(i: int, seed: int, choice: str | None) -> Verdict | None:
    """Did `choice` hold? Computed from `outcome` (SEEDS seeds, one rule); None for steps without a question."""
    out = outcome(i, seed)
    q = STEPS[i].question
    if out is None or q is None:
        return None
    if out.unclear:
        head = (f"Unclear: over {SEEDS} seeds the difference is within two standard errors, so these numbers "
                "support neither answer." + (" Your prediction was made." if choice else " No prediction made."))
        return Verdict(False, f"{head} {out.text}.")
    right = q.choices[out.answer]
    if choice is None:
        return Verdict(False, f"No prediction made. {out.text} — the answer is “{right}”.")
    held = choice == out.answer
    head = "Your prediction held." if held else f"Your prediction did not hold: the answer here is “{right}”."
    return Verdict(held, f"{head} {out.text}.")


def corrected_at_perfect_teacher(seed: int = 0) -> dict[str, float]:
    """Step 5's claim, checked on the lesson's own data: set the teacher to p0 and measure the mean of the
    correction (E[T | x] − log p0) under the lesson's γ rule and under the paper's r² rule (THEORY §3)."""
    from kdviz.kd.distill import kd_target, one_hot

    p = params(4, seed)
    res = pg.teacher_fits(p).dataset
    p0 = res.p0_train
    out = {}
    for rule in (pg.PLAYGROUND_GAMMA, "bound_fast"):
        t1 = kd_target(p0, one_hot(np.ones(len(p0), dtype=int), 2), p.scale, True, rule, p.c)[:, 1]
        t0 = kd_target(p0, one_hot(np.zeros(len(p0), dtype=int), 2), p.scale, True, rule, p.c)[:, 1]
        vanilla = kd_target(p0, None, p.scale)[:, 1]
        out[rule] = float(np.mean(np.abs(p0[:, 1] * t1 + (1 - p0[:, 1]) * t0 - vanilla)))
    return out


@single_flight_lru(maxsize=128)
def chart_caption(i: int, seed: int = 0, revealed: bool = True) -> str:
    """What the chart shows, with its numbers (computed; before the reveal only the teacher's)."""
    key = STEPS[i].key
    if key == "theory":
        from kdviz.theory import fit_slope

        df = _theory_table(seed)
        v, c = fit_slope(df, BASELINE), fit_slope(df, CORRECTED)
        cor = df[df["method"] == CORRECTED].groupby("eps")["student_error"].mean()
        van = df[df["method"] == BASELINE].groupby("eps")["student_error"].mean()
        lo, hi = cor.index.min(), cor.index.max()
        above = [e for e in cor.index if cor[e] > van[e]]
        return (f"Lines: the teacher-bias term. In this run its fitted log-log slopes are {v.slope:.2f} (vanilla "
                f"KD) and {c.slope:.2f} (loss-corrected KD); the bounds' powers are 2 and 4. Hollow points: the "
                f"students' actual error. The corrected student's stays between {cor.min():.2g} and {cor.max():.2g} "
                f"(ε from {lo:g} to {hi:g}: the labels' noise sets a floor)"
                + (f", above vanilla's at ε = {', '.join(f'{e:g}' for e in above)}" if above else "")
                + f"; vanilla's goes from {van[lo]:.2g} to {van[hi]:.2g}.")
    if key == "overfit":
        t = _curve(seed)
        tt = t[t["method"] == "teacher"].set_index("capacity")
        gap = tt["teacher_error_train"] ** 2 - tt["teacher_error_l2"] ** 2
        text = (f"Squared errors (ε2², as in the results CSV's “squared” columns): the teacher's error on its own "
                f"training points is {tt['teacher_error_train'][DEEP] ** 2:.4f} at "
                f"depth {DEEP} against {tt['teacher_error_l2'][DEEP] ** 2:.4f} on fresh points "
                f"(largest gap {gap.max():+.4f}, at depth {int(gap.idxmax())}).")
        if revealed:
            v = _vanilla_curve(seed)
            text += f" The vanilla student is best at depth {int(v.idxmin())} ({v.min():.4f}) and ends at {v[DEEP]:.4f}."
        return text
    res = _compute(i, seed, revealed)
    text = f"Teacher error vs p0: {res.numbers['teacher_out_of_sample']:.4f} on fresh points."
    if revealed:
        text += " " + "; ".join(f"{method_label(m)}: {e:.4f}" for m, e in res.student_errors.items()) + "."
    return text


def _compute(i: int, seed: int, revealed: bool) -> pg.PlaygroundResult:
    """Step i's Playground numbers; before the reveal the teacher's only (no student is fitted to draw a blank:
    a class following to a new step waits for the teacher's fit alone)."""
    p = params(i, seed)
    return pg.compute(p if revealed else p.model_copy(update={"methods": ()}))


# ----------------------------------------------------------------------------------------------
# charts
def _heatmaps(i: int, seed: int, revealed: bool, presentation: bool) -> go.Figure:
    p = params(i, seed)
    res = _compute(i, seed, revealed)
    panels = [("True probabilities p0", res.p0), (f"Teacher p̂ (depth {p.capacity})", res.teacher)]
    subs = ["what every student should learn", f"error vs p0: {res.numbers['teacher_out_of_sample']:.4f}"]
    for m in p.methods:
        if revealed:
            panels.append((f"Student: {method_label(m)}", res.students[m]))
            subs.append(f"error vs p0: {res.student_errors[m]:.4f}")
        else:
            panels.append((f"Student: {method_label(m)}", np.full_like(res.p0, np.nan)))
            subs.append("hidden until you reveal")
    fig = heatmap_grid(panels, res.xs, res.ys, points=(res.X_train, res.y_train), presentation=presentation,
                       cols=2 if len(panels) > 3 else len(panels), subtitles=subs)
    fig.update_layout(title="P(class 1) — red = class 1 likely, blue = class 0, line = 50 % boundary")
    return drop_title_for_presentation(fig, presentation)  # on a projector the legend needs the room


def _capacity(seed: int, revealed: bool, presentation: bool) -> go.Figure:
    t = _curve(seed)
    fig = capacity_chart(t, "student_error", presentation=presentation,
                         title="Error vs p0 as the teacher grows (2-D problem, 600 points)")
    tt = t[t["method"] == "teacher"].sort_values("capacity")
    fig.add_trace(go.Scatter(x=tt["capacity"].tolist(), y=(tt["teacher_error_train"] ** 2).tolist(),
                             mode="lines+markers", name="Teacher ε2² on its own training points",
                             legendgroup="teacher_train", line=dict(color="#000000", dash="dash", width=2),
                             marker=dict(symbol="diamond-open", size=8)))
    ys = np.concatenate([np.asarray(tr.y, dtype=float) for tr in fig.data if tr.y is not None])
    fig.update_yaxes(range=[0, float(np.nanmax(ys)) * 1.08])
    if not revealed:
        fig.data = [tr for tr in fig.data if str(tr.legendgroup).startswith("teacher")]
        fig.add_annotation(text="the student's curve is hidden until you reveal", x=0.02, xanchor="left", y=0.98,
                           xref="paper",
                           yref="paper", showarrow=False, font=dict(size=14, color="#555"))
    return style_figure(fig, presentation)


def _theory(seed: int, presentation: bool) -> go.Figure:
    from kdviz.theory.plots import eps_chart

    fig = eps_chart(_theory_table(seed), presentation=presentation)
    fig.update_layout(title="The teacher-bias term vs the teacher's error ε2 (log-log): slope 2 vs slope 4")
    if presentation:  # on a projector: the page's heading names the chart; the legend sits in the empty top left
        fig.update_layout(legend=dict(orientation="v", x=0.01, xanchor="left", y=0.99, yanchor="top", xref="paper",
                                      yref="paper"), margin=dict(b=90, t=40))
        fig.update_xaxes(title_text="teacher error ε2")
        fig.update_yaxes(title_text="squared error (f̂ − f0)², log-p scale")
        short = {"reference slope": lambda n: n.split(" (")[0], "oracle floor": lambda n: "oracle floor δ²"}
        for t in fig.data:  # short entries: the page's text explains them
            name = str(t.name).split(":")[0]
            t.name = next((f(name) for k, f in short.items() if name.startswith(k)), name)
    return drop_title_for_presentation(fig, presentation)


@single_flight_lru(maxsize=128)
def step_figure(i: int, seed: int = 0, revealed: bool = True, presentation: bool = False) -> go.Figure:
    """Step i's live chart; with revealed=False the students are left out (same axes). Built once per
    setting for every session: callers must not modify it."""
    key = STEPS[i].key
    if key == "overfit":
        return _capacity(seed, revealed, presentation)
    if key == "theory":
        return _theory(seed, presentation)
    return _heatmaps(i, seed, revealed or STEPS[i].question is None, presentation)
