"""Synthetic data with known Bayes probabilities p0 (THEORY §5): the generators and their p0.

- ``gmm``: two Gaussians at ±μ, μ = r·1_d; labels drawn from the exact Bayes probabilities
  p0_1(x) = σ(2r·Σ_j x_j) (class 1 is the component with mean +μ).
- ``curve``: 2-D, X uniform on [-2, 2]², p0_1(x) = σ(s·h(x)) with the curved boundary
  h(x) = x2 − 1.2·sin(1.5·x1).

``gmm_p0`` / ``curve_p0`` give p0 in raw (unstandardized) units (a dataset's ``RawData.p0_fn``); :func:`noisy_p0` is the
label distribution after label noise η.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from kdviz.seeds import sub_rng

#: the random stream (of the user's seed) that generates the rows
STREAM_GENERATE = 1


def gmm_p0(X: np.ndarray, *, r: float) -> np.ndarray:
    p1 = expit(2.0 * r * X.sum(axis=1))
    return np.column_stack([1.0 - p1, p1])


def curve_h(X: np.ndarray) -> np.ndarray:
    return X[:, 1] - 1.2 * np.sin(1.5 * X[:, 0])


def curve_p0(X: np.ndarray, *, s: float) -> np.ndarray:
    p1 = expit(s * curve_h(X))
    return np.column_stack([1.0 - p1, p1])


def noisy_p0(p0: np.ndarray, eta: float) -> np.ndarray:
    """Label distribution after flipping to a uniformly random other class with probability η."""
    if eta == 0.0:
        return p0
    k = p0.shape[1]
    return (1.0 - eta) * p0 + eta * (1.0 - p0) / (k - 1)


def generate_gmm(n: int, d: int, r: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = sub_rng(seed, STREAM_GENERATE)
    z = rng.integers(0, 2, size=n)
    X = rng.standard_normal((n, d)) + (2.0 * z - 1.0)[:, None] * r
    p0 = gmm_p0(X, r=r)
    y = (rng.random(n) < p0[:, 1]).astype(np.int64)
    return X, y, p0


def generate_curve(n: int, s: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = sub_rng(seed, STREAM_GENERATE)
    X = rng.uniform(-2.0, 2.0, size=(n, 2))
    p0 = curve_p0(X, s=s)
    y = (rng.random(n) < p0[:, 1]).astype(np.int64)
    return X, y, p0
