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
the absent ones. Nothing is clipped here (``kdviz.distill`` clips). Torch families add
themselves with :func:`register_teacher`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier

from kdviz.errors import ConfigError

__all__ = [
    "TEACHERS",
    "GBStagesTeacher",
    "KNNTeacher",
    "RFDepthTeacher",
    "RFTreesTeacher",
    "TeacherPath",
    "TeacherSpec",
    "make_teacher",
    "load_plugins",
    "register_teacher",
    "validate_grid",
]

MODES = ("path", "refit")


@dataclass(frozen=True)
class TeacherSpec:
    """Description of a teacher family, used by the config validator and the dashboard.

    Attributes:
        name: registry key, e.g. ``"rf-depth"``.
        capacity_name: what the capacity grid varies, e.g. ``"max_depth"``.
        default_grid: a sensible grid for the dashboard.
        min_capacity, max_capacity: inclusive bounds of a valid capacity.
        description: one sentence for the user.
        options: the family's extra hyperparameters and their defaults.
    """

    name: str
    capacity_name: str
    default_grid: tuple[int, ...]
    min_capacity: int
    max_capacity: int
    description: str
    options: dict[str, Any] = field(default_factory=dict)


TeacherFactory = Callable[..., "TeacherPath"]

TEACHERS: dict[str, TeacherSpec] = {}
_FACTORIES: dict[str, TeacherFactory] = {}


def register_teacher(spec: TeacherSpec, factory: TeacherFactory) -> None:
    """Register a teacher family.

    ``factory(grid=..., seed=..., mode=..., n_jobs=..., **options)`` must return an unfitted
    teacher with ``fit(X, y, n_classes)`` and ``predict_proba_path(X)``. Registering a name twice
    replaces the earlier entry (so a module reload does not fail).
    """
    if not spec.name:
        raise ConfigError("A teacher family needs a non-empty name.")
    if spec.min_capacity > spec.max_capacity:
        raise ConfigError(
            f"Teacher family {spec.name!r}: min_capacity {spec.min_capacity} exceeds "
            f"max_capacity {spec.max_capacity}."
        )
    TEACHERS[spec.name] = spec
    _FACTORIES[spec.name] = factory


def load_plugins() -> None:
    """Register the optional torch families (`kdviz.neural`) if torch is installed."""
    try:
        import kdviz.neural  # noqa: F401
    except ImportError:
        pass


def validate_grid(spec: TeacherSpec, grid: Sequence[int] | Any) -> tuple[int, ...]:
    """Check a capacity grid against a family's bounds; return it sorted and deduplicated.

    Raises:
        ConfigError: empty grid, a non-integer entry or one outside ``[min, max]``.
    """
    bounds = f"{spec.name} capacities must be integers between {spec.min_capacity} and {spec.max_capacity}"
    if isinstance(grid, (str, bytes)) or not isinstance(grid, (Sequence, np.ndarray)):
        raise ConfigError(f"{bounds}; give a list such as {list(spec.default_grid)}, got {grid!r}.")
    if len(grid) == 0:
        raise ConfigError(f"{bounds}; the capacity grid is empty, give at least one value.")
    values: list[int] = []
    for c in grid:
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)):
            # Accept floats that are whole numbers (e.g. from JSON); reject everything else.
            if isinstance(c, (float, np.floating)) and float(c).is_integer():
                c = int(c)
            else:
                raise ConfigError(f"{bounds}, got {c!r}.")
        c = int(c)
        if not spec.min_capacity <= c <= spec.max_capacity:
            raise ConfigError(f"{bounds}, got {c}.")
        values.append(c)
    return tuple(sorted(set(values)))


def make_teacher(
    name: str,
    grid: Sequence[int] | None = None,
    seed: int = 0,
    mode: str = "path",
    n_jobs: int = 1,
    **options: Any,
) -> TeacherPath:
    """Build an unfitted teacher family for a capacity grid.

    Args:
        name: a key of :data:`TEACHERS` (``rf-depth``, ``rf-trees``, ``knn-k``, ``gb-stages``, ...).
        grid: capacities; ``None`` uses the family's default grid.
        seed: random seed; same seed and data give identical probabilities.
        mode: ``"path"`` (one fit for the whole grid) or ``"refit"`` (one model per capacity).
        n_jobs: threads for the underlying model (default 1: sweeps parallelise across tasks).
        **options: family options (see ``TEACHERS[name].options``).

    Raises:
        ConfigError: unknown family, unknown option, bad grid, mode or option value.
    """
    if name not in TEACHERS:
        load_plugins()
    if name not in TEACHERS:
        known = ", ".join(sorted(TEACHERS)) or "(none registered)"
        raise ConfigError(f"Unknown teacher family {name!r}; choose one of: {known}.")
    spec = TEACHERS[name]
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        allowed = ", ".join(sorted(spec.options)) or "none"
        raise ConfigError(
            f"Unknown option(s) {', '.join(unknown)} for teacher {name!r}; allowed options: {allowed}."
        )
    if grid is None:
        grid = spec.default_grid
    validate_grid(spec, grid)
    _check_common(name, mode, n_jobs, seed)
    teacher = _FACTORIES[name](grid=list(grid), seed=seed, mode=mode, n_jobs=n_jobs, **options)
    check = getattr(teacher, "_check_options", None)
    if callable(check):
        check()
    return teacher


def _check_common(name: str, mode: Any, n_jobs: Any, seed: Any) -> None:
    if mode not in MODES:
        raise ConfigError(f"{name}: mode must be 'path' or 'refit', got {mode!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"{name}: n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"{name}: seed must be a non-negative integer, got {seed!r}.")


def _check_int_option(family: str, option: str, value: Any, low: int, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        extra = " or None" if allow_none else ""
        raise ConfigError(f"{family}: {option} must be an integer ≥ {low}{extra}, got {value!r}.")


class TeacherPath(ClassifierMixin, BaseEstimator):
    """Base class: a teacher family evaluated on a whole capacity grid.

    Subclasses set :attr:`family` and implement ``_make_model(capacity)`` (the refit baseline),
    ``_fit_path(X, y)`` and ``_predict_path(X)`` (returning ``(len(grid_), m, c)`` probabilities
    over the classes present in the training labels, ``classes_``).

    Fitted attributes:
        grid_: sorted, deduplicated capacities (the first axis of ``predict_proba_path``).
        n_classes_: number of output columns.
        classes_: labels present in the training data (a subset of ``0..n_classes_-1``).
        n_features_in_: number of features seen in ``fit``.
        models_: ``mode="refit"`` only, one fitted sklearn model per capacity.
    """

    family: ClassVar[str] = ""

    # -- subclass hooks -------------------------------------------------------------------
    def _check_options(self) -> None:
        """Validate family options (raise ConfigError)."""

    def _make_model(self, capacity: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_path(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- public API -----------------------------------------------------------------------
    @property
    def spec(self) -> TeacherSpec:
        """The family's :class:`TeacherSpec`."""
        return TEACHERS[self.family]

    def fit(self, X: Any, y: Any, n_classes: int | None = None) -> TeacherPath:
        """Fit the family on ``(X, y)`` for every capacity of ``grid``.

        Args:
            X: features, shape ``(n, d)``, finite.
            y: integer labels in ``0..n_classes-1``; some classes may be absent.
            n_classes: number of output columns (default ``max(y) + 1``).
        """
        spec = self.spec
        grid = validate_grid(spec, self.grid)
        _check_common(spec.name, self.mode, self.n_jobs, self.seed)
        self._check_options()
        X, y, n_classes = _check_fit_inputs(spec.name, X, y, n_classes)
        self.grid_ = grid
        self.n_classes_ = n_classes
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.unique(y)
        self.n_train_ = X.shape[0]
        self.models_: list[Any] | None = None
        if self.classes_.size == 1:
            # A single-class fold: every model would predict that class with probability 1
            # (GradientBoostingClassifier even refuses to fit). No model is needed.
            return self
        if self.mode == "refit":
            self.models_ = [self._make_model(c).fit(X, y) for c in self.grid_]
        else:
            self._fit_path(X, y)
        return self

    def predict_proba_path(self, X: Any) -> np.ndarray:
        """Class probabilities for every capacity: shape ``(len(grid_), m, n_classes_)``."""
        if not hasattr(self, "grid_"):
            raise ConfigError(
                f"This {self.spec.name} teacher is not fitted yet; call fit(X, y, n_classes) first."
            )
        X = _check_X(self.spec.name, X, self.n_features_in_)
        m = X.shape[0]
        out = np.zeros((len(self.grid_), m, self.n_classes_), dtype=np.float64)
        cols = self.classes_.astype(np.intp)
        if self.classes_.size == 1:
            out[:, :, cols[0]] = 1.0
            return out
        if self.models_ is not None:
            for g, model in enumerate(self.models_):
                out[g][:, np.asarray(model.classes_, dtype=np.intp)] = model.predict_proba(X)
        else:
            out[:, :, cols] = self._predict_path(X)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities at the largest capacity of the grid, shape ``(m, n_classes_)``."""
        return self.predict_proba_path(X)[-1]

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class at the largest capacity."""
        return np.argmax(self.predict_proba(X), axis=1)


# ---------------------------------------------------------------------------------------------
# input validation


def _check_X(family: str, X: Any, n_features: int | None = None) -> np.ndarray:
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{family}: X must be a numeric array ({exc}).") from None
    if X.ndim != 2:
        raise ConfigError(f"{family}: X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if X.shape[0] == 0:
        raise ConfigError(f"{family}: X has no rows.")
    if not np.isfinite(X).all():
        raise ConfigError(f"{family}: X contains NaN or infinite values; impute or drop them first.")
    if n_features is not None and X.shape[1] != n_features:
        raise ConfigError(
            f"{family}: X has {X.shape[1]} features but the teacher was fitted with {n_features}."
        )
    return X


def _check_fit_inputs(
    family: str, X: Any, y: Any, n_classes: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    X = _check_X(family, X)
    y_arr = np.asarray(y)
    if y_arr.ndim != 1 or y_arr.shape[0] != X.shape[0]:
        raise ConfigError(
            f"{family}: y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y_arr.shape}."
        )
    if y_arr.dtype.kind == "f" and np.all(np.isfinite(y_arr)) and np.all(y_arr == np.round(y_arr)):
        y_arr = y_arr.astype(np.int64)
    if y_arr.dtype.kind not in "iu":
        raise ConfigError(f"{family}: y must hold integer class labels 0..k-1, got dtype {y_arr.dtype}.")
    y_arr = y_arr.astype(np.int64)
    if n_classes is None:
        n_classes = int(y_arr.max()) + 1
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ConfigError(f"{family}: n_classes must be an integer ≥ 2, got {n_classes!r}.")
    if y_arr.min() < 0 or y_arr.max() >= n_classes:
        raise ConfigError(
            f"{family}: labels must lie in 0..{n_classes - 1}, got values from {y_arr.min()} to {y_arr.max()}."
        )
    return X, y_arr, int(n_classes)


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


# ---------------------------------------------------------------------------------------------
# k nearest neighbours, capacity = k


class KNNTeacher(TeacherPath):
    """k-nearest-neighbour teacher (uniform weights); the path queries ``k_max`` neighbours once.

    Capacities larger than the number of training rows are clipped to it (a cross-fitting fold
    is smaller than the full data, so a grid valid for one may exceed the other); the effective
    values are stored in ``k_effective_``. In-sample predictions include the point itself, which
    is exactly the overfitting k = 1 shows.

    Fitted attributes (path mode): ``knn_`` (a fitted ``KNeighborsClassifier``) and ``y_enc_``
    (training labels as indices into ``classes_``).
    """

    family: ClassVar[str] = "knn-k"

    def __init__(
        self,
        grid: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200),
        seed: int = 0,
        mode: str = "path",
        n_jobs: int = 1,
    ) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any, n_classes: int | None = None) -> KNNTeacher:
        """Fit on ``(X, y)``; see :meth:`TeacherPath.fit`. Also sets ``k_effective_``."""
        super().fit(X, y, n_classes)
        self.k_effective_ = tuple(min(k, self.n_train_) for k in self.grid_)
        return self

    def _make_model(self, capacity: int) -> KNeighborsClassifier:
        return KNeighborsClassifier(n_neighbors=min(capacity, self.n_train_), n_jobs=self.n_jobs)

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        self.knn_ = self._make_model(max(self.grid_)).fit(X, y)
        self.y_enc_ = np.searchsorted(self.classes_, y)

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        ks = [min(k, self.n_train_) for k in self.grid_]
        neigh = self.knn_.kneighbors(X, n_neighbors=ks[-1], return_distance=False)
        labels = self.y_enc_[neigh]  # (m, k_max), nearest first
        c = self.classes_.size
        counts = np.zeros((X.shape[0], c), dtype=np.float64)
        out = np.empty((len(ks), X.shape[0], c), dtype=np.float64)
        start = 0
        for g, k in enumerate(ks):
            segment = labels[:, start:k]
            for j in range(c):
                counts[:, j] += np.count_nonzero(segment == j, axis=1)
            out[g] = counts / k
            start = k
        return out


# ---------------------------------------------------------------------------------------------
# gradient boosting, capacity = number of stages


class GBStagesTeacher(TeacherPath):
    """Gradient boosting whose capacity is the number of stages; the path uses staged predictions.

    Fitted attributes (path mode): ``model_`` with ``max(grid_)`` stages.
    """

    family: ClassVar[str] = "gb-stages"

    def __init__(
        self,
        grid: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200),
        seed: int = 0,
        mode: str = "path",
        n_jobs: int = 1,
        learning_rate: float = 0.1,
        max_depth: int = 3,
    ) -> None:
        self.grid = grid
        self.seed = seed
        self.mode = mode
        self.n_jobs = n_jobs
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def _check_options(self) -> None:
        _check_int_option(self.family, "max_depth", self.max_depth, 1)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) or not (0 < lr <= 10):
            raise ConfigError(f"{self.family}: learning_rate must be a number in (0, 10], got {lr!r}.")

    def _make_model(self, capacity: int) -> GradientBoostingClassifier:
        return GradientBoostingClassifier(
            n_estimators=capacity,
            learning_rate=float(self.learning_rate),
            max_depth=self.max_depth,
            random_state=self.seed,
        )

    def _fit_path(self, X: np.ndarray, y: np.ndarray) -> None:
        self.model_ = self._make_model(max(self.grid_)).fit(X, y)

    def _predict_path(self, X: np.ndarray) -> np.ndarray:
        out = np.empty((len(self.grid_), X.shape[0], self.classes_.size), dtype=np.float64)
        g = 0
        for stage, proba in enumerate(self.model_.staged_predict_proba(X), start=1):
            if stage == self.grid_[g]:
                out[g] = proba
                g += 1
                if g == len(self.grid_):
                    break
        return out


# ---------------------------------------------------------------------------------------------
# registry

register_teacher(
    TeacherSpec(
        name="rf-depth",
        capacity_name="max_depth",
        default_grid=(1, 2, 3, 5, 10, 15, 20),
        min_capacity=1,
        max_capacity=64,
        description="Random forest; capacity = maximum tree depth (one deep forest, truncated per depth).",
        options={"n_estimators": 100},
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
    ),
    RFTreesTeacher,
)
register_teacher(
    TeacherSpec(
        name="knn-k",
        capacity_name="k",
        default_grid=(1, 2, 5, 10, 20, 50, 100, 200),
        min_capacity=1,
        max_capacity=100_000,
        description="k-nearest neighbours; capacity = k (small k overfits; k above the training size is clipped).",
        options={},
    ),
    KNNTeacher,
)
register_teacher(
    TeacherSpec(
        name="gb-stages",
        capacity_name="n_estimators",
        default_grid=(1, 2, 5, 10, 20, 50, 100, 200),
        min_capacity=1,
        max_capacity=5000,
        description="Gradient boosting; capacity = number of boosting stages (staged predictions of one fit).",
        options={"learning_rate": 0.1, "max_depth": 3},
    ),
    GBStagesTeacher,
)
