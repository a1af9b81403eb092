"""kdviz.theory: controlled teacher, bound-term measurements, fitted slopes and bounds (seeded, < 20 s).

Documented ε range (THEORY §6): ε ∈ {0.1, 0.141, …, 1.6} (ratio √2; ε2 ≈ 0.012–0.17 on the default
GMM d = 2, r = 0.5, label noise 0.1, h(x) = sin(x₁ + 0.8), quadratic student on log p). Over it the
*bias term* (student fit to the conditional expectation of its target) is in its Taylor regime, and
at n = 20,000 the corrected student's finite-n error is bias-dominated (mean bias ≥ mean variance)
from ε ≈ 0.8 up: its slope is measured there. benchmarks/bench_theory.py runs the larger version.
"""

from __future__ import annotations

import numpy as np
import pytest

from kdviz.errors import ConfigError
from kdviz.experiments import get_experiment, run_experiment
from kdviz.kd.distill import CLIP
from kdviz.theory import (
    ControlledTeacher,
    MethodSpec,
    bias_dominated,
    controlled_proba,
    fit_bound,
    fit_slope,
    loglog_slope,
    make_capacity_config,
    make_eps_config,
    reference_line,
)
from kdviz.theory.controlled import targets
from kdviz.theory.experiments import load_context


@pytest.fixture(scope="module")
def eps_table():
    cfg = make_eps_config(n=20_000, repeats=3, c_grid=(0.01, 0.1, 1.0, 10.0, 100.0), cv_folds=3)
    return run_experiment("theory-eps", cfg, jobs=1)


def test_controlled_teacher_is_p0_at_zero_and_its_error_grows_linearly():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 2))
    p1 = rng.uniform(0.1, 0.9, 5000)
    p0 = np.column_stack([1 - p1, p1])
    assert np.allclose(controlled_proba(p0, X, 0.0), p0, atol=1e-12)
    t = ControlledTeacher(eps=0.0).fit(X)
    assert np.allclose(t.predict_proba(X, p0), p0, atol=1e-12)
    e = [np.sqrt(np.mean((controlled_proba(p0, X, eps)[:, 1] - p1) ** 2)) for eps in (0.01, 0.02, 0.04)]
    assert e[1] / e[0] == pytest.approx(2, rel=0.02) and e[2] / e[1] == pytest.approx(2, rel=0.02)
    # tempering alone (κ ≠ 1) also moves the teacher, towards 0/1 for κ > 1
    sharp = controlled_proba(p0, X, 0.0, kappa=2.0)[:, 1]
    assert np.all(np.abs(sharp - 0.5) >= np.abs(p1 - 0.5) - 1e-12)
    with pytest.raises(ConfigError, match="eps"):
        ControlledTeacher(eps=-1.0).fit(X)


def test_conditional_expectation_of_the_corrected_target_is_log_phat_plus_p0_over_phat_minus_1():
    rng = np.random.default_rng(1)
    q = rng.uniform(0.05, 0.95, 1000)
    p0 = np.column_stack([1 - q, q])
    p_hat = controlled_proba(p0, rng.standard_normal((1000, 2)), 0.3)
    y = (rng.random(1000) < q).astype(int)
    _, te = targets(p_hat, y, p0, MethodSpec("corrected", True, "full"))
    ph = np.maximum(p_hat[:, 1], CLIP)
    assert np.allclose(te, np.log(ph) + q / ph - 1)
    t_van, te_van = targets(p_hat, y, p0, MethodSpec("vanilla", False))
    assert np.array_equal(t_van, te_van)


def test_error_decomposition_on_a_controlled_run(eps_table):
    df = eps_table
    van = df[df["method"] == "vanilla"]
    assert (van["variance_error"] < 1e-20).all()  # the controlled teacher is deterministic given X
    cor = df[df["method"] == "corrected"]
    assert (cor["variance_error"] > 0).all() and (cor["correction_var"] > 0).all()
    # excess = bias + variance up to a mean-zero cross term
    rel = (cor["excess_error"] - cor["bias_error"] - cor["variance_error"]).abs() / cor["excess_error"]
    assert rel.median() < 0.3
    # in-sample and out-of-sample teacher errors agree: the controlled teacher never saw the data
    assert np.allclose(df["teacher_error_train"], df["teacher_error_l2"], rtol=0.1)
    assert set(df.columns) >= {"student_error", "oracle_error", "bias_error", "variance_error", "teacher_error_l4"}


def test_fitted_slopes_two_for_vanilla_and_at_least_three_corrected(eps_table):
    df = eps_table
    van = fit_slope(df, "vanilla", "bias_error")
    cor = fit_slope(df, "corrected", "bias_error")
    assert van.repeats == 3 and van.points == 9 and (van.eps_min, van.eps_max) == (0.1, 1.6)
    assert 1.5 <= van.lo <= van.slope <= van.hi <= 2.5, van
    assert cor.lo >= 3.0, cor
    # finite n: the corrected student's own error, over the ε where its bias dominates its variance
    window = bias_dominated(df, "corrected")
    assert len(window) >= 3 and min(window) <= 0.8, window
    fin = fit_slope(df, "corrected", "student_error", eps=window)
    assert fin.slope >= 3.0, fin
    # ... while over the whole range the variance floor hides the ε⁴ term (THEORY §6)
    assert fit_slope(df, "corrected", "student_error").slope < 3.0
    # vanilla's finite-n error has no variance floor: slope 2 over the whole range
    assert 1.5 <= fit_slope(df, "vanilla", "student_error").slope <= 2.5


def test_enhanced_beats_vanilla_at_the_largest_eps_beyond_the_repeat_spread(eps_table):
    df = eps_table
    top = df[df["eps"] == df["eps"].max()]
    v = top[top["method"] == "vanilla"]["student_error"]
    e = top[top["method"] == "enhanced"]["student_error"]
    assert v.min() > e.max()
    assert v.mean() - e.mean() > 3 * (v.std(ddof=1) + e.std(ddof=1))


def test_fit_bound_recovers_known_constants_and_reference_lines_have_their_slope():
    rng = np.random.default_rng(3)
    floor = rng.uniform(1e-4, 1e-3, 40)
    e2 = np.geomspace(0.01, 0.3, 40)
    y = 2.0 * floor + 5.0 * e2**2
    bf = fit_bound(floor, e2, y, 2, "vanilla", "C1·δ² + C2·ε2²")
    assert bf.c1 == pytest.approx(2.0, rel=1e-3) and bf.c2 == pytest.approx(5.0, rel=1e-3)
    assert "fitted" in bf.label() and "constants unknown" in bf.label()
    xs, ys = reference_line(e2, y, 4)
    assert loglog_slope(xs, ys) == pytest.approx(4.0)
    centre_x, centre_y = np.exp(np.log(e2).mean()), np.exp(np.log(y).mean())
    _, at_centre = reference_line(e2, y, 4, grid=np.array([centre_x]))
    assert at_centre[0] == pytest.approx(centre_y)  # the line goes through the data's geometric centre


def test_configs_refuse_what_makes_no_sense():
    with pytest.raises(ConfigError, match="cross-fitting changes nothing"):
        make_eps_config(methods=("vanilla", "crossfit"))
    with pytest.raises(ConfigError, match="2-dimensional"):
        make_eps_config(dataset="synthetic:curve", d=3)
    with pytest.raises(ConfigError, match="limit"):
        make_eps_config(n=1_000_000, repeats=50, eps_grid=tuple(np.linspace(0.1, 2, 30)))
    with pytest.raises(ConfigError, match="known p0"):
        make_capacity_config(dataset="sklearn:breast_cancer")


def test_task_keys_are_read_from_the_schema():
    """Every TheoryConfig setting enters the controlled tasks' keys unless the schema says it acts through
    the tasks' own parameters (n, the grids, repeats), so a new setting cannot be left out of them; gamma
    and c_fixed (added later) enter only when set, so the keys of earlier runs stay what they were."""
    from pydantic import Field

    from kdviz.theory import experiments as te

    cfg = make_eps_config(n=2000, repeats=2, eps_grid=(0.2, 0.8), n_eval=2000)
    fields = te._fields(cfg)
    assert set(fields) == {"dataset", "d", "r", "label_noise", "kappa", "h_seed", "student", "methods", "c",
                           "c_grid", "cv_folds", "cv_metric", "n_eval", "seed"}  # the keys of earlier runs
    assert {"gamma", "c_fixed"} <= set(te._fields(make_eps_config(n=2000, gamma="bound_fast_expected")))
    assert {"gamma", "c_fixed"} <= set(te._fields(make_eps_config(n=2000, c_fixed=(0.1,))))

    class WithWarmup(te.EpsSweepConfig):  # a setting added to the model enters the key by itself
        warmup: int = Field(0, ge=0)

    assert te._fields(WithWarmup(**cfg.model_dump(), warmup=3)) == {**fields, "warmup": 3}
    ctx = {"fingerprint": "fp"}
    keys = {t.key for t in te.plan_eps(cfg, ctx)}
    assert not keys & {t.key for t in te.plan_eps(WithWarmup(**cfg.model_dump(), warmup=3), ctx)}


def test_tasks_are_seeded_independent_and_content_keyed():
    cfg = make_eps_config(n=2000, repeats=2, eps_grid=(0.2, 0.8), methods=("vanilla", "corrected"), n_eval=2000)
    exp = get_experiment("theory-eps")
    ctx = load_context(cfg)
    tasks = exp.plan(cfg, ctx)
    assert len(tasks) == 4 and len({t.key for t in tasks}) == 4 and all(not t.deps for t in tasks)
    assert [t.key for t in exp.plan(cfg, ctx)] == [t.key for t in tasks]
    other = make_eps_config(n=2000, repeats=2, eps_grid=(0.2, 0.8), methods=("vanilla", "corrected"),
                            n_eval=2000, seed=1)
    assert not {t.key for t in exp.plan(other, load_context(other))} & {t.key for t in tasks}
    a = run_experiment("theory-eps", cfg, jobs=1)
    b = run_experiment("theory-eps", cfg, jobs=1)
    assert a.equals(b)
    assert len(a) == 2 * 2 * 2


# ----------------------------------------------------------------------------------------------
# the slope table's theory column is computed (THEORY §3), not typed
@pytest.fixture(scope="module")
def r2_table():
    cfg = make_eps_config(n=1500, n_eval=1500, repeats=2, eps_grid=(0.2, 0.4, 0.8, 1.6), methods=("vanilla", "enhanced"),
                          c=1.0)
    return cfg, run_experiment("theory-eps", cfg, jobs=1)


def test_theory_column_equals_the_population_slope_computed_independently(r2_table):
    """One row recomputed from scratch: a fresh Monte Carlo sample of x (another seed), E[T | x] by averaging
    the r² rule's target over simulated labels (not the closed form), the quadratic student's projection by
    lstsq, the slope by polyfit. It must match the table's theory value, and that value must not be the
    typed 4 of the old table (the r² rule at c = 1 has a bias floor: slope ≈ 0.2)."""
    from kdviz.data.load import load_dataset
    from kdviz.kd.distill import kd_target, one_hot
    from kdviz.theory.controlled import make_bias_field, poly_features
    from kdviz.theory.plots import slope_table

    cfg, df = r2_table
    table = slope_table(df, config=cfg)
    row = table[(table.method == "enhanced") & table.measured.str.startswith("bias")].iloc[0]
    assert row["c"] == "1" and row["γ rule"] == "bound_fast" and row["order as ε → 0"] == "none — bias floor"
    van = table[(table.method == "vanilla") & table.measured.str.startswith("bias")].iloc[0]
    assert van["order as ε → 0"] == "2" and abs(van["theory (this ε range)"] - 2) < 0.2

    ds = load_dataset("synthetic:gmm", n=8000, seed=12345, d=2, r=0.5, label_noise=0.1, test_size=0.5)
    X, p0 = np.vstack([ds.X_train, ds.X_test]), np.vstack([ds.p0_train, ds.p0_test])
    D = poly_features(X, 2)
    h = make_bias_field(2, 0)(X)
    rng = np.random.default_rng(7)
    e2s, biases = [], []
    for eps in cfg.eps_grid:
        z = np.log(p0[:, 1]) - np.log1p(-p0[:, 1]) + eps * h
        q = 1 / (1 + np.exp(-z))
        ph = np.column_stack([1 - q, q])
        mean_t = np.zeros(len(X))
        draws = 300
        for _ in range(draws):
            y = (rng.random(len(X)) < p0[:, 1]).astype(int)
            mean_t += kd_target(ph, one_hot(y, 2), "logp", True, "bound_fast", 1.0)[:, 1] / draws
        b = mean_t - np.log(p0[:, 1])
        fit = D @ np.linalg.lstsq(D, b, rcond=None)[0]
        e2s.append(np.sqrt(np.mean((q - p0[:, 1]) ** 2)))
        biases.append(np.mean(fit ** 2))
    independent = np.polyfit(np.log(e2s), np.log(biases), 1)[0]
    assert row["theory (this ε range)"] == pytest.approx(independent, abs=0.08)
    assert row["theory (this ε range)"] < 1.0


def test_fitted_e4_bound_only_for_order_4_and_captions_say_which_reach_4(r2_table):
    from kdviz.teaching.captions import theory_outcome
    from kdviz.theory.plots import eps_chart

    cfg, df = r2_table
    fig = eps_chart(df)
    names = [t.name for t in fig.data]
    assert not any("ε4⁴" in n for n in names)  # neither vanilla (order 2) nor the r² rule (floor) has order 4
    assert any("ε2²" in n and n.startswith("Vanilla") for n in names)
    hidden = {t.name.split(":")[0] for t in fig.data if t.visible == "legendonly"}
    assert any("c = 1" in n for n in hidden)  # the r² rule is one click away, vanilla is drawn
    text = theory_outcome("eps", df, cfg)
    assert "theory over this ε range" in text and "(theory 4)" not in text
    assert "has no order" in text and "bias has a floor" in text
