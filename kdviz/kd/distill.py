"""KD targets and loss corrections for squared-loss students (THEORY §2–§3).

A squared-loss student regresses on a *target* built from the teacher probabilities p̂ and the labels
y (both arrays of shape (n, k), y one-hot):

- link g: ``p`` scale g(p) = p, ``logp`` scale g(p) = log p (p̂ clipped at 1/500 first);
- vanilla target g(p̂);
- corrected target g(p̂) + γ·(y − p̂), the minimiser of the Neyman-orthogonal loss
  ℓ(f, p̂) + γ_raw·⟨∇_p ℓ(f, p̂), y − p̂⟩ with γ = γ_raw·g'(p̂);
- γ rules: ``full`` γ = γ* (1 on the p scale, 1/p̂ on the log scale), ``bound_fast``
  γ = c·γ*/(c + r²) with r = y − p̂ (unclipped), and the y-free ``bound_fast_expected``
  γ = c·γ*/(c + p̂(1 − p̂)): r² replaced by its expectation under p̂ (THEORY §3). Because its weight
  does not depend on the label it multiplies, its correction is mean-zero at p̂ = p0 for every c;
  the r² rule's is not (on the log scale E[T | x] − log p0 =
  c(1 − p0)(2p0 − 1)/[(c + (1 − p0)²)(c + p0²)] at p̂ = p0).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from kdviz.errors import ConfigError

Scale = Literal["p", "logp"]
GammaRule = Literal["full", "bound_fast", "bound_fast_expected"]
#: Every γ rule, in the order the CLI and the dashboard offer them.
GAMMA_RULES: tuple[str, ...] = ("bound_fast", "bound_fast_expected", "full")
#: The rules that take a constant c (and so can choose it by cross-validation).
C_RULES: tuple[str, ...] = ("bound_fast", "bound_fast_expected")

#: Probabilities are clipped at this value before log and division (tabular students).
CLIP = 1.0 / 500.0


def _check_scale(scale: str) -> None:
    if scale not in ("p", "logp"):
        raise ConfigError(f"scale must be 'p' or 'logp', got {scale!r}")


def clip(p: np.ndarray, eps: float = CLIP) -> np.ndarray:
    return np.clip(p, eps, None)


def link(p: np.ndarray, scale: Scale, eps: float = CLIP) -> np.ndarray:
    """g(p): the quantity the student regresses on."""
    _check_scale(scale)
    return np.asarray(p, dtype=float) if scale == "p" else np.log(clip(p, eps))


def inverse_link(f: np.ndarray, scale: Scale) -> np.ndarray:
    """Student output → probability-like score (exp on the log scale; may exceed 1)."""
    _check_scale(scale)
    return np.asarray(f, dtype=float) if scale == "p" else np.exp(f)


def gamma_star(p_hat: np.ndarray, scale: Scale, eps: float = CLIP) -> np.ndarray:
    """The full (orthogonal) correction weight γ*: 1 on the p scale, 1/p̂ on the log scale."""
    _check_scale(scale)
    return np.ones_like(p_hat, dtype=float) if scale == "p" else 1.0 / clip(p_hat, eps)


def gamma(p_hat: np.ndarray, y: np.ndarray, scale: Scale, rule: GammaRule, c: float | None = None,
          eps: float = CLIP) -> np.ndarray:
    """Per-sample, per-class correction weight γ."""
    g_star = gamma_star(p_hat, scale, eps)
    if rule == "full":
        return g_star
    if rule not in C_RULES:
        raise ConfigError(f"gamma rule must be one of {', '.join(GAMMA_RULES)}, got {rule!r}")
    if c is None or not c > 0:
        raise ConfigError(f"the {rule} γ rule needs a constant c > 0, got {c!r}")
    p_hat = np.asarray(p_hat, dtype=float)
    if rule == "bound_fast":
        spread = (np.asarray(y, dtype=float) - p_hat) ** 2
    else:  # bound_fast_expected: E[(Y − p̂)² | p̂] = p̂(1 − p̂), free of the label
        spread = np.clip(p_hat, 0.0, 1.0) * (1.0 - np.clip(p_hat, 0.0, 1.0))
    return c * g_star / (c + spread)


def best_c(scores: dict[float, float]) -> float:
    """The c of a γ rule with the best cross-validated score (the smallest such c on ties).

    The one rule for choosing c, used by the capacity sweep and the theory experiments alike.
    """
    top = max(scores.values())
    return min(c for c, s in scores.items() if s == top)


def kd_target(p_hat: np.ndarray, y: np.ndarray | None, scale: Scale, corrected: bool = False,
              rule: GammaRule = "bound_fast", c: float | None = None, eps: float = CLIP) -> np.ndarray:
    """The regression target for a squared-loss student (vanilla or loss-corrected)."""
    p_hat = np.asarray(p_hat, dtype=float)
    target = link(p_hat, scale, eps)
    if corrected:
        if y is None:
            raise ConfigError("the loss correction needs the training labels y")
        target = target + gamma(p_hat, y, scale, rule, c, eps) * (np.asarray(y, dtype=float) - p_hat)
    return target


def squared_kd_loss(f: np.ndarray, p: np.ndarray, scale: Scale, eps: float = CLIP) -> np.ndarray:
    """ℓ(f, p) = (f − g(p))², per sample and class (used to check the correction numerically)."""
    return (f - link(p, scale, eps)) ** 2


def one_hot(y: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), np.asarray(y, dtype=int)] = 1.0
    return out
