"""Torch teacher families with capacity paths (registered with ``kdviz.teachers.register_teacher``).

- ``mlp-epochs``: capacity = training epochs. ``mode="path"``: ONE training run of ``max(grid)``
  epochs, the weights snapshotted after every epoch of the grid (identical to refitting for e epochs
  with the same seed: same initialisation, same minibatch order).
- ``mlp-width``: capacity = hidden width. ``mode="path"``: every width trained at once in one stacked
  model (smaller widths zero-padded; identical to refitting each width up to float rounding).
- ``cnn-epochs`` / ``cnn-channels``: the same for a small CNN on 8×8 images (``sklearn:digits``;
  other data is refused with a ConfigError). Capacity ``channels`` = first conv layer's channels.

All train with Adam on label cross-entropy, seeded (``seed``), deterministic, ``n_jobs`` torch
threads (default 1), on CUDA when available else CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import clone

from kdviz.errors import ConfigError
from kdviz.neural.batch import label_ce_loss, torch_context, torch_device, train_stack
from kdviz.neural.models import NET_LIMITS, Arch, StackedNet, resolve_image_shape
from kdviz.teachers import TeacherPath, TeacherSpec, register_teacher


def _positive_int(family: str, name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ConfigError(f"{family}: {name} must be a positive integer, got {v!r}.")


class _Refit:
    """``mode="refit"``: one independent training per capacity (the benchmark/test baseline)."""

    def __init__(self, teacher: TorchTeacher, capacity: int):
        self.inner = clone(teacher).set_params(grid=[capacity], mode="path")

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Refit:
        self.inner.fit(X, y)
        self.classes_ = self.inner.classes_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.inner.predict_proba_path(X)[0][:, self.classes_]


class TorchTeacher(TeacherPath):
    """Base of the torch families: network ``net_kind`` whose capacity is ``capacity_kind``."""

    net_kind: ClassVar[str] = "mlp"
    capacity_kind: ClassVar[str] = "epochs"  # or "size"

    def __init__(self, grid: Sequence[int] = (1, 2, 5, 10, 20, 50), seed: int = 0, mode: str = "path",
                 n_jobs: int = 1, epochs: int = 50, width: int = 256, depth: int = 1, channels: int = 16,
                 lr: float = 1e-3, batch_size: int = 64, weight_decay: float = 0.0,
                 image_shape: tuple[int, int] | None = None) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs
        self.epochs = epochs
        self.width = width
        self.depth = depth
        self.channels = channels
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.image_shape = image_shape

    def _check_options(self) -> None:
        for name in ("epochs", "width", "depth", "channels", "batch_size"):
            _positive_int(self.family, name, getattr(self, name))
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) or not (0 < lr <= 10):
            raise ConfigError(f"{self.family}: lr must be a number in (0, 10], got {lr!r}.")
        if not (isinstance(self.weight_decay, (int, float, np.number)) and self.weight_decay >= 0):
            raise ConfigError(f"{self.family}: weight_decay must be ≥ 0, got {self.weight_decay!r}.")

    def _make_model(self, capacity: int) -> _Refit:
        return _Refit(self, capacity)

    def _arch(self, d: int, k: int) -> Arch:
        shape = resolve_image_shape(d, self.image_shape) if self.net_kind == "cnn" else None
        return Arch(self.net_kind, d, k, depth=int(self.depth), image_shape=shape)

    def fit(self, X: Any, y: Any, n_classes: int | None = None) -> TorchTeacher:
        if self.net_kind == "cnn":  # refuse non-image data before any work
            resolve_image_shape(np.asarray(X).shape[1] if np.ndim(X) == 2 else -1, self.image_shape)
        return super().fit(X, y, n_classes)

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        c = self.classes_.size
        y_enc = np.searchsorted(self.classes_, y)
        Y = np.zeros((len(y), c), dtype=np.float32)
        Y[np.arange(len(y)), y_enc] = 1.0
        self.device_ = torch_device()
        arch = self._arch(X.shape[1], c)
        if self.capacity_kind == "epochs":
            sizes, epochs, record = [self.width if self.net_kind == "mlp" else self.channels], max(self.grid_), self.grid_
        else:
            sizes, epochs, record = list(self.grid_), int(self.epochs), (int(self.epochs),)
        with torch_context(self.n_jobs):
            net = StackedNet(arch, sizes, [self.seed] * len(sizes), self.device_)
            Xt = torch.as_tensor(X, dtype=torch.float32, device=self.device_)
            Yt = torch.as_tensor(Y, device=self.device_)
            snaps = train_stack(net, Xt, label_ce_loss(Yt), [self.seed + 1] * len(sizes), epochs=epochs,
                                batch_size=int(self.batch_size), lr=float(self.lr),
                                weight_decay=float(self.weight_decay), record=record)
        self.net_ = net
        self.snapshots_ = [snaps[int(e)] for e in self.grid_] if self.capacity_kind == "epochs" else snaps[int(self.epochs)]

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        Xt = torch.as_tensor(X, dtype=torch.float32, device=self.device_)
        with torch_context(self.n_jobs):
            if self.capacity_kind == "epochs":  # one member, one snapshot per grid point
                logits = torch.cat([self.net_.predict(Xt, params) for params in self.snapshots_])
            else:  # one member per grid point
                logits = self.net_.predict(Xt, self.snapshots_)
            proba = torch.softmax(logits.double(), dim=-1)
        return proba.cpu().numpy()


class MLPEpochsTeacher(TorchTeacher):
    family: ClassVar[str] = "mlp-epochs"
    net_kind: ClassVar[str] = "mlp"
    capacity_kind: ClassVar[str] = "epochs"


class MLPWidthTeacher(TorchTeacher):
    family: ClassVar[str] = "mlp-width"
    net_kind: ClassVar[str] = "mlp"
    capacity_kind: ClassVar[str] = "size"


class CNNEpochsTeacher(TorchTeacher):
    family: ClassVar[str] = "cnn-epochs"
    net_kind: ClassVar[str] = "cnn"
    capacity_kind: ClassVar[str] = "epochs"


class CNNChannelsTeacher(TorchTeacher):
    family: ClassVar[str] = "cnn-channels"
    net_kind: ClassVar[str] = "cnn"
    capacity_kind: ClassVar[str] = "size"


_COMMON = {"lr": 1e-3, "batch_size": 64, "weight_decay": 0.0}


def _factory(cls: type[TorchTeacher], defaults: dict[str, Any]):
    def factory(**kwargs: Any) -> TorchTeacher:
        return cls(**{**defaults, **kwargs})

    return factory


def register() -> None:
    """Register the four torch teacher families (idempotent)."""
    specs = [
        (MLPEpochsTeacher, "epochs", (1, 2, 5, 10, 20, 50, 100), 1, 2000,
         "MLP (torch); capacity = training epochs (weights recorded at every epoch of one run).",
         "Teacher capacity: training epochs (count)", {"width": 256, "depth": 1, **_COMMON}),
        (MLPWidthTeacher, "width", (2, 4, 8, 16, 64, 256), 1, 4096,
         "MLP (torch); capacity = hidden width (all widths trained together in one stacked model).",
         "Teacher capacity: hidden width (units)", {"epochs": 50, "depth": 1, **_COMMON}),
        (CNNEpochsTeacher, "epochs", (1, 2, 5, 10, 20, 50), 1, 2000,
         "small CNN for 8×8 digit images (torch; sklearn:digits); capacity = training epochs.",
         "Teacher capacity: training epochs (count)", {"channels": 16, "image_shape": None, **_COMMON}),
        (CNNChannelsTeacher, "channels", (1, 2, 4, 8, 16, 32), 1, 256,
         "small CNN for 8×8 digit images (torch; sklearn:digits); capacity = conv channels.",
         "Teacher capacity: conv channels (count)", {"epochs": 30, "image_shape": None, **_COMMON}),
    ]
    for cls, cap, grid, lo, hi, desc, title, options in specs:
        register_teacher(TeacherSpec(name=cls.family, capacity_name=cap, default_grid=grid, min_capacity=lo,
                                     max_capacity=hi, description=desc, options=options, capacity_title=title,
                                     needs_torch=True, option_limits=NET_LIMITS),
                         _factory(cls, options))
