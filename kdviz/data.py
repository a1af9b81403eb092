"""Dataset registry: every dataset kdviz can distil on, addressed by a spec string.

``load_dataset("synthetic:gmm", seed=0, label_noise=0.2)`` returns a :class:`Dataset` with a seeded,
stratified train/test split, features standardized with a ``StandardScaler`` fit on the training
rows, ``float64`` features and ``int64`` labels in ``0..k-1``.

Known specs (see :func:`list_datasets`):

- ``synthetic:gmm``    two Gaussians at ±μ, μ = r·1_d; labels redrawn from the exact Bayes
  probabilities p0_1(x) = σ(2r·Σ_j x_j) (class 1 is the component with mean +μ).
- ``synthetic:curve``  2-D, X uniform on [-2, 2]², p0_1(x) = σ(s·h(x)) with the curved boundary
  h(x) = x2 − 1.2·sin(1.5·x1); ``r`` is the sharpness s (default 3).
- ``sklearn:breast_cancer``, ``sklearn:digits`` (10 classes, 8×8 images),
  ``sklearn:digits_binary`` (class 1 = digit ≥ 5), ``sklearn:wine`` (3 classes).
- ``openml:<name>[@V]`` fetched once with ``sklearn.datasets.fetch_openml(name, version=V)`` (V = 1 by default) and cached
  as CSV under ``$KDVIZ_HOME/cache/openml`` (``KDVIZ_HOME`` defaults to ``~/.kdviz``); afterwards it
  is loaded exactly like ``csv:``.
- ``csv:<path>``       any CSV with a ``target`` column (string labels, categorical features and
  missing values are handled, see :func:`load_dataset`).

Only the synthetic datasets know their Bayes probabilities p0; for them ``p0_train``/``p0_test`` and
:meth:`Dataset.bayes` give the probabilities of the *training* label distribution (label noise
included).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.model_selection import train_test_split

from kdviz.errors import DatasetError
from kdviz.home import kdviz_home
from kdviz.seeds import sub_rng, sub_seed
from kdviz.tables import (
    MAX_CLASSES,
    MIN_ROWS_PER_CLASS,
    DataReport,
    Progress,
    prepare_table,
    read_table,
    short_message,
)

__all__ = ["Dataset", "DataReport", "load_dataset", "list_datasets", "read_table", "MAX_CLASSES",
           "MIN_ROWS_PER_CLASS"]

MIN_ROWS = 50
OPENML_HOST = "www.openml.org"
OPENML_PORT = 443
OPENML_TIMEOUT_S = 3.0

# Independent random streams derived from the user's seed.
_STREAM_GENERATE, _STREAM_SUBSAMPLE, _STREAM_SPLIT, _STREAM_NOISE = 1, 2, 3, 4


# --------------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Dataset:
    """A split, standardized classification dataset (see docs/architecture.md)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    class_names: list[str]
    feature_names: list[str]
    p0_train: np.ndarray | None
    p0_test: np.ndarray | None
    fingerprint: str
    image_shape: tuple[int, int] | None = None
    #: what loading did (rows read and used, dropped rows/columns, missing cells, merges, notes)
    report: DataReport = field(default_factory=DataReport, repr=False)
    # Private, picklable description of p0 (generator kind + parameters), the scaler and the noise.
    _p0_kind: str | None = field(default=None, repr=False)
    _p0_params: dict[str, float] = field(default_factory=dict, repr=False)
    _scaler_mean: np.ndarray | None = field(default=None, repr=False)
    _scaler_scale: np.ndarray | None = field(default=None, repr=False)
    _label_noise: float = field(default=0.0, repr=False)

    def bayes(self, X_std: np.ndarray) -> np.ndarray | None:
        """Bayes probabilities ``(m, k)`` of the training-label distribution at standardized points.

        The scaler is inverted, the generator's exact p0 evaluated and the label-noise adjustment
        applied, so ``bayes(X_train)`` equals ``p0_train``. Returns None for real data.
        """
        if self._p0_kind is None or self._scaler_mean is None or self._scaler_scale is None:
            return None
        X_std = np.asarray(X_std, dtype=np.float64)
        if X_std.ndim != 2 or X_std.shape[1] != self._scaler_mean.shape[0]:
            raise DatasetError(
                f"bayes() expects an array of shape (m, {self._scaler_mean.shape[0]}), got {X_std.shape}."
            )
        X_raw = X_std * self._scaler_scale + self._scaler_mean
        p0 = _P0_FUNCTIONS[self._p0_kind](X_raw, **self._p0_params)
        return _noisy_p0(p0, self._label_noise)

    def summary(self) -> str:
        """One line: ``data: 32561 rows, 105 features after encoding, 2 classes (dropped: …; missing: …)``."""
        return self.report.summary(self.n_features, self.n_classes)

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


# --------------------------------------------------------------------------------------------------
# Synthetic generators (THEORY §5)
# --------------------------------------------------------------------------------------------------


def _gmm_p0(X: np.ndarray, *, r: float) -> np.ndarray:
    p1 = expit(2.0 * r * X.sum(axis=1))
    return np.column_stack([1.0 - p1, p1])


def _curve_h(X: np.ndarray) -> np.ndarray:
    return X[:, 1] - 1.2 * np.sin(1.5 * X[:, 0])


def _curve_p0(X: np.ndarray, *, s: float) -> np.ndarray:
    p1 = expit(s * _curve_h(X))
    return np.column_stack([1.0 - p1, p1])


_P0_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {"gmm": _gmm_p0, "curve": _curve_p0}


def _noisy_p0(p0: np.ndarray, eta: float) -> np.ndarray:
    """Label distribution after flipping to a uniformly random other class with probability η."""
    if eta == 0.0:
        return p0
    k = p0.shape[1]
    return (1.0 - eta) * p0 + eta * (1.0 - p0) / (k - 1)




def _generate_gmm(n: int, d: int, r: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = sub_rng(seed, _STREAM_GENERATE)
    z = rng.integers(0, 2, size=n)
    X = rng.standard_normal((n, d)) + (2.0 * z - 1.0)[:, None] * r
    p0 = _gmm_p0(X, r=r)
    y = (rng.random(n) < p0[:, 1]).astype(np.int64)
    return X, y, p0


def _generate_curve(n: int, s: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = sub_rng(seed, _STREAM_GENERATE)
    X = rng.uniform(-2.0, 2.0, size=(n, 2))
    p0 = _curve_p0(X, s=s)
    y = (rng.random(n) < p0[:, 1]).astype(np.int64)
    return X, y, p0


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------

_COMMON_PARAMS = {"seed": 0, "test_size": 0.3, "label_noise": 0.0}

_REGISTRY: list[dict[str, Any]] = [
    {
        "name": "synthetic:gmm",
        "description": "Two Gaussians at ±r·1_d, labels redrawn from the exact Bayes probabilities "
        "p0_1(x) = σ(2r·Σx_j). Known p0: every bound term is measurable.",
        "has_p0": True,
        "n_classes": 2,
        "parameters": {**_COMMON_PARAMS, "n": 4000, "d": 5, "r": 0.5},
    },
    {
        "name": "synthetic:curve",
        "description": "2-D, X uniform on [-2,2]², curved Bayes boundary x2 = 1.2·sin(1.5·x1), "
        "p0_1 = σ(r·h(x)) with sharpness r. Shallow trees underfit, deep trees memorise label noise.",
        "has_p0": True,
        "n_classes": 2,
        "parameters": {**_COMMON_PARAMS, "n": 1000, "r": 3.0},
    },
    {
        "name": "sklearn:breast_cancer",
        "description": "Wisconsin breast cancer (569 rows, 30 features); class 1 = benign.",
        "has_p0": False,
        "n_classes": 2,
        "parameters": {**_COMMON_PARAMS, "n": None},
    },
    {
        "name": "sklearn:digits",
        "description": "8×8 handwritten digits (1797 rows, 64 pixels, 10 classes).",
        "has_p0": False,
        "n_classes": 10,
        "parameters": {**_COMMON_PARAMS, "n": None},
    },
    {
        "name": "sklearn:digits_binary",
        "description": "8×8 handwritten digits as a binary task: class 1 = digit ≥ 5.",
        "has_p0": False,
        "n_classes": 2,
        "parameters": {**_COMMON_PARAMS, "n": None},
    },
    {
        "name": "sklearn:wine",
        "description": "Wine cultivars (178 rows, 13 features, 3 classes).",
        "has_p0": False,
        "n_classes": 3,
        "parameters": {**_COMMON_PARAMS, "n": None},
    },
    {
        "name": "openml:MagicTelescope",
        "description": "MAGIC gamma telescope (19,020 rows, 10 features), the paper's main tabular "
        "dataset. Downloaded from OpenML once, then cached.",
        "has_p0": False,
        "n_classes": None,
        "parameters": {**_COMMON_PARAMS, "n": None, "target": None},
    },
    {
        "name": "openml:adult",
        "description": "UCI adult income (48,842 rows, categorical features one-hot encoded). "
        "Downloaded from OpenML once, then cached.",
        "has_p0": False,
        "n_classes": None,
        "parameters": {**_COMMON_PARAMS, "n": None, "target": None},
    },
    {
        "name": "openml:Higgs",
        "description": "Higgs boson (98,050 rows, 28 features). Downloaded from OpenML once, then "
        "cached; use n to subsample.",
        "has_p0": False,
        "n_classes": None,
        "parameters": {**_COMMON_PARAMS, "n": None, "target": None},
    },
    {
        "name": "openml:<name>",
        "description": "Any OpenML dataset by name (version 1); the default target unless `target` is given.",
        "has_p0": False,
        "n_classes": None,
        "parameters": {**_COMMON_PARAMS, "n": None, "target": None},
        "template": True,
    },
    {
        "name": "csv:<path>",
        "description": "A local CSV file; `target` names the label column. String labels are "
        "encoded, categorical features one-hot encoded, missing values imputed.",
        "has_p0": False,
        "n_classes": None,
        "parameters": {**_COMMON_PARAMS, "n": None, "target": None},
        "template": True,
    },
]

_SKLEARN_NAMES = ("breast_cancer", "digits", "digits_binary", "wine")
_SYNTHETIC_NAMES = ("gmm", "curve")


def list_datasets() -> list[dict[str, Any]]:
    """The registry: one dict per dataset with ``name, description, has_p0, n_classes, parameters``.

    ``params`` is an alias of ``parameters``; ``template`` is True for the patterns ``openml:<name>``
    and ``csv:<path>`` (not loadable as written). ``n_classes`` is None when it depends on the file.
    """
    out = []
    for entry in _REGISTRY:
        item = {**entry, "parameters": dict(entry["parameters"])}
        item.setdefault("template", False)
        item["params"] = item["parameters"]
        out.append(item)
    return out


def _known_names() -> str:
    return ", ".join(e["name"] for e in _REGISTRY)


# --------------------------------------------------------------------------------------------------
# Public loader
# --------------------------------------------------------------------------------------------------


def load_dataset(
    name: str,
    *,
    seed: int = 0,
    test_size: float = 0.3,
    label_noise: float = 0.0,
    n: int | None = None,
    d: int | None = None,
    r: float | None = None,
    target: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load a dataset by spec string (see :func:`list_datasets`) and split it.

    Args:
        name: ``synthetic:gmm``, ``synthetic:curve``, ``sklearn:<breast_cancer|digits|digits_binary|
            wine>``, ``openml:<name>`` or ``csv:<path>``.
        seed: seeds generation, subsampling, the split and the label noise (independent streams).
        test_size: fraction of rows in the stratified test split, in (0.05, 0.9).
        label_noise: η in [0, 0.5). Each *training* label is flipped independently with probability
            η (binary: to the other class; multiclass: to a uniformly random other class). Test
            labels stay clean. On synthetic data ``p0_train``, ``p0_test`` and ``bayes`` describe the
            noisy training-label distribution: p0'_j = (1−η)·p0_j + η·(1−p0_j)/(k−1), i.e.
            (1−η)·p0 + η·(1−p0) for binary data.
        n: synthetic data: number of rows generated (before the split; default 4000 for gmm, 1000
            for curve). Real data: if smaller than the data, a seeded stratified subsample of n rows.
        d: number of features of ``synthetic:gmm`` (default 5); ignored elsewhere.
        r: ``synthetic:gmm`` mean size (μ = r·1_d, default 0.5); ``synthetic:curve`` sharpness s
            (default 3); ignored elsewhere.
        target: label column for ``csv:`` (required) and ``openml:`` (default: OpenML's target).
        cache_dir: OpenML cache (default ``$KDVIZ_HOME/cache/openml``, KDVIZ_HOME = ``~/.kdviz``).
        progress: called with a short message at each stage of reading a big table.

    CSV / OpenML preprocessing (see :mod:`kdviz.tables`; ``Dataset.report`` and ``Dataset.summary()``
    say what it did): rows with a missing target are dropped and counted; label variants that differ
    only by case, spaces or a trailing dot are merged; labels are encoded in sorted order (numerically
    for numeric labels); empty and ID-like columns (unique per row) are dropped; ±inf is missing;
    numeric features are imputed with the training median, non-numeric ones with the most frequent
    value and one-hot encoded (at most 50 levels per column, rarer levels pooled into ``<other>``).

    Raises:
        DatasetError: with a message saying what is wrong and what to do.
    """
    if not isinstance(name, str) or ":" not in name:
        raise DatasetError(f"Unknown dataset {name!r}. Known datasets: {_known_names()}.")
    name = name.strip()
    _validate(seed=seed, test_size=test_size, label_noise=label_noise, n=n, d=d, r=r)
    prefix, _, rest = name.partition(":")
    common = {"seed": seed, "test_size": test_size, "label_noise": label_noise}

    if prefix == "synthetic" and rest in _SYNTHETIC_NAMES:
        if rest == "gmm":
            n_, d_, r_ = n or 4000, d or 5, 0.5 if r is None else float(r)
            X, y, p0 = _generate_gmm(n_, d_, r_, seed)
            return _finish(
                name,
                X,
                y,
                ["0", "1"],
                [f"x{j + 1}" for j in range(d_)],
                p0=p0,
                p0_kind="gmm",
                p0_params={"r": r_},
                **common,
            )
        if d is not None and d != 2:
            raise DatasetError(f"synthetic:curve is 2-dimensional; got d={d}. Leave d unset.")
        n_, s_ = n or 1000, 3.0 if r is None else float(r)
        X, y, p0 = _generate_curve(n_, s_, seed)
        return _finish(
            name, X, y, ["0", "1"], ["x1", "x2"], p0=p0, p0_kind="curve", p0_params={"s": s_}, **common
        )
    if prefix == "sklearn" and rest in _SKLEARN_NAMES:
        X, y, class_names, feature_names, image_shape = _load_sklearn(rest)
        X, y = _subsample(X, y, n, seed)
        return _finish(name, X, y, class_names, feature_names, image_shape=image_shape, **common)
    if prefix == "csv" and rest:
        df = read_table(Path(rest).expanduser(), progress=progress)
        return _from_frame(name, df, target, n=n, progress=progress, **common)
    if prefix == "openml" and rest and rest != "<name>":
        df, default_target = _openml_frame(rest, cache_dir)
        return _from_frame(name, df, target or default_target, n=n, progress=progress, **common)
    raise DatasetError(
        f"Unknown dataset {name!r}. Known datasets: {_known_names()} "
        "(replace <name> with an OpenML dataset name and <path> with a CSV file path)."
    )


def _validate(
    *, seed: int, test_size: float, label_noise: float, n: int | None, d: int | None, r: float | None
) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DatasetError(f"seed must be a non-negative integer, got {seed!r}.")
    if not isinstance(test_size, (int, float)) or not 0.05 < float(test_size) < 0.9:
        raise DatasetError(f"test_size must be a fraction strictly between 0.05 and 0.9, got {test_size!r}.")
    if not isinstance(label_noise, (int, float)) or not 0.0 <= float(label_noise) < 0.5:
        raise DatasetError(
            f"label_noise must be in [0, 0.5) (probability of flipping a training label), got {label_noise!r}."
        )
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < MIN_ROWS):
        raise DatasetError(f"n must be an integer of at least {MIN_ROWS} rows, got {n!r}.")
    if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1):
        raise DatasetError(f"d (number of features) must be an integer >= 1, got {d!r}.")
    if r is not None and (not isinstance(r, (int, float)) or not np.isfinite(r) or r <= 0):
        raise DatasetError(f"r must be a positive number, got {r!r}.")


# --------------------------------------------------------------------------------------------------
# Split, scale, noise, fingerprint
# --------------------------------------------------------------------------------------------------


def _subsample(X: np.ndarray, y: np.ndarray, n: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n is None or n >= len(y):
        return X, y
    try:
        idx, _ = train_test_split(
            np.arange(len(y)), train_size=n, stratify=y, random_state=sub_seed(seed, _STREAM_SUBSAMPLE)
        )
    except ValueError as exc:
        raise DatasetError(
            f"Cannot draw a stratified subsample of n={n} rows: {exc}. Use a larger n."
        ) from exc
    idx = np.sort(idx)
    return X[idx], y[idx]


def _finish(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    class_names: list[str],
    feature_names: list[str],
    *,
    seed: int,
    test_size: float,
    label_noise: float,
    p0: np.ndarray | None = None,
    p0_kind: str | None = None,
    p0_params: dict[str, float] | None = None,
    image_shape: tuple[int, int] | None = None,
    report: DataReport | None = None,
) -> Dataset:
    X = np.asarray(X, dtype=np.float64)
    report = report if report is not None else DataReport(rows_read=len(y))
    report.rows_used = len(y)
    if label_noise:
        report.notes.append(f"label noise: {label_noise:.0%} of the training labels flipped")
    y = np.asarray(y, dtype=np.int64)
    k = len(class_names)
    try:
        train_idx, test_idx = train_test_split(
            np.arange(len(y)),
            test_size=float(test_size),
            stratify=y,
            random_state=sub_seed(seed, _STREAM_SPLIT),
        )
    except ValueError as exc:
        raise DatasetError(
            f"Cannot make a stratified train/test split with test_size={test_size}: {exc}. "
            "Use more rows or a different test_size."
        ) from exc
    X_train, X_test = X[train_idx], X[test_idx]
    y_train, y_test = y[train_idx].copy(), y[test_idx]

    # Impute numeric gaps with the training median (all-missing-in-train columns with 0).
    if np.isnan(X_train).any() or np.isnan(X_test).any():
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(np.isnan(X_train).all(axis=0), 0.0, X_train), axis=0)
        med = np.nan_to_num(med)
        X_train = np.where(np.isnan(X_train), med, X_train)
        X_test = np.where(np.isnan(X_test), med, X_test)

    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    scale[scale < 1e-12] = 1.0  # constant features, as sklearn's StandardScaler does
    X_train = np.ascontiguousarray((X_train - mean) / scale)
    X_test = np.ascontiguousarray((X_test - mean) / scale)

    eta = float(label_noise)
    if eta > 0.0:
        rng = sub_rng(seed, _STREAM_NOISE)
        flip = rng.random(len(y_train)) < eta
        shift = rng.integers(1, k, size=len(y_train)) if k > 2 else np.ones(len(y_train), dtype=np.int64)
        y_train = np.where(flip, (y_train + shift) % k, y_train).astype(np.int64)

    p0_train = p0_test = None
    if p0 is not None:
        p0_train = np.ascontiguousarray(_noisy_p0(p0[train_idx], eta))
        p0_test = np.ascontiguousarray(_noisy_p0(p0[test_idx], eta))

    fingerprint = _fingerprint(
        X_train, y_train, X_test, y_test, p0_train, p0_test, class_names, feature_names
    )
    return Dataset(
        name=name,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test.astype(np.int64),
        n_classes=k,
        class_names=list(class_names),
        feature_names=list(feature_names),
        p0_train=p0_train,
        p0_test=p0_test,
        fingerprint=fingerprint,
        image_shape=image_shape,
        report=report,
        _p0_kind=p0_kind,
        _p0_params=dict(p0_params or {}),
        _scaler_mean=mean if p0_kind else None,
        _scaler_scale=scale if p0_kind else None,
        _label_noise=eta,
    )


def _fingerprint(*parts: np.ndarray | list[str] | None) -> str:
    h = hashlib.sha256()
    for part in parts:
        if part is None:
            h.update(b"<none>")
        elif isinstance(part, np.ndarray):
            h.update(f"{part.dtype.str}{part.shape}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(json.dumps(part).encode())
        h.update(b"|")
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# sklearn bundled datasets (no network)
# --------------------------------------------------------------------------------------------------


def _load_sklearn(which: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str], tuple[int, int] | None]:
    from sklearn import datasets as skd

    if which == "breast_cancer":
        b = skd.load_breast_cancer()
        return b.data, b.target, [str(c) for c in b.target_names], [str(f) for f in b.feature_names], None
    if which == "wine":
        b = skd.load_wine()
        return b.data, b.target, [str(c) for c in b.target_names], [str(f) for f in b.feature_names], None
    b = skd.load_digits()
    features = [f"pixel_{i}_{j}" for i in range(8) for j in range(8)]
    if which == "digits":
        return b.data, b.target, [str(c) for c in range(10)], features, (8, 8)
    return b.data, (b.target >= 5).astype(np.int64), ["digit 0-4", "digit 5-9"], features, (8, 8)


# --------------------------------------------------------------------------------------------------
# Tables: CSV reading and preprocessing (shared by csv: and openml:)
# --------------------------------------------------------------------------------------------------


def _from_frame(
    name: str,
    df: pd.DataFrame,
    target: str | None,
    *,
    n: int | None,
    seed: int,
    test_size: float,
    label_noise: float,
    progress: Progress | None = None,
) -> Dataset:
    if progress and df.size > 1_000_000:
        progress(f"encoding {df.shape[0]:,} rows × {df.shape[1]} columns")
    X, y, class_names, feature_names, report = prepare_table(df, target)
    if len(y) < MIN_ROWS:
        raise DatasetError(f"{name} has only {len(y)} labelled rows; at least {MIN_ROWS} are needed.")
    X, y = _subsample(X, y, n, seed)
    return _finish(name, X, y, class_names, feature_names, seed=seed, test_size=test_size,
                   label_noise=label_noise, report=report)


# --------------------------------------------------------------------------------------------------
# OpenML
# --------------------------------------------------------------------------------------------------


def _default_cache_dir() -> Path:
    return kdviz_home() / "cache" / "openml"


def _openml_reachable(timeout: float = OPENML_TIMEOUT_S) -> bool:
    """True when a TCP connection to the OpenML server opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((OPENML_HOST, OPENML_PORT), timeout=timeout):
            return True
    except OSError:
        return False


def _fetch_openml(name: str, data_home: str, version: int = 1) -> tuple[pd.DataFrame, str | None]:
    from sklearn.datasets import fetch_openml

    bunch = fetch_openml(name=name, version=version, data_home=data_home, as_frame=True)
    frame = bunch.frame
    targets = list(bunch.target_names or [])
    if frame is None:
        frame = pd.concat([bunch.data, bunch.target], axis=1)
    return frame, (str(targets[0]) if targets else None)


def check_openml(name: str, cache_dir: str | os.PathLike[str] | None = None) -> None:
    """Raise DatasetError now (not at Run) when `name` is neither cached nor downloadable."""
    root = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
    stem = _openml_stem(name)
    if not ((root / f"{stem}.csv").exists() and (root / f"{stem}.json").exists()) and not _openml_reachable():
        raise DatasetError(_offline_message(name, root))


def _openml_stem(name: str) -> str:
    base, version = _openml_version(name)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", base) + f"-v{version}"


def _offline_message(name: str, root: Path) -> str:
    return (f"OpenML ({OPENML_HOST}) cannot be reached, and {name!r} is not cached in {root}. "
            f"Download the dataset as CSV on a machine with internet access (e.g. from "
            f"https://www.openml.org/search?type=data&q={name}) and load it with 'csv:<path>' and "
            "target=<label column>, or upload the CSV on the Sweep page.")


def _openml_frame(name: str, cache_dir: str | os.PathLike[str] | None) -> tuple[pd.DataFrame, str | None]:
    """The OpenML table, read through the CSV reader from the kdviz cache (fetched once).

    ``name@V`` asks for version V (default 1), e.g. ``Adult@2`` as the paper loads it.
    """
    stem = _openml_stem(name)
    name, version = _openml_version(name)
    root = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
    csv_path, meta_path = root / f"{stem}.csv", root / f"{stem}.json"
    if not (csv_path.exists() and meta_path.exists()):
        if not _openml_reachable():
            raise DatasetError(_offline_message(name, root))
        try:
            home = str(root / "sklearn")
            frame, default_target = _fetch_openml(name, home) if version == 1 else _fetch_openml(name, home, version)
        except Exception as exc:  # any fetch failure becomes a user-facing message
            raise DatasetError(
                f"Fetching {name!r} (version {version}) from OpenML failed: {short_message(exc)}. Check the dataset name "
                "on openml.org, or download it as CSV and use 'csv:<path>' with target=<label column>."
            ) from exc
        root.mkdir(parents=True, exist_ok=True)
        _atomic_write(csv_path, frame.to_csv(index=False).encode("utf-8"))
        _atomic_write(meta_path, json.dumps({"name": name, "version": version, "target": default_target}).encode())
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(
            f"The OpenML cache entry {meta_path} is corrupt; delete it and load again."
        ) from exc
    return read_table(csv_path), meta.get("target")


def _openml_version(name: str) -> tuple[str, int]:
    """``"Adult@2"`` → ("Adult", 2); a plain name is version 1."""
    base, sep, ver = name.partition("@")
    if not sep:
        return name, 1
    if not ver.isdigit() or int(ver) < 1:
        raise DatasetError(f"OpenML version must be a positive integer, as in 'openml:{base}@2', got {ver!r}")
    return base, int(ver)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
