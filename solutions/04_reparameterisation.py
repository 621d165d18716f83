"""Notebook 04, reference solutions of the implement exercises (the other answers:
04_reparameterisation.md)."""

EXERCISES = [(2, "score_function_gradients_mine", "check_score_function_gradients")]


def score_function_gradients_mine(f, mu, std, eps):
    """Per-sample score-function estimates of the gradient of E f(z), z ~ N(mu, diag std²)."""
    # z = μ + σ ⊙ ε: (N, d)
    z = mu + std * eps
    # f(z), one value per sample, as a column to broadcast over d: (N, 1)
    f_z = f(z).reshape(-1, 1)
    # ∂/∂μ log q(z) = (z − μ)/σ² = ε/σ;  ∂/∂σ log q(z) = ((z − μ)² − σ²)/σ³ = (ε² − 1)/σ
    return f_z * eps / std, f_z * (eps**2 - 1) / std
