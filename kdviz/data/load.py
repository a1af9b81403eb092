"""Loading a dataset by name: the registry lookup, the seeded split, training-row encoding and scaling.

``load_dataset("synthetic:gmm", seed=0, label_noise=0.2)`` returns a :class:`Dataset` with a seeded,
stratified train/test split, features standardized with the mean and standard deviation of the
training rows, ``float64`` features and ``int64`` labels in ``0..k-1``.

The datasets, their parameters (defaults, bounds, help) and loaders live in the registry of
:mod:`kdviz.data.registry` (:func:`list_datasets`, :func:`dataset_spec`, :func:`register_dataset`):
``synthetic:gmm``, ``synthetic:curve`` (:mod:`kdviz.data.synthetic`), ``sklearn:breast_cancer|digits|
digits_binary|wine``, ``openml:<name>[@V]`` (fetched once and cached as CSV, :mod:`kdviz.data.openml`) and
``csv:<path>`` (read by :mod:`kdviz.data.tables`). Table data is split first; imputation and one-hot
encoding are then fitted on the training rows only (:mod:`kdviz.data.encoding`).

Only the synthetic datasets know their Bayes probabilities p0; for them ``p0_train``/``p0_test`` and
:meth:`Dataset.bayes` give the probabilities of the *training* label distribution (label noise
included).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from kdviz.data.encoding import ENCODINGS, encode_split
from kdviz.data.openml import check_openml
from kdviz.data.registry import (
    MIN_ROWS,
    DatasetSpec,
    LoadRequest,
    Param,
    RawData,
    dataset_spec,
    list_datasets,
    register_dataset,
    unknown_dataset,
)
from kdviz.data.synthetic import noisy_p0 as _noisy_p0
from kdviz.data.tables import MAX_CLASSES, MIN_ROWS_PER_CLASS, DataReport, Progress, read_table
from kdviz.errors import DatasetError
from kdviz.seeds import sub_rng, sub_seed

__all__ = ["Dataset", "DataReport", "DatasetSpec", "Param", "RawData", "load_dataset", "list_datasets",
           "dataset_spec", "register_dataset", "check_openml", "read_table", "MAX_CLASSES",
           "MIN_ROWS", "MIN_ROWS_PER_CLASS"]

# Independent random streams derived from the user's seed (1 generates synthetic rows, kdviz.data.synthetic).
_STREAM_SUBSAMPLE, _STREAM_SPLIT, _STREAM_NOISE = 2, 3, 4
#: the train/test splits: kdviz's stratified one, or the paper authors' plain train_test_split
SPLITS = ("stratified", "authors")


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
    # Private, picklable description of p0 (the generator's p0 function + parameters), the scaler and the noise.
    _p0_fn: Callable[..., np.ndarray] | None = field(default=None, repr=False)
    _p0_params: dict[str, float] = field(default_factory=dict, repr=False)
    _scaler_mean: np.ndarray | None = field(default=None, repr=False)
    _scaler_scale: np.ndarray | None = field(default=None, repr=False)
    _label_noise: float = field(default=0.0, repr=False)

    def bayes(self, X_std: np.ndarray) -> np.ndarray | None:
        """Bayes probabilities ``(m, k)`` of the training-label distribution at standardized points.

        The scaler is inverted, the generator's exact p0 evaluated and the label-noise adjustment
        applied, so ``bayes(X_train)`` equals ``p0_train``. Returns None for real data.
        """
        if self._p0_fn is None or self._scaler_mean is None or self._scaler_scale is None:
            return None
        X_std = np.asarray(X_std, dtype=np.float64)
        if X_std.ndim != 2 or X_std.shape[1] != self._scaler_mean.shape[0]:
            raise DatasetError(
                f"bayes() expects an array of shape (m, {self._scaler_mean.shape[0]}), got {X_std.shape}."
            )
        X_raw = X_std * self._scaler_scale + self._scaler_mean
        p0 = self._p0_fn(X_raw, **self._p0_params)
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
    split: str = "stratified",
    encoding: str = "onehot",
    categories: dict[str, list[str]] | None = None,
    special_values: tuple[float, ...] | list[float] = (),
    **params: Any,
) -> Dataset:
    """Load a dataset by name (see :func:`list_datasets`) and split it.

    Args:
        name: ``synthetic:gmm``, ``synthetic:curve``, ``sklearn:<breast_cancer|digits|digits_binary|
            wine>``, ``openml:<name>`` or ``csv:<path>``, or any registered name.
        seed: seeds generation, subsampling, the split and the label noise (independent streams).
        test_size: fraction of rows in the stratified test split, in (0.05, 0.9).
        label_noise: η in [0, 0.5). Each *training* label is flipped independently with probability
            η (binary: to the other class; multiclass: to a uniformly random other class). Test
            labels stay clean. On synthetic data ``p0_train``, ``p0_test`` and ``bayes`` describe the
            noisy training-label distribution: p0'_j = (1−η)·p0_j + η·(1−p0_j)/(k−1), i.e.
            (1−η)·p0 + η·(1−p0) for binary data.
        n, d, r, target, **params: the dataset's own parameters (``dataset_spec(name).params`` lists them with
            defaults, bounds and help). None means the default. A parameter the dataset does not take
            is refused when given, e.g. ``d`` for ``synthetic:curve`` or ``target`` for ``sklearn:wine``.
            n: synthetic data: rows generated (default 4000 for gmm, 1000 for curve); real data: a
            seeded stratified subsample of n rows (default: all). d, r: ``synthetic:gmm`` dimension
            (default 5) and mean size (μ = r·1_d, default 0.5); r is the sharpness of
            ``synthetic:curve`` (default 3). target: label column of ``csv:`` (required) and
            ``openml:`` (default: OpenML's target).
        cache_dir: OpenML cache (default ``$KDVIZ_HOME/cache/openml``, KDVIZ_HOME = ``~/.kdviz``).
        progress: called with a short message at each stage of reading a big table.
        split: ``"stratified"`` (default): a stratified split seeded by a stream derived from `seed`;
            ``"authors"``: the paper's own split, ``train_test_split(rows, test_size=test_size,
            random_state=seed)`` (not stratified) on the rows in the file's order.
        encoding: categorical columns of a table: ``"onehot"`` (default, below) or ``"ordinal"``
            (codes, every column imputed with its training mean; :mod:`kdviz.data.encoding`).
        categories: for ``encoding="ordinal"``, the declared order of each column's levels
            (``{"workclass": ["Private", ...]}``); undeclared levels follow, sorted.
        special_values: numbers that code a missing reading in a table (FICO HELOC: −7, −8, −9, as
            the authors treat them): each becomes the last of them, and rows with one of them in every
            feature column are dropped (and counted) before the split.

    CSV / OpenML preprocessing (:mod:`kdviz.data.tables`, :mod:`kdviz.data.encoding`; ``Dataset.report`` and
    ``Dataset.summary()`` say what it did): rows with a missing target are dropped and counted; label
    variants that differ only by case, spaces or a trailing dot are merged; labels are encoded in
    sorted order (numerically for numeric labels); empty and ID-like columns (unique per row) are
    dropped; ±inf is missing. After the split, fitted on the training rows only: numeric features are
    imputed with the median, non-numeric ones with the most frequent value and one-hot encoded (at
    most 50 levels per column, rarer levels pooled into ``<other>``; test-only levels are no level).

    Raises:
        DatasetError: with a message saying what is wrong and what to do.
    """
    spec = dataset_spec(name)
    name = name.strip()
    if not spec.matches(name):  # a pattern as written, e.g. 'csv:<path>'
        raise unknown_dataset(name)
    _validate(seed=seed, test_size=test_size, label_noise=label_noise)
    if split not in SPLITS:
        raise DatasetError(f"split must be one of {', '.join(SPLITS)}, got {split!r}.")
    if encoding not in ENCODINGS:
        raise DatasetError(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}.")
    params = spec.resolve({"n": n, "d": d, "r": r, "target": target, **params})
    arg = name[len(spec.prefix):] if spec.template else name.partition(":")[2]
    raw = spec.loader(LoadRequest(name, arg, params, int(seed), cache_dir, progress))
    y = np.asarray(raw.y)
    idx = _subsample(y, params.get("n"), seed) if spec.subsample else None
    X, p0 = raw.X, raw.p0
    if idx is not None:
        X = X.iloc[idx].reset_index(drop=True) if isinstance(X, pd.DataFrame) else np.asarray(X)[idx]
        y, p0 = y[idx], (None if p0 is None else p0[idx])
    if special_values:
        X, y, p0 = _special_values(X, y, p0, [float(v) for v in special_values], raw)
    return _finish(name, raw, X, y, p0, seed=seed, test_size=test_size, label_noise=label_noise,
                   split=split, encoding=encoding, categories=categories)


def _validate(*, seed: int, test_size: float, label_noise: float) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DatasetError(f"seed must be a non-negative integer, got {seed!r}.")
    if not isinstance(test_size, (int, float)) or not 0.05 < float(test_size) < 0.9:
        raise DatasetError(f"test_size must be a fraction strictly between 0.05 and 0.9, got {test_size!r}.")
    if not isinstance(label_noise, (int, float)) or not 0.0 <= float(label_noise) < 0.5:
        raise DatasetError(
            f"label_noise must be in [0, 0.5) (probability of flipping a training label), got {label_noise!r}."
        )


# --------------------------------------------------------------------------------------------------
# Subsample, split, encode, scale, noise, fingerprint
# --------------------------------------------------------------------------------------------------


def _subsample(y: np.ndarray, n: int | None, seed: int) -> np.ndarray | None:
    """Sorted row indices of a seeded stratified subsample of n rows (None: all rows)."""
    if n is None or n >= len(y):
        return None
    try:
        idx, _ = train_test_split(
            np.arange(len(y)), train_size=n, stratify=y, random_state=sub_seed(seed, _STREAM_SUBSAMPLE)
        )
    except ValueError as exc:
        raise DatasetError(
            f"Cannot draw a stratified subsample of n={n} rows: {exc}. Use a larger n."
        ) from exc
    return np.sort(idx)


def _special_values(X: np.ndarray | pd.DataFrame, y: np.ndarray, p0: np.ndarray | None, values: list[float],
                    raw: RawData) -> tuple[np.ndarray | pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Codes of a missing reading → the last code; rows coded in every feature column are dropped."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=np.float64))
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if not numeric:
        return X, y, p0
    frame = frame.copy()
    for col in numeric:
        frame.loc[frame[col].isin(values), col] = values[-1]
    keep = ~(frame[numeric] == values[-1]).all(axis=1).to_numpy()
    if raw.report is None:
        raw.report = DataReport(rows_read=len(y))
    codes = ", ".join(f"{v:g}" for v in values)
    raw.report.notes.append(f"special values {codes} → {values[-1]:g}")
    if not keep.all():
        raw.report.dropped.append(f"{int((~keep).sum())} rows with a special value ({codes}) in every feature")
    if keep.sum() < MIN_ROWS:
        raise DatasetError(f"only {int(keep.sum())} rows are left after dropping rows coded {codes} in every "
                           f"feature; at least {MIN_ROWS} are needed.")
    frame = frame[keep].reset_index(drop=True)
    out = frame if isinstance(X, pd.DataFrame) else frame.to_numpy(dtype=np.float64)
    return out, y[keep], (None if p0 is None else p0[keep])


def _split(y: np.ndarray, seed: int, test_size: float, split: str = "stratified") -> tuple[np.ndarray, np.ndarray]:
    """The train/test row indices: they depend on y, seed, test_size and the kind of split only.

    ``"authors"``: the paper's ``train_test_split(X, y, test_size, random_state=seed)``, not stratified.
    """
    if split == "authors":
        return train_test_split(np.arange(len(y)), test_size=float(test_size), random_state=int(seed))
    try:
        return train_test_split(
            np.arange(len(y)), test_size=float(test_size), stratify=y, random_state=sub_seed(seed, _STREAM_SPLIT)
        )
    except ValueError as exc:
        raise DatasetError(
            f"Cannot make a stratified train/test split with test_size={test_size}: {exc}. "
            "Use more rows or a different test_size."
        ) from exc


def _impute_median(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numeric gaps → the training median (a column missing in every training row → 0)."""
    if not (np.isnan(X_train).any() or np.isnan(X_test).any()):
        return X_train, X_test
    with np.errstate(all="ignore"):
        med = np.nanmedian(np.where(np.isnan(X_train).all(axis=0), 0.0, X_train), axis=0)
    med = np.nan_to_num(med)
    return np.where(np.isnan(X_train), med, X_train), np.where(np.isnan(X_test), med, X_test)


def _finish(
    name: str,
    raw: RawData,
    X: np.ndarray | pd.DataFrame,
    y: np.ndarray,
    p0: np.ndarray | None,
    *,
    seed: int,
    test_size: float,
    label_noise: float,
    split: str = "stratified",
    encoding: str = "onehot",
    categories: dict[str, list[str]] | None = None,
) -> Dataset:
    report = raw.report if raw.report is not None else DataReport(rows_read=len(y))
    report.rows_used = len(y)
    if label_noise:
        report.notes.append(f"label noise: {label_noise:.0%} of the training labels flipped")
    y = np.asarray(y, dtype=np.int64)
    class_names = list(raw.class_names) if raw.class_names is not None else [str(c) for c in range(int(y.max()) + 1)]
    k = len(class_names)
    train_idx, test_idx = _split(y, seed, test_size, split)
    if split == "authors":
        report.notes.append(f"the authors' split: train_test_split(test_size={test_size:g}, random_state={seed}), "
                            "not stratified, rows in the file's order")
    if isinstance(X, pd.DataFrame):
        X_train, X_test, feature_names = encode_split(X, train_idx, test_idx, report, encoding, categories)
        if encoding == "ordinal":
            report.notes.append("categorical columns as ordinal codes, mean imputation")
        if not feature_names:
            raise DatasetError(f"{name}: no feature column has a value in the training rows.")
    else:
        X = np.asarray(X, dtype=np.float64)
        X_train, X_test = _impute_median(X[train_idx], X[test_idx])
        feature_names = list(raw.feature_names or [f"x{j + 1}" for j in range(X.shape[1])])
    y_train, y_test = y[train_idx].copy(), y[test_idx]

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
    p0_fn = raw.p0_fn
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
        image_shape=raw.image_shape,
        report=report,
        _p0_fn=p0_fn,
        _p0_params=dict(raw.p0_params or {}),
        _scaler_mean=mean if p0_fn else None,
        _scaler_scale=scale if p0_fn else None,
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
