"""Gradient-boosting teacher family ``gb-stages`` (capacity = boosting stages; staged predictions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from kdviz.errors import ConfigError
from kdviz.teachers.base import TREE_LIMITS, TeacherPath, TeacherSpec, _check_int_option, register_teacher

# ---------------------------------------------------------------------------------------------
# gradient boosting, capacity = number of stages


class GBStagesTeacher(TeacherPath):
    """Gradient boosting whose capacity is the number of stages; the path uses staged predictions.

    Fitted attributes (path mode): ``model_`` with ``max(grid_)`` stages.
    """

    family: ClassVar[str] = "gb-stages"

    def __init__(
        self,
        grid: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200),
        seed: int = 0,
        mode: str = "path",
        n_jobs: int = 1,
        learning_rate: float = 0.1,
        max_depth: int = 3,
    ) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def _check_options(self) -> None:
        _check_int_option(self.family, "max_depth", self.max_depth, 1)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) or not (0 < lr <= 10):
            raise ConfigError(f"{self.family}: learning_rate must be a number in (0, 10], got {lr!r}.")

    def _make_model(self, capacity: int) -> GradientBoostingClassifier:
        return GradientBoostingClassifier(
            n_estimators=capacity,
            learning_rate=float(self.learning_rate),
            max_depth=self.max_depth,
            random_state=self.seed,
        )

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        self.model_ = self._make_model(max(self.grid_)).fit(X, y)

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        out = np.empty((len(self.grid_), X.shape[0], self.classes_.size), dtype=np.float64)
        g = 0
        for stage, proba in enumerate(self.model_.staged_predict_proba(X), start=1):
            if stage == self.grid_[g]:
                out[g] = proba
                g += 1
                if g == len(self.grid_):
                    break
        return out


register_teacher(
    TeacherSpec(
        name="gb-stages",
        capacity_name="n_estimators",
        default_grid=(1, 2, 5, 10, 20, 50, 100, 200),
        min_capacity=1,
        max_capacity=5000,
        description="Gradient boosting; capacity = number of boosting stages (staged predictions of one fit).",
        options={"learning_rate": 0.1, "max_depth": 3},
        capacity_title="Teacher capacity: boosting stages (count)",
        option_limits={**TREE_LIMITS, "learning_rate": (1e-6, 10.0)},
        playground_steps=(1, 2, 5, 10, 20, 50, 100, 200),
        playground_options={"learning_rate": 0.3, "max_depth": 3},
    ),
    GBStagesTeacher,
)
