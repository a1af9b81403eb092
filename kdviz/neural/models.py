"""Small networks stored as *stacks*: B independent networks of one architecture in one model.

Every parameter has a leading member axis B; the forward pass maps ``(B, n, d)`` inputs to
``(B, n, k)`` logits with batched matrix products (``torch.baddbmm``) and grouped convolutions
(``groups=B``). Member b is initialised from its own seed, so a member trained inside a stack of
B networks is the same network as the one trained alone (B = 1) — up to floating-point
summation order.

Members may differ in size (the ``mlp-width`` / ``cnn-channels`` capacity paths): a smaller member is
zero-padded to the largest one. Padded units have zero weights in and out, so their activations,
their gradients and (with Adam) their updates stay exactly zero: the padded member computes what
the small network computes.

Architectures (``Arch.kind``):
- ``linear``: one affine layer d → k;
- ``mlp``: ``depth`` hidden ReLU layers of ``width`` units;
- ``cnn`` (images, ``image_shape`` (H, W), one input channel): conv3×3(c) → ReLU → maxpool2 →
  conv3×3(2c) → ReLU → maxpool2 → linear → k. For 8×8 digits: 8×8 → 4×4 → 2×2.

Initialisation follows torch's default for ``nn.Linear``/``nn.Conv2d``: U(±1/√fan_in) for weights and
biases, drawn from a per-member ``torch.Generator`` on the CPU (identical on every device).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kdviz.errors import ConfigError

KINDS = ("linear", "mlp", "cnn")
#: bounds of the numeric options of the torch teachers and students
NET_LIMITS: dict[str, tuple[float, float]] = {
    "epochs": (1, 2000), "width": (1, 4096), "depth": (1, 8), "channels": (1, 256), "batch_size": (1, 65_536),
    "lr": (1e-7, 10.0), "weight_decay": (0.0, 10.0),
}


@dataclass(frozen=True)
class Arch:
    kind: str
    d: int  # input features
    k: int  # outputs
    depth: int = 1  # hidden layers (mlp)
    image_shape: tuple[int, int] | None = None  # (H, W) (cnn)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown network kind {self.kind!r}; choose from {', '.join(KINDS)}")
        if self.kind == "cnn":
            if self.image_shape is None:
                raise ConfigError("a cnn needs image data (image_shape); use dataset sklearn:digits (8×8 images)")
            h, w = self.image_shape
            if h * w != self.d:
                raise ConfigError(f"image_shape {h}×{w} does not match the {self.d} features of the data")


def resolve_image_shape(d: int, image_shape: Sequence[int] | None) -> tuple[int, int]:
    """The (H, W) of image data with d pixels: explicit, or 8×8 digits inferred from d = 64.

    Datasets without an image shape are refused: the CNN families need ``sklearn:digits``.
    """
    if image_shape is not None:
        if len(image_shape) != 2 or int(image_shape[0]) * int(image_shape[1]) != d:
            raise ConfigError(f"image_shape {tuple(image_shape)} does not match the data's {d} features")
        return int(image_shape[0]), int(image_shape[1])
    if d == 64:
        return (8, 8)
    raise ConfigError(f"the cnn teachers and students need 8×8 image data: use dataset sklearn:digits "
                      f"(this dataset has {d} features and no image shape), or an mlp teacher/student")


def _uniform(gen: torch.Generator, shape: tuple[int, ...], fan_in: int) -> torch.Tensor:
    bound = 1.0 / math.sqrt(fan_in)
    return (torch.rand(shape, generator=gen, dtype=torch.float32) * 2 - 1) * bound


def _pad(t: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    out = torch.zeros(shape, dtype=t.dtype)
    out[tuple(slice(0, s) for s in t.shape)] = t
    return out


class StackedNet:
    """B networks of one architecture with stacked parameters.

    Args:
        arch: the architecture.
        sizes: per-member hidden width (mlp) or first-layer channels (cnn); ignored for linear.
        seeds: per-member initialisation seeds.
        device: torch device of the parameters.
    """

    def __init__(self, arch: Arch, sizes: Sequence[int], seeds: Sequence[int], device: torch.device | str = "cpu"):
        if len(sizes) != len(seeds):
            raise ValueError("sizes and seeds must have one entry per member")
        self.arch = arch
        self.sizes = [int(s) for s in sizes]
        self.B = len(seeds)
        members = [self._init_member(s, int(seed)) for s, seed in zip(self.sizes, seeds)]
        shapes = [max(m[i].shape[j] for m in members) for i in range(len(members[0]))
                  for j in range(members[0][i].dim())]
        self.params: list[torch.Tensor] = []
        pos = 0
        for i in range(len(members[0])):
            nd = members[0][i].dim()
            shape = tuple(shapes[pos:pos + nd])
            pos += nd
            stacked = torch.stack([_pad(m[i], shape) for m in members])
            self.params.append(stacked.to(device).requires_grad_(True))

    # ------------------------------------------------------------------------------------------
    def _init_member(self, size: int, seed: int) -> list[torch.Tensor]:
        a = self.arch
        gen = torch.Generator().manual_seed(seed)
        out: list[torch.Tensor] = []
        if a.kind == "cnn":
            c1, c2 = size, 2 * size
            h, w = a.image_shape  # type: ignore[misc]
            feat = c2 * (h // 4) * (w // 4)
            for shape, fan_in in (((c1, 1, 3, 3), 9), ((c2, c1, 3, 3), 9 * c1)):
                out += [_uniform(gen, shape, fan_in), _uniform(gen, shape[:1], fan_in)]
            out += [_uniform(gen, (feat, a.k), feat), _uniform(gen, (a.k,), feat)]
            return out
        dims = [a.d] + ([size] * a.depth if a.kind == "mlp" else []) + [a.k]
        for i, o in zip(dims[:-1], dims[1:]):
            out += [_uniform(gen, (i, o), i), _uniform(gen, (o,), i)]
        return out

    # ------------------------------------------------------------------------------------------
    def forward(self, X: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits ``(B, n, k)`` for inputs ``(B, n, d)`` (member b sees X[b])."""
        p = self.params if params is None else params
        if self.arch.kind == "cnn":
            return self._forward_cnn(X, p)
        h = X
        n_layers = len(p) // 2
        for i in range(n_layers):
            h = torch.baddbmm(p[2 * i + 1].unsqueeze(1), h, p[2 * i])
            if i < n_layers - 1:
                h = torch.relu(h)
        return h

    def _forward_cnn(self, X: torch.Tensor, p: list[torch.Tensor]) -> torch.Tensor:
        B, n, _ = X.shape
        H, W = self.arch.image_shape  # type: ignore[misc]
        w1, b1, w2, b2, wf, bf = p
        cl = torch.channels_last  # grouped convolutions run ≈1.8× faster on the CPU in this layout
        h = X.transpose(0, 1).reshape(n, B, H, W).contiguous(memory_format=cl)  # member b = input channel b
        h = F.conv2d(h, w1.reshape(-1, *w1.shape[2:]), b1.reshape(-1), padding=1, groups=B)
        h = torch.relu(F.max_pool2d(h, 2))  # = maxpool(relu(h)) (relu is monotone), on 4× fewer values
        h = F.conv2d(h, w2.reshape(-1, *w2.shape[2:]).contiguous(memory_format=cl), b2.reshape(-1), padding=1,
                     groups=B)
        h = torch.relu(F.max_pool2d(h, 2))  # (n, B*c2, H/4, W/4)
        h = h.reshape(n, B, -1).transpose(0, 1)  # (B, n, c2*H/4*W/4), channel-major per member
        return torch.baddbmm(bf.unsqueeze(1), h, wf)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return self.forward(X)

    def snapshot(self) -> list[torch.Tensor]:
        return [t.detach().clone() for t in self.params]

    @torch.no_grad()
    def predict(self, X: torch.Tensor, params: list[torch.Tensor] | None = None, chunk: int = 4096) -> torch.Tensor:
        """Logits ``(B, m, k)`` of every member on the same inputs ``(m, d)``."""
        outs = []
        for start in range(0, X.shape[0], chunk):
            xb = X[start:start + chunk]
            outs.append(self.forward(xb.unsqueeze(0).expand(self.B, -1, -1), params))
        return torch.cat(outs, dim=1)
