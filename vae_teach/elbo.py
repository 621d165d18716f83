"""The evidence lower bound (ELBO), the reparameterisation trick, and an importance-weighted
estimate of log p(x) that shows how tight the ELBO is.

    log p(x) ≥ ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z))

with encoder q_φ(z|x) = N(mu, diag exp(logvar)), decoder p_θ(x|z) and prior p(z) = N(0, I).
Taught in 03 (ELBO), 04 (reparameterisation) and 06 (VAE).
"""

from typing import NamedTuple

import torch

from vae_teach import _checks
from vae_teach.gaussian import (
    diagonal_log_density_of_noise,
    log_mean_exp,
    standard_normal_log_density,
)
from vae_teach.kl import gaussian_kl
from vae_teach.likelihoods import (
    bernoulli_log_likelihood,
    check_same_shape,
    check_tensor,
    gaussian_log_likelihood,
)

LIKELIHOODS = ("bernoulli", "gaussian")


class ELBOTerms(NamedTuple):
    """The ELBO and its two terms, each (B,) in nats: elbo = recon − beta·kl."""

    recon: torch.Tensor
    kl: torch.Tensor
    elbo: torch.Tensor


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps=None, generator=None):
    """Sample z ~ N(mu, diag exp(logvar)) as a differentiable function of mu and logvar.

    Args:
        mu: (B, Z) means.
        logvar: (B, Z) log-variances.
        eps: optional (B, Z) standard normal noise; drawn (from `generator`) when None.
        generator: optional torch.Generator for the noise.
    Returns:
        z: (B, Z).
    """
    check_tensor(mu, "mu")
    check_tensor(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    if eps is None:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    else:
        check_tensor(eps, "eps")
        check_same_shape(mu, eps, "mu", "eps")
    # σ = exp(½ log σ²)
    std = torch.exp(0.5 * logvar)
    # z = μ + σ ⊙ ε,  ε ~ N(0, I): (B, Z)
    return mu + std * eps


def log_likelihood(x, x_hat, likelihood="bernoulli", logvar_x=0.0) -> torch.Tensor:
    """log p_θ(x|z) per example (B,) for a decoder output x_hat (logits or means)."""
    if likelihood == "bernoulli":
        return bernoulli_log_likelihood(x, x_hat)
    if likelihood == "gaussian":
        return gaussian_log_likelihood(x, x_hat, logvar_x)
    raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")


def check_elbo_args(beta, likelihood) -> None:
    """Raise a clear error unless beta is a finite number ≥ 0 and likelihood is known."""
    _checks.non_negative(beta, "beta")
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")


def elbo(x, x_hat, mu, logvar, beta=1.0, likelihood="bernoulli", logvar_x=0.0) -> ELBOTerms:
    """One-sample ELBO with a closed-form KL, per example, with a weight beta on the KL.

    Args:
        x: (B, ...) data.
        x_hat: (B, ...) decoder output for z ~ q(z|x): logits (Bernoulli) or means (Gaussian).
        mu, logvar: (B, Z) encoder outputs.
        beta: weight on the KL (1 is the ELBO; the β-VAE uses β > 1).
        likelihood: "bernoulli" or "gaussian".
        logvar_x: Gaussian decoder log-variance (float or tensor broadcastable to x).
    Returns:
        ELBOTerms(recon, kl, elbo), each (B,) in nats.
    """
    check_elbo_args(beta, likelihood)
    # recon = log p_θ(x|z), z ~ q_φ(z|x): one-sample estimate of E_q[log p_θ(x|z)], (B,)
    recon = log_likelihood(x, x_hat, likelihood, logvar_x)
    # kl = KL(q_φ(z|x) ‖ N(0, I)), closed form, (B,)
    kl = gaussian_kl(mu, logvar)
    # ELBO_β = recon − β · KL, (B,)
    return ELBOTerms(recon, kl, recon - beta * kl)


def importance_weighted_bound(log_px_z, log_pz, log_qz) -> torch.Tensor:
    """The importance-weighted bound from the log terms of K samples z_k ~ q_φ(z|x).

    Args:
        log_px_z, log_pz, log_qz: (K, B) log p_θ(x|z_k), log p(z_k), log q_φ(z_k|x).
    Returns:
        (B,) log (1/K) Σ_k p_θ(x|z_k) p(z_k) / q_φ(z_k|x), in nats.
    """
    # log w_k = log p_θ(x|z_k) + log p(z_k) − log q_φ(z_k|x): (K, B)
    log_w = log_px_z + log_pz - log_qz
    # log (1/K) Σ_k w_k = logsumexp_k(log w_k) − log K, stable for very negative log w: (B,)
    return log_mean_exp(log_w, dim=0)


def _check_iw_args(model, x, k) -> int:
    """k as an int ≥ 1, and x checked for the model's likelihood."""
    try:
        k = _checks.positive_int(k, "k")
    except (TypeError, ValueError) as err:
        raise ValueError(f"k must be an integer >= 1, got {k!r}") from err
    if getattr(model, "likelihood", "bernoulli") == "bernoulli":
        _checks.pixels(x, "x")
    else:
        check_tensor(x, "x")
    return k


def _importance_log_terms(model, x_flat, mu, logvar, eps):
    """log p_θ(x|z_k), log p(z_k), log q_φ(z_k|x) for z_k = μ + σ ⊙ ε_k: each (n, B).

    Args:
        x_flat: (B, D) data. mu, logvar: (B, Z) encoder outputs. eps: (n, B, Z) noise.
    """
    n, batch, latent_dim = eps.shape
    likelihood = getattr(model, "likelihood", "bernoulli")
    logvar_x = getattr(model, "logvar_x", 0.0)
    # z = μ + σ ⊙ ε: (n, B, Z)
    z = mu + torch.exp(0.5 * logvar) * eps
    # (n·B, Z) -> (n·B, D)
    x_hat = model.decode(z.reshape(n * batch, latent_dim)).reshape(n * batch, -1)
    x_rep = x_flat.expand(n, batch, -1).reshape(n * batch, -1)
    # log p_θ(x|z_k): (n·B,) -> (n, B)
    log_px_z = log_likelihood(x_rep, x_hat, likelihood, logvar_x).reshape(n, batch)
    # log p(z) = −½ Σ_j (log 2π + z_j²), summed over latent dims: (n, B)
    log_pz = standard_normal_log_density(z).sum(-1)
    # log q(z|x) = −½ Σ_j (log 2π + log σ_j² + ε_j²), since (z − μ)/σ = ε: (n, B)
    log_qz = diagonal_log_density_of_noise(eps, logvar).sum(-1)
    return log_px_z, log_pz, log_qz


@torch.no_grad()
def importance_weighted_log_px(model, x, k, generator=None) -> torch.Tensor:
    """Importance-weighted estimate of log p(x) with k samples from the encoder (Burda et al.).

    log p(x) ≈ log (1/k) Σ_k p_θ(x|z_k) p(z_k) / q_φ(z_k|x),  z_k ~ q_φ(z|x).
    It is a lower bound that equals the ELBO (in expectation) for k = 1 and rises towards
    log p(x) as k grows. The model needs `encode(x) -> (mu, logvar)`, `decode(z) -> x_hat`,
    and attributes `likelihood` ("bernoulli"/"gaussian") and, if Gaussian, `logvar_x`.

    Args:
        model: a VAE (or any object with the interface above).
        x: (B, ...) data.
        k: number of importance samples, an int ≥ 1.
        generator: optional torch.Generator for the samples.
    Returns:
        (B,) estimate of log p(x) in nats.
    """
    k = _check_iw_args(model, x, k)
    # (B, ...) -> (B, Z), (B, Z)
    mu, logvar = model.encode(x)
    batch, latent_dim = mu.shape
    x_flat = x.reshape(batch, -1)
    # samples per chunk, so that decoding k·B images at once stays under ~4M pixels
    chunk = max(1, 4_000_000 // (batch * x_flat.shape[1]))
    terms = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        eps = torch.randn((n, batch, latent_dim), generator=generator, dtype=mu.dtype)
        terms.append(_importance_log_terms(model, x_flat, mu, logvar, eps.to(mu.device)))
    # (K, B) each, then the bound log (1/K) Σ_k w_k: (B,)
    return importance_weighted_bound(*(torch.cat(parts) for parts in zip(*terms, strict=True)))
