"""The theory column of the slope table, computed: each estimator's population bias term (THEORY §3).

For a controlled teacher p̂ = σ(κ·logit p0 + ε·h(x)) the conditional expectation of a KD target given
x is known in closed form, E[T | x] = p0·T(y = 1) + (1 − p0)·T(y = 0), so the teacher-bias term of
THEORY §5 — the student fit to E[T | x] minus the student fit to log p0, squared and averaged — needs
no labels and no sampling noise. Here it is evaluated on one large, seeded sample of x from the run's
own generator (the "population"), projected on the run's own student class (least squares on the same
polynomial features), at every ε of the fit, and its log-log slope against ε2 is the **theory slope**
of that estimator over that ε range: the number a fitted slope should approach with enough repeats.

Beside it, the asymptotic order as ε → 0 (THEORY §3): vanilla 2, the full correction 4, the y-free
rule at a finite c 2 (its first-order term's constant (1 − w) shrinks like p̂(1 − p̂)/c, so over a finite
ε range the slope climbs from 2 toward 4 as c grows), and the r² rule at a finite c none — its
correction is not mean-zero at p̂ = p0, so the bias term has a floor and the slope falls toward 0.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from kdviz.data.load import load_dataset
from kdviz.data.registry import takes
from kdviz.seeds import sub_seed
from kdviz.theory.controlled import (
    P0_CLIP,
    MethodSpec,
    controlled_proba,
    make_bias_field,
    poly_features,
    student_degree,
    targets,
)
from kdviz.theory.fits import loglog_slope

#: x-points the population terms are averaged over (fixed seed: the column never moves between runs)
N_POPULATION = 20_000
_POP_SEED_KEY = 424_242

#: what each estimator's bias term does as ε → 0 (None: no order, a floor)
ORDER_TEXT = {2: "2", 4: "4", None: "none — bias floor"}


def asymptotic_order(spec: MethodSpec) -> int | None:
    """The order of `spec`'s teacher-bias term in ε2 as ε → 0 (THEORY §3)."""
    if not spec.corrected:
        return 2
    if spec.rule == "full":
        return 4
    if spec.rule == "bound_fast_expected":
        return 2
    return None  # the r² rule at a finite c: not mean-zero at p̂ = p0


def order_reason(spec: MethodSpec) -> str:
    """Why the estimator has the order it has, in one clause."""
    if not spec.corrected:
        return "the teacher's error enters the target at first order"
    if spec.rule == "full":
        return "the full correction is mean-zero at p̂ = p0 and cancels the first-order term"
    if spec.rule == "bound_fast_expected":
        return ("a finite c keeps a first-order term (1 − w)(p0 − p̂)/p̂, small when c is large, so over a "
                "finite ε range the slope lies between 2 and 4")
    return "γ depends on the label it multiplies, so the correction is not mean-zero at p̂ = p0: a bias floor"


@functools.lru_cache(maxsize=8)
def _population(dataset: str, d: int, r: float | None, label_noise: float, seed: int, student: str,
                h_seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
    kw: dict[str, Any] = {"d": d} if takes(dataset, "d") else {}
    ds = load_dataset(dataset, n=N_POPULATION + 4, seed=sub_seed(seed, _POP_SEED_KEY), test_size=0.5,
                      label_noise=label_noise, r=r, **kw)
    X = np.vstack([ds.X_train, ds.X_test])
    p0 = np.vstack([ds.p0_train, ds.p0_test])
    D = poly_features(X, student_degree(student))
    pinv = np.linalg.pinv(D)  # the least-squares projection's coefficients: lstsq(D, t) = pinv @ t
    return X, p0, D, pinv, make_bias_field(X.shape[1], h_seed)


def population(config: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
    """(X, p0, student design, its pseudo-inverse, bias field) for a theory config (cached)."""
    return _population(config.dataset, int(config.d), config.r, float(config.label_noise), int(config.seed),
                       config.student, int(config.h_seed))


def expected_target(p_hat1: np.ndarray, p01: np.ndarray, spec: MethodSpec) -> np.ndarray:
    """E[T | x] on the log scale, closed form: p0·T(y = 1) + (1 − p0)·T(y = 0) (class-1 column)."""
    ph = np.column_stack([1.0 - p_hat1, p_hat1])
    p0 = np.column_stack([1.0 - p01, p01])
    return targets(ph, np.zeros(len(p01), dtype=int), p0, spec)[1]


def bias_curve(config: Any, spec: MethodSpec, eps: list[float],
               c_per_eps: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ε2, population bias term) at each ε: ‖Π(E[T | x]) − Π(log p0)‖² over the population sample.

    `c_per_eps` gives a different c at each ε (the CV choice: a sequence of estimators)."""
    X, p0, D, pinv, field = population(config)
    g0 = np.log(np.clip(p0[:, 1], P0_CLIP, None))
    e2, bias = [], []
    for k, e in enumerate(eps):
        ph = controlled_proba(p0, X, float(e), float(config.kappa), field)
        s = spec if c_per_eps is None else MethodSpec(spec.method, spec.corrected, spec.rule, float(c_per_eps[k]))
        b = expected_target(ph[:, 1], p0[:, 1], s) - g0
        fit = D @ (pinv @ b)
        e2.append(float(np.sqrt(np.mean((ph[:, 1] - p0[:, 1]) ** 2))))
        bias.append(float(np.mean(fit ** 2)))
    return np.array(e2), np.array(bias)


def theory_slope(config: Any, spec: MethodSpec, eps: list[float], c_per_eps: list[float] | None = None) -> float:
    """Log-log slope of the population bias term against ε2 over `eps` (the table's "theory" value)."""
    if len(eps) < 2:
        return float("nan")
    x, y = bias_curve(config, spec, sorted(eps) if c_per_eps is None else eps, c_per_eps)
    return loglog_slope(x, y)

