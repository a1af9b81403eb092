"""Teacher families: the spec, the registry and the base class every capacity-path family extends.

See the package docstring (`kdviz.teachers`) for the families and their two modes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from kdviz import plugins
from kdviz.errors import ConfigError

__all__ = [
    "CAPACITY_TITLES",
    "TEACHERS",
    "TeacherPath",
    "TeacherSpec",
    "make_teacher",
    "register_teacher",
    "unregister_teacher",
    "validate_grid",
]

MODES = ("path", "refit")
#: bounds of the tree options of forests and boosting (teachers and students alike)
TREE_LIMITS: dict[str, tuple[float, float]] = {"n_estimators": (1, 2000), "max_depth": (1, 200)}


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
        capacity_title: the x-axis title of a capacity chart, with units (empty: charts say
            "Teacher capacity: <capacity_name>").
        tree_option: the option holding the family's main tree count (``"n_estimators"`` for
            ``rf-depth``), which forms offer next to the capacity grid; ``None`` when there is none
            or the capacity itself is the tree count.
        needs_torch: the family is a torch plug-in (`kdviz.neural`); importing it imports torch.
        option_limits: bounds (lo, hi) of its numeric options (integers when both are ints): a typo such
            as n_estimators=1e8 is refused up front instead of running for days.
        playground_steps: the Playground's capacity slider (least to most flexible); empty: not offered.
        playground_options: options of the Playground's teacher (small, so a refit stays well under a second).
        capacity_hint: a note after the capacity slider's label, e.g. "(small k = flexible)".
    """

    name: str
    capacity_name: str
    default_grid: tuple[int, ...]
    min_capacity: int
    max_capacity: int
    description: str
    options: dict[str, Any] = field(default_factory=dict)
    capacity_title: str = ""
    tree_option: str | None = None
    needs_torch: bool = False
    option_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    playground_steps: tuple[int, ...] = ()
    playground_options: dict[str, Any] = field(default_factory=dict)
    capacity_hint: str = ""


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


def unregister_teacher(name: str) -> None:
    """Remove a teacher family from the registry (tests that register their own clean up with it)."""
    TEACHERS.pop(name, None)
    _FACTORIES.pop(name, None)


class _CapacityTitles(Mapping[str, str]):
    """family → capacity-axis title, read live from :data:`TEACHERS` (families without one are absent)."""

    def _titles(self) -> dict[str, str]:
        return {name: spec.capacity_title for name, spec in TEACHERS.items() if spec.capacity_title}

    def __getitem__(self, name: str) -> str:
        return self._titles()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._titles())

    def __len__(self) -> int:
        return len(self._titles())


#: x-axis titles (with units) of the registered families' capacities (``TeacherSpec.capacity_title``).
CAPACITY_TITLES: Mapping[str, str] = _CapacityTitles()


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
        plugins.load_plugins()
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
