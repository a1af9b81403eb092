"""Tests for kdviz.neural: Hinton KD loss correction, batched training, torch teachers, cross-fitting."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import kdviz.neural  # noqa: E402,F401  (registers the torch families and students)
from kdviz.config import make_config  # noqa: E402
from kdviz.data.load import load_dataset  # noqa: E402
from kdviz.errors import ConfigError  # noqa: E402
from kdviz.kd.distill import one_hot  # noqa: E402
from kdviz.kd.students import STUDENTS, KDSpec, make_student  # noqa: E402
from kdviz.neural.losses import (  # noqa: E402
    NEURAL_EPS,
    ce_T,
    correction_term,
    correction_weights,
    hinton_kd_loss,
    tempered_teacher,
)
from kdviz.neural.students import TorchStudent, fit_kd_many  # noqa: E402
from kdviz.sweep import crossfit_folds, execute, plan, run_sweep, teacher_inputs, teacher_seed  # noqa: E402
from kdviz.teachers import TEACHERS, make_teacher  # noqa: E402

D = torch.float64


def _random_kd_inputs(seed: int, n: int = 32, k: int = 5, floor: float = NEURAL_EPS):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(n, k, generator=g, dtype=D) * 2
    p = torch.softmax(torch.randn(n, k, generator=g, dtype=D) * 1.5, dim=-1)
    p = (1 - 2 * k * floor) * p + 2 * floor  # mixed with the uniform: every p̂_i ≥ 2·floor, rows sum to 1
    y = torch.nn.functional.one_hot(torch.randint(0, k, (n,), generator=g), k).to(D)
    return s, p, y


# ----------------------------------------------------------------------------------------------
# the loss correction (THEORY §3)
@pytest.mark.parametrize("T", [0.5, 1.0, 2.0, 4.0])
def test_correction_is_directional_derivative_of_ce_T(T):
    s, p, y = _random_kd_inputs(seed=int(T * 10))
    assert p.min() >= NEURAL_EPS  # clipping inactive: the correction is the exact derivative
    p_var = p.clone().requires_grad_(True)
    ce = ce_T(s, p_var, T).sum()
    (grad,) = torch.autograd.grad(ce, p_var)
    directional = (grad * (y - p)).sum(-1)  # d/dt CE_T(s, p̂ + t(y − p̂)) at t = 0, per sample
    w = tempered_teacher(p, T)
    u = correction_weights(p, y, T)
    ours = correction_term(s, w, u, T)
    torch.testing.assert_close(ours, directional, rtol=1e-9, atol=1e-10)
    # and by central finite differences
    h = 1e-6
    fd = (ce_T(s, p + h * (y - p), T) - ce_T(s, p - h * (y - p), T)) / (2 * h)
    torch.testing.assert_close(ours, fd, rtol=1e-5, atol=1e-6)


def test_correction_clips_small_probabilities():
    s, p, y = _random_kd_inputs(seed=3, floor=0.0)
    p = p.clone()
    p[:, 0] = 1e-6
    p = p / p.sum(-1, keepdim=True)
    u = correction_weights(p, y, 2.0)
    w = tempered_teacher(p, 2.0)
    bound = w * (y - p).abs() / NEURAL_EPS  # |u_i| ≤ w_i·|r_i|/eps: no 1/1e-6 blow-up
    assert torch.all(u.abs() <= bound + 1e-12)
    assert torch.isfinite(hinton_kd_loss(s, y, p, T=2.0, corrected=True)).all()


def test_bound_fast_shrinks_the_correction():
    s, p, y = _random_kd_inputs(seed=4)
    full = correction_weights(p, y, 3.0)
    shrunk = correction_weights(p, y, 3.0, c=0.1)
    r2 = (y - p) ** 2
    torch.testing.assert_close(shrunk, full * 0.1 / (0.1 + r2))
    torch.testing.assert_close(correction_weights(p, y, 3.0, c=1e9), full, rtol=1e-6, atol=1e-9)


def test_at_T1_corrected_kd_equals_label_cross_entropy_up_to_a_constant():
    s, p, y = _random_kd_inputs(seed=5)
    s2 = s + torch.randn(s.shape, generator=torch.Generator().manual_seed(9), dtype=D)
    label_ce = lambda z: -(y * torch.log_softmax(z, -1)).sum(-1)  # noqa: E731
    entropy = -(p * p.log()).sum(-1)
    for z in (s, s2):
        corrected = hinton_kd_loss(z, y, p, T=1.0, alpha=1.0, corrected=True)  # T²·[KL + correction]
        torch.testing.assert_close(corrected, label_ce(z) - entropy, rtol=1e-10, atol=1e-10)
    # same with mixing: (1−α)·CE + α·(CE − H) = CE − α·H; the gradient in s is label training's
    z = s.clone().requires_grad_(True)
    (g_kd,) = torch.autograd.grad(hinton_kd_loss(z, y, p, T=1.0, alpha=0.3, corrected=True).sum(), z)
    (g_ce,) = torch.autograd.grad(label_ce(z).sum(), z)
    torch.testing.assert_close(g_kd, g_ce, rtol=1e-10, atol=1e-10)
    # …but not at T ≠ 1 (the correction is not trivial there)
    assert not torch.allclose(hinton_kd_loss(s, y, p, T=3.0, alpha=1.0, corrected=True) / 9,
                              label_ce(s) - entropy, atol=1e-3)


def test_vanilla_hinton_is_kl_form():
    s, p, y = _random_kd_inputs(seed=6)
    T, a = 3.0, 0.4
    q = torch.log_softmax(s / T, -1)
    w = tempered_teacher(p, T)
    kl = (w * (w.log() - q)).sum(-1)
    want = (1 - a) * -(y * torch.log_softmax(s, -1)).sum(-1) + a * T**2 * kl
    torch.testing.assert_close(hinton_kd_loss(s, y, p, T=T, alpha=a), want)


# ----------------------------------------------------------------------------------------------
# students
def _toy(n: int = 160, d: int = 6, k: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    Y = one_hot(y, k)
    P = np.clip(0.7 * Y + 0.3 * rng.dirichlet(np.ones(k), size=n), 1e-4, None)
    return X, Y, P / P.sum(1, keepdims=True)


def test_registry_has_torch_students_and_teachers():
    for name in ("mlp", "cnn", "torch-linear"):
        assert name in STUDENTS
    assert make_student("linear").model == "linear"  # the sklearn ridge student keeps its name
    assert all(STUDENTS[n].needs_torch for n in ("mlp", "cnn", "torch-linear")) and not STUDENTS["linear"].needs_torch
    assert {n: STUDENTS[n].capacity_option for n in ("mlp", "cnn", "torch-linear")} == {
        "mlp": "width", "cnn": "channels", "torch-linear": "epochs"}
    for name in ("mlp-epochs", "mlp-width", "cnn-epochs", "cnn-channels"):
        assert TEACHERS[name].needs_torch and TEACHERS[name].capacity_title
    assert not TEACHERS["rf-depth"].needs_torch
    with pytest.raises(ConfigError, match="loss"):
        make_student("mlp", loss="hinge").fit_kd(*_toy()[:2], None, KDSpec())


@pytest.mark.parametrize("name,loss", [("mlp", "hinton"), ("torch-linear", "squared_p"), ("mlp", "squared_logit")])
def test_batched_training_equals_sequential(name, loss):
    X, Y, P = _toy()
    base = make_student(name, seed=0, loss=loss, epochs=4, batch_size=32)
    jobs = [
        (11, None, KDSpec()),  # no-KD
        (12, P, KDSpec(temperature=4.0, alpha=0.5)),  # vanilla
        (13, P, KDSpec(corrected=True, gamma="full", temperature=2.0, alpha=0.7)),  # corrected
        (14, P[::-1].copy(), KDSpec(corrected=True, c=0.1, temperature=3.0, alpha=1.0)),  # enhanced-like
    ]
    batched = fit_kd_many(base, X, Y, jobs).predict_scores(X)
    for b, (seed, p, spec) in enumerate(jobs):
        single = make_student(name, seed=seed, loss=loss, epochs=4, batch_size=32).fit_kd(X, Y, p, spec)
        np.testing.assert_allclose(batched[b], single.predict_scores(X), rtol=1e-4, atol=1e-5)


def test_cnn_student_batched_equals_sequential_and_is_deterministic():
    ds = load_dataset("sklearn:digits", n=300, seed=0)
    Y = one_hot(ds.y_train, 10)
    P = np.full_like(Y, 0.02) + 0.8 * Y
    base = make_student("cnn", seed=0, epochs=2, channels=4)
    jobs = [(1, P, KDSpec()), (2, None, KDSpec()), (3, P, KDSpec(corrected=True, gamma="full"))]
    batched = fit_kd_many(base, ds.X_train, Y, jobs).predict_scores(ds.X_test)
    for b, (seed, p, spec) in enumerate(jobs):
        s1 = make_student("cnn", seed=seed, epochs=2, channels=4).fit_kd(ds.X_train, Y, p, spec).predict_scores(ds.X_test)
        np.testing.assert_allclose(batched[b], s1, rtol=1e-4, atol=1e-5)
        if b == 0:
            s2 = make_student("cnn", seed=seed, epochs=2, channels=4).fit_kd(ds.X_train, Y, p, spec).predict_scores(ds.X_test)
            np.testing.assert_array_equal(s1, s2)  # same seed → identical


def test_squared_p_full_correction_gives_back_the_labels():
    X, Y, P = _toy()
    opts = dict(loss="squared_p", epochs=3, batch_size=40)
    corrected = make_student("mlp", seed=5, **opts).fit_kd(X, Y, P, KDSpec(corrected=True, gamma="full"))
    on_labels = make_student("mlp", seed=5, **opts).fit_kd(X, Y, Y, KDSpec())
    np.testing.assert_allclose(corrected.predict_scores(X), on_labels.predict_scores(X), rtol=1e-5, atol=1e-6)


def test_student_seed_changes_result():
    X, Y, P = _toy()
    a = make_student("mlp", seed=0, epochs=2).fit_kd(X, Y, P, KDSpec()).predict_scores(X)
    b = make_student("mlp", seed=1, epochs=2).fit_kd(X, Y, P, KDSpec()).predict_scores(X)
    c = make_student("mlp", seed=0, epochs=2).fit_kd(X, Y, P, KDSpec()).predict_scores(X)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, c)
    assert isinstance(make_student("mlp", seed=0), TorchStudent)


# ----------------------------------------------------------------------------------------------
# teachers
@pytest.mark.parametrize("name,grid,opts", [
    ("mlp-epochs", [1, 3, 6], {"width": 32}),
    ("mlp-width", [2, 8, 32], {"epochs": 3}),
    ("cnn-channels", [1, 3], {"epochs": 2}),
])
def test_torch_teacher_path_equals_refit(name, grid, opts):
    ds = load_dataset("sklearn:digits", n=300, seed=1)
    path = make_teacher(name, grid, seed=3, **opts).fit(ds.X_train, ds.y_train, 10)
    refit = make_teacher(name, grid, seed=3, mode="refit", **opts).fit(ds.X_train, ds.y_train, 10)
    P, R = path.predict_proba_path(ds.X_test), refit.predict_proba_path(ds.X_test)
    assert P.shape == (len(grid), len(ds.y_test), 10)
    np.testing.assert_allclose(P.sum(-1), 1.0, atol=1e-9)
    np.testing.assert_allclose(P, R, rtol=1e-4, atol=1e-5)


def test_cnn_needs_image_data():
    ds = load_dataset("sklearn:breast_cancer", seed=0)
    with pytest.raises(ConfigError, match="sklearn:digits"):
        make_teacher("cnn-epochs", [1, 2], seed=0).fit(ds.X_train, ds.y_train, 2)
    with pytest.raises(ConfigError, match="sklearn:digits"):
        make_student("cnn", seed=0).fit_kd(ds.X_train, one_hot(ds.y_train, 2), None, KDSpec())


def test_crossfit_routing_with_a_torch_teacher():
    """No training row is scored by a fold teacher that trained on it (and the routing is exact)."""
    cfg = make_config(dataset="sklearn:digits", n=400, label_noise=0.3, teacher="mlp-epochs", capacities=(2, 40),
                      teacher_options={"width": 128, "lr": 1e-2, "batch_size": 64}, student="mlp",
                      methods=("vanilla", "crossfit"), folds=4, repeats=1, seed=2)
    ds = load_dataset("sklearn:digits", n=400, label_noise=0.3, seed=2)
    tasks = plan(cfg, ds)
    teachers = [t for t in tasks if t.kind == "teacher"]
    res = {t.key: execute(t, cfg, ds, {}) for t in teachers}
    folds = [res[t.key] for t in teachers if t.params["fold"] >= 0]
    splits = crossfit_folds(ds.y_train, cfg.folds, cfg.seed)
    n = len(ds.y_train)
    scored_by = np.full(n, -1)
    for f, (train_idx, held_idx) in enumerate(splits):
        np.testing.assert_array_equal(folds[f].idx, held_idx)
        assert not set(train_idx) & set(held_idx)
        scored_by[held_idx] = f
    assert (scored_by >= 0).all()
    cap = 1  # the over-trained end of the grid (40 epochs)
    p_cf, _ = teacher_inputs("crossfit", cap, folds, n)
    for f, (_train_idx, held_idx) in enumerate(splits):
        np.testing.assert_array_equal(p_cf[held_idx], folds[f].oof[cap])
    # re-fit fold 0's teacher independently: its predictions on its held-out rows are what the student sees
    train0, held0 = splits[0]
    t0 = make_teacher("mlp-epochs", [2, 40], seed=teacher_seed(cfg.seed, 0), **cfg.teacher_options).fit(ds.X_train[train0], ds.y_train[train0], 10)
    np.testing.assert_allclose(p_cf[held0], t0.predict_proba_path(ds.X_train[held0])[cap], atol=1e-6)
    # behaviour: the over-trained teacher memorises the (noisy) labels of rows it saw, not of the others
    p_van, _ = teacher_inputs("vanilla", cap, [res[t.key] for t in teachers if t.params["fold"] < 0], n)
    agree_in = np.mean(p_van.argmax(1) == ds.y_train)
    agree_oof = np.mean(p_cf.argmax(1) == ds.y_train)
    assert agree_in > 0.97 and agree_oof < 0.85


# ----------------------------------------------------------------------------------------------
# the overfitting effect on digits with label noise
def test_digits_label_noise_crossfit_beats_vanilla_at_overtrained_capacity():
    cfg = make_config(dataset="sklearn:digits", teacher="mlp-epochs", student="mlp", label_noise=0.3,
                      capacities=(2, 10), teacher_options={"lr": 1e-2, "batch_size": 128},
                      student_options={"epochs": 20, "batch_size": 128, "lr": 3e-3},
                      methods=("vanilla", "crossfit"), folds=5, repeats=2, temperature=2.0, alpha=0.9, seed=0)
    df = run_sweep(cfg, jobs=1)
    top = df[df.capacity == max(cfg.capacities)]
    teacher = top[top.method == "teacher"]
    stats = top[top.method != "teacher"].groupby("method")["test_accuracy"].agg(["mean", "std", "count"])
    tol = 2 * np.sqrt((stats["std"] ** 2 / stats["count"]).sum())  # 2 standard errors of the difference
    assert stats.loc["crossfit", "mean"] >= stats.loc["vanilla", "mean"] - tol, stats
    # the teacher really is over-trained there: its test accuracy fell from the small capacity's, and it sits
    # far closer to the noisy labels on the rows it trained on than out of fold (what cross-fitting uses)
    first = df[(df.capacity == min(cfg.capacities)) & (df.method == "teacher")]
    assert teacher["test_accuracy"].iloc[0] < first["test_accuracy"].iloc[0] - 0.05
    oof_label_mse = top.loc[top.method == "crossfit", "teacher_label_mse"].iloc[0]
    assert teacher["teacher_label_mse"].iloc[0] < 0.6 * oof_label_mse


def test_sweep_student_batch_matches_per_task_rows():
    from kdviz.neural.sweep import run_student_batch, supports_batching

    assert supports_batching("mlp") and not supports_batching("rf")
    cfg = make_config(dataset="sklearn:digits", n=300, teacher="mlp-epochs", capacities=(1, 3),
                      teacher_options={"width": 32}, student="mlp", student_options={"epochs": 3, "width": 32},
                      methods=("vanilla", "crossfit", "corrected", "enhanced"), folds=3, c=0.1, repeats=2, seed=1)
    ds = load_dataset("sklearn:digits", n=300, seed=1)
    tasks = plan(cfg, ds)
    res = {t.key: execute(t, cfg, ds, {}) for t in tasks if t.kind == "teacher"}
    students = [t for t in tasks if t.kind == "student" and t.params.get("cap") == 1]
    (planned,) = [t for t in tasks if t.kind == "student_batch" and t.params["cap"] == 1]
    assert sorted(planned.params["method_deps"]) == sorted(cfg.methods)  # {method: [dependency keys]}
    assert set(planned.deps) == {k for ks in planned.params["method_deps"].values() for k in ks}
    # the planned student_batch task is left out: each row below is computed by the per-task path
    method_deps: dict[str, list[str]] = {}
    for t in students:
        method_deps.setdefault(t.params["method"], []).extend(k for k in t.deps if k in res)
    batch = run_student_batch(cfg, ds, 1, list(cfg.methods), res, method_deps).rows
    assert len(batch) == len(students) == 8
    for t in students:
        row = execute(t, cfg, ds, {k: res[k] for k in t.deps if k in res})
        got = batch[f"{t.params['method']}:{t.params['repeat']}"]
        assert abs(got["test_accuracy"] - row["test_accuracy"]) <= 2 / len(ds.y_test)
        assert got["test_log_loss"] == pytest.approx(row["test_log_loss"], rel=1e-3)
