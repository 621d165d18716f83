"""Notebook 05, reference solutions of the implement exercises (the other answers:
05_kl_closed_form.md)."""

EXERCISES = [(2, "gaussian_kl_mine", "check_gaussian_kl")]


def gaussian_kl_mine(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per example: (B, Z), (B, Z) -> (B,)."""
    # KL = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), σ_j² = exp(logvar_j), summed over latents: (B,)
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)
