"""A teacher whose error is a dial, and the measurement of every bound term on one run.

Only synthetic data know p0, so only there can the terms of THEORY §2's bounds be measured. The
*controlled teacher* is p̂ = σ(κ·logit p0 + ε·h(x)) with a fixed smooth bias field
h(x) = sin(w·x + b) (|h| ≤ 1; default sin(x₁ + 0.8)): ε = 0 and κ = 1 give the Bayes probabilities; ε moves the teacher
away from p0 smoothly (so ε2 ∝ ε for small ε); κ ≠ 1 makes it over/under-confident. It never sees
the training labels, so cross-fitting changes nothing for it: the data-reuse (overfitting) term is
studied with real teachers in the capacity sweep.

Students are least-squares regressions on polynomial features (``linear``, ``quadratic``,
``cubic``) of the KD target on the log-p scale (THEORY §3, class-1 column of a binary problem):
every fit is a projection, so one factorisation of the design serves all targets of a run and the
error splits exactly into the parts the theory talks about. Errors are squared distances on the
student's output scale (log p) averaged over a large evaluation sample:

- ``student_error``  ‖f̂ − f0‖², f0 = the best student in the class (least-squares fit of log p0 on
  the evaluation sample);
- ``oracle_error``   δ² = ‖f̂_oracle − f0‖², f̂_oracle fit on the exact targets log p0(X_i) of the
  same training points (the statistical floor);
- ``bias_error``     ‖f̂_bias − f̂_oracle‖², f̂_bias fit on the *conditional expectation* of the
  target given X (log p̂ for vanilla, log p̂ + p0/p̂ − 1 for the fully corrected target; in general
  p0·T(y=1) + (1 − p0)·T(y=0)): the teacher-induced bias with the label noise removed;
- ``variance_error`` ‖f̂ − f̂_bias‖²: what the label noise in the target adds (the correction's
  variance; zero for vanilla KD from a controlled teacher);
- ``excess_error``   ‖f̂ − f̂_oracle‖² = bias + variance (+ a mean-zero cross term).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from kdviz.errors import ConfigError
from kdviz.kd.distill import kd_target, one_hot
from kdviz.kd.methods import tuned_method
from kdviz.kd.metrics import teacher_errors
from kdviz.seeds import sub_rng

STUDENT_DEGREES = {"linear": 1, "quadratic": 2, "cubic": 3}
#: p0 is clipped into [P0_CLIP, 1 − P0_CLIP] before the logit (label-noise-free data reach 0 and 1).
P0_CLIP = 1e-9


# ----------------------------------------------------------------------------------------------
# the controlled teacher
@dataclass(frozen=True)
class BiasField:
    """h(x) = sin(w·x + b): smooth, bounded by 1, fixed by a seed (not by the data)."""

    w: np.ndarray
    b: float

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return np.sin(np.asarray(X, dtype=float) @ self.w + self.b)


def make_bias_field(d: int, seed: int = 0) -> BiasField:
    """The teacher's bias field. Seed 0: h(x) = sin(x₁ + 0.8) (the documented default: at 45° to the
    GMM's Bayes direction, its first- and second-order terms project well onto polynomial students);
    other seeds: a random unit direction w and phase b (same seed → same field)."""
    if seed == 0:
        w = np.zeros(d)
        w[0] = 1.0
        return BiasField(w=w, b=0.8)
    rng = sub_rng(seed, 7919)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    return BiasField(w=w, b=float(rng.uniform(0.3, 1.2)))


def controlled_proba(p0: np.ndarray, X: np.ndarray, eps: float, kappa: float = 1.0,
                     field: BiasField | None = None) -> np.ndarray:
    """p̂ = σ(κ·logit p0 + ε·h(x)) as an (m, 2) array, from the (m, 2) Bayes probabilities p0."""
    p1 = np.clip(np.asarray(p0, dtype=float)[:, 1], P0_CLIP, 1 - P0_CLIP)
    h = field(X) if field is not None else make_bias_field(X.shape[1])(X)
    z = kappa * (np.log(p1) - np.log1p(-p1)) + eps * h
    q = expit(z)
    return np.column_stack([1.0 - q, q])


class ControlledTeacher(BaseEstimator):
    """sklearn-style wrapper of the controlled teacher (it needs p0 at the points it scores).

    ``ControlledTeacher(eps=0.5).fit(X).predict_proba(X_eval, p0_eval)``; `fit` only fixes the
    bias field for the data's dimension: the teacher never sees labels.
    """

    def __init__(self, eps: float = 0.0, kappa: float = 1.0, h_seed: int = 0):
        self.eps = eps
        self.kappa = kappa
        self.h_seed = h_seed

    def fit(self, X: np.ndarray, y: Any = None, n_classes: int = 2) -> ControlledTeacher:
        if n_classes != 2:
            raise ConfigError("the controlled teacher is defined for binary problems only")
        if not (np.isfinite(self.eps) and self.eps >= 0):
            raise ConfigError(f"eps must be a finite number ≥ 0, got {self.eps!r}")
        if not (np.isfinite(self.kappa) and self.kappa > 0):
            raise ConfigError(f"kappa must be a finite number > 0, got {self.kappa!r}")
        self.field_ = make_bias_field(np.asarray(X).shape[1], self.h_seed)
        return self

    def predict_proba(self, X: np.ndarray, p0: np.ndarray) -> np.ndarray:
        return controlled_proba(p0, X, self.eps, self.kappa, self.field_)


# ----------------------------------------------------------------------------------------------
# least-squares polynomial students
def poly_features(X: np.ndarray, degree: int) -> np.ndarray:
    """Intercept plus all monomials of the columns of X up to `degree`."""
    X = np.asarray(X, dtype=float)
    cols = [np.ones(len(X))]
    for k in range(1, degree + 1):
        for idx in combinations_with_replacement(range(X.shape[1]), k):
            cols.append(np.prod(X[:, idx], axis=1))
    return np.column_stack(cols)


def student_degree(student: str) -> int:
    if student not in STUDENT_DEGREES:
        raise ConfigError(f"unknown theory student {student!r}; choose from {', '.join(STUDENT_DEGREES)}")
    return STUDENT_DEGREES[student]


def lstsq(D: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Least-squares coefficients for one or several target columns (minimum-norm if rank-deficient)."""
    return np.linalg.lstsq(D, T, rcond=None)[0]


# ----------------------------------------------------------------------------------------------
# targets
@dataclass(frozen=True)
class MethodSpec:
    """How a method builds its target from p̂ and y: vanilla (no correction) or corrected by a γ rule."""

    method: str
    corrected: bool
    rule: str = "full"
    c: float | None = None


def targets(p_hat: np.ndarray, y: np.ndarray, p0: np.ndarray, spec: MethodSpec) -> tuple[np.ndarray, np.ndarray]:
    """(target with the observed labels, its conditional expectation given X), class-1 column, log scale."""
    if not spec.corrected:
        t = kd_target(p_hat, None, "logp")[:, 1]
        return t, t
    Y = one_hot(y, 2)
    t = kd_target(p_hat, Y, "logp", True, spec.rule, spec.c)[:, 1]
    ones, zeros = one_hot(np.ones(len(y), dtype=int), 2), one_hot(np.zeros(len(y), dtype=int), 2)
    t1 = kd_target(p_hat, ones, "logp", True, spec.rule, spec.c)[:, 1]
    t0 = kd_target(p_hat, zeros, "logp", True, spec.rule, spec.c)[:, 1]
    q = p0[:, 1]
    return t, q * t1 + (1 - q) * t0


# ----------------------------------------------------------------------------------------------
# choosing c by cross-validation (labels only: p0 is never used here)
def cv_scores(D: np.ndarray, p_hat: np.ndarray, y: np.ndarray, c_grid: list[float], folds: int, seed: int,
              metric: str = "brier", rule: str = "bound_fast") -> dict[float, float]:
    """Mean validation score of the bound-fast enhanced student for each c (higher is better).

    metric ``brier``: minus the mean squared error of min(exp f̂, 1) against the held-out labels (a
    proper scoring rule, so it tracks the student's distance to p0); ``auc``: the task metric.
    """
    T = np.column_stack([targets(p_hat, y, p_hat, MethodSpec(tuned_method(), True, rule, c))[0]
                         for c in c_grid])
    scores = np.zeros(len(c_grid))
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for tr, va in skf.split(np.zeros(len(y)), y):
        pred = np.exp(np.clip(D[va] @ lstsq(D[tr], T[tr]), -50, 50))
        for j in range(len(c_grid)):
            if metric == "auc":
                scores[j] += roc_auc_score(y[va], pred[:, j]) if len(np.unique(y[va])) == 2 else 0.0
            else:
                scores[j] -= float(np.mean((np.minimum(pred[:, j], 1.0) - y[va]) ** 2))
    return {float(c): float(s / folds) for c, s in zip(c_grid, scores)}


# ----------------------------------------------------------------------------------------------
# one measured run
def measure_run(X_train: np.ndarray, y_train: np.ndarray, p0_train: np.ndarray, X_eval: np.ndarray,
                p0_eval: np.ndarray, teacher: ControlledTeacher, specs: list[MethodSpec], *,
                student: str = "quadratic") -> list[dict[str, float]]:
    """Every bound term for each method spec on one training sample (one row per spec)."""
    degree = student_degree(student)
    D_tr, D_ev = poly_features(X_train, degree), poly_features(X_eval, degree)
    g0_ev = np.log(np.clip(p0_eval[:, 1], P0_CLIP, None))
    f0 = D_ev @ lstsq(D_ev, g0_ev)
    ph_tr, ph_ev = teacher.predict_proba(X_train, p0_train), teacher.predict_proba(X_eval, p0_eval)
    e2, e4 = teacher_errors(ph_ev, p0_eval)
    e2_train = teacher_errors(ph_tr, p0_train)[0]

    cols = [np.log(np.clip(p0_train[:, 1], P0_CLIP, None))]
    corr_var = []
    for spec in specs:
        t, te = targets(ph_tr, y_train, p0_train, spec)
        cols += [t, te]
        corr_var.append(float(np.mean((t - te) ** 2)))
    F = D_ev @ lstsq(D_tr, np.column_stack(cols))
    f_or = F[:, 0]
    delta2 = float(np.mean((f_or - f0) ** 2))
    rows = []
    for j, spec in enumerate(specs):
        f_hat, f_bias = F[:, 1 + 2 * j], F[:, 2 + 2 * j]
        p_student = np.clip(np.exp(np.clip(f_hat, -50, 50)), 0.0, 1.0)
        rows.append({
            "method": spec.method, "c": spec.c,
            "student_error": float(np.mean((f_hat - f0) ** 2)),
            "oracle_error": delta2,
            "bias_error": float(np.mean((f_bias - f_or) ** 2)),
            "variance_error": float(np.mean((f_hat - f_bias) ** 2)),
            "excess_error": float(np.mean((f_hat - f_or) ** 2)),
            "correction_var": corr_var[j],
            "student_error_p": float(np.mean((p_student - p0_eval[:, 1]) ** 2)),
            "teacher_error_l2": e2, "teacher_error_l4": e4, "teacher_error_train": e2_train,
        })
    return rows
