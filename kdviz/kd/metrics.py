"""Metrics on probability-like scores (n, k), and the theory quantities that need p0.

Convention for distances to p0: binary problems use the class-1 scalar, multiclass the squared
Euclidean norm over classes — so ε2 = sqrt(mean ‖p̂ − p0‖²) and ε4 = (mean ‖p̂ − p0‖⁴)^¼.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score

PROBA_EPS = 1e-6


def to_proba(scores: np.ndarray) -> np.ndarray:
    """Clip scores into [eps, 1] and renormalise rows (for log-loss and distances to p0)."""
    s = np.asarray(scores, dtype=float)
    if s.shape[1] == 2:
        p1 = np.clip(s[:, 1], PROBA_EPS, 1 - PROBA_EPS)
        return np.column_stack([1 - p1, p1])
    s = np.clip(s, PROBA_EPS, None)
    return s / s.sum(axis=1, keepdims=True)


def sq_dist(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-point squared distance between probability arrays (class-1 scalar when binary)."""
    if p.shape[1] == 2:
        return (p[:, 1] - q[:, 1]) ** 2
    return ((p - q) ** 2).sum(axis=1)


#: How the AUC of a multiclass run is computed and labelled (charts, tables, the API).
MULTICLASS_AUC = "AUC (one-vs-rest, macro)"


def auc_label(n_classes: int | None) -> str:
    """``AUC`` for binary problems, ``AUC (one-vs-rest, macro)`` for multiclass ones."""
    return MULTICLASS_AUC if n_classes is not None and n_classes > 2 else "AUC"


def multiclass_auc(scores: np.ndarray, y: np.ndarray) -> float:
    """One-vs-rest macro AUC of k ≥ 3 classes (``roc_auc_score(multi_class="ovr", average="macro")``
    on the clipped, renormalised scores); NaN when a class is absent from `y`."""
    k = scores.shape[1]
    if len(np.unique(y)) < k:
        return float("nan")
    return float(roc_auc_score(y, to_proba(scores), multi_class="ovr", average="macro", labels=np.arange(k)))


def classification_metrics(scores: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """test_auc (binary: raw class-1 score; multiclass: one-vs-rest macro AUC), test_accuracy, test_log_loss."""
    k = scores.shape[1]
    out: dict[str, float] = {}
    if k == 2:
        s = scores[:, 1]
        out["test_auc"] = float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")
        out["test_accuracy"] = float(np.mean((s >= 0.5).astype(int) == y))
    else:
        out["test_auc"] = multiclass_auc(scores, y)
        out["test_accuracy"] = float(np.mean(np.argmax(scores, axis=1) == y))
    out["test_log_loss"] = float(log_loss(y, to_proba(scores), labels=np.arange(k)))
    return out


def error_vs_p0(scores: np.ndarray, p0: np.ndarray | None) -> float:
    """``student_error``: the student's error against p0 **on the probability scale**.

    The student's scores (exp(f̂) for a student trained on the log-p scale — a score that may exceed 1 —
    or f̂ itself on the p scale) are clipped into [PROBA_EPS, 1 − PROBA_EPS] (binary: the class-1
    column; multiclass: clipped and renormalised rows, `to_proba`), then
    mean over the points of (clipped score − p0)² (binary) or ‖clipped − p0‖² (multiclass).
    Squared, in probability² units. It is not the log-scale ‖f̂ − f0‖² of the theory experiments
    (`kdviz.theory.controlled`), whose f0 is the best student of the class on the log scale."""
    if p0 is None:
        return float("nan")
    return float(np.mean(sq_dist(to_proba(scores), p0)))


def teacher_errors(p_hat: np.ndarray, p0: np.ndarray | None) -> tuple[float, float]:
    """(ε2, ε4) of teacher probabilities against p0."""
    if p0 is None:
        return float("nan"), float("nan")
    d2 = sq_dist(p_hat, p0)
    return float(np.sqrt(d2.mean())), float(np.mean(d2**2) ** 0.25)


def task_score(scores: np.ndarray, y: np.ndarray, metric: str = "task") -> float:
    """The score maximised when choosing c by cross-validation.

    "task": AUC (binary) or accuracy. "brier": minus the mean squared distance between the clipped
    probabilities and the one-hot labels; E‖p − e_Y‖² = E‖p − p0‖² + const, so it ranks students by
    their distance to p0, which AUC (a ranking) barely sees.
    """
    if metric == "brier":
        P = to_proba(scores)
        return -float(np.mean(np.sum((P - np.eye(P.shape[1])[np.asarray(y, dtype=int)]) ** 2, axis=1)))
    if scores.shape[1] == 2 and len(np.unique(y)) == 2:
        return float(roc_auc_score(y, scores[:, 1]))
    return float(np.mean(np.argmax(scores, axis=1) == y))


def summarize(df: pd.DataFrame, by: Sequence[str], cols: Sequence[str], spread: Literal["se", "sd"] = "se"
              ) -> pd.DataFrame:
    """Mean and spread over repeats of `cols` per group of `by` (NaN values ignored): one table for
    every chart. ``spread="se"`` adds ``<col>_se`` = s.d./√n (error bands of the capacity charts),
    ``"sd"`` adds ``<col>_sd`` (the theory charts' repeat-to-repeat spread); both are 0 for one repeat.
    ``<col>_n`` counts the values."""
    g = df.groupby(list(by), dropna=False)[list(cols)]
    mean, sd, n = g.mean(), g.std(ddof=1).fillna(0.0), g.count()
    sp = sd if spread == "sd" else sd / np.sqrt(n.where(n > 0))
    sp.columns = [f"{c}_{spread}" for c in cols]
    n.columns = [f"{c}_n" for c in cols]
    return pd.concat([mean, sp, n], axis=1).reset_index()
