"""One-click presets for the four theory charts (experiment kind, configuration, chart builder, caption)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kdviz.experiments import get_experiment
from kdviz.presets import THEORY_CAPACITY
from kdviz.theory.plots import c_chart, capacity_theory_chart, eps_chart, size_chart


@dataclass(frozen=True)
class TheoryPreset:
    key: str
    title: str
    kind: str
    config: dict[str, Any]
    chart: Any
    theory: str  # what the theory says
    look_for: str  # what to look for

    def make_config(self, **overrides: Any) -> Any:
        return get_experiment(self.kind).make_config({**self.config, **overrides})

    def caption(self) -> str:
        return f"**What the theory says:** {self.theory}  \n**What to look for:** {self.look_for}"


PRESETS: dict[str, TheoryPreset] = {p.key: p for p in [
    TheoryPreset(
        "capacity", "1 · Capacity sweep: an overfitting teacher", "theory-capacity",
        THEORY_CAPACITY,
        capacity_theory_chart,
        "vanilla KD pays for the teacher's complexity (data reuse); cross-fitting removes that term, so "
        "a cross-fit student tracks the teacher's out-of-sample error.",
        "the gap between the teacher's in-sample error (bottom, solid) and its out-of-sample error (dotted) "
        "as the trees deepen, and whether vanilla KD (top) follows the in-sample curve while cross-fit and "
        "enhanced KD follow the out-of-sample one.",
    ),
    TheoryPreset(
        "eps", "2 · Teacher-error sweep: an underfitting (biased) teacher", "theory-eps",
        dict(n=20_000, repeats=5, c_fixed=(0.1, 1.0, 10.0, 1000.0)),
        eps_chart,
        "student error ≲ δ² + ε2² for vanilla KD but δ² + ε4⁴ with the full loss correction (γ = γ*): the "
        "teacher's error enters at second order (slope 4 instead of 2 on log-log axes). These are upper bounds; "
        "at a finite c the enhanced student's rule is another estimator (order 2 for the y-free rule, a bias "
        "floor for the r² rule) — the table's theory column gives each one's slope over this ε range.",
        "filled points are the bias term (student fit to the conditional expectation of its target), with "
        "their fitted slopes in the legend next to the grey reference slopes 2 and 4; hollow points are the "
        "student's actual error at this n, where the correction's variance (dashed) can hide the ε⁴ term until "
        "the bias exceeds it. Vanilla and the full correction are drawn; click a legend entry for the others.",
    ),
    TheoryPreset(
        "n", "3 · Sample-size sweep: where the students plateau", "theory-n",
        dict(eps=0.8, n_grid=(500, 1000, 2000, 5000, 10_000, 20_000, 50_000), repeats=4),
        size_chart,
        "with more data the statistical term δ_n² shrinks and the teacher term remains: a plateau "
        "≈ C·ε2² for vanilla KD, ≈ C·ε4⁴ (much lower) for the corrected students.",
        "where each method's points flatten out as n grows, against its fitted plateau (dashed lines: "
        "fitted plateaus, constants unknown).",
    ),
    TheoryPreset(
        "c", "4 · γ/c sweep: how much correction", "theory-c",
        dict(n=2_000, eps_grid=(0.3, 0.8, 1.6), repeats=4),
        c_chart,
        "the bound-fast γ = c·γ*/(c + r²) trades the teacher's bias (small c ≈ vanilla) against the "
        "correction's variance (large c ≈ full correction); c must be tuned per teacher.",
        "each curve against the dotted vanilla level (c → 0) and its full-correction end (large c); the "
        "star is the c cross-validation picks from the labels alone. A bump near c ≈ 0.1 would be the "
        "rule's own bias: γ depends on y, so the shrunk correction is not mean-zero.",
    ),
]}
