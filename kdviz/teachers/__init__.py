"""Teacher families with capacity paths.

A *capacity sweep* asks for the teacher's class probabilities at every capacity of a grid
(tree depth, number of trees, k, boosting stages, ...). Most of those fits are redundant: one
fit at the largest capacity contains every smaller one. Each family here therefore has two modes:

``mode="path"`` (the fast one)
    ONE fit for the whole grid, then every capacity is read off it:

    - ``rf-depth``: one forest grown to ``max(grid)``; for depth ``d`` every tree is truncated at
      depth ``d`` (internal nodes store the class distribution of the bootstrap sample reaching
      them, which is exactly the leaf value a depth-``d`` tree grown by the same greedy rule holds).
      Statistically equal to refitting with ``max_depth=d``, not bit-identical (the tree builder
      draws its random numbers in a different order once the tree goes deeper); identical at
      ``d = max(grid)`` and at ``d = 1`` (the root split is drawn first in both cases).
    - ``rf-trees``: the first ``m`` trees of the largest forest are an ``m``-tree forest;
      identical to refitting (sklearn draws the per-tree seeds sequentially).
    - ``knn-k``: one neighbour query with ``k_max``; the first ``k`` neighbours give every ``k``;
      identical to refitting when there are no distance ties.
    - ``gb-stages``: staged predictions of one boosted model; identical to refitting.

``mode="refit"``
    One independent scikit-learn model per capacity: the baseline for benchmarks and tests.

Every family follows the scikit-learn estimator contract (``__init__`` only stores
hyperparameters, ``fit`` validates and learns ``*_`` attributes and returns ``self``,
``get_params``/``set_params``/``clone`` work) with the kdviz signatures::

    teacher = make_teacher("rf-depth", grid=[1, 2, 5, 20], seed=0, n_estimators=100)
    teacher.fit(X, y, n_classes)             # y: int labels in 0..n_classes-1
    P = teacher.predict_proba_path(X_eval)   # (len(grid_), m, n_classes), rows sum to 1

A training fold may lack some classes; the outputs still have ``n_classes`` columns, with 0 for
the absent ones. Nothing is clipped here (``kdviz.kd.distill`` clips). Torch families add
themselves with :func:`register_teacher` (`kdviz.neural`, loaded by `kdviz.plugins`).

Modules: ``base`` (:class:`TeacherSpec`, the registry, :class:`TeacherPath`), ``forests``
(``rf-depth``, ``rf-trees``), ``neighbors`` (``knn-k``), ``boosting`` (``gb-stages``). Importing
this package registers the four scikit-learn families.
"""

from __future__ import annotations

from kdviz.teachers.base import (
    CAPACITY_TITLES,
    MODES,
    TEACHERS,
    TeacherFactory,
    TeacherPath,
    TeacherSpec,
    make_teacher,
    register_teacher,
    unregister_teacher,
    validate_grid,
)

# The families register on import, in the order the dashboard lists them.
# isort: off
from kdviz.teachers.forests import RFDepthTeacher, RFTreesTeacher, node_proba, truncation_tables
from kdviz.teachers.neighbors import KNNTeacher
from kdviz.teachers.boosting import GBStagesTeacher

# isort: on

__all__ = [
    "CAPACITY_TITLES",
    "MODES",
    "TEACHERS",
    "GBStagesTeacher",
    "KNNTeacher",
    "RFDepthTeacher",
    "RFTreesTeacher",
    "TeacherFactory",
    "TeacherPath",
    "TeacherSpec",
    "make_teacher",
    "node_proba",
    "register_teacher",
    "truncation_tables",
    "unregister_teacher",
    "validate_grid",
]
