"""The exact lab of notebook 03: a latent-variable model whose ELBO terms all have closed forms.

Model (θ = W, b, σ), with d = latent_dim (1 or 2 in the notebook) and D = data_dim:

    z ~ N(0, I_d)                 prior p(z)
    x | z ~ N(W z + b, σ² I_D)    decoder p(x|z)

Then the evidence is p(x) = N(x; b, W Wᵀ + σ² I) and the true posterior is p(z|x) = N(m, S),
S = (I + WᵀW / σ²)⁻¹, m = S Wᵀ (x − b) / σ². For any Gaussian q(z) = N(mu_q, cov_q) the ELBO
and KL(q ‖ p(z|x)) have closed forms too, so log p(x) = ELBO + KL can be checked to rounding.

Everything is computed in float64. A single data point x has shape (D,); several q's can be
passed at once with leading batch dims: mu_q (..., d), cov_q (..., d, d) -> results (...).
"""

import math
from dataclasses import dataclass

import torch

from vae_teach import _checks
from vae_teach.gaussian import (
    cholesky,
    full_entropy,
    full_log_density,
    standard_normal_log_density,
)
from vae_teach.kl import gaussian_kl_full_between


def _as_float64(value, name: str) -> torch.Tensor:
    """Convert to a float64 tensor (keeps autograd history), or say which argument was wrong."""
    try:
        return torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a tensor or array of numbers, got {type(value)}") from err


@dataclass(frozen=True)
class LinearGaussian:
    """z ~ N(0, I_d), x | z ~ N(W z + b, σ² I_D).

    Args:
        W: (D, d) decoder weights.
        b: (D,) decoder bias.
        sigma: observation noise standard deviation σ > 0.
    """

    W: torch.Tensor
    b: torch.Tensor
    sigma: float

    def __post_init__(self):
        W = _as_float64(self.W, "W")
        b = _as_float64(self.b, "b")
        if W.ndim != 2:
            raise ValueError(f"W must have shape (D, d), got {tuple(W.shape)}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape ({W.shape[0]},) to match W, got {tuple(b.shape)}")
        for value, name in [(W, "W"), (b, "b")]:
            if not bool(torch.isfinite(value).all()):
                raise ValueError(f"{name} must hold finite numbers, got NaN or inf in {name}")
        try:
            sigma = _checks.positive(self.sigma, "sigma")
        except (TypeError, ValueError) as err:
            raise ValueError(f"sigma must be a finite number > 0, got {self.sigma!r}") from err
        # frozen dataclass: store the converted values through object.__setattr__
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "sigma", sigma)

    @property
    def latent_dim(self) -> int:
        return self.W.shape[1]

    @property
    def data_dim(self) -> int:
        return self.W.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None):
        """Draw (z, x) from the generative story: z from the prior, then x from the decoder.

        Returns:
            z: (n, d) and x: (n, D).
        """
        # z ~ N(0, I): (n, d)
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=torch.float64)
        # x = W z + b + σ ε, ε ~ N(0, I): (n, d) -> (n, D)
        noise = torch.randn(n, self.data_dim, generator=generator, dtype=torch.float64)
        x = z @ self.W.T + self.b + self.sigma * noise
        return z, x


def _check_x(model: LinearGaussian, x) -> torch.Tensor:
    x = _as_float64(x, "x")
    if x.ndim == 0 or x.shape[-1] != model.data_dim:
        raise ValueError(f"x must have shape (..., {model.data_dim}), got {tuple(x.shape)}")
    return x


def _check_q(model: LinearGaussian, mu_q, cov_q):
    mu_q = _as_float64(mu_q, "mu_q")
    cov_q = _as_float64(cov_q, "cov_q")
    d = model.latent_dim
    if mu_q.ndim == 0 or mu_q.shape[-1] != d:
        raise ValueError(f"mu_q must have shape (..., {d}), got {tuple(mu_q.shape)}")
    if cov_q.ndim < 2 or cov_q.shape[-2:] != (d, d):
        raise ValueError(f"cov_q must have shape (..., {d}, {d}), got {tuple(cov_q.shape)}")
    return mu_q, cov_q


def log_px(model: LinearGaussian, x) -> torch.Tensor:
    """Exact log evidence log p(x) = log N(x; b, W Wᵀ + σ² I), in nats.

    Args:
        x: (..., D) data points. Returns (...).
    """
    x = _check_x(model, x)
    # C = W Wᵀ + σ² I: (D, D), the covariance of x once z is integrated out
    C = model.W @ model.W.T + model.sigma**2 * torch.eye(model.data_dim, dtype=torch.float64)
    # log p(x) = −½ [D log 2π + log det C + (x − b)ᵀ C⁻¹ (x − b)], per data point (...)
    return full_log_density(x, model.b, C)


def posterior(model: LinearGaussian, x):
    """The true posterior p(z|x) = N(m, S).

    Args:
        x: (..., D) data points.
    Returns:
        m: (..., d) posterior means and S: (d, d) posterior covariance (the same for every x).
    """
    x = _check_x(model, x)
    eye = torch.eye(model.latent_dim, dtype=torch.float64)
    # S = (I + WᵀW / σ²)⁻¹: (d, d)
    S = torch.linalg.inv(eye + model.W.T @ model.W / model.sigma**2)
    # m = S Wᵀ (x − b) / σ²: (..., D) -> (..., d)
    m = (x - model.b) @ model.W @ S.T / model.sigma**2
    return m, S


def log_px_given_z(model: LinearGaussian, x, z) -> torch.Tensor:
    """Decoder log density log p(x|z) = log N(x; W z + b, σ² I), in nats, summed over D.

    Args:
        x: (D,) or broadcastable to (..., D); z: (..., d). Returns (...).
    """
    x = _check_x(model, x)
    z = _as_float64(z, "z")
    # x_hat = W z + b: (..., d) -> (..., D)
    x_hat = z @ model.W.T + model.b
    # log p(x|z) = −½ [D log 2πσ² + ‖x − x_hat‖² / σ²]
    sq_err = ((x - x_hat) ** 2).sum(-1)
    return -0.5 * (
        model.data_dim * math.log(2 * math.pi * model.sigma**2) + sq_err / model.sigma**2
    )


def log_prior(z) -> torch.Tensor:
    """Prior log density log N(z; 0, I) = −½ [d log 2π + ‖z‖²]. z: (..., d) -> (...)."""
    z = _as_float64(z, "z")
    # log N(z; 0, I) = Σ_j −½ (log 2π + z_j²), summed over the d dims: (..., d) -> (...)
    return standard_normal_log_density(z).sum(-1)


def log_joint(model: LinearGaussian, x, z) -> torch.Tensor:
    """log p(x, z) = log p(x|z) + log p(z). x: (D,), z: (..., d) -> (...)."""
    return log_px_given_z(model, x, z) + log_prior(z)


def full_gaussian_log_density(z, mu, cov) -> torch.Tensor:
    """log N(z; mu, cov) with a full covariance. z: (..., d), mu: (..., d), cov: (..., d, d)."""
    z, mu, cov = _as_float64(z, "z"), _as_float64(mu, "mu"), _as_float64(cov, "cov")
    # log N = −½ [d log 2π + log det cov + (z − mu)ᵀ cov⁻¹ (z − mu)]
    return full_log_density(z, mu, cov)


def gaussian_entropy(cov) -> torch.Tensor:
    """Entropy H(N(mu, cov)) = ½ log det(2πe cov), in nats. cov: (..., d, d) -> (...)."""
    cov = _as_float64(cov, "cov")
    # H = ½ [d (1 + log 2π) + log det cov]
    return full_entropy(cov)


def kl_full_covariance(mu_q, cov_q, mu_p, cov_p) -> torch.Tensor:
    """KL(N(mu_q, cov_q) ‖ N(mu_p, cov_p)) for full covariances, in nats.

    The formula is `vae_teach.kl.gaussian_kl_full_between` (notebook 05); this wrapper only
    broadcasts the arguments, so one p can be compared with many q.

    Args:
        mu_q, mu_p: (..., d); cov_q, cov_p: (..., d, d), broadcastable. Returns (...).
    """
    mu_q, cov_q = _as_float64(mu_q, "mu_q"), _as_float64(cov_q, "cov_q")
    mu_p, cov_p = _as_float64(mu_p, "mu_p"), _as_float64(cov_p, "cov_p")
    if cov_q.shape[-1] != cov_p.shape[-1] or mu_q.shape[-1] != mu_p.shape[-1]:
        raise ValueError(
            f"q and p must live in the same dimension, got {tuple(cov_q.shape)} and "
            f"{tuple(cov_p.shape)}"
        )
    d = mu_q.shape[-1]
    batch = torch.broadcast_shapes(
        mu_q.shape[:-1], cov_q.shape[:-2], mu_p.shape[:-1], cov_p.shape[:-2]
    )

    def flat(t, tail):
        # (..., *tail) -> (N, *tail), N = the broadcast batch size
        return t.expand(batch + tail).reshape((-1,) + tail)

    kl = gaussian_kl_full_between(
        flat(mu_q, (d,)), flat(cov_q, (d, d)), flat(mu_p, (d,)), flat(cov_p, (d, d))
    )
    return kl.reshape(batch)


def expected_log_likelihood(model: LinearGaussian, x, mu_q, cov_q) -> torch.Tensor:
    """Reconstruction term E_q[log p(x|z)] in closed form, for q = N(mu_q, cov_q).

    Args:
        x: (D,); mu_q: (..., d); cov_q: (..., d, d). Returns (...).
    """
    x = _check_x(model, x)
    mu_q, cov_q = _check_q(model, mu_q, cov_q)
    W, sigma = model.W, model.sigma
    # ‖x − W mu_q − b‖²: the error of the mean reconstruction, (...)
    sq_err = ((x - mu_q @ W.T - model.b) ** 2).sum(-1)
    # tr(W cov_q Wᵀ): the extra error from z spreading around mu_q, (...)
    spread = torch.diagonal(W @ cov_q @ W.T, dim1=-2, dim2=-1).sum(-1)
    # E_q[log p(x|z)] = −½ [D log 2πσ² + (‖x − W mu_q − b‖² + tr(W cov_q Wᵀ)) / σ²]
    return -0.5 * (model.data_dim * math.log(2 * math.pi * sigma**2) + (sq_err + spread) / sigma**2)


def kl_to_prior(mu_q, cov_q) -> torch.Tensor:
    """KL(N(mu_q, cov_q) ‖ N(0, I)) = ½ [tr cov_q + mu_qᵀ mu_q − d − log det cov_q]. -> (...)."""
    mu_q, cov_q = _as_float64(mu_q, "mu_q"), _as_float64(cov_q, "cov_q")
    d = cov_q.shape[-1]
    zeros = torch.zeros(d, dtype=torch.float64)
    return kl_full_covariance(mu_q, cov_q, zeros, torch.eye(d, dtype=torch.float64))


def exact_elbo(model: LinearGaussian, x, mu_q, cov_q) -> torch.Tensor:
    """ELBO(q) = E_q[log p(x|z)] − KL(q ‖ p(z)), exactly, for q = N(mu_q, cov_q).

    Args:
        x: (D,); mu_q: (..., d); cov_q: (..., d, d). Returns (...), in nats.
    """
    mu_q, cov_q = _check_q(model, mu_q, cov_q)
    # ELBO = reconstruction − regulariser
    return expected_log_likelihood(model, x, mu_q, cov_q) - kl_to_prior(mu_q, cov_q)


def mc_elbo(model: LinearGaussian, x, mu_q, cov_q, n_samples: int, generator=None):
    """Monte Carlo ELBO: the mean of log p(x, z) − log q(z) over z ~ q, and its standard error.

    Args:
        x: (D,); mu_q: (..., d); cov_q: (..., d, d); n_samples: number of z per q.
    Returns:
        estimate (...) and standard error (...), in nats.
    """
    n_samples = _checks.integer(n_samples, "n_samples", minimum=2)
    mu_q, cov_q = _check_q(model, mu_q, cov_q)
    L = cholesky(cov_q, "cov_q")
    # eps ~ N(0, I): (n, ..., d)
    eps = torch.randn((n_samples,) + mu_q.shape, generator=generator, dtype=torch.float64)
    # z = mu_q + L eps: (n, ..., d)
    z = mu_q + (L @ eps.unsqueeze(-1)).squeeze(-1)
    # one-sample ELBO terms: log p(x, z) − log q(z), (n, ...)
    terms = log_joint(model, x, z) - full_gaussian_log_density(z, mu_q, cov_q)
    # estimate = mean over samples; standard error = sample std / √n
    return terms.mean(0), terms.std(0) / math.sqrt(n_samples)


def kl_to_posterior(model: LinearGaussian, x, mu_q, cov_q) -> torch.Tensor:
    """KL(q ‖ p(z|x)), the gap between log p(x) and the ELBO. x: (D,) -> (...)."""
    mu_q, cov_q = _check_q(model, mu_q, cov_q)
    m, S = posterior(model, x)
    return kl_full_covariance(mu_q, cov_q, m, S)
