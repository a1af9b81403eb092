"""A dataset with a parameter no other dataset has (``tilt``): a 2-D problem with known p0."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from kdviz.data.registry import DatasetSpec, LoadRequest, Param, RawData, register_dataset

NAME = "toy:tilted"


def _p0(X: np.ndarray, *, tilt: float) -> np.ndarray:
    p1 = expit(3.0 * (X[:, 1] - tilt * X[:, 0]))
    return np.column_stack([1.0 - p1, p1])


def _load(req: LoadRequest) -> RawData:
    rng = np.random.default_rng(req.seed)
    X = rng.uniform(-2.0, 2.0, size=(req.params["n"], 2))
    p0 = _p0(X, tilt=req.params["tilt"])
    y = (rng.random(len(X)) < p0[:, 1]).astype(np.int64)
    return RawData(X, y, ["0", "1"], ["x1", "x2"], p0=p0, p0_fn=_p0, p0_params={"tilt": req.params["tilt"]})


register_dataset(DatasetSpec(
    name=NAME, description="A tilted linear boundary (2-D, known p0).", loader=_load, has_p0=True, n_classes=2,
    subsample=False, dims=2, playground_label="Tilted line (2-D)",
    params=(Param("n", 400, "rows generated", kind=int, lo=50),
            Param("tilt", 0.5, "slope of the Bayes boundary", lo=-5.0, hi=5.0)),
), replace=True)
