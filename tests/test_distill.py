"""KD targets and loss corrections against THEORY §3, with finite-difference checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kdviz.errors import ConfigError
from kdviz.kd.distill import CLIP, gamma, gamma_star, inverse_link, kd_target, link, one_hot, squared_kd_loss


def _random_case(n=200, k=2, seed=0):
    """Teacher probabilities and one-hot labels, the same in every test whatever the order they run in."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n)
    y = one_hot(rng.integers(0, k, n), k)
    return p, y


def test_vanilla_targets_are_the_link():
    p, y = _random_case()
    np.testing.assert_allclose(kd_target(p, y, "p"), p)
    np.testing.assert_allclose(kd_target(p, y, "logp"), np.log(np.clip(p, CLIP, None)))
    np.testing.assert_allclose(inverse_link(link(p, "logp"), "logp"), np.clip(p, CLIP, None))


def test_full_correction_on_p_scale_gives_back_the_labels():
    p, y = _random_case()
    np.testing.assert_allclose(kd_target(p, y, "p", corrected=True, rule="full"), y, atol=1e-12)


def test_full_correction_on_log_scale_is_the_orthogonal_target():
    p, y = _random_case()
    p = np.clip(p, 0.01, None)  # away from the clip so the closed form applies exactly
    expected = np.log(p) + y / p - 1
    np.testing.assert_allclose(kd_target(p, y, "logp", corrected=True, rule="full"), expected, atol=1e-12)


def test_clipping_applies_before_log_and_division():
    p = np.array([[1 - 1e-9, 1e-9]])
    y = np.array([[0.0, 1.0]])
    t = kd_target(p, y, "logp", corrected=True, rule="full")
    assert np.isfinite(t).all()
    assert t[0, 1] == pytest.approx(np.log(CLIP) + (1 - 1e-9) / CLIP)


def test_bound_fast_gamma_interpolates_between_vanilla_and_full():
    p, y = _random_case()
    g_star = gamma_star(p, "logp")
    r2 = (y - p) ** 2
    np.testing.assert_allclose(gamma(p, y, "logp", "bound_fast", c=0.3), 0.3 * g_star / (0.3 + r2))
    vanilla = kd_target(p, y, "logp")
    full = kd_target(p, y, "logp", corrected=True, rule="full")
    np.testing.assert_allclose(kd_target(p, y, "logp", True, "bound_fast", c=1e9), full, rtol=1e-6)
    np.testing.assert_allclose(kd_target(p, y, "logp", True, "bound_fast", c=1e-12), vanilla, atol=1e-6)


@pytest.mark.parametrize("scale", ["p", "logp"])
def test_correction_is_the_first_order_term_of_the_loss(scale):
    """ℓ_o(f) = ℓ(f, p̂) + γ_raw·Dℓ(f, p̂)[y − p̂] equals (f − target)² up to a constant in f.

    The directional derivative is taken by central finite differences of ℓ in p̂, so this checks the
    closed-form target against the definition of the Neyman-orthogonal loss (THEORY §2).
    """
    p, y = _random_case(50)
    p = np.clip(p, 0.05, 0.95)
    c = 0.7
    g = gamma(p, y, scale, "bound_fast", c)
    g_raw = g if scale == "p" else g * p  # γ = γ_raw · g'(p̂), g'(p) = 1/p on the log scale
    h = 1e-6
    target = kd_target(p, y, scale, corrected=True, rule="bound_fast", c=c)

    def corrected_loss(f):
        d = y - p
        deriv = (squared_kd_loss(f, p + h * d, scale) - squared_kd_loss(f, p - h * d, scale)) / (2 * h)
        return squared_kd_loss(f, p, scale) + g_raw * deriv

    rng = np.random.default_rng(1)
    f1, f2 = rng.normal(size=p.shape), rng.normal(size=p.shape)
    diff1 = corrected_loss(f1) - (f1 - target) ** 2
    diff2 = corrected_loss(f2) - (f2 - target) ** 2
    np.testing.assert_allclose(diff1, diff2, atol=1e-5)


def test_correction_has_mean_zero_at_p0():
    """E[y | x] = p0 ⇒ the corrected target's conditional mean equals the vanilla target at p̂ = p0."""
    p0 = np.full((200_000, 2), 0.0)
    p0[:, 1] = 0.3
    p0[:, 0] = 0.7
    labels = (np.random.default_rng(1).random(len(p0)) < 0.3).astype(int)
    y = one_hot(labels, 2)
    corr = kd_target(p0, y, "logp", corrected=True, rule="full") - kd_target(p0, y, "logp")
    assert abs(corr[:, 1].mean()) < 4 * corr[:, 1].std() / np.sqrt(len(p0))


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-6, 1 - 1e-6), st.integers(0, 1), st.floats(1e-4, 1e4))
def test_bound_fast_target_is_finite_and_between_vanilla_and_full(p1, label, c):
    p = np.array([[1 - p1, p1]])
    y = one_hot(np.array([label]), 2)
    v, f = kd_target(p, y, "logp"), kd_target(p, y, "logp", True, "full")
    b = kd_target(p, y, "logp", True, "bound_fast", c=c)
    assert np.isfinite(b).all()
    lo, hi = np.minimum(v, f), np.maximum(v, f)
    assert (b >= lo - 1e-9).all() and (b <= hi + 1e-9).all()


def test_bad_arguments_have_messages():
    p, y = _random_case(3)
    with pytest.raises(ConfigError, match="scale must be"):
        kd_target(p, y, "log")
    with pytest.raises(ConfigError, match="c > 0"):
        kd_target(p, y, "logp", corrected=True, rule="bound_fast", c=None)
    with pytest.raises(ConfigError, match="needs the training labels"):
        kd_target(p, None, "logp", corrected=True, rule="full")
