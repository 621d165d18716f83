"""Notebook 06, reference solutions of the implement exercises (the other answers: 06_vae.md)."""

import math

import torch

EXERCISES = [(2, "importance_weighted_bound", "check_importance_weighted_bound")]


def importance_weighted_bound(log_px_z, log_pz, log_qz):
    """log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), from (K, B) log terms -> (B,)."""
    # log w_k = log p(x|z_k) + log p(z_k) − log q(z_k|x): (K, B)
    log_w = log_px_z + log_pz - log_qz
    # log (1/K) Σ_k w_k = logsumexp_k log w_k − log K (w_k itself underflows): (B,)
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])
