"""Wake–sleep against the VAE's one objective, on the linear-Gaussian model of notebook 03.

Generative model p_θ (θ = W, b, σ) and inference network q_φ (φ = A, c, log v):

    z ~ N(0, I_d),  x | z ~ N(W z + b, σ² I_D)        p_θ(x, z)
    q_φ(z|x) = N(A x + c, diag v)                     a linear encoder, diagonal covariance

In this model the true posterior p_θ(z|x) has the same covariance for every x, so one learned
diagonal v is as good as an encoder network can do. Both learners use the same two pieces:

- VAE (Kingma and Welling 2014): θ and φ both ascend one objective, the ELBO on the data.
- wake–sleep (Hinton et al. 1995): the wake phase moves θ up E_q[log p_θ(x, z)] on the data
  (the ELBO's gradient in θ, q held fixed); the sleep phase moves φ up E_{p_θ(x,z)}[log q_φ(z|x)]
  on the model's own dreams, i.e. down KL(p_θ(z|x) ‖ q_φ(z|x)): the other direction of KL,
  averaged over x drawn from the model instead of the data.

Every expectation has a closed form here (float64), so both can be trained on exact expected
gradients, with no Monte Carlo noise, and judged by exact numbers (`vae_teach.linear_gaussian`).
"""

import torch
from torch import nn

from vae_teach import _checks
from vae_teach.gaussian import LOG_2PI, diagonal_log_density, standard_normal_log_density
from vae_teach.linear_gaussian import LinearGaussian, kl_full_covariance, log_px, posterior

METHODS = ("vae", "wake-sleep")


class LinearGaussianLearner(nn.Module):
    """A learnable linear-Gaussian model p_θ(x, z) and a linear encoder q_φ(z|x).

    Args:
        data_dim: D. latent_dim: d. generator: torch.Generator for the initial weights.
        init_scale: standard deviation of the initial W and A.
    """

    def __init__(
        self,
        data_dim: int,
        latent_dim: int,
        generator=None,
        init_scale: float = 0.1,
        isotropic=False,
    ):
        super().__init__()
        _checks.integer(data_dim, "data_dim", minimum=1)
        _checks.integer(latent_dim, "latent_dim", minimum=1)
        f64 = dict(dtype=torch.float64)
        # θ: decoder x ≈ W z + b with noise σ = exp(log_sigma)
        self.W = nn.Parameter(
            init_scale * torch.randn(data_dim, latent_dim, generator=generator, **f64)
        )
        self.b = nn.Parameter(torch.zeros(data_dim, **f64))
        self.log_sigma = nn.Parameter(torch.zeros((), **f64))
        # φ: encoder mean A x + c and one diagonal log-variance for every x
        self.A = nn.Parameter(
            init_scale * torch.randn(latent_dim, data_dim, generator=generator, **f64)
        )
        self.c = nn.Parameter(torch.zeros(latent_dim, **f64))
        self.logvar = nn.Parameter(torch.zeros(1 if isotropic else latent_dim, **f64))

    def decoder_parameters(self):
        return [self.W, self.b, self.log_sigma]

    def encoder_parameters(self):
        return [self.A, self.c, self.logvar]

    def encode(self, x):
        """(N, D) -> mu (N, d), logvar (d,): the parameters of q_φ(z|x)."""
        # μ = A x + c: (N, D) -> (N, d)
        return x @ self.A.T + self.c, self.logvar.expand(self.A.shape[0])

    def model(self) -> LinearGaussian:
        """The current p_θ as a `LinearGaussian` (detached), for exact log p(x) and p(z|x)."""
        return LinearGaussian(
            self.W.detach(), self.b.detach(), float(self.log_sigma.detach().exp())
        )

    def elbo(self, x):
        """ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ N(0, I)), in closed form: (N, D) -> (N,)."""
        mu, logvar = self.encode(x)
        D, var_x = x.shape[-1], torch.exp(2 * self.log_sigma)
        # E_q ‖x − W z − b‖² = ‖x − W μ − b‖² + Σ_j v_j ‖W_:j‖²: (N,)
        sq_err = ((x - mu @ self.W.T - self.b) ** 2).sum(-1) + (
            logvar.exp() * (self.W**2).sum(0)
        ).sum()
        # E_q[log p_θ(x|z)] = −½ [D log 2πσ² + E_q ‖x − W z − b‖² / σ²]: (N,)
        recon = -0.5 * (D * (LOG_2PI + 2 * self.log_sigma) + sq_err / var_x)
        # KL(N(μ, diag v) ‖ N(0, I)) = ½ Σ_j (μ_j² + v_j − 1 − log v_j): (N,)
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)
        return recon - kl

    def sleep_objective(self):
        """E_{p_θ(x, z)}[log q_φ(z|x)], the sleep phase's objective on dreams, closed form: ()."""
        d = self.A.shape[0]
        # r = z − (A x + c) = (I − A W) z − σ A ε − (A b + c), for z, ε ~ N(0, I) independent
        M = torch.eye(d, dtype=torch.float64) - self.A @ self.W
        offset = self.A @ self.b + self.c
        # E[r_j²] = ‖M_j:‖² + σ² ‖A_j:‖² + offset_j²: (d,)
        second_moment = (
            (M**2).sum(1) + torch.exp(2 * self.log_sigma) * (self.A**2).sum(1) + offset**2
        )
        # E[log q] = −½ Σ_j [log 2π + log v_j + E[r_j²] / v_j]
        logvar = self.logvar.expand(d)
        return -0.5 * (LOG_2PI + logvar + second_moment / logvar.exp()).sum()

    def elbo_mc(self, x, n_samples: int, generator=None):
        """Monte Carlo ELBO: mean over z ~ q_φ(z|x) of log p_θ(x, z) − log q_φ(z|x): (N,)."""
        mu, logvar = self.encode(x)
        eps = torch.randn((n_samples, *mu.shape), generator=generator, dtype=torch.float64)
        # z = μ + σ ⊙ ε: (S, N, d)
        z = mu + torch.exp(0.5 * logvar) * eps
        return (self._log_joint(x, z) - _diag_log_normal(z, mu, logvar)).mean(0)

    def sleep_objective_mc(self, n_samples: int, generator=None):
        """Monte Carlo sleep objective: dream (z, x) ~ p_θ, average log q_φ(z|x): ()."""
        d, D = self.A.shape
        with torch.no_grad():
            z = torch.randn(n_samples, d, generator=generator, dtype=torch.float64)
            eps = torch.randn(n_samples, D, generator=generator, dtype=torch.float64)
            # x = W z + b + σ ε: a dream, (S, D)
            x = z @ self.W.T + self.b + self.log_sigma.exp() * eps
        mu, logvar = self.encode(x)
        return _diag_log_normal(z, mu, logvar).mean()

    def _log_joint(self, x, z):
        """log p_θ(x, z) = log N(x; W z + b, σ² I) + log N(z; 0, I): (..., N)."""
        D = x.shape[-1]
        sq_err = ((x - z @ self.W.T - self.b) ** 2).sum(-1)
        log_px_z = -0.5 * (
            D * (LOG_2PI + 2 * self.log_sigma) + sq_err / torch.exp(2 * self.log_sigma)
        )
        return log_px_z + standard_normal_log_density(z).sum(-1)


def _diag_log_normal(z, mu, logvar):
    """log N(z; μ, diag exp(logvar)), summed over the last dim."""
    return diagonal_log_density(z, mu, logvar).sum(-1)


def train_step(learner: LinearGaussianLearner, x, method: str, optimizer) -> None:
    """One exact expected-gradient step of `method` ("vae" or "wake-sleep") on the data x (N, D)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    optimizer.zero_grad()
    if method == "vae":
        # one objective for θ and φ: −mean ELBO
        loss = -learner.elbo(x).mean()
        loss.backward()
    else:
        # wake: θ up the ELBO with q held fixed (only θ's gradients are kept)
        (-learner.elbo(x).mean()).backward(inputs=learner.decoder_parameters())
        # sleep: φ up E_{p_θ}[log q_φ(z|x)] (only φ's gradients are kept)
        (-learner.sleep_objective()).backward(inputs=learner.encoder_parameters())
    optimizer.step()


def fit(X, latent_dim, method, steps=1500, lr=2e-2, seed=0, isotropic=False):
    """Train a fresh learner on X (N, D) with `method`; returns it.

    Adam on exact expected gradients, full batch; b starts at the data mean.
    """
    X = torch.as_tensor(X, dtype=torch.float64)
    _checks.integer(steps, "steps", minimum=1)
    generator = torch.Generator().manual_seed(seed)
    learner = LinearGaussianLearner(
        X.shape[1], latent_dim, generator=generator, isotropic=isotropic
    )
    with torch.no_grad():
        learner.b.copy_(X.mean(0))
    optimizer = torch.optim.Adam(learner.parameters(), lr=lr)
    for _ in range(steps):
        train_step(learner, X, method, optimizer)
    return learner


def ppca_mle(X, latent_dim: int) -> LinearGaussian:
    """The maximum-likelihood linear-Gaussian model of X (N, D), in closed form.

    Tipping and Bishop (1999): b = the data mean; σ² = the mean of the D − d smallest
    eigenvalues λ of the data covariance; W = U_d (Λ_d − σ² I)^½, up to a rotation of z.
    """
    X = torch.as_tensor(X, dtype=torch.float64)
    _checks.integer(latent_dim, "latent_dim", minimum=1)
    if X.ndim != 2 or latent_dim >= X.shape[1]:
        raise ValueError(f"X must be (N, D) with D > latent_dim, got {tuple(X.shape)}")
    # the data covariance (1/N) Σ (x − x̄)(x − x̄)ᵀ, eigenvalues in decreasing order
    cov = torch.cov(X.T, correction=0)
    lam, U = torch.linalg.eigh(cov)
    lam, U = lam.flip(0), U.flip(1)
    # σ² = mean of the discarded eigenvalues
    var = lam[latent_dim:].mean()
    W = U[:, :latent_dim] * (lam[:latent_dim] - var).clamp(min=0).sqrt()
    return LinearGaussian(W, X.mean(0), float(var.sqrt()))


def evaluate(learner: LinearGaussianLearner, X) -> dict:
    """Exact scores on X (N, D), averaged over its points, in nats.

    log_px: log p_θ(x); elbo: ELBO(x); kl: KL(q_φ(z|x) ‖ p_θ(z|x)) = log_px − elbo;
    best_diag_kl: the smallest KL any diagonal q could reach for this p_θ (the part of the
    gap that no better encoder of this family removes).
    """
    X = torch.as_tensor(X, dtype=torch.float64)
    model = learner.model()
    with torch.no_grad():
        mu, logvar = learner.encode(X)
        m, S = posterior(model, X)
        kl = kl_full_covariance(mu, torch.diag(logvar.exp()), m, S)
        precision = torch.linalg.inv(S)
        # min over diagonal v of KL(N(m, diag v) ‖ N(m, S)) = ½ [Σ_j log (S⁻¹)_jj + log det S]
        best = 0.5 * (torch.log(torch.diagonal(precision)).sum() + torch.logdet(S))
        return {
            "log_px": log_px(model, X).mean().item(),
            "elbo": learner.elbo(X).mean().item(),
            "kl": kl.mean().item(),
            "best_diag_kl": best.item(),
        }
