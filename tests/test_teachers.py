"""Tests for kdviz.teachers: capacity paths equal (or statistically equal) refitting per capacity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier

from kdviz.errors import ConfigError
from kdviz.teachers import (
    CAPACITY_TITLES,
    TEACHERS,
    KNNTeacher,
    RFDepthTeacher,
    TeacherSpec,
    make_teacher,
    node_proba,
    register_teacher,
    truncation_tables,
    unregister_teacher,
)

# Small grids and models so the whole file runs in seconds.
SMALL: dict[str, tuple[list[int], dict[str, Any]]] = {
    "rf-depth": ([1, 3, 6], {"n_estimators": 20}),
    "rf-trees": ([1, 4, 20], {"max_depth": None}),
    "knn-k": ([1, 5, 30], {}),
    "gb-stages": ([1, 5, 25], {"max_depth": 2}),
}
FAMILIES = list(SMALL)


def _binary(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous gaussian features (no distance ties), noisy curved boundary."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    logit = 1.5 * X[:, 0] + X[:, 1] ** 2 - 1.0 + 0.5 * X[:, 2] * X[:, 3]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return X, y


def _three_class(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    means = np.array([[0.0, 0.0, 0.0], [1.5, 0.0, 0.5], [0.0, 1.5, -0.5]])
    X = means[y] + rng.normal(size=(n, 3))
    return X, y.astype(np.int64)


@pytest.fixture(scope="module")
def binary() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = _binary(500, 0)
    X_eval, _ = _binary(200, 1)
    return X, y, X_eval


@pytest.fixture(scope="module")
def multi() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = _three_class(450, 2)
    X_eval, _ = _three_class(150, 3)
    return X, y, X_eval


def _paths(name: str, X: np.ndarray, y: np.ndarray, X_eval: np.ndarray, k: int, seed: int = 7) -> tuple:
    grid, opts = SMALL[name]
    path = make_teacher(name, grid, seed=seed, mode="path", **opts).fit(X, y, k)
    refit = make_teacher(name, grid, seed=seed, mode="refit", **opts).fit(X, y, k)
    return path.predict_proba_path(X_eval), refit.predict_proba_path(X_eval), path


# --- path == refit -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rf-trees", "knn-k", "gb-stages"])
@pytest.mark.parametrize("data", ["binary", "multi"])
def test_path_equals_refit_exactly(name: str, data: str, request: pytest.FixtureRequest) -> None:
    X, y, X_eval = request.getfixturevalue(data)
    k = int(y.max()) + 1
    for points in (X_eval, X):  # out-of-sample and in-sample
        P_path, P_refit, _ = _paths(name, X, y, points, k)
        np.testing.assert_allclose(P_path, P_refit, rtol=0, atol=1e-12)


@pytest.mark.parametrize("data", ["binary", "multi"])
def test_rf_depth_equals_refit_at_max_depth(data: str, request: pytest.FixtureRequest) -> None:
    X, y, X_eval = request.getfixturevalue(data)
    P_path, P_refit, teacher = _paths("rf-depth", X, y, X_eval, int(y.max()) + 1)
    assert teacher.grid_[-1] == 6
    np.testing.assert_allclose(P_path[-1], P_refit[-1], rtol=0, atol=1e-12)
    # Depth 1 is exact as well: both builders split the root first with the same RNG state.
    np.testing.assert_allclose(P_path[0], P_refit[0], rtol=0, atol=1e-12)


def test_rf_depth_truncation_statistically_equals_refit() -> None:
    """Truncated and refitted forests have the same test log-loss up to seed noise.

    Deeper than the root the two are different random forests (the builder draws its random
    numbers in another order), so compare their test log-loss over 5 seeds with paired
    differences: |mean difference| must stay within 3 standard errors of the paired
    differences (a two-sided t-test at roughly the 4 % level with 4 degrees of freedom).
    """
    X, y = _binary(600, 10)
    X_test, y_test = _binary(1000, 11)
    grid = [1, 3, 6, 12]  # 3 and 6 are truncated; 12 (the grown depth) is exact
    diffs = []
    for seed in range(5):
        losses = []
        for mode in ("path", "refit"):
            P = make_teacher("rf-depth", grid, seed=seed, mode=mode, n_estimators=20).fit(X, y, 2)
            p = np.clip(P.predict_proba_path(X_test)[:, np.arange(len(y_test)), y_test], 1e-3, 1.0)
            losses.append(-np.log(p).mean(axis=1))  # one log-loss per depth
        diffs.append(losses[0] - losses[1])
    diffs_arr = np.array(diffs)  # (seeds, depths)
    mean = diffs_arr.mean(axis=0)
    se = diffs_arr.std(axis=0, ddof=1) / np.sqrt(diffs_arr.shape[0])
    assert np.all(np.abs(mean) <= 3 * se + 1e-12), (mean, se)
    assert abs(mean[0]) < 1e-12 and abs(mean[-1]) < 1e-12  # depth 1 and max depth identical
    assert np.all(se[1:3] > 0)  # depths 3 and 6 really are different forests


def test_rf_depth_1_is_root_split_children(binary: tuple) -> None:
    X, y, X_eval = binary
    teacher = make_teacher("rf-depth", [1, 5], seed=3, n_estimators=15).fit(X, y, 2)
    expected = np.zeros((X_eval.shape[0], 2))
    for est in teacher.forest_.estimators_:
        t = est.tree_
        value = t.value[:, 0, :] / t.value[:, 0, :].sum(axis=1, keepdims=True)
        goes_left = X_eval[:, t.feature[0]] <= t.threshold[0]
        expected += np.where(goes_left[:, None], value[t.children_left[0]], value[t.children_right[0]])
    expected /= len(teacher.forest_.estimators_)
    np.testing.assert_allclose(teacher.predict_proba_path(X_eval)[0], expected, rtol=0, atol=1e-12)


def test_decision_path_node_order_matches_truncation_tables(binary: tuple) -> None:
    """Node ids along a decision path increase with depth, so the node at depth d is
    indices[indptr[i] + min(d, len_i - 1)]; the truncation tables give the same node."""
    X, y, X_eval = binary
    forest = RandomForestClassifier(n_estimators=5, max_depth=7, random_state=0).fit(X, y)
    depths = [0, 1, 2, 4, 7]
    for est in forest.estimators_:
        path = est.decision_path(X_eval).tocsr()
        path.sort_indices()
        leaves = est.apply(X_eval)
        table = truncation_tables(est, depths)
        node_depth = np.zeros(est.tree_.node_count, dtype=int)
        for node in range(est.tree_.node_count):  # parents have smaller ids than children
            for child in (est.tree_.children_left[node], est.tree_.children_right[node]):
                if child >= 0:
                    assert child > node
                    node_depth[child] = node_depth[node] + 1
        for i in range(X_eval.shape[0]):
            nodes = path.indices[path.indptr[i] : path.indptr[i + 1]]
            assert nodes[-1] == leaves[i]
            np.testing.assert_array_equal(node_depth[nodes], np.arange(len(nodes)))
            for j, d in enumerate(depths):
                assert table[j, leaves[i]] == nodes[min(d, len(nodes) - 1)]


def test_node_proba_is_normalised(binary: tuple) -> None:
    X, y, _ = binary
    est = RandomForestClassifier(n_estimators=1, max_depth=3, random_state=0).fit(X, y).estimators_[0]
    np.testing.assert_allclose(node_proba(est).sum(axis=1), 1.0)


# --- outputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("mode", ["path", "refit"])
def test_shapes_and_rows_sum_to_one_multiclass(name: str, mode: str, multi: tuple) -> None:
    X, y, X_eval = multi
    grid, opts = SMALL[name]
    teacher = make_teacher(name, list(reversed(grid)) + [grid[0]], seed=1, mode=mode, **opts).fit(X, y, 3)
    assert teacher.grid_ == tuple(grid)
    P = teacher.predict_proba_path(X_eval)
    assert P.shape == (len(grid), X_eval.shape[0], 3)
    assert P.dtype == np.float64
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-12)
    accuracy = (P[-1].argmax(axis=1) == _three_class(150, 3)[1]).mean()
    assert accuracy > 0.5  # well above chance (1/3): the model learned something


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("mode", ["path", "refit"])
def test_absent_class_gets_zero_column(name: str, mode: str, multi: tuple) -> None:
    X, y, X_eval = multi
    keep = y != 1
    grid, opts = SMALL[name]
    teacher = make_teacher(name, grid, seed=0, mode=mode, **opts).fit(X[keep], y[keep], 3)
    np.testing.assert_array_equal(teacher.classes_, [0, 2])
    P = teacher.predict_proba_path(X_eval)
    assert P.shape == (len(grid), X_eval.shape[0], 3)
    assert np.all(P[:, :, 1] == 0.0)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", FAMILIES)
def test_single_class_fold_is_one_hot(name: str, binary: tuple) -> None:
    X, _, X_eval = binary
    grid, opts = SMALL[name]
    P = make_teacher(name, grid, **opts).fit(X[:40], np.ones(40, dtype=int), 3).predict_proba_path(X_eval)
    assert P.shape == (len(grid), X_eval.shape[0], 3)
    assert np.all(P[:, :, 1] == 1.0) and np.all(P[:, :, [0, 2]] == 0.0)


@pytest.mark.parametrize("name", FAMILIES)
def test_deterministic_for_a_seed(name: str, binary: tuple) -> None:
    X, y, X_eval = binary
    grid, opts = SMALL[name]
    a = make_teacher(name, grid, seed=5, **opts).fit(X, y, 2).predict_proba_path(X_eval)
    b = make_teacher(name, grid, seed=5, **opts).fit(X, y, 2).predict_proba_path(X_eval)
    np.testing.assert_array_equal(a, b)
    if name.startswith("rf"):
        c = make_teacher(name, grid, seed=6, **opts).fit(X, y, 2).predict_proba_path(X_eval)
        assert not np.array_equal(a, c)


def test_knn_in_sample_k1_is_own_label_and_large_k_is_clipped(binary: tuple) -> None:
    X, y, _ = binary
    X_small, y_small = X[:50], y[:50]
    teacher = make_teacher("knn-k", [1, 10, 1000]).fit(X_small, y_small, 2)
    assert teacher.k_effective_ == (1, 10, 50)
    P = teacher.predict_proba_path(X_small)
    np.testing.assert_array_equal(P[0], np.eye(2)[y_small])  # k = 1 memorises the labels
    np.testing.assert_allclose(P[2], np.tile(np.bincount(y_small, minlength=2) / 50, (50, 1)))
    refit = make_teacher("knn-k", [1, 10, 1000], mode="refit").fit(X_small, y_small, 2)
    np.testing.assert_allclose(refit.predict_proba_path(X_small), P, rtol=0, atol=1e-12)


def test_deep_rf_depth_grid_beyond_tree_depth(binary: tuple) -> None:
    """Depths beyond what the trees reach leave the leaves unchanged (tables are identity)."""
    X, y, X_eval = binary
    teacher = make_teacher("rf-depth", [30, 64], n_estimators=5).fit(X[:100], y[:100], 2)
    P = teacher.predict_proba_path(X_eval)
    np.testing.assert_array_equal(P[0], P[1])
    np.testing.assert_allclose(P[1], teacher.forest_.predict_proba(X_eval), rtol=0, atol=1e-12)


# --- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "rf-depth", "grid": [0]}, "rf-depth capacities must be integers between 1 and 64, got 0"),
        ({"name": "rf-depth", "grid": [3, 65]}, "between 1 and 64, got 65"),
        ({"name": "rf-depth", "grid": [2.5]}, "got 2.5"),
        ({"name": "rf-depth", "grid": []}, "grid is empty"),
        ({"name": "rf-depth", "grid": "1,2"}, "give a list"),
        ({"name": "knn-k", "grid": [True]}, "got True"),
        ({"name": "forest", "grid": [1]}, "Unknown teacher family 'forest'; choose one of"),
        ({"name": "rf-depth", "grid": [1], "max_depth": 3}, "Unknown option(s) max_depth"),
        ({"name": "rf-depth", "grid": [1], "mode": "fast"}, "mode must be 'path' or 'refit'"),
        ({"name": "rf-depth", "grid": [1], "n_jobs": 0}, "n_jobs must be"),
        ({"name": "rf-depth", "grid": [1], "seed": -1}, "seed must be"),
        ({"name": "rf-depth", "grid": [1], "n_estimators": 0}, "n_estimators must be an integer ≥ 1, got 0"),
        ({"name": "rf-trees", "grid": [1], "max_depth": 0}, "max_depth must be an integer ≥ 1 or None"),
        ({"name": "gb-stages", "grid": [1], "learning_rate": -0.1}, "learning_rate must be"),
    ],
)
def test_make_teacher_validation_messages(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_teacher(**kwargs)
    assert message in str(info.value)


def test_float_whole_numbers_accepted_in_grid() -> None:
    teacher = make_teacher("rf-depth", [2.0, 1], n_estimators=3)
    X, y = _binary(60, 0)
    assert teacher.fit(X, y, 2).grid_ == (1, 2)


def test_fit_and_predict_validation(binary: tuple) -> None:
    X, y, X_eval = binary
    teacher = make_teacher("knn-k", [1, 3])
    with pytest.raises(ConfigError, match="not fitted"):
        teacher.predict_proba_path(X_eval)
    with pytest.raises(ConfigError, match=r"labels must lie in 0\.\.1"):
        teacher.fit(X, y + 1, 2)
    with pytest.raises(ConfigError, match="one label per row"):
        teacher.fit(X, y[:-1], 2)
    with pytest.raises(ConfigError, match="NaN"):
        teacher.fit(np.where(X > 2, np.nan, X), y, 2)
    with pytest.raises(ConfigError, match="integer class labels"):
        teacher.fit(X, np.where(y == 1, "a", "b"), 2)
    with pytest.raises(ConfigError, match="n_classes must be"):
        teacher.fit(X, y, 1)
    teacher.fit(X, y, 2)
    with pytest.raises(ConfigError, match="3 features but the teacher was fitted with 4"):
        teacher.predict_proba_path(X_eval[:, :3])
    # Invalid params set after construction are caught by fit, too.
    with pytest.raises(ConfigError, match="got 0"):
        clone(teacher).set_params(grid=[0, 1]).fit(X, y, 2)
    assert isinstance(ConfigError("x"), ValueError)


# --- sklearn contract ----------------------------------------------------------------------------


def test_get_params_clone_and_set_params(binary: tuple) -> None:
    X, y, X_eval = binary
    teacher = make_teacher("rf-depth", [1, 4], seed=3, n_estimators=7)
    assert isinstance(teacher, RFDepthTeacher)
    assert teacher.get_params() == {"grid": [1, 4], "seed": 3, "mode": "path", "n_jobs": 1, "n_estimators": 7}
    teacher.fit(X, y, 2)
    copy = clone(teacher)
    assert copy.get_params() == teacher.get_params()
    assert not hasattr(copy, "grid_")  # clone is unfitted
    copy.set_params(n_estimators=4, mode="refit")
    copy.fit(X, y, 2)
    assert len(copy.models_) == 2 and copy.models_[0].n_estimators == 4
    np.testing.assert_allclose(teacher.predict_proba(X_eval), teacher.predict_proba_path(X_eval)[-1])
    # at the grown depth the path is the forest itself, so both predict the same classes
    np.testing.assert_array_equal(teacher.predict(X_eval), teacher.forest_.predict(X_eval))


class _TestKNN(KNNTeacher):
    family = "test-knn"


@pytest.fixture
def test_knn_family() -> Iterator[str]:
    """A teacher family registered for one test and removed afterwards (the registry is global)."""
    register_teacher(TeacherSpec("test-knn", "k", (1, 2), 1, 10, "A test family.", {}), _TestKNN)
    yield "test-knn"
    unregister_teacher("test-knn")


def test_registry_specs() -> None:
    assert list(TEACHERS)[:4] == FAMILIES  # the built-in families, in the order the dashboard lists them
    for name in FAMILIES:
        spec = TEACHERS[name]
        assert spec.name == name and spec.min_capacity <= min(spec.default_grid)
        assert max(spec.default_grid) <= spec.max_capacity and spec.description
        assert not spec.needs_torch and CAPACITY_TITLES[name] == spec.capacity_title != ""
        if spec.tree_option is not None:
            assert spec.tree_option in spec.options
        make_teacher(name)  # default grid and options are valid
    assert {n: TEACHERS[n].tree_option for n in FAMILIES} == {
        "rf-depth": "n_estimators", "rf-trees": None, "knn-k": None, "gb-stages": None}


def test_register_teacher(binary: tuple, test_knn_family: str) -> None:
    X, y, X_eval = binary
    P = make_teacher(test_knn_family, [2]).fit(X, y, 2).predict_proba_path(X_eval)
    assert P.shape == (1, X_eval.shape[0], 2)
    np.testing.assert_array_equal(P[0], make_teacher("knn-k", [2]).fit(X, y, 2).predict_proba_path(X_eval)[0])
    with pytest.raises(ConfigError, match="between 1 and 10, got 11"):
        make_teacher(test_knn_family, [11])
    with pytest.raises(ConfigError, match="min_capacity"):
        register_teacher(TeacherSpec("bad", "k", (1,), 5, 1, "bad"), _TestKNN)
    assert "bad" not in TEACHERS


def test_unregister_teacher_removes_the_family(test_knn_family: str) -> None:
    unregister_teacher(test_knn_family)
    assert test_knn_family not in TEACHERS
    with pytest.raises(ConfigError, match="Unknown teacher family 'test-knn'"):
        make_teacher(test_knn_family, [1])
