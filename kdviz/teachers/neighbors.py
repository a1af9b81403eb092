"""k-nearest-neighbour teacher family ``knn-k`` (capacity = k; one neighbour query with k_max)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from kdviz.teachers.base import TeacherPath, TeacherSpec, register_teacher

# ---------------------------------------------------------------------------------------------
# k nearest neighbours, capacity = k


class KNNTeacher(TeacherPath):
    """k-nearest-neighbour teacher (uniform weights); the path queries ``k_max`` neighbours once.

    Capacities larger than the number of training rows are clipped to it (a cross-fitting fold
    is smaller than the full data, so a grid valid for one may exceed the other); the effective
    values are stored in ``k_effective_``. In-sample predictions include the point itself, which
    is exactly the overfitting k = 1 shows.

    Fitted attributes (path mode): ``knn_`` (a fitted ``KNeighborsClassifier``) and ``y_enc_``
    (training labels as indices into ``classes_``).
    """

    family: ClassVar[str] = "knn-k"

    def __init__(
        self,
        grid: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200),
        seed: int = 0,
        mode: str = "path",
        n_jobs: int = 1,
    ) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any, n_classes: int | None = None) -> KNNTeacher:
        """Fit on ``(X, y)``; see :meth:`TeacherPath.fit`. Also sets ``k_effective_``."""
        super().fit(X, y, n_classes)
        self.k_effective_ = tuple(min(k, self.n_train_) for k in self.grid_)
        return self

    def _make_model(self, capacity: int) -> KNeighborsClassifier:
        return KNeighborsClassifier(n_neighbors=min(capacity, self.n_train_), n_jobs=self.n_jobs)

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        self.knn_ = self._make_model(max(self.grid_)).fit(X, y)
        self.y_enc_ = np.searchsorted(self.classes_, y)

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        ks = [min(k, self.n_train_) for k in self.grid_]
        neigh = self.knn_.kneighbors(X, n_neighbors=ks[-1], return_distance=False)
        labels = self.y_enc_[neigh]  # (m, k_max), nearest first
        c = self.classes_.size
        counts = np.zeros((X.shape[0], c), dtype=np.float64)
        out = np.empty((len(ks), X.shape[0], c), dtype=np.float64)
        start = 0
        for g, k in enumerate(ks):
            segment = labels[:, start:k]
            for j in range(c):
                counts[:, j] += np.count_nonzero(segment == j, axis=1)
            out[g] = counts / k
            start = k
        return out


register_teacher(
    TeacherSpec(
        name="knn-k",
        capacity_name="k",
        default_grid=(1, 2, 5, 10, 20, 50, 100, 200),
        min_capacity=1,
        max_capacity=100_000,
        description="k-nearest neighbours; capacity = k (small k overfits; k above the training size is clipped).",
        options={},
        playground_steps=(1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120, 200),
        capacity_hint="(small k = flexible)",
        capacity_title="Teacher k (neighbours; smaller k = more flexible)",
    ),
    KNNTeacher,
)
