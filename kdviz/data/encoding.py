"""Table features fitted on the training rows only: scikit-learn imputation and one-hot encoding.

:func:`encode_split` takes the clean feature columns of :func:`kdviz.data.tables.prepare_table` (float64
columns are numeric, object columns categorical) and the train/test row indices, and fits one
``ColumnTransformer`` on the training rows:

- numeric columns → ``SimpleImputer(strategy="median")`` (a column without values in the training
  rows becomes 0, i.e. a constant feature);
- categorical columns → ``SimpleImputer(strategy="most_frequent")`` then ``OneHotEncoder`` with at most
  :data:`MAX_CATEGORY_LEVELS` levels per column (rarer levels pooled into ``col=<other>``); a level
  that only the test rows have maps to ``<other>`` when the column has one, else to no level.

Columns keep the table's order; feature names are the column name, or ``col=level`` for a level.
Numeric columns without missing cells pass through unchanged.

``encoding="ordinal"`` (the paper's Adult protocol: OpenML's nominal attributes as codes) instead gives
each categorical column one feature, its level's code: levels in the declared order
(``categories={col: [level, ...]}``, e.g. the order of UCI's adult.names), then the other levels the
training rows have, sorted; a missing cell or a level only the test rows have is missing. Every column
is then imputed with its training mean (``SimpleImputer()``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from kdviz.data.tables import MAX_CATEGORY_LEVELS, DataReport

__all__ = ["ENCODINGS", "OTHER", "encode_split", "make_encoder", "ordinal_codes"]

#: the encodings of categorical columns: one-hot (the default) or ordinal codes with mean imputation
ENCODINGS = ("onehot", "ordinal")

#: name of the pooled level (rare levels, and unseen ones when the column has pooled levels)
OTHER = "<other>"
_SKLEARN_INFREQUENT = "infrequent_sklearn"


def _level_name(column: str, level: object) -> str:
    return f"{column}={OTHER if level == _SKLEARN_INFREQUENT else level}"


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s)


def make_encoder(frame: pd.DataFrame) -> ColumnTransformer:
    """The unfitted ``ColumnTransformer`` for these columns: one transformer per column, in order."""
    steps = []
    for i, col in enumerate(frame.columns):
        if _is_categorical(frame[col]):
            step: object = Pipeline([
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORY_LEVELS,
                                         sparse_output=False, dtype=np.float64,
                                         feature_name_combiner=_level_name)),
            ])
        else:
            step = SimpleImputer(strategy="median", keep_empty_features=True)
        steps.append((f"c{i}", step, [i]))
    return ColumnTransformer(steps, remainder="drop", sparse_threshold=0.0)


def ordinal_codes(train: pd.Series, declared: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The levels of an ordinally encoded column, code 0 first: the declared ones, then the other
    levels of the training rows, sorted."""
    levels = [str(v) for v in (declared or ())]
    seen = set(levels)
    return levels + sorted(str(v) for v in train.dropna().unique() if str(v) not in seen)


def _codes(s: pd.Series, code: dict[str, float]) -> pd.Series:
    """Each cell's code (NaN: missing, or a level without a code)."""
    return s.map(lambda v: code.get(str(v), np.nan) if pd.notna(v) else np.nan).astype(np.float64)


def _encode_ordinal(frame: pd.DataFrame, train_idx: np.ndarray, test_idx: np.ndarray, report: DataReport,
                    categories: dict[str, list[str]] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    categories = dict(categories or {})
    unknown = sorted(set(categories) - set(frame.columns))
    if unknown:
        report.notes.append(f"declared categories for columns the table does not have: {', '.join(unknown)}")
    train, test = frame.iloc[train_idx], frame.iloc[test_idx]
    cols_train, cols_test, unseen = [], [], []
    for col in frame.columns:
        a, b = train[col], test[col]
        if _is_categorical(frame[col]):
            code = {level: float(i) for i, level in enumerate(ordinal_codes(a, categories.get(str(col))))}
            n_unseen = int((b.notna() & ~b.astype(str).isin(code)).sum())
            a, b = _codes(a, code), _codes(b, code)
            if n_unseen:
                unseen.append(f"{col!r} {n_unseen} row{'s' if n_unseen > 1 else ''}")
        cols_train.append(np.asarray(a, dtype=np.float64))
        cols_test.append(np.asarray(b, dtype=np.float64))
    if unseen:
        report.notes.append("levels without a code (seen only in the test rows; imputed): " + ", ".join(unseen))
    imputer = SimpleImputer(keep_empty_features=True)  # mean of the training rows (0 for an empty column)
    X_train = imputer.fit_transform(np.column_stack(cols_train))
    X_test = imputer.transform(np.column_stack(cols_test))
    return (np.ascontiguousarray(X_train, dtype=np.float64), np.ascontiguousarray(X_test, dtype=np.float64),
            [str(c) for c in frame.columns])


def encode_split(
    frame: pd.DataFrame, train_idx: np.ndarray, test_idx: np.ndarray, report: DataReport | None = None,
    encoding: str = "onehot", categories: dict[str, list[str]] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``X_train, X_test, feature_names``: imputation and encoding fitted on ``frame.iloc[train_idx]``.

    A categorical column without any value in the training rows is dropped (and reported); test-only
    levels are counted in ``report.notes``. ``encoding`` is ``"onehot"`` (default) or ``"ordinal"``
    (codes in the ``categories`` order, mean imputation; see the module docstring).
    """
    report = report if report is not None else DataReport()
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    train, test = frame.iloc[train_idx], frame.iloc[test_idx]
    empty = [c for c in frame.columns if _is_categorical(frame[c]) and train[c].isna().all()]
    for col in empty:
        report.dropped.append(f"column {col!r} (no values in the training rows)")
    if empty:
        frame, train, test = (f.drop(columns=empty) for f in (frame, train, test))
    if frame.shape[1] == 0:
        return np.empty((len(train), 0)), np.empty((len(test), 0)), []
    if encoding == "ordinal":
        return _encode_ordinal(frame, train_idx, test_idx, report, categories)
    encoder = make_encoder(frame)
    X_train = encoder.fit_transform(train)
    with warnings.catch_warnings():  # unseen levels: counted below, not warned about
        warnings.filterwarnings("ignore", message="Found unknown categories", category=UserWarning)
        X_test = encoder.transform(test)
    names: list[str] = []
    unseen: list[str] = []
    for i, col in enumerate(frame.columns):
        step = encoder.named_transformers_[f"c{i}"]
        if not isinstance(step, Pipeline):
            names.append(str(col))
            continue
        onehot = step.named_steps["onehot"]
        names.extend(str(n) for n in onehot.get_feature_names_out([str(col)]))
        known = set(onehot.categories_[0].tolist())
        fill = step.named_steps["impute"].statistics_[0]
        n_unseen = int((~test[col].fillna(fill).isin(known)).sum())
        if n_unseen:
            unseen.append(f"{col!r} {n_unseen} row{'s' if n_unseen > 1 else ''}")
    if unseen:
        report.notes.append("levels seen only in the test rows (encoded as no level, or <other>): "
                            + ", ".join(unseen))
    return (np.ascontiguousarray(X_train, dtype=np.float64), np.ascontiguousarray(X_test, dtype=np.float64),
            names)
