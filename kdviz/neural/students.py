"""Torch students (``torch-linear``, ``mlp``, ``cnn``) following the kdviz student contract.

    student = make_student("mlp", seed=0, loss="hinton", epochs=30)
    student.fit_kd(X, Y, p_hat, spec)      # Y one-hot (n, k); p_hat (n, k) or None (no-KD: label CE)
    scores = student.predict_scores(X)     # (m, k)

``loss``:
- ``hinton`` (default): Hinton KD with ``spec.temperature``/``spec.alpha``; ``spec.corrected`` adds
  the loss correction of THEORY §3 (eps = 1e-2; ``spec.gamma == "bound_fast"`` with ``spec.c``
  shrinks it per class by c/(c + r²), ``"full"`` or c None: γ = 1). Scores = softmax of the logits.
- ``squared_p`` / ``squared_logit``: squared loss on the ``kdviz.kd.distill`` target on the p / log-p
  scale (corrected target when ``spec.corrected``); scores = outputs / exp(outputs).

A single student is a stack of one (:func:`kdviz.neural.batch.fit_students_batched`), so training
one at a time and training many at once run the same code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from kdviz.errors import ConfigError
from kdviz.neural.batch import Member, StudentStack, TrainSettings, fit_students_batched
from kdviz.neural.losses import LOSSES
from kdviz.neural.models import Arch, resolve_image_shape

#: the options every torch student takes, with their defaults (each student adds its architecture's)
COMMON_OPTIONS: dict[str, Any] = {"loss": "hinton", "epochs": 30, "lr": 1e-3, "batch_size": 64, "weight_decay": 0.0,
                                  "threads": 1}


def member_from_spec(seed: int, p_hat: np.ndarray | None, spec: Any) -> Member:
    """A batch :class:`Member` from a ``kdviz.kd.students.KDSpec``."""
    return Member(seed=int(seed), p_hat=None if p_hat is None else np.asarray(p_hat, dtype=np.float64),
                  corrected=bool(spec.corrected) and p_hat is not None, temperature=float(spec.temperature),
                  alpha=float(spec.alpha), gamma=str(spec.gamma), c=None if spec.c is None else float(spec.c))


class TorchStudent(BaseEstimator):
    """A small torch network trained on a KD loss; see the module docstring."""

    def __init__(self, kind: str = "mlp", loss: str = "hinton", epochs: int = 30, lr: float = 1e-3,
                 batch_size: int = 64, weight_decay: float = 0.0, width: int = 64, depth: int = 1,
                 channels: int = 8, image_shape: tuple[int, int] | None = None, threads: int = 1,
                 random_state: int = 0):
        self.kind = kind
        self.loss = loss
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.width = width
        self.depth = depth
        self.channels = channels
        self.image_shape = image_shape
        self.threads = threads
        self.random_state = random_state

    def _check(self) -> None:
        if self.loss not in LOSSES:
            raise ConfigError(f"student loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        for name in ("epochs", "batch_size", "width", "depth", "channels"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ConfigError(f"student option {name} must be a positive integer, got {v!r}")
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr <= 10):
            raise ConfigError(f"student option lr must be a number in (0, 10], got {self.lr!r}")

    def arch(self, d: int, k: int) -> Arch:
        shape = resolve_image_shape(d, self.image_shape) if self.kind == "cnn" else None
        return Arch(self.kind, d, k, depth=int(self.depth), image_shape=shape)

    @property
    def size(self) -> int:
        return int(self.channels if self.kind == "cnn" else self.width)

    def settings(self) -> TrainSettings:
        return TrainSettings(epochs=int(self.epochs), batch_size=int(self.batch_size), lr=float(self.lr),
                             weight_decay=float(self.weight_decay), threads=int(self.threads))

    def fit_kd(self, X: np.ndarray, Y: np.ndarray, p_hat: np.ndarray | None, spec: Any) -> TorchStudent:
        self._check()
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        self.k_ = Y.shape[1]
        member = member_from_spec(self.random_state, p_hat, spec)
        self.stack_: StudentStack = fit_students_batched(self.arch(X.shape[1], self.k_), self.size, X, Y, [member],
                                                         self.loss, self.settings())
        return self

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "stack_"):
            raise ConfigError("this student is not fitted yet; call fit_kd first")
        return self.stack_.predict_scores(np.asarray(X, dtype=np.float64))[0]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.predict_scores(X)


def fit_kd_many(student: TorchStudent, X: np.ndarray, Y: np.ndarray, jobs: list[tuple[int, np.ndarray | None, Any]]
                ) -> StudentStack:
    """Train many students like ``student`` (one per (seed, p_hat, KDSpec) job) in one stacked model.

    Returns the fitted :class:`StudentStack`; ``.predict_scores(X_test)`` gives (len(jobs), m, k).
    Member b equals ``clone(student).set_params(random_state=seed_b).fit_kd(X, Y, p_hat_b, spec_b)``.
    """
    student._check()
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    members = [member_from_spec(seed, p, spec) for seed, p, spec in jobs]
    return fit_students_batched(student.arch(X.shape[1], Y.shape[1]), student.size, X, Y, members,
                                student.loss, student.settings())


def make_factory(kind: str):
    """The student factory of one architecture (``kdviz.neural.models.KINDS``)."""

    def factory(seed: int, **options: Any) -> TorchStudent:
        return TorchStudent(kind=kind, random_state=int(seed), **options)

    return factory
