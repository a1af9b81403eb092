"""Train many small networks at once: one stacked model, one optimiser, one loop.

A sweep trains many small students (methods × repeats × capacities) on the same training rows.
Trained one by one, each step of each student pays torch's per-operation overhead; trained as one
:class:`~kdviz.neural.models.StackedNet`, all of them share every kernel launch. Members are
independent: the objective is the *sum* of the members' losses (so member b's gradient is its own),
Adam is elementwise, and each member draws its initialisation and its minibatch order from its own
seed. Hence ``train_stack`` on B members gives the same networks as B calls with one member each.

Public entry points:

- :func:`train_stack` — the training loop (used by teachers, students and the benchmark);
- :class:`Member` / :func:`fit_students_batched` — many KD students (any mix of methods, teachers'
  probabilities, seeds, T, α) in one model; what a sweep calls to train all students of a capacity
  (or of the whole sweep) at once;
- :func:`torch_device`, :func:`torch_context` — CUDA when available else CPU; seeded, deterministic,
  single-threaded by default.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from kdviz.errors import ConfigError
from kdviz.kd.distill import C_RULES, GAMMA_RULES, kd_target
from kdviz.neural.losses import (
    LOSSES,
    NEURAL_EPS,
    correction_weights,
    hinton_loss,
    squared_scale,
    tempered_teacher,
)
from kdviz.neural.models import Arch, StackedNet
from kdviz.seeds import sub_seed


def torch_device(device: str | None = None) -> torch.device:
    """``device`` if given, else ``$KDVIZ_DEVICE``, else CUDA when available, else CPU."""
    name = device or os.environ.get("KDVIZ_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@contextlib.contextmanager
def torch_context(threads: int = 1) -> Iterator[None]:
    """Deterministic algorithms and ``threads`` intra-op threads (-1: all cores), restored on exit."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    old_tf32 = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    n = (os.cpu_count() or 1) if threads == -1 else max(1, int(threads))
    torch.set_num_threads(n)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # full float32 on GPUs too (TF32 convolutions would make batched and sequential runs drift apart)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old_tf32


LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (logits (B,b,k), idx (B,b)) → scalar


def train_stack(net: StackedNet, X: torch.Tensor, loss_fn: LossFn, seeds: Sequence[int], *, epochs: int,
                batch_size: int = 64, lr: float = 1e-3, weight_decay: float = 0.0,
                record: Sequence[int] = (), on_epoch: Callable[[int], None] | None = None) -> dict[int, list[torch.Tensor]]:
    """Minibatch Adam on every member of ``net``; returns parameter snapshots after each epoch in ``record``.

    ``X`` (n, d) is shared; member b shuffles the rows each epoch with its own generator (seed
    ``seeds[b]``). ``loss_fn(logits, idx)`` returns the per-member mean losses (B,) of the
    minibatch ``idx`` (B, b); the optimiser minimises their sum.
    """
    n = X.shape[0]
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    opt = torch.optim.Adam(net.params, lr=lr, weight_decay=weight_decay)
    want = set(int(e) for e in record)
    snaps: dict[int, list[torch.Tensor]] = {}
    if 0 in want:
        snaps[0] = net.snapshot()
    bs = max(1, min(int(batch_size), n))
    for epoch in range(1, int(epochs) + 1):
        perm = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(X.device)
        for start in range(0, n, bs):
            idx = perm[:, start:start + bs]
            logits = net.forward(X[idx])
            loss = loss_fn(logits, idx).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if epoch in want:
            snaps[epoch] = net.snapshot()
        if on_epoch is not None:
            on_epoch(epoch)
    return snaps


def label_ce_loss(Y: torch.Tensor) -> LossFn:
    """Plain cross-entropy with labels Y (n, k) one-hot (teachers, no-KD students)."""

    def fn(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return -(Y[idx] * torch.log_softmax(logits, dim=-1)).sum(-1).mean(-1)

    return fn


# ----------------------------------------------------------------------------------------------
# KD students, many at once
@dataclass(frozen=True)
class Member:
    """One student of a batch: its seed, the teacher's p̂ on the training rows (None = no-KD) and KD knobs.

    ``corrected``/``gamma``/``c``/``temperature``/``alpha`` mean what they mean in ``KDSpec``.
    """

    seed: int
    p_hat: np.ndarray | None = None
    corrected: bool = False
    temperature: float = 4.0
    alpha: float = 0.5
    gamma: str = "bound_fast"
    c: float | None = None


def _member_c(m: Member) -> float | None:
    """The per-class shrinkage constant of the correction (None = full correction γ = 1)."""
    if m.gamma == "full":
        return None
    if m.gamma not in C_RULES:
        raise ConfigError(f"gamma rule must be one of {', '.join(GAMMA_RULES)}, got {m.gamma!r}")
    return m.c  # None when no c is given: full correction


def kd_loss_fn(Y: np.ndarray, members: Sequence[Member], loss: str, device: torch.device) -> tuple[LossFn, list[str]]:
    """The per-member loss of a stack of students and each member's output kind ("softmax", "p", "logp").

    No-KD members (p_hat None) use label cross-entropy whatever ``loss`` is. Hinton members
    precompute w and u on the training rows; squared members regress on ``kdviz.kd.distill.kd_target``
    (eps = 1e-2) with sum-over-classes squared error.
    """
    if loss not in LOSSES:
        raise ConfigError(f"student loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    B, (n, k) = len(members), Y.shape
    for m in members:
        if m.p_hat is not None and np.shape(m.p_hat) != (n, k):
            raise ConfigError(f"teacher probabilities have shape {np.shape(m.p_hat)}; expected {(n, k)} "
                              "(one row per training row, one column per class)")
    Yt = torch.as_tensor(Y, dtype=torch.float32, device=device)
    is_kd = torch.tensor([m.p_hat is not None for m in members], dtype=torch.float32, device=device)
    kinds = ["softmax" if (m.p_hat is None or loss == "hinton") else squared_scale(loss) for m in members]
    if loss == "hinton":
        T = torch.tensor([m.temperature for m in members], dtype=torch.float32, device=device).view(B, 1, 1)
        alpha = torch.tensor([m.alpha if m.p_hat is not None else 0.0 for m in members],
                             dtype=torch.float32, device=device).view(B, 1)
        W = torch.full((B, n, k), 1.0 / k, device=device)
        U = torch.zeros((B, n, k), device=device)
        for b, m in enumerate(members):
            if m.p_hat is None:
                continue
            p = torch.as_tensor(np.asarray(m.p_hat, dtype=np.float64), device=device)
            y64 = Yt.double()
            W[b] = tempered_teacher(p, m.temperature).float()
            if m.corrected:
                U[b] = correction_weights(p, y64, m.temperature, _member_c(m), NEURAL_EPS, m.gamma).float()
        any_corr = any(m.corrected and m.p_hat is not None for m in members)

        def fn(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            y = Yt[idx]
            u = U.gather(1, idx.unsqueeze(-1).expand(-1, -1, k)) if any_corr else None
            w = W.gather(1, idx.unsqueeze(-1).expand(-1, -1, k))
            return hinton_loss(logits, y, w, u, T, alpha).mean(-1)

        return fn, kinds

    scale = squared_scale(loss)
    targets = torch.zeros((B, n, k), device=device)
    for b, m in enumerate(members):
        if m.p_hat is not None:
            c = _member_c(m)
            rule = "full" if c is None else m.gamma
            t = kd_target(m.p_hat, Y, scale, m.corrected, rule, c, eps=NEURAL_EPS)
            targets[b] = torch.as_tensor(t, dtype=torch.float32, device=device)
    kd_w = is_kd.view(B, 1)

    def fn_sq(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        y = Yt[idx]
        tgt = targets.gather(1, idx.unsqueeze(-1).expand(-1, -1, k))
        sq = ((logits - tgt) ** 2).sum(-1)
        ce = -(y * torch.log_softmax(logits, dim=-1)).sum(-1)
        return (kd_w * sq + (1 - kd_w) * ce).mean(-1)

    return fn_sq, kinds


def scores_from_logits(logits: np.ndarray, kind: str) -> np.ndarray:
    """Network outputs (m, k) → probability-like scores: softmax, identity (p) or exp (logp)."""
    if kind == "softmax":
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    if kind == "p":
        return logits.astype(np.float64)
    return np.exp(np.minimum(logits, 50.0)).astype(np.float64)


@dataclass
class TrainSettings:
    """Optimisation knobs shared by every member of a stack."""

    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    threads: int = 1
    device: str | None = None


class StudentStack:
    """The fitted result of :func:`fit_students_batched`: B students; ``predict_scores`` → (B, m, k)."""

    def __init__(self, net: StackedNet, kinds: list[str], device: torch.device):
        self.net, self.kinds, self.device = net, kinds, device

    def predict_logits(self, X: np.ndarray) -> np.ndarray:
        Xt = torch.as_tensor(np.asarray(X, dtype=np.float32), device=self.device)
        return self.net.predict(Xt).double().cpu().numpy()

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        L = self.predict_logits(X)
        return np.stack([scores_from_logits(L[b], kind) for b, kind in enumerate(self.kinds)])


def fit_students_batched(arch: Arch, size: int, X: np.ndarray, Y: np.ndarray, members: Sequence[Member],
                         loss: str = "hinton", settings: TrainSettings | None = None) -> StudentStack:
    """Train len(members) KD students of one architecture in ONE stacked model.

    Args:
        arch: architecture (``Arch("mlp", d, k, depth)`` …).
        size: hidden width (mlp) or channels (cnn) of every member.
        X: training features (n, d); Y: one-hot labels (n, k).
        members: one :class:`Member` per student (seed, p̂ or None, KD knobs).
        loss: ``hinton``, ``squared_p`` or ``squared_logit``.
        settings: optimisation knobs.

    Member b equals ``make_student(...).fit_kd(X, Y, members[b].p_hat, spec)`` with the same seed
    and knobs (see ``tests/test_neural.py``).
    """
    s = settings or TrainSettings()
    if not members:
        raise ConfigError("fit_students_batched needs at least one member")
    device = torch_device(s.device)
    with torch_context(s.threads):
        seeds = [m.seed for m in members]
        net = StackedNet(arch, [size] * len(members), seeds, device)
        fn, kinds = kd_loss_fn(np.asarray(Y, dtype=np.float64), members, loss, device)
        Xt = torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)
        train_stack(net, Xt, fn, [_shuffle_seed(sd) for sd in seeds], epochs=s.epochs, batch_size=s.batch_size,
                    lr=s.lr, weight_decay=s.weight_decay)
    return StudentStack(net, kinds, device)


def _shuffle_seed(seed: int) -> int:
    """A minibatch-order seed independent of the initialisation seed."""
    return sub_seed(seed, 7)
