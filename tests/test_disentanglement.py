"""Tests of vae_teach.disentanglement against independent references and known answers."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy

from vae_teach.disentanglement import (
    discrete_entropy,
    discrete_mutual_info,
    discretize,
    free_bits_kl,
    kl_per_dimension,
    linear_beta,
    log_aggregate_posterior,
    mig,
    tc_decomposition,
    total_correlation,
)

# --- mutual information and MIG ---


def test_discrete_entropy_matches_scipy():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, size=500)
    expected = scipy_entropy(np.bincount(labels))
    assert discrete_entropy(labels) == pytest.approx(expected, rel=1e-12)


def test_mutual_info_is_entropy_sum_minus_joint_entropy():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 5, size=2000)
    b = (a + rng.integers(0, 3, size=2000)) % 6
    joint = scipy_entropy(np.unique(np.stack([a, b]), axis=1, return_counts=True)[1])
    # I(a; b) = H(a) + H(b) − H(a, b), entropies from scipy
    expected = scipy_entropy(np.bincount(a)) + scipy_entropy(np.bincount(b)) - joint
    assert discrete_mutual_info(a, b) == pytest.approx(expected, rel=1e-10)
    # I(a; a) = H(a); labels need not start at 0
    assert discrete_mutual_info(a + 10, a) == pytest.approx(discrete_entropy(a), rel=1e-12)


def test_discretize_bins_equal_width():
    codes = np.array([[0.0, 5.0], [0.5, 5.0], [1.0, 5.0], [0.26, 5.0]])
    binned = discretize(codes, bins=4)
    assert binned[:, 0].tolist() == [0, 2, 3, 1]
    # a constant column falls in one bin
    assert (binned[:, 1] == 0).all()


def factor_grid(n, levels, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, k, size=n) for k in levels], axis=1)


def test_mig_of_a_perfect_code_is_near_one():
    factors = factor_grid(10_000, levels=(3, 6, 10, 8))
    rng = np.random.default_rng(2)
    # one latent per factor (an affine map: 20 equal-width bins keep all levels apart),
    # in shuffled order, plus two unrelated latents
    affine = factors * np.array([0.3, -2.0, 1.0, 0.7]) + np.array([1.0, 0.0, -3.0, 5.0])
    codes = np.concatenate([affine, rng.normal(size=(len(factors), 2))], axis=1)[
        :, [4, 2, 0, 5, 3, 1]
    ]
    result = mig(codes, factors, bins=20)
    # the plug-in MI of an unrelated latent is ≈ (bins − 1)(levels − 1) / (2N): a small bias
    assert result.score > 0.98
    assert np.all(result.per_factor > 0.97)
    np.testing.assert_allclose(result.entropy, np.log([3, 6, 10, 8]), atol=0.01)


def test_mig_of_a_random_code_is_near_zero():
    factors = factor_grid(10_000, levels=(3, 6, 10, 8))
    codes = np.random.default_rng(3).normal(size=(len(factors), 6))
    assert 0 <= mig(codes, factors).score < 0.01


def test_mig_of_an_entangled_code_is_low_even_though_mi_is_high():
    # two latents that each mix two factors equally: both know a lot, neither alone
    factors = factor_grid(10_000, levels=(10, 10))
    codes = np.stack([factors[:, 0] + factors[:, 1], factors[:, 0] - factors[:, 1]], axis=1)
    result = mig(codes.astype(float), factors)
    assert result.mi.min() > 0.2 * np.log(10)
    assert result.score < 0.1


def test_mig_bad_input():
    factors = factor_grid(100, levels=(3, 4))
    with pytest.raises(ValueError, match="codes must have at least 2"):
        mig(np.zeros((100, 1)), factors)
    with pytest.raises(ValueError, match="same N"):
        mig(np.zeros((99, 3)), factors)
    with pytest.raises(ValueError, match="at least 2 distinct"):
        mig(np.random.default_rng(0).normal(size=(100, 3)), np.zeros((100, 2), dtype=int))
    with pytest.raises(ValueError, match="bins must be"):
        discretize(np.zeros((5, 2)), bins=1)


# --- KL per dimension, free bits, annealing ---


def test_kl_per_dimension_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(64, 5, generator=g), torch.randn(64, 5, generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(()), torch.ones(()))
    expected = torch.distributions.kl_divergence(q, p).mean(dim=0)
    torch.testing.assert_close(kl_per_dimension(mu, logvar), expected)


def test_free_bits_only_bites_below_lambda():
    mu = torch.tensor([[2.0, 0.0, 0.1]])
    logvar = torch.zeros(1, 3)
    kl = kl_per_dimension(mu, logvar)  # 2, 0, 0.005
    assert free_bits_kl(mu, logvar, 0.0).item() == pytest.approx(kl.sum().item())
    assert free_bits_kl(mu, logvar, 0.5).item() == pytest.approx(2.0 + 0.5 + 0.5)
    # no gradient reaches a dimension below λ, a normal one above
    mu.requires_grad_(True)
    free_bits_kl(mu, logvar, 0.5).backward()
    assert mu.grad[0, 1] == 0 and mu.grad[0, 2] == 0 and mu.grad[0, 0] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="free_bits"):
        free_bits_kl(mu, logvar, -1.0)


def test_linear_beta_schedule():
    assert [linear_beta(e, 4) for e in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert linear_beta(1, 2, beta_max=4.0) == 2.0
    with pytest.raises(ValueError, match="warmup_epochs"):
        linear_beta(0, 0)


# --- β-TCVAE decomposition ---


def gaussian_population(m, rho, s=1.0, sigma=0.3, seed=0):
    """Posteriors N(mu_n, σ² I) with mu_n ~ N(0, s² C), C = corr(ρ) on dims 0-1, dim 2 free.

    Returns mu, logvar (m, 3) and the aggregate posterior's covariance S = s² C + σ² I.
    """
    g = torch.Generator().manual_seed(seed)
    a, b, c = torch.randn(3, m, generator=g, dtype=torch.float64)
    mu = s * torch.stack([a, rho * a + math.sqrt(1 - rho**2) * b, c], dim=1)
    logvar = torch.full_like(mu, math.log(sigma**2))
    corr = torch.tensor([[1.0, rho, 0.0], [rho, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    return mu, logvar, s**2 * corr + sigma**2 * torch.eye(3, dtype=torch.float64)


@pytest.mark.parametrize("estimator", ["stratified", "mws"])
def test_terms_add_up_to_the_monte_carlo_kl(estimator):
    mu, logvar, _ = gaussian_population(500, rho=0.5)
    d = tc_decomposition(mu, logvar, 10_000, estimator, generator=torch.Generator())
    assert d.mi + d.tc + d.dwkl == pytest.approx(d.kl, abs=1e-9)


def test_sum_matches_closed_form_average_kl():
    # the sum is a one-sample MC estimate of E_n KL(q(z|n) ‖ p): compare with the closed form
    mu, logvar, _ = gaussian_population(1500, rho=0.7, seed=1)
    d = tc_decomposition(mu, logvar, generator=torch.Generator().manual_seed(0))
    closed = kl_per_dimension(mu, logvar).sum().item()
    # sd of one sample of log q(z|n) − log p(z) is ≈ 1.5 nats here; 1500 samples: se ≈ 0.04
    assert d.kl == pytest.approx(closed, abs=0.15)


@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_terms_match_a_gaussian_aggregate_posterior(rho):
    # q(z) ≈ N(0, S): TC = ½(Σ_j log S_jj − log det S), dim-wise KL = Σ_j ½(S_jj − 1 − log S_jj),
    # and MI = ½ log det S − ½ Σ_j log σ² (z = μ + σ ε with μ Gaussian)
    mu, logvar, cov = gaussian_population(2000, rho=rho, seed=2)
    d = tc_decomposition(mu, logvar, generator=torch.Generator().manual_seed(1))
    var = torch.diagonal(cov)
    tc = 0.5 * (var.log().sum() - torch.logdet(cov)).item()
    dwkl = (0.5 * (var - 1 - var.log())).sum().item()
    mi = 0.5 * (torch.logdet(cov) - logvar[0].sum()).item()
    assert d.tc == pytest.approx(tc, abs=0.08)
    assert d.dwkl == pytest.approx(dwkl, abs=0.05)
    assert d.mi == pytest.approx(mi, abs=0.15)


def test_tc_is_near_zero_when_factorised_and_positive_when_correlated():
    # the z ~ q(z|n) drawn with a fixed generator: the same numbers whatever ran before
    sample = {"generator": torch.Generator().manual_seed(0)}
    independent = tc_decomposition(*gaussian_population(1000, rho=0.0)[:2], **sample)
    correlated = tc_decomposition(*gaussian_population(1000, rho=0.95)[:2], **sample)
    assert abs(independent.tc) < 0.1
    assert correlated.tc > 0.7


def test_stratified_equals_plain_average_when_batch_is_dataset():
    mu, logvar, _ = gaussian_population(300, rho=0.3)
    z = mu + 0.3 * torch.randn(mu.shape, dtype=torch.float64)
    d = tc_decomposition(mu, logvar, z=z)
    # independent computation with torch.distributions: q(z) = (1/M) Σ_m q(z | n_m)
    q = torch.distributions.Normal(mu[None, :, :], (0.5 * logvar[None, :, :]).exp())
    pair = q.log_prob(z[:, None, :])  # (M, M, Z)
    log_qz = torch.logsumexp(pair.sum(2), dim=1) - math.log(300)
    log_qzj = (torch.logsumexp(pair, dim=1) - math.log(300)).sum(1)
    assert d.tc == pytest.approx((log_qz - log_qzj).mean().item(), rel=1e-10)
    assert total_correlation(z, mu, logvar) == pytest.approx(d.tc, rel=1e-12)


def test_mws_offsets_bias_the_terms():
    # minibatch weighted sampling with N ≫ M shifts MI up and dim-wise KL down by ~log N
    mu, logvar, _ = gaussian_population(500, rho=0.0)
    g = torch.Generator().manual_seed(3)
    z = mu + 0.3 * torch.randn(mu.shape, generator=g, dtype=torch.float64)
    stratified = tc_decomposition(mu, logvar, 100_000, z=z)
    mws = tc_decomposition(mu, logvar, 100_000, "mws", z=z)
    assert mws.mi > stratified.mi + 3 and mws.dwkl < stratified.dwkl - 3
    assert mws.kl == pytest.approx(stratified.kl)


def test_tc_decomposition_bad_input():
    mu = torch.zeros(10, 3)
    with pytest.raises(ValueError, match="same shape"):
        tc_decomposition(mu, torch.zeros(10, 2))
    with pytest.raises(ValueError, match="dataset_size"):
        tc_decomposition(mu, mu, dataset_size=5)
    with pytest.raises(ValueError, match="estimator"):
        tc_decomposition(mu, mu, estimator="mss")
    with pytest.raises(ValueError, match="z must have"):
        tc_decomposition(mu, mu, z=torch.zeros(10, 2))


# --- the shipped sprite models (notebook 07) ---

SWEEP = {"betavae_b1": 1.0, "betavae_b4": 4.0, "betavae_b8": 8.0, "tcvae_b6": 6.0}


def test_shipped_sprite_models_load_and_rate_falls_with_beta():
    from vae_teach.pretrained import load_pretrained, pretrained_info, read_verified
    from vae_teach.sprites import SPRITES32, make_sprites

    data = make_sprites(1000, seed=5, **SPRITES32)
    rates, total_bytes = {}, 0
    for stem, beta in SWEEP.items():
        for seed in (0, 1, 2):
            name = f"{stem}_s{seed}"
            total_bytes += len(read_verified(name))  # checks the SHA-256 too
            model = load_pretrained(name)
            assert model.beta == beta and model.latent_dim == 10, name
            assert tuple(model.image_shape) == (1, 32, 32)
            info = pretrained_info(name)
            assert len(info["kl_per_dim"]) == 10 and 0 <= info["mig"] <= 1
            with torch.no_grad():
                mu, logvar = model.encode(data.images)
            kl = kl_per_dimension(mu, logvar)
            # the stored per-latent KL was measured on the whole grid; 1000 of its images are close
            np.testing.assert_allclose(kl.numpy(), info["kl_per_dim"], atol=0.15)
            rates[stem, seed] = kl.sum().item()
    # every seed: the rate falls as β grows (1 > 4 > 8)
    for seed in (0, 1, 2):
        assert rates["betavae_b1", seed] > rates["betavae_b4", seed] > rates["betavae_b8", seed]
    # the size budget of notebook 07's sprite models: at most 8 MB for the twelve
    assert total_bytes < 8e6


# --- known answers and estimator properties (issue: tests that catch real mistakes) ---


def test_mig_known_answer_is_one_third():
    """v uniform on 0..7, z1 = v, z2 = ⌊v/2⌋, z3 noise: (log 8 − log 4) / log 8 = 1/3 exactly.

    A MIG without the entropy normalisation gives log 2, one that takes the runner-up from
    the wrong latent (z3) gives nearly 1.
    """
    v = np.repeat(np.arange(8), 500)
    noise = np.random.default_rng(0).normal(size=len(v))
    codes = np.stack([v, v // 2, noise], axis=1).astype(float)
    result = mig(codes, v[:, None])
    assert result.score == pytest.approx(1 / 3, abs=1e-12)
    assert result.entropy[0] == pytest.approx(math.log(8))


def test_stratified_minibatch_density_is_unbiased_for_the_full_data_density():
    """E_batch q̂(z_i) = q(z_i) = (1/N) Σ_n q(z_i|n) over random batches that contain i."""
    n, m = 200, 16
    g = torch.Generator().manual_seed(4)
    mu = torch.randn(n, 2, generator=g, dtype=torch.float64)
    logvar = torch.randn(n, 2, generator=g, dtype=torch.float64) * 0.3 - 1
    z = mu[:1] + torch.exp(0.5 * logvar[:1]) * torch.randn(1, 2, generator=g, dtype=torch.float64)
    # exact: q(z_0) under all N examples
    full = torch.logsumexp(
        torch.distributions.Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(1), 0
    ) - math.log(n)
    estimates = []
    for _ in range(4000):
        others = torch.randperm(n - 1, generator=g)[: m - 1] + 1
        batch = torch.cat([torch.zeros(1, dtype=torch.long), others])
        # only z_0's density is checked; the other rows of z do not enter it
        zb = mu[batch].clone()
        zb[0] = z[0]
        log_q_joint, _ = log_aggregate_posterior(zb, mu[batch], logvar[batch], n)
        estimates.append(log_q_joint[0].exp().item())
    estimates = np.array(estimates)
    stderr = estimates.std() / math.sqrt(len(estimates))
    assert abs(estimates.mean() - full.exp().item()) < 4 * stderr


def test_exact_decomposition_matches_the_closed_form_kl_on_average():
    """M = N: MI + TC + dim-wise KL, averaged over many draws of z, is the closed-form KL."""
    mu, logvar, _ = gaussian_population(400, rho=0.6, seed=5)
    g = torch.Generator().manual_seed(0)
    sums = [sum(tc_decomposition(mu, logvar, generator=g)[:3]) for _ in range(50)]
    closed = kl_per_dimension(mu, logvar).sum().item()
    assert np.mean(sums) == pytest.approx(closed, abs=0.02)


def test_aggregate_posterior_in_small_chunks_equals_one_dense_pass():
    """The chunked, scalar-weight computation equals a dense (M, M, Z) reference."""
    mu, logvar, _ = gaussian_population(300, rho=0.4, seed=6)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, dtype=torch.float64)
    for estimator, n in [("stratified", 300), ("stratified", 5000), ("mws", 5000)]:
        small = log_aggregate_posterior(z, mu, logvar, n, estimator, max_elements=1000)
        if estimator == "mws":
            log_w = torch.full((300, 300), -math.log(n * 300), dtype=torch.float64)
        else:
            log_w = torch.full((300, 300), math.log((n - 1) / (n * 299)), dtype=torch.float64)
            log_w.fill_diagonal_(-math.log(n))
        pair = torch.distributions.Normal(mu[None], (0.5 * logvar[None]).exp()).log_prob(z[:, None])
        joint = torch.logsumexp(log_w + pair.sum(2), dim=1)
        marginals = torch.logsumexp(log_w[:, :, None] + pair, dim=1).sum(1)
        torch.testing.assert_close(small[0], joint)
        torch.testing.assert_close(small[1], marginals)


def test_free_bits_averages_over_the_batch_before_the_floor():
    """Batch of 2: KL_j is the batch mean, then max(λ, KL_j); not a per-example floor."""
    mu = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    logvar = torch.zeros(2, 2)
    # KL_j = mean over the batch of ½ μ²: (1.0, 0.0)
    assert free_bits_kl(mu, logvar, 0.5).item() == pytest.approx(1.0 + 0.5)
    # a per-example floor would give (max(.5, 2) + max(.5, 0)) / 2 + 0.5 = 1.75


def test_subsampled_outer_average_agrees_with_all_samples_within_its_error():
    mu, logvar, _ = gaussian_population(1500, rho=0.7, seed=7)
    g = torch.Generator().manual_seed(1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g, dtype=torch.float64)
    full = tc_decomposition(mu, logvar, z=z)
    part = tc_decomposition(mu, logvar, z=z, generator=g, n_samples=300)
    for key in ("mi", "tc", "dwkl"):
        assert abs(getattr(part, key) - getattr(full, key)) < 4 * part.se[key] + 1e-9
    assert part.mi + part.tc + part.dwkl == pytest.approx(part.kl, abs=1e-9)


def test_beta_tcvae_loss_weights_only_the_total_correlation():
    """With β = 1 the β-TCVAE loss is recon + MI + TC + dwKL = recon + the MC KL of the sample."""
    from vae_teach.models import BetaTCVAE, build_model

    torch.manual_seed(0)
    model = BetaTCVAE(image_shape=(1, 8, 8), hidden=(16,), latent_dim=3, dataset_size=1000)
    x = torch.rand(32, 1, 8, 8).round()
    torch.manual_seed(1)
    one = model.loss(x)
    model.beta = 5.0
    torch.manual_seed(1)
    five = model.loss(x)
    # same z (same seed): the losses differ by exactly (β − 1) · TC
    assert (five["loss"] - one["loss"]).item() == pytest.approx(4 * one["tc"].item(), rel=1e-5)
    assert one["recon"].item() == pytest.approx(five["recon"].item())
    rebuilt = build_model(model.config)
    assert isinstance(rebuilt, BetaTCVAE) and rebuilt.dataset_size == 1000
