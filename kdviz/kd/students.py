"""Students: models that learn from a teacher's probabilities (or, for no-KD, from the labels).

Every student follows one contract so the sweep can treat them alike:

    student = make_student("rf", seed=0, n_estimators=10)
    student.fit_kd(X, Y, p_hat, spec)     # Y one-hot (n, k); p_hat (n, k) or None for no-KD
    scores = student.predict_scores(X)    # (m, k) probability-like scores (may exceed 1 on logp)

Tabular students are scikit-learn regressors on the KD target of `kdviz.kd.distill` (squared loss on the
p or log-p scale). **Multiclass**: one multi-output regressor predicts the k one-vs-rest targets
jointly (a random forest shares its splits across classes); binary problems use the class-1 column
alone. Torch students (`kdviz.neural`, loaded by `kdviz.plugins`) register themselves with
`register_student`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

from kdviz import plugins
from kdviz.errors import ConfigError
from kdviz.kd.distill import GammaRule, Scale, inverse_link, kd_target
from kdviz.teachers.base import TREE_LIMITS


@dataclass(frozen=True)
class KDSpec:
    """How a student learns from its teacher."""

    scale: Scale = "logp"
    corrected: bool = False
    gamma: GammaRule = "bound_fast"
    c: float | None = None
    temperature: float = 4.0  # Hinton KD (neural students)
    alpha: float = 0.5


class RegressorStudent(BaseEstimator):
    """A scikit-learn regressor fit by squared loss on the (possibly loss-corrected) KD target."""

    def __init__(self, model: str = "rf", n_estimators: int = 10, max_depth: int | None = None,
                 ridge_alpha: float = 1.0, random_state: int = 0):
        self.model = model
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.ridge_alpha = ridge_alpha
        self.random_state = random_state

    def _regressor(self):
        if self.model == "rf":
            return RandomForestRegressor(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                         random_state=self.random_state, n_jobs=1)
        if self.model == "linear":
            return Ridge(alpha=self.ridge_alpha)
        raise ConfigError(f"unknown regressor student {self.model!r}")

    def fit(self, X: np.ndarray, target: np.ndarray, scale: Scale = "p") -> RegressorStudent:
        """Fit directly on a target on the given scale (columns: 1 for binary, k otherwise)."""
        self.scale_ = scale
        self.k_ = 2 if target.ndim == 1 or target.shape[1] == 1 else target.shape[1]
        self.regressor_ = self._regressor().fit(X, target.ravel() if self.k_ == 2 else target)
        return self

    def fit_kd(self, X: np.ndarray, Y: np.ndarray, p_hat: np.ndarray | None, spec: KDSpec) -> RegressorStudent:
        if p_hat is None:  # no-KD baseline: regress on the labels themselves (p scale)
            target, scale = Y, "p"
        else:
            target = kd_target(p_hat, Y, spec.scale, spec.corrected, spec.gamma, spec.c)
            scale = spec.scale
        if Y.shape[1] == 2:
            target = target[:, 1]
        return self.fit(X, target, scale)

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        s = inverse_link(self.regressor_.predict(X), self.scale_)
        if self.k_ == 2:
            return np.column_stack([1.0 - s, s])
        return s


StudentFactory = Callable[..., Any]


@dataclass(frozen=True)
class StudentSpec:
    """A student kind: what the config validator, the sweep and the dashboard need to know.

    Attributes:
        capacity_option: the option a student-capacity sweep varies by default (``"n_estimators"``
            for ``rf``); ``None`` when the student has no natural capacity.
        needs_torch: the student is a torch plug-in (`kdviz.neural`): its module imports torch and
            it trains many copies in one model (the sweep's ``student_batch`` tasks).
        capacity_grids: the default grid of the student axis, per option it can vary.
        option_limits: bounds (lo, hi) of its numeric options (integers when both are ints).
        playground_options: the options of the Playground's student (None: not offered there);
        playground_label: how the Playground names it.
    """

    name: str
    description: str
    factory: StudentFactory
    options: dict[str, Any]
    capacity_option: str | None = None
    needs_torch: bool = False
    capacity_grids: dict[str, tuple[int, ...]] = field(default_factory=dict)
    option_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    playground_options: dict[str, Any] | None = None
    playground_label: str = ""


STUDENTS: dict[str, StudentSpec] = {}


def register_student(name: str, factory: StudentFactory, description: str,
                     options: dict[str, Any] | None = None, *, capacity_option: str | None = None,
                     needs_torch: bool = False, **facts: Any) -> None:
    """Register (or replace) a student kind; `facts` are the other fields of :class:`StudentSpec`."""
    options = dict(options or {})
    if capacity_option is not None and capacity_option not in options:
        raise ConfigError(f"student {name!r}: capacity_option {capacity_option!r} is not one of its options")
    STUDENTS[name] = StudentSpec(name, description, factory, options, capacity_option, needs_torch, **facts)


def unregister_student(name: str) -> None:
    """Remove a student kind (tests that register their own clean up with it)."""
    STUDENTS.pop(name, None)


register_student("rf", lambda seed, **o: RegressorStudent("rf", random_state=seed, **o),
                 "random forest regressor (the paper's student)", {"n_estimators": 10, "max_depth": None},
                 capacity_option="n_estimators", capacity_grids={"n_estimators": (1, 2, 3, 5, 10, 15, 20, 30, 40)},
                 option_limits=TREE_LIMITS, playground_options={"n_estimators": 10, "max_depth": 8},
                 playground_label="random forest regressor (10 trees)")
register_student("linear", lambda seed, **o: RegressorStudent("linear", random_state=seed, **o),
                 "linear (ridge) regressor", {"ridge_alpha": 1.0}, option_limits={"ridge_alpha": (0.0, 1e8)},
                 playground_options={}, playground_label="linear (ridge)")


def make_student(name: str, seed: int = 0, **options: Any):
    if name not in STUDENTS:
        plugins.load_plugins()
    if name not in STUDENTS:
        raise ConfigError(f"unknown student {name!r}; choose from {', '.join(sorted(STUDENTS))}")
    spec = STUDENTS[name]
    unknown = set(options) - set(spec.options)
    if unknown:
        raise ConfigError(f"student {name!r} has no option(s) {', '.join(sorted(unknown))}; "
                          f"valid: {', '.join(sorted(spec.options)) or 'none'}")
    try:
        return spec.factory(seed, **{**spec.options, **options})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"invalid options for student {name!r}: {e}") from None
