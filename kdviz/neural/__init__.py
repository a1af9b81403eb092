"""Neural (PyTorch) teachers and students for kdviz; importing this package registers them.

Teacher families (``kdviz.teachers``): ``mlp-epochs``, ``mlp-width``, ``cnn-epochs``, ``cnn-channels``.
Students (``kdviz.students``): ``torch-linear``, ``mlp``, ``cnn`` — Hinton KD with temperature and
its loss correction (THEORY §3), or the squared-loss p / logit variants (student option ``loss``).
Many students train at once in one stacked model: :func:`kdviz.neural.batch.fit_students_batched`.

Importing raises ImportError when torch is missing (`kdviz.plugins` treats that as "no torch").
"""

from __future__ import annotations

import torch  # noqa: F401  (ImportError here means: torch not installed)

from kdviz.neural import students as _students
from kdviz.neural import teachers as _teachers
from kdviz.students import register_student

_DESCRIPTIONS = {
    "torch-linear": "linear softmax model (torch) trained by Hinton KD / squared KD loss",
    "mlp": "one-hidden-layer MLP (torch) trained by Hinton KD with temperature (or squared KD loss)",
    "cnn": "small CNN for 8×8 digit images (torch; sklearn:digits) trained by Hinton KD",
}
#: the option a student-capacity sweep varies by default
_CAPACITY_OPTIONS = {"torch-linear": "epochs", "mlp": "width", "cnn": "channels"}


def register() -> None:
    """Register the torch teacher families and students (idempotent)."""
    _teachers.register()
    for name, options in _students.STUDENT_OPTIONS.items():
        register_student(name, _students.make_factory(name), _DESCRIPTIONS[name], options,
                         capacity_option=_CAPACITY_OPTIONS[name], needs_torch=True)


register()
