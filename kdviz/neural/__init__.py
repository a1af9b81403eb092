"""Neural (PyTorch) teachers and students for kdviz; importing this package registers them.

Teacher families (``kdviz.teachers``): ``mlp-epochs``, ``mlp-width``, ``cnn-epochs``, ``cnn-channels``.
Students (``kdviz.kd.students``): ``torch-linear``, ``mlp``, ``cnn`` — Hinton KD with temperature and
its loss correction (THEORY §3), or the squared-loss p / logit variants (student option ``loss``).
Many students train at once in one stacked model: :func:`kdviz.neural.batch.fit_students_batched`.

Importing raises ImportError when torch is missing (`kdviz.plugins` treats that as "no torch").
"""

from __future__ import annotations

import torch  # noqa: F401  (ImportError here means: torch not installed)

from kdviz.kd.students import register_student
from kdviz.neural import students as _students
from kdviz.neural import teachers as _teachers
from kdviz.neural.models import NET_LIMITS

_C = _students.COMMON_OPTIONS
_EPOCHS = (5, 10, 20, 40)


def register() -> None:
    """Register the torch teacher families and students (idempotent)."""
    _teachers.register()
    register_student("torch-linear", _students.make_factory("linear"),
                     "linear softmax model (torch) trained by Hinton KD / squared KD loss", {**_C, "lr": 1e-2},
                     capacity_option="epochs", capacity_grids={"epochs": _EPOCHS}, needs_torch=True,
                     option_limits=NET_LIMITS)
    register_student("mlp", _students.make_factory("mlp"),
                     "one-hidden-layer MLP (torch) trained by Hinton KD with temperature (or squared KD loss)",
                     {**_C, "width": 64, "depth": 1}, capacity_option="width",
                     capacity_grids={"width": (4, 8, 16, 32, 64, 128), "epochs": _EPOCHS, "depth": (1, 2, 3)}, needs_torch=True, option_limits=NET_LIMITS)
    register_student("cnn", _students.make_factory("cnn"),
                     "small CNN for 8×8 digit images (torch; sklearn:digits) trained by Hinton KD",
                     {**_C, "epochs": 20, "lr": 2e-3, "channels": 8, "image_shape": None},
                     capacity_option="channels", capacity_grids={"channels": (2, 4, 8, 16), "epochs": _EPOCHS}, needs_torch=True,
                     option_limits=NET_LIMITS)


register()
