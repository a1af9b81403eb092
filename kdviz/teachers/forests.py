"""Random-forest teacher families: ``rf-depth`` (capacity = max tree depth, one deep forest
truncated per depth) and ``rf-trees`` (capacity = number of trees, the first m trees of one forest)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from kdviz.teachers.base import TREE_LIMITS, TeacherPath, TeacherSpec, _check_int_option, register_teacher

# ---------------------------------------------------------------------------------------------
# random forest, capacity = max_depth


def _tree_levels(
    children_left: np.ndarray, children_right: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Parent of every node and the node ids at each depth (level 0 = root)."""
    n_nodes = children_left.shape[0]
    parent = np.full(n_nodes, -1, dtype=np.intp)
    internal = np.flatnonzero(children_left >= 0)
    parent[children_left[internal]] = internal
    parent[children_right[internal]] = internal
    levels = [np.array([0], dtype=np.intp)]
    while True:
        frontier = levels[-1]
        frontier = frontier[children_left[frontier] >= 0]
        if frontier.size == 0:
            break
        levels.append(np.concatenate([children_left[frontier], children_right[frontier]]).astype(np.intp))
    return parent, levels


def truncation_tables(tree: Any, depths: Sequence[int]) -> np.ndarray:
    """For each depth ``d``, map every node to its ancestor at depth ``min(d, depth(node))``.

    Returns an ``(len(depths), n_nodes)`` int array: a sample that reaches leaf ``l`` of the full
    tree sits in node ``table[j, l]`` of the tree truncated at ``depths[j]``.
    """
    t = tree.tree_
    parent, levels = _tree_levels(t.children_left, t.children_right)
    table = np.empty((len(depths), t.node_count), dtype=np.intp)
    for j, d in enumerate(depths):
        anc = np.arange(t.node_count, dtype=np.intp)
        for level in levels[d + 1 :]:
            anc[level] = anc[parent[level]]
        table[j] = anc
    return table


def node_proba(tree: Any) -> np.ndarray:
    """Class distribution of every node, ``(n_nodes, n_classes)``, rows normalised to sum to 1.

    ``tree_.value`` holds weighted class fractions since sklearn 1.4 (counts before); normalising
    covers both and is what ``DecisionTreeClassifier.predict_proba`` does at the leaves.
    """
    value = np.asarray(tree.tree_.value[:, 0, :], dtype=np.float64)
    normalizer = value.sum(axis=1)
    normalizer[normalizer == 0.0] = 1.0
    return value / normalizer[:, np.newaxis]


class RFDepthTeacher(TeacherPath):
    """Random forest whose capacity is ``max_depth``; the path truncates one deep forest.

    Fitted attributes (path mode): ``forest_`` (the forest grown to ``max(grid_)``),
    ``tables_`` (per tree, node → truncated node for each depth) and ``node_proba_``.
    """

    family: ClassVar[str] = "rf-depth"

    def __init__(
        self,
        grid: Sequence[int] = (1, 2, 3, 5, 10, 15, 20),
        seed: int = 0,
        mode: str = "path",
        n_jobs: int = 1,
        n_estimators: int = 100,
    ) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs
        self.n_estimators = n_estimators

    def _check_options(self) -> None:
        _check_int_option(self.family, "n_estimators", self.n_estimators, 1)

    def _make_model(self, capacity: int) -> RandomForestClassifier:
        return RandomForestClassifier(
            n_estimators=self.n_estimators, max_depth=capacity, random_state=self.seed, n_jobs=self.n_jobs
        )

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        self.forest_ = self._make_model(max(self.grid_)).fit(X, y)
        self.tables_ = [truncation_tables(est, self.grid_) for est in self.forest_.estimators_]
        self.node_proba_ = [node_proba(est) for est in self.forest_.estimators_]

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        leaves = self.forest_.apply(X)  # (m, n_trees): one traversal per tree for the whole grid
        n_trees = leaves.shape[1]
        out = np.zeros((len(self.grid_), X.shape[0], self.classes_.size), dtype=np.float64)
        for t in range(n_trees):
            nodes = self.tables_[t][:, leaves[:, t]]  # (n_grid, m): node of each sample per depth
            out += self.node_proba_[t][nodes]
        out /= n_trees
        return out


# ---------------------------------------------------------------------------------------------
# random forest, capacity = n_estimators


class RFTreesTeacher(TeacherPath):
    """Random forest whose capacity is the number of trees; the path averages the first m trees.

    Fitted attributes (path mode): ``forest_`` with ``max(grid_)`` trees.
    """

    family: ClassVar[str] = "rf-trees"

    def __init__(
        self,
        grid: Sequence[int] = (1, 2, 5, 10, 20, 50, 100),
        seed: int = 0,
        mode: str = "path",
        n_jobs: int = 1,
        max_depth: int | None = None,
    ) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs
        self.max_depth = max_depth

    def _check_options(self) -> None:
        _check_int_option(self.family, "max_depth", self.max_depth, 1, allow_none=True)

    def _make_model(self, capacity: int) -> RandomForestClassifier:
        return RandomForestClassifier(
            n_estimators=capacity, max_depth=self.max_depth, random_state=self.seed, n_jobs=self.n_jobs
        )

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        self.forest_ = self._make_model(max(self.grid_)).fit(X, y)

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        leaves = self.forest_.apply(X)
        out = np.empty((len(self.grid_), X.shape[0], self.classes_.size), dtype=np.float64)
        running = np.zeros((X.shape[0], self.classes_.size), dtype=np.float64)
        g = 0
        for t, est in enumerate(self.forest_.estimators_, start=1):
            running += node_proba(est)[leaves[:, t - 1]]  # same order as forest.predict_proba
            if t == self.grid_[g]:
                out[g] = running / t
                g += 1
                if g == len(self.grid_):
                    break
        return out


register_teacher(
    TeacherSpec(
        name="rf-depth",
        capacity_name="max_depth",
        default_grid=(1, 2, 3, 5, 10, 15, 20),
        min_capacity=1,
        max_capacity=64,
        description="Random forest; capacity = maximum tree depth (one deep forest, truncated per depth).",
        options={"n_estimators": 100},
        capacity_title="Teacher capacity: max tree depth (levels)",
        tree_option="n_estimators",
        option_limits=TREE_LIMITS,
        playground_steps=(1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20),
        playground_options={"n_estimators": 40},
    ),
    RFDepthTeacher,
)
register_teacher(
    TeacherSpec(
        name="rf-trees",
        capacity_name="n_estimators",
        default_grid=(1, 2, 5, 10, 20, 50, 100),
        min_capacity=1,
        max_capacity=2000,
        description="Random forest; capacity = number of trees (the first m trees of one forest).",
        options={"max_depth": None},
        capacity_title="Teacher capacity: number of trees",
        option_limits=TREE_LIMITS,
        playground_steps=(1, 2, 3, 5, 10, 20, 50),
        playground_options={"max_depth": None},
    ),
    RFTreesTeacher,
)
