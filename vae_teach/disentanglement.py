"""Measuring disentanglement, and two objectives against posterior collapse (notebook 07).

- MIG, the mutual information gap (Chen et al. 2018): for each true factor v_k, the gap
  between the two latents that know most about it, in units of the factor's entropy.
- The β-TCVAE decomposition (Chen et al. 2018) of the average KL of a VAE into index-code
  mutual information, total correlation and dimension-wise KL, estimated on a minibatch.
- Per-dimension KL (which latents are active), free bits (Kingma et al. 2016) and a linear
  KL-annealing schedule (Bowman et al. 2016).

Everything is in nats.
"""

import math
from typing import NamedTuple

import numpy as np
import torch

from vae_teach import _checks
from vae_teach.gaussian import (
    LOG_2PI,
    diagonal_log_density,
    kl_to_standard_normal,
    standard_normal_log_density,
)

# --- mutual information gap ---


def _as_2d(array, name: str) -> np.ndarray:
    array = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"{name} must have shape (N, D) with N > 0, got {array.shape}")
    return array


def discretize(codes, bins: int = 20) -> np.ndarray:
    """Each column cut into `bins` equal-width bins over its own [min, max]: (N, D) ints.

    Args:
        codes: (N, D) latent codes (e.g. posterior means).
        bins: number of bins per column (≥ 2).
    """
    codes = _as_2d(codes, "codes").astype(np.float64)
    bins = _checks.integer(bins, "bins", minimum=2)
    low, high = codes.min(axis=0), codes.max(axis=0)
    # bin index = ⌊bins · (c − min) / (max − min)⌋, the maximum put in the last bin: (N, D)
    scaled = (codes - low) / np.where(high > low, high - low, 1.0)
    return np.minimum((scaled * bins).astype(np.int64), bins - 1)


def discrete_entropy(labels) -> float:
    """Plug-in entropy H(a) = −Σ_a p(a) log p(a) of integer labels (N,), in nats."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must have shape (N,) with N > 0, got {labels.shape}")
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    # H = −Σ p log p
    return float(-(p * np.log(p)).sum())


def discrete_mutual_info(a, b) -> float:
    """Plug-in mutual information I(a; b) of two integer label arrays (N,), in nats.

    I(a; b) = Σ_{a,b} p(a, b) log [p(a, b) / (p(a) p(b))], with p the empirical frequencies.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or a.shape != b.shape or len(a) == 0:
        raise ValueError(f"a and b must have the same shape (N,), got {a.shape} and {b.shape}")
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    # joint frequencies p(a, b): (|A|, |B|)
    joint = np.bincount(a * (b.max() + 1) + b, minlength=(a.max() + 1) * (b.max() + 1))
    joint = joint.reshape(a.max() + 1, b.max() + 1) / len(a)
    pa, pb = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    # I = Σ p(a,b) log(p(a,b) / (p(a) p(b))) over non-empty cells
    return float((joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum())


class MIGResult(NamedTuple):
    """MIG and its parts: score (mean gap), per_factor gaps (K,), mi (D, K) and H(v_k) (K,)."""

    score: float
    per_factor: np.ndarray
    mi: np.ndarray
    entropy: np.ndarray


def mutual_info_matrix(codes, factors, bins: int = 20) -> np.ndarray:
    """I(z_j; v_k) for every latent j and factor k: (D, K) in nats, z_j binned.

    Args:
        codes: (N, D) latent codes. factors: (N, K) integer factor levels. bins: per latent.
    """
    codes, factors = _as_2d(codes, "codes"), _as_2d(factors, "factors")
    if len(codes) != len(factors):
        raise ValueError(
            f"codes and factors must have the same N, got {len(codes)}, {len(factors)}"
        )
    binned = discretize(codes, bins)
    return np.array(
        [[discrete_mutual_info(z, v) for v in factors.T] for z in binned.T], dtype=np.float64
    )


def mig(codes, factors, bins: int = 20) -> MIGResult:
    """Mutual information gap: mean over factors of (I(z_j*; v_k) − I(z_j°; v_k)) / H(v_k).

    j* and j° are the latents with the largest and second-largest MI with factor k. Each
    latent is cut into `bins` equal-width bins; MI and entropies are plug-in estimates on the
    N samples (so a code independent of the factors still scores a little above 0).

    Args:
        codes: (N, D) latent codes, D ≥ 2 (e.g. posterior means μ).
        factors: (N, K) integer factor levels; each factor must take at least 2 values.
        bins: bins per latent.
    """
    codes = _as_2d(codes, "codes")
    if codes.shape[1] < 2:
        raise ValueError(f"codes must have at least 2 columns for a gap, got {codes.shape[1]}")
    if not np.isfinite(codes).all():
        raise ValueError("codes must be finite, got NaN or inf (a diverged encoder?)")
    mi = mutual_info_matrix(codes, factors, bins)
    factors = _as_2d(factors, "factors")
    entropy = np.array([discrete_entropy(v) for v in factors.T])
    if (entropy == 0).any():
        raise ValueError("every factor in factors must take at least 2 distinct values")
    # top two MI values per factor: (K,) each
    top = np.sort(mi, axis=0)[::-1]
    # gap_k = (I_(1) − I_(2)) / H(v_k)
    per_factor = (top[0] - top[1]) / entropy
    return MIGResult(float(per_factor.mean()), per_factor, mi, entropy)


# --- KL per dimension, free bits, annealing ---


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Average KL of each latent dimension to N(0, 1) over the batch: (Z,) in nats.

    Args:
        mu, logvar: (B, Z) encoder outputs.
    """
    if mu.dim() != 2 or mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape (B, Z), got {tuple(mu.shape)} and "
            f"{tuple(logvar.shape)}"
        )
    # KL_j = ½ (μ_j² + σ_j² − 1 − log σ_j²), averaged over the batch: (B, Z) -> (Z,)
    return kl_to_standard_normal(mu, logvar).mean(dim=0)


def free_bits_kl(mu: torch.Tensor, logvar: torch.Tensor, free_bits: float) -> torch.Tensor:
    """Free-bits KL penalty Σ_j max(λ, KL_j), KL_j averaged over the batch: a scalar.

    Below λ nats a latent dimension costs a constant, so its gradient does not push it to the
    prior; above λ it is penalised as usual (Kingma et al. 2016).

    Args:
        mu, logvar: (B, Z) encoder outputs.
        free_bits: λ ≥ 0, nats allowed per latent dimension.
    """
    free_bits = _checks.non_negative(free_bits, "free_bits")
    # Σ_j max(λ, KL_j): (Z,) -> scalar
    return torch.clamp(kl_per_dimension(mu, logvar), min=free_bits).sum()


def linear_beta(epoch: int, warmup_epochs: int, beta_max: float = 1.0) -> float:
    """KL annealing: β grows linearly from 0 at epoch 0 to beta_max at epoch warmup_epochs.

    Args:
        epoch: 0-based epoch. warmup_epochs: epochs of the ramp (≥ 1). beta_max: final β.
    """
    warmup_epochs = _checks.positive_int(warmup_epochs, "warmup_epochs")
    epoch = _checks.integer(epoch, "epoch", minimum=0)
    beta_max = _checks.non_negative(beta_max, "beta_max")
    # β = β_max · min(1, epoch / warmup)
    return beta_max * min(1.0, epoch / warmup_epochs)


# --- β-TCVAE decomposition of the KL ---


class TCDecomposition(NamedTuple):
    """Average KL and its three parts (nats per example): kl = mi + tc + dwkl on the sample.

    se: the standard error of each average over the sampled examples (MC noise only: the
    estimator's bias, if any, is not in it).
    """

    mi: float
    tc: float
    dwkl: float
    kl: float
    se: dict


def _log_weights(m: int, dataset_size: int, estimator: str) -> tuple[float, float]:
    """(log w_ii, log w_im for m ≠ i) of q̂(z_i) = Σ_m w_im q(z_i | n_m): two scalars."""
    n = dataset_size
    if estimator == "mws":
        # minibatch weighted sampling: w_im = 1 / (N M) for every m
        return -math.log(n * m), -math.log(n * m)
    # stratified: w_ii = 1/N (z_i's own example), w_im = (N − 1) / (N (M − 1)) for m ≠ i
    return -math.log(n), math.log((n - 1) / (n * (m - 1)))


def _log_mixture(log_q, log_q_own, log_w_own: float, log_w_other: float, dim=-1):
    """log Σ_m w_im q_im along `dim` (the m axis), with weight w_own on m = i, w_other elsewhere.

    log_q: log q(z_i | n_m), e.g. (I, M); log_q_own: log q(z_i | n_i), log_q without `dim`.
    """
    # log Σ_m w_other q_im, then swap the own term's weight: log_q without `dim`
    total = torch.logsumexp(log_q, dim=dim) + log_w_other
    if log_w_own == log_w_other:
        return total
    # + log(1 + (w_own − w_other) q_ii / Σ_m w_other q_im); w_own < w_other here, so log1p(−…)
    share = torch.exp(log_q_own + log_w_other - total)
    return total + torch.log1p(math.expm1(log_w_own - log_w_other) * share)


def log_aggregate_posterior(
    z: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    dataset_size: int | None = None,
    estimator: str = "stratified",
    rows: torch.Tensor | None = None,
    max_elements: int = 2**21,
) -> tuple[torch.Tensor, torch.Tensor]:
    """log q̂(z_s) and Σ_j log q̂(z_sj) for S samples, q̂ estimated from M examples.

    q̂(z) = Σ_m w_m q(z | n_m) with the scalar weights of `_log_weights` (w_own for the
    sample's own example); exact for the aggregate posterior q(z) = (1/N) Σ_n q(z|n) when
    M = N ("stratified"). Samples are taken a chunk at a time so memory stays near
    `max_elements` numbers, whatever M is: no (M, M) matrix is ever built.

    Args:
        z: (S, Z) samples, z_s ~ q(z | n_rows[s]). mu, logvar: (M, Z) encoder outputs.
        dataset_size: N (default M). estimator: "stratified" or "mws".
        rows: (S,) index of each sample's own example in mu (default 0..M−1, S = M).
    Returns:
        (log_q_joint, log_q_marginals), each (S,); differentiable.
    """
    m, latent_dim = mu.shape
    rows = torch.arange(m) if rows is None else rows
    log_w_own, log_w_other = _log_weights(m, m if dataset_size is None else dataset_size, estimator)
    # log N(z; μ, σ²) = c − ½ z²/σ² + z μ/σ², with c = −½ (log 2π + log σ² + μ²/σ²): (M, Z) each
    inv_var = torch.exp(-logvar)
    c = -0.5 * (LOG_2PI + logvar + mu**2 * inv_var)
    chunk = max(1, max_elements // (m * latent_dim))
    joint, marginals = [], []
    for start in range(0, len(z), chunk):
        zi, own_rows = z[start : start + chunk], rows[start : start + chunk]
        # log q(z_i | n_m) summed over dims, as matrix products: (I, Z) @ (Z, M) -> (I, M)
        log_q = c.sum(1) - 0.5 * (zi**2) @ inv_var.T + zi @ (mu * inv_var).T
        # per dim j, the same terms laid out (Z, I, M) so the sum over m is contiguous
        zt = zi.T[:, :, None]
        log_q_j = (
            c.T[:, None, :]
            + zt * (mu * inv_var).T[:, None, :]
            - 0.5 * zt**2 * inv_var.T[:, None, :]
        )
        # log q(z_ij | n_i), each sample under its own example: (I, Z)
        own = diagonal_log_density(zi, mu[own_rows], logvar[own_rows])
        # log q̂(z_i) = log Σ_m w_im Π_j q(z_ij | n_m): (I,)
        joint.append(_log_mixture(log_q, own.sum(1), log_w_own, log_w_other))
        # Σ_j log q̂(z_ij) = Σ_j log Σ_m w_im q(z_ij | n_m): (Z, I) -> (I,)
        marginals.append(_log_mixture(log_q_j, own.T, log_w_own, log_w_other).sum(0))
    return torch.cat(joint), torch.cat(marginals)


def kl_terms(z, mu, logvar, dataset_size=None, estimator="stratified", rows=None) -> dict:
    """Per-sample index-code MI, total correlation and dimension-wise KL (nats).

        mi_s = log q(z_s|n_s) − log q̂(z_s),  tc_s = log q̂(z_s) − Σ_j log q̂(z_sj),
        dwkl_s = Σ_j log q̂(z_sj) − log p(z_s);  mi_s + tc_s + dwkl_s = log q(z_s|n_s) − log p(z_s)

    Args:
        z: (S, Z) samples, z_s ~ q(z | n_rows[s]). mu, logvar: (M, Z) encoder outputs.
        dataset_size, estimator, rows: as in `log_aggregate_posterior`.
    Returns:
        {"mi", "tc", "dwkl"}: (S,) tensors; differentiable.
    """
    rows = torch.arange(len(mu)) if rows is None else rows
    log_q_joint, log_q_marginals = log_aggregate_posterior(
        z, mu, logvar, dataset_size, estimator, rows
    )
    # log q(z_s | n_s) and log p(z_s) = Σ_j log N(z_sj; 0, 1): (S, Z) -> (S,)
    log_q_cond = diagonal_log_density(z, mu[rows], logvar[rows]).sum(dim=1)
    log_p = standard_normal_log_density(z).sum(dim=1)
    return {
        "mi": log_q_cond - log_q_joint,
        "tc": log_q_joint - log_q_marginals,
        "dwkl": log_q_marginals - log_p,
    }


def tc_decomposition(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    dataset_size: int | None = None,
    estimator: str = "stratified",
    z: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    n_samples: int | None = None,
) -> TCDecomposition:
    """β-TCVAE decomposition of E_n KL(q(z|n) ‖ p(z)) on M examples.

        KL = E[log q(z|n) − log q(z)]              (index-code MI)
           + E[log q(z) − Σ_j log q(z_j)]          (total correlation)
           + E[Σ_j log q(z_j) − log p(z)]          (dimension-wise KL)

    with one z_i ~ q(z|n_i) per example and the aggregate posterior q(z) = (1/N) Σ_n q(z|n)
    estimated from the M examples: q̂(z_i) = Σ_m w_im q(z_i|n_m) (the same for each q(z_j)).
    "stratified": w_ii = 1/N, w_im = (N−1)/(N(M−1)); exact when the examples are the whole
    data set (M = N; memory stays bounded, see `log_aggregate_posterior`). "mws"
    (minibatch weighted sampling, Chen et al. 2018): w_im = 1/(NM); its constant offsets do
    not change gradients but bias the three values. The three terms add up to the Monte
    Carlo estimate `kl` on the same z, for either estimator.

    Args:
        mu, logvar: (M, Z) encoder outputs for M examples, M ≥ 2.
        dataset_size: N, the size of the data set the examples were drawn from (default M).
        estimator: "stratified" or "mws".
        z: optional (M, Z) samples z_i ~ q(z|n_i); drawn with `generator` when None.
        n_samples: average the outer expectation over this many examples drawn without
            replacement (q̂ still uses all M): cheaper, unbiased, with a standard error.
    """
    m = _check_tc_args(mu, logvar, dataset_size, estimator)
    n = m if dataset_size is None else int(dataset_size)
    mu, logvar = mu.detach().double(), logvar.detach().double()
    if z is None:
        eps = torch.randn(mu.shape, generator=generator, dtype=torch.float64)
        # z_i = μ_i + σ_i ε_i: (M, Z)
        z = mu + torch.exp(0.5 * logvar) * eps
    elif z.shape != mu.shape:
        raise ValueError(f"z must have the shape of mu {tuple(mu.shape)}, got {tuple(z.shape)}")
    rows = torch.arange(m)
    if n_samples is not None:
        rows = torch.randperm(m, generator=generator)[
            : _checks.positive_int(n_samples, "n_samples")
        ]
    terms = kl_terms(z.detach().double()[rows], mu, logvar, n, estimator, rows)
    terms["kl"] = terms["mi"] + terms["tc"] + terms["dwkl"]
    se = {key: (t.std() / math.sqrt(len(t))).item() for key, t in terms.items()}
    return TCDecomposition(**{key: t.mean().item() for key, t in terms.items()}, se=se)


def _check_tc_args(mu, logvar, dataset_size, estimator) -> int:
    if mu.dim() != 2 or mu.shape != logvar.shape or len(mu) < 2:
        raise ValueError(
            f"mu and logvar must have the same shape (M, Z) with M ≥ 2, got {tuple(mu.shape)} "
            f"and {tuple(logvar.shape)}"
        )
    m = len(mu)
    if dataset_size is not None:  # N ≥ the M examples drawn from it
        _checks.integer(dataset_size, "dataset_size", minimum=m)
    if estimator not in ("stratified", "mws"):
        raise ValueError(f"estimator must be 'stratified' or 'mws', got {estimator!r}")
    return m


def total_correlation(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> float:
    """TC = E[log q(z) − Σ_j log q(z_j)] with the batch as the data set (M = N).

    Args:
        z: (M, Z) samples z_i ~ q(z|n_i). mu, logvar: (M, Z) encoder outputs.
    """
    return tc_decomposition(mu, logvar, z=z).tc
