"""Fitted log-log slopes (with confidence intervals over repeats) and fitted bound scalings.

Nothing here predicts an error: the bounds of THEORY §2 hold up to unknown constants, so the
constants are *fitted* to the measured points (least squares in log space) and every curve built from
them is labelled "fitted scaling (constants unknown)".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import least_squares

from kdviz.kd import metrics
from kdviz.kd.methods import METHODS

_FORM = {2: "C1·δ² + C2·ε2²", 4: "C1·δ² + C2·ε4⁴"}


def bound_form(method: str) -> tuple[str, int, str]:
    """The bound's teacher term of a method: (column of the teacher error, its power, the formula)."""
    m = METHODS[method]
    return m.error_metric, m.bias_power, _FORM[m.bias_power]


def has_bound(method: str) -> bool:
    return method in METHODS and METHODS[method].kd and METHODS[method].teacher != "none"
FITTED_LABEL = "fitted scaling (constants unknown)"


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y on log x (points with y ≤ 0 are dropped)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(np.log(x[ok])) == 0:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


@dataclass(frozen=True)
class SlopeFit:
    """A fitted log-log slope: mean of the per-repeat slopes and its t-interval over repeats."""

    method: str
    quantity: str
    slope: float
    lo: float
    hi: float
    repeats: int
    eps_min: float
    eps_max: float
    points: int

    def label(self) -> str:
        ci = f" [{self.lo:.2f}, {self.hi:.2f}]" if np.isfinite(self.lo) else ""
        return f"fitted slope {self.slope:.2f}{ci}"


def bias_dominated(df: pd.DataFrame, method: str, ratio: float = 1.0) -> list[float]:
    """The ε values where the method's mean bias term is at least `ratio` × its mean variance term."""
    sub = df[df["method"] == method].groupby("eps")[["bias_error", "variance_error"]].mean()
    return [float(e) for e, row in sub.iterrows() if row["bias_error"] >= ratio * row["variance_error"]]


def fit_slope(df: pd.DataFrame, method: str, quantity: str = "bias_error", x: str = "teacher_error_l2",
              eps: list[float] | None = None, level: float = 0.95) -> SlopeFit:
    """Slope of log `quantity` against log `x` for one method, per repeat, then a t-interval.

    `eps` restricts the fit to those teacher dials (e.g. `bias_dominated(df, method)`).
    """
    sub = df[df["method"] == method]
    if eps is not None:
        sub = sub[sub["eps"].isin(eps)]
    slopes = [loglog_slope(g[x].to_numpy(), g[quantity].to_numpy()) for _, g in sub.groupby("repeat")]
    slopes = np.array([s for s in slopes if np.isfinite(s)])
    R = len(slopes)
    mean = float(slopes.mean()) if R else float("nan")
    if R >= 2:
        half = float(stats.t.ppf(0.5 + level / 2, R - 1) * slopes.std(ddof=1) / np.sqrt(R))
    else:
        half = float("nan")
    e = sub["eps"] if len(sub) else pd.Series([np.nan])
    return SlopeFit(method, quantity, mean, mean - half, mean + half, R, float(e.min()), float(e.max()),
                    int(sub["eps"].nunique()))


@dataclass(frozen=True)
class BoundFit:
    """y ≈ C1·floor + C2·teacher^power, constants fitted by least squares in log space."""

    method: str
    form: str
    c1: float
    c2: float
    power: int
    rmse_log: float

    def __call__(self, floor: np.ndarray, teacher: np.ndarray) -> np.ndarray:
        return self.c1 * np.asarray(floor) + self.c2 * np.asarray(teacher) ** self.power

    def label(self) -> str:
        return f"{self.form}, {FITTED_LABEL}"


def fit_bound(floor: np.ndarray, teacher: np.ndarray, y: np.ndarray, power: int, method: str = "",
              form: str = "") -> BoundFit:
    """Fit C1, C2 ≥ 0 in y ≈ C1·floor + C2·teacher^power minimising Σ (log y − log fit)²."""
    floor, teacher, y = (np.asarray(a, dtype=float) for a in (floor, teacher, y))
    ok = (y > 0) & (floor >= 0) & (teacher >= 0) & np.isfinite(y) & np.isfinite(floor) & np.isfinite(teacher)
    floor, t, y = floor[ok], teacher[ok] ** power, y[ok]
    if len(y) < 2:
        return BoundFit(method, form, float("nan"), float("nan"), power, float("nan"))
    # start from non-negative least squares on the raw scale, then refine in log space
    A = np.column_stack([floor, t])
    x0 = np.maximum(np.linalg.lstsq(A, y, rcond=None)[0], 1e-12)
    x0 = np.where(x0 <= 1e-12, np.median(y) / np.maximum(np.median(A, axis=0), 1e-300) * 1e-3, x0)

    def resid(theta: np.ndarray) -> np.ndarray:
        return np.log(np.exp(theta[0]) * floor + np.exp(theta[1]) * t + 1e-300) - np.log(y)

    sol = least_squares(resid, np.log(x0), method="lm" if len(y) > 2 else "trf")
    c1, c2 = np.exp(sol.x)
    return BoundFit(method, form, float(c1), float(c2), power, float(np.sqrt(np.mean(sol.fun ** 2))))


def fit_bounds(df: pd.DataFrame, y: str = "student_error", floor: str = "oracle_error") -> dict[str, BoundFit]:
    """One fitted bound per method present in `df` (vanilla/cross-fit in ε2², corrected/enhanced in ε4⁴)."""
    out = {}
    for method, g in df.groupby("method", sort=False):
        if not has_bound(method):
            continue
        col, power, form = bound_form(method)
        out[method] = fit_bound(g[floor], g[col], g[y], power, method, form)
    return out


def reference_line(x: np.ndarray, y: np.ndarray, slope: float, grid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A line of the given log-log slope through the geometric centre of the data (x, y)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0)
    lx, ly = np.log(x[ok]).mean(), np.log(y[ok]).mean()
    xs = np.geomspace(x[ok].min(), x[ok].max(), 20) if grid is None else np.asarray(grid, dtype=float)
    return xs, np.exp(ly + slope * (np.log(xs) - lx))


def summarize(df: pd.DataFrame, by: list[str], cols: list[str]) -> pd.DataFrame:
    """Mean and standard deviation over repeats of `cols` for each group of `by` (`kdviz.kd.metrics.summarize`)."""
    return metrics.summarize(df, by, cols, "sd")
