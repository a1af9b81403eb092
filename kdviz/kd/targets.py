"""What a sweep's tasks hand each other: typed task results and the KD helpers shared by the
per-task path (`kdviz.sweep`) and the batched torch path (`kdviz.neural.sweep`).

Task results are pickled into the job store; change a class here and bump
``kdviz.experiments.KEY_VERSION`` so that results of the old shape are never read as new ones.
A ``student`` task's result stays a plain ``dict`` of metrics: it becomes a row of the table; a
``csearch`` task (c chosen by ``c = "cv-fast"``) returns a `kdviz.kd.csearch.CSearch`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kdviz.kd.csearch import CSearch
from kdviz.kd.distill import C_RULES, best_c
from kdviz.kd.methods import METHODS
from kdviz.kd.students import KDSpec


@dataclass(frozen=True, eq=False)
class TeacherPredictions:
    """A ``teacher`` task on the full training set: p̂ for every capacity of the grid."""

    train: np.ndarray  # (n_grid, n_train, k), in-sample
    test: np.ndarray  # (n_grid, n_test, k)


@dataclass(frozen=True, eq=False)
class FoldPredictions:
    """A ``teacher`` task of one cross-fitting fold: p̂ on its held-out rows and on the test set."""

    idx: np.ndarray  # the held-out training rows (indices into the training set)
    oof: np.ndarray  # (n_grid, len(idx), k), out of fold
    test: np.ndarray  # (n_grid, n_test, k)


@dataclass(frozen=True)
class CVScore:
    """A ``cv`` task: the mean CV score of one c of the γ rule."""

    c: float
    score: float


@dataclass(frozen=True)
class OracleError:
    """An ``oracle`` task: the error of a student trained on the exact targets g(p0)."""

    oracle_error: float


@dataclass(frozen=True)
class BatchRows:
    """A ``student_batch`` task: the metrics row of every (method, repeat) student of one capacity."""

    rows: dict[str, dict[str, Any]]  # "method:repeat" → the row a ``student`` task would compute

    @staticmethod
    def name(method: str, repeat: int) -> str:
        return f"{method}:{repeat}"


TeacherResult = TeacherPredictions | FoldPredictions


def kd_spec(config: Any, method: str, c: float | None) -> KDSpec:
    """How the students of `method` learn, from a sweep config (c: the γ rule's constant)."""
    return KDSpec(scale=config.scale, corrected=METHODS[method].corrected, gamma=config.gamma, c=c,
                  temperature=config.temperature, alpha=config.alpha)


def teacher_inputs(method: str, cap: int, deps: Iterable[Any], n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """(p̂ on the training points the student learns from, p̂ on the test points) for one capacity.

    `deps` are dependency results; the teacher ones (:class:`TeacherPredictions`,
    :class:`FoldPredictions`) are used, anything else is ignored. A method with the full-data teacher
    learns from its in-sample predictions; with cross-fitting, each training point is scored by the
    fold teacher that never saw it and the test prediction is the fold teachers' mean.
    """
    deps = list(deps)
    if METHODS[method].teacher == "out_of_fold":
        folds = sorted((d for d in deps if isinstance(d, FoldPredictions)), key=lambda f: int(f.idx[0]))
        if not folds:
            raise RuntimeError(f"{method} needs the cross-fitting fold teachers, none was given")
        train = np.empty((n_train, folds[0].oof.shape[2]))
        seen = np.zeros(n_train, dtype=bool)
        for f in folds:
            train[f.idx] = f.oof[cap]
            seen[f.idx] = True
        if not seen.all():
            raise RuntimeError("cross-fitting folds do not cover the training set")
        return train, np.mean([f.test[cap] for f in folds], axis=0)
    full = next((d for d in deps if isinstance(d, TeacherPredictions)), None)
    if full is None:
        raise RuntimeError(f"{method} needs the full-data teacher, none was given")
    return full.train[cap], full.test[cap]


def cv_results(deps: Iterable[Any]) -> dict[float, float]:
    """{c: mean CV score} of the :class:`CVScore` results among `deps`."""
    return {d.c: d.score for d in deps if isinstance(d, CVScore)}


def chosen_c(config: Any, method: str, deps: Iterable[Any]) -> float | None:
    """The γ rule's c a student of `method` uses: None without a correction or c, a number when
    fixed, else the choice of its search — the best of the ``cv`` tasks' scores (``c = "cv"``) or the
    ``csearch`` task's pick (``c = "cv-fast"``) among `deps`."""
    if not METHODS[method].corrected or config.gamma not in C_RULES:
        return None
    deps = list(deps)
    if config.c == "cv":
        return best_c(cv_results(deps))
    if config.c == "cv-fast":
        found = [d for d in deps if isinstance(d, CSearch)]
        if len(found) != 1:
            raise RuntimeError(f"{method} needs exactly one c search result, got {len(found)}")
        return float(found[0].c)
    return float(config.c)
