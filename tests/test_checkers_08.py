"""The notebook 08 checker: the bag-of-words log-likelihood, right to wrong."""

import torch

from vae_teach.checkers import check_bag_of_words_log_likelihood
from vae_teach.documents import bag_of_words_log_likelihood


def test_reference_is_right():
    verdict = check_bag_of_words_log_likelihood(bag_of_words_log_likelihood)
    assert verdict.status == "right", verdict.message


def test_independent_solution_with_torch_distributions_is_right():
    def mine(counts, logits):
        log_psi = torch.distributions.Categorical(logits=logits).logits  # normalised log ψ
        return (counts * log_psi).sum(-1)

    assert check_bag_of_words_log_likelihood(mine).status == "right"


def test_multinomial_coefficient_is_close_and_named():
    def multinomial(counts, logits):
        return torch.distributions.Multinomial(int(counts[0].sum()), logits=logits).log_prob(counts)

    verdict = check_bag_of_words_log_likelihood(multinomial)
    assert verdict.status == "close" and "multinomial" in verdict.message


def test_known_mistakes_are_wrong_and_named():
    cases = {
        "log_softmax": lambda c, lg: (c * lg).sum(-1),
        "do not average": lambda c, lg: (c * torch.log_softmax(lg, -1)).mean(-1),
        "weight log ψ_v by the count": lambda c, lg: (
            (c > 0).float() * torch.log_softmax(lg, -1)
        ).sum(-1),
        "last dimension": lambda c, lg: (c * torch.log_softmax(lg, 0)).sum(-1),
        "sign": lambda c, lg: -(c * torch.log_softmax(lg, -1)).sum(-1),
    }
    for hint, fn in cases.items():
        verdict = check_bag_of_words_log_likelihood(fn)
        assert verdict.status == "wrong" and hint in verdict.message, (hint, verdict)


def test_stub_and_wrong_shape():
    def stub(counts, logits):
        raise NotImplementedError

    assert "not implemented" in check_bag_of_words_log_likelihood(stub).message
    verdict = check_bag_of_words_log_likelihood(lambda c, lg: c * torch.log_softmax(lg, -1))
    assert verdict.status == "wrong" and "shape" in verdict.message
