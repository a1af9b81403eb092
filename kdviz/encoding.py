"""Table features fitted on the training rows only: scikit-learn imputation and one-hot encoding.

:func:`encode_split` takes the clean feature columns of :func:`kdviz.tables.prepare_table` (float64
columns are numeric, object columns categorical) and the train/test row indices, and fits one
``ColumnTransformer`` on the training rows:

- numeric columns → ``SimpleImputer(strategy="median")`` (a column without values in the training
  rows becomes 0, i.e. a constant feature);
- categorical columns → ``SimpleImputer(strategy="most_frequent")`` then ``OneHotEncoder`` with at most
  :data:`MAX_CATEGORY_LEVELS` levels per column (rarer levels pooled into ``col=<other>``); a level
  that only the test rows have maps to ``<other>`` when the column has one, else to no level.

Columns keep the table's order; feature names are the column name, or ``col=level`` for a level.
Numeric columns without missing cells pass through unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from kdviz.tables import MAX_CATEGORY_LEVELS, DataReport

__all__ = ["OTHER", "encode_split", "make_encoder"]

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


def encode_split(
    frame: pd.DataFrame, train_idx: np.ndarray, test_idx: np.ndarray, report: DataReport | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``X_train, X_test, feature_names``: imputation and encoding fitted on ``frame.iloc[train_idx]``.

    A categorical column without any value in the training rows is dropped (and reported); test-only
    levels are counted in ``report.notes``.
    """
    report = report if report is not None else DataReport()
    train, test = frame.iloc[train_idx], frame.iloc[test_idx]
    empty = [c for c in frame.columns if _is_categorical(frame[c]) and train[c].isna().all()]
    for col in empty:
        report.dropped.append(f"column {col!r} (no values in the training rows)")
    if empty:
        frame, train, test = (f.drop(columns=empty) for f in (frame, train, test))
    if frame.shape[1] == 0:
        return np.empty((len(train), 0)), np.empty((len(test), 0)), []
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
