"""Notebook 08 (beyond): the bag-of-words log-likelihood of the document VAE."""

import torch

from vae_teach.checkers._engine import Mistake, Verdict, check_function


def _bag_of_words_inputs():
    """(counts, logits): documents of 40 words over 60 words, a short one, and peaked logits."""
    generator = torch.Generator().manual_seed(80)
    inputs = []
    for batch, vocab, length, scale in [(4, 60, 40, 1.0), (3, 12, 5, 3.0), (2, 60, 40, 8.0)]:
        words = torch.randint(0, vocab, (batch, length), generator=generator)
        counts = torch.nn.functional.one_hot(words, vocab).sum(1).float()
        logits = scale * torch.randn((batch, vocab), generator=generator)
        inputs.append((counts, logits))
    return inputs


def _log_probs(logits):
    return torch.log_softmax(logits, dim=-1)


def _mistakes():
    """Known mistakes, tried in order: Mistake(hint, the mistaken log p(x|z), verdict)."""
    from vae_teach.documents import bag_of_words_log_likelihood, log_multinomial_coefficient

    return [
        Mistake(
            "that is the multinomial log-probability of the count vector: it adds "
            "log L!/Π_v n_v!, the number of word orders with these counts. It does not depend "
            "on z or θ, so it trains the same model, but log p(x|z) of the words is "
            "Σ_v n_v log ψ_v",
            lambda c, lg: bag_of_words_log_likelihood(c, lg) + log_multinomial_coefficient(c),
            "close",
        ),
        Mistake(
            "the logits are not log-probabilities: take log_softmax(logits) first (log ψ_v = "
            "logit_v − logsumexp(logits))",
            lambda c, lg: (c * lg).sum(-1),
        ),
        Mistake(
            "sum over the vocabulary, do not average: each of the L words adds its own log ψ",
            lambda c, lg: (c * _log_probs(lg)).mean(-1),
        ),
        Mistake(
            "each word v counts n_v times: weight log ψ_v by the count n_v, do not add it once "
            "per word that occurs",
            lambda c, lg: ((c > 0).float() * _log_probs(lg)).sum(-1),
        ),
        Mistake(
            "the softmax goes over the vocabulary (the last dimension), not over the batch",
            lambda c, lg: (c * torch.log_softmax(lg, dim=0)).sum(-1),
        ),
        Mistake(
            "log p(x|z) is a log-probability, ≤ 0: check the sign",
            lambda c, lg: -bag_of_words_log_likelihood(c, lg),
        ),
    ]


def check_bag_of_words_log_likelihood(student_fn) -> Verdict:
    """Exercise 08: `student_fn(counts, logits)`, each (B, V), returns Σ_v n_v log ψ_v, (B,)."""
    from vae_teach.documents import bag_of_words_log_likelihood

    return check_function(
        student_fn,
        bag_of_words_log_likelihood,
        _bag_of_words_inputs(),
        rtol=1e-5,
        atol=1e-4,
        mistakes=_mistakes(),
        name="bag_of_words_log_likelihood",
    )
