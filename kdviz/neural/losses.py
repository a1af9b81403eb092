"""KD losses for neural students (THEORY §3): Hinton KD with temperature and its loss correction.

Notation: student logits ``s`` (…, k), one-hot labels ``y``, teacher probabilities ``p̂``,
temperature ``T``, mixing weight ``α``.

- ``q = softmax(s / T)``, ``w = softmax(log p̂ / T)`` (the teacher's tempered probabilities);
- ``CE_T(s, p̂) = −Σ_j w_j(p̂) log q_j``; ``KL(w ‖ q) = CE_T − H(w)`` (same gradient in ``s``);
- vanilla:   ``(1 − α)·CE(s, y) + α·T²·KL(w ‖ q)``;
- corrected: vanilla ``+ α·T²·(1/T)·[(Σ_i u_i)(Σ_j w_j log q_j) − Σ_i u_i log q_i]`` with
  ``u_i = w_i·γ_i·(y_i − p̂_i) / max(p̂_i, eps)``, ``eps = 1e-2``.

The bracket is the directional derivative of ``CE_T`` with respect to ``p̂`` in the direction of the
residual ``y − p̂`` (dw_j/dp_i = (1/T)·w_j·(δ_ij − w_i)/p_i); ``γ_i = 1`` is the full correction
(THEORY's ``γ = 1``). The ``bound_fast`` rule shrinks it per class as for the squared losses:
``γ_i = c / (c + r_i²)``, ``r = y − p̂``. At ``T = 1`` (and ``p̂ ≥ eps``) ``w = p̂``, ``u = y − p̂`` and
the corrected KD term collapses to ``CE(s, y) − H(p̂)``: label training — use ``T ≠ 1``.

Every function works on torch tensors with any leading batch shape (the batched trainer passes
``(B, n, k)``); per-member ``T``/``α`` broadcast as ``(B, 1, 1)`` / ``(B, 1)`` tensors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Clip of p̂ in the correction's division (THEORY §3: 1e-2 for neural nets).
NEURAL_EPS = 1e-2
#: Floor of p̂ inside log p̂ (only to keep log finite where a teacher outputs an exact 0).
LOG_FLOOR = 1e-12

LOSSES = ("hinton", "squared_p", "squared_logit")


def tempered_teacher(p_hat: torch.Tensor, T: float | torch.Tensor) -> torch.Tensor:
    """w = softmax(log p̂ / T)."""
    return torch.softmax(torch.log(p_hat.clamp_min(LOG_FLOOR)) / T, dim=-1)


def correction_weights(p_hat: torch.Tensor, y: torch.Tensor, T: float | torch.Tensor,
                       c: float | torch.Tensor | None = None, eps: float = NEURAL_EPS,
                       rule: str = "bound_fast") -> torch.Tensor:
    """u_i = w_i·γ_i·(y_i − p̂_i)/max(p̂_i, eps); γ_i = 1 (c None), c/(c + r_i²) (``bound_fast``) or
    c/(c + p̂_i(1 − p̂_i)) (``bound_fast_expected``, free of the label)."""
    w = tempered_teacher(p_hat, T)
    r = y - p_hat
    spread = p_hat.clamp(0, 1) * (1 - p_hat.clamp(0, 1)) if rule == "bound_fast_expected" else r**2
    g = torch.ones_like(r) if c is None else c / (c + spread)
    return w * g * r / p_hat.clamp_min(eps)


def ce_T(s: torch.Tensor, p_hat: torch.Tensor, T: float | torch.Tensor) -> torch.Tensor:
    """CE_T(s, p̂) = −Σ_j w_j log softmax(s/T)_j, per sample (no T² factor)."""
    return -(tempered_teacher(p_hat, T) * F.log_softmax(s / T, dim=-1)).sum(-1)


def correction_term(s: torch.Tensor, w: torch.Tensor, u: torch.Tensor, T: float | torch.Tensor) -> torch.Tensor:
    """(1/T)·[(Σ_i u_i)(Σ_j w_j log q_j) − Σ_i u_i log q_i], per sample (no α·T² factor)."""
    logq = F.log_softmax(s / T, dim=-1)
    return (u.sum(-1) * (w * logq).sum(-1) - (u * logq).sum(-1)) / _squeeze(T)


def _squeeze(T: float | torch.Tensor) -> float | torch.Tensor:
    return T.squeeze(-1) if isinstance(T, torch.Tensor) and T.dim() > 0 else T


def hinton_loss(s: torch.Tensor, y: torch.Tensor, w: torch.Tensor, u: torch.Tensor | None,
                T: float | torch.Tensor, alpha: float | torch.Tensor) -> torch.Tensor:
    """Per-sample Hinton KD loss from precomputed w (and u for the correction, None = vanilla).

    Uses the cross-entropy form of the KD term (KL minus the teacher entropy, a constant in s).
    ``T`` broadcasts against ``s`` (e.g. shape (B, 1, 1)), ``alpha`` against the per-sample loss
    (e.g. (B, 1)).
    """
    ce = -(y * F.log_softmax(s, dim=-1)).sum(-1)
    logq = F.log_softmax(s / T, dim=-1)
    kd = -(w * logq).sum(-1)
    Ts = _squeeze(T)
    if u is not None:
        kd = kd + (u.sum(-1) * (w * logq).sum(-1) - (u * logq).sum(-1)) / Ts
    return (1 - alpha) * ce + alpha * Ts**2 * kd


def hinton_kd_loss(s: torch.Tensor, y: torch.Tensor, p_hat: torch.Tensor, T: float = 4.0, alpha: float = 0.5,
                   corrected: bool = False, c: float | None = None, eps: float = NEURAL_EPS,
                   kl: bool = True, rule: str = "bound_fast") -> torch.Tensor:
    """Per-sample Hinton KD loss exactly as in THEORY §3 (``kl=True`` reports T²·KL(w‖q) itself)."""
    w = tempered_teacher(p_hat, T)
    u = correction_weights(p_hat, y, T, c, eps, rule) if corrected else None
    loss = hinton_loss(s, y, w, u, T, alpha)
    if kl:  # add back the entropy of w so that the KD term is the KL divergence
        ent = -(w * torch.log(w.clamp_min(1e-30))).sum(-1)
        loss = loss - alpha * T**2 * ent
    return loss


def squared_scale(loss: str) -> str:
    """The link scale of a squared-loss variant: ``squared_p`` → "p", ``squared_logit`` → "logp"."""
    return {"squared_p": "p", "squared_logit": "logp"}[loss]
