"""The topic-model corpus and the document VAE of notebook 08, against independent references."""

import math

import pytest
import torch
from torch.distributions import Categorical, Multinomial

from vae_teach import documents as docs


def test_vocabulary_and_topics_are_readable_and_distinct():
    assert len(docs.VOCABULARY) == len(set(docs.VOCABULARY)) == docs.V == 60
    assert all(w.isalpha() for w in docs.VOCABULARY)
    assert docs.word_topic("rocket") == "space" and docs.word_topic("the") == "common"


def test_topic_word_matrix_rows_are_distributions_with_the_stated_shares():
    topic_word = docs.topic_word_matrix()
    assert topic_word.shape == (5, 60) and torch.allclose(
        topic_word.sum(1), torch.ones(5, dtype=topic_word.dtype)
    )
    assert (topic_word > 0).all()
    uniform = (1 - docs.OWN_SHARE - docs.COMMON_SHARE) / 60
    # topic 2 (football): its own ten words, the common words, and the even rest
    assert topic_word[2, 20:30].sum() == pytest.approx(docs.OWN_SHARE + 10 * uniform)
    assert topic_word[2, 50:].sum() == pytest.approx(docs.COMMON_SHARE + 10 * uniform)
    assert topic_word[2, :20].sum() == pytest.approx(20 * uniform)


def test_mixtures_are_the_sixty_thetas():
    thetas = docs.mixtures()
    assert thetas.shape == (60, 5) and torch.allclose(
        thetas.sum(1), torch.ones(60, dtype=thetas.dtype)
    )
    assert len({tuple(t.tolist()) for t in thetas}) == 5 * 4 * 2 + 5  # ρ = 0: j does not matter
    assert thetas.max(1).values.min() == pytest.approx(0.6)  # the main topic keeps ≥ 1 − 0.4


def test_make_documents_is_deterministic_and_consistent():
    a, b = docs.make_documents(50, seed=3), docs.make_documents(50, seed=3)
    assert torch.equal(a.words, b.words) and not torch.equal(
        a.words, docs.make_documents(50, seed=4).words
    )
    assert a.counts.shape == (50, 60) and a.words.shape == (50, docs.LENGTH)
    assert torch.equal(a.counts, torch.nn.functional.one_hot(a.words, 60).sum(1).float())
    assert (a.second != a.topic).all()
    assert torch.allclose(a.mixture[torch.arange(50), a.topic], 1 - a.rho)


def test_word_frequencies_follow_pi_times_topic_word():
    corpus = docs.make_documents(3000, seed=0)
    observed = corpus.counts.sum(0) / corpus.counts.sum()
    expected = (corpus.mixture.double() @ docs.topic_word_matrix()).mean(0)
    assert (observed - expected).abs().max() < 0.003


def test_bag_of_words_log_likelihood_matches_torch_distributions():
    corpus = docs.make_documents(8, seed=1)
    logits = torch.randn(8, 60, generator=torch.Generator().manual_seed(0))
    ours = docs.bag_of_words_log_likelihood(corpus.counts, logits)
    by_word = Categorical(logits=logits[:, None, :]).log_prob(corpus.words).sum(1)
    multinomial = Multinomial(docs.LENGTH, logits=logits).log_prob(corpus.counts)
    assert torch.allclose(ours, by_word, atol=1e-4)
    assert torch.allclose(
        ours + docs.log_multinomial_coefficient(corpus.counts), multinomial, atol=1e-3
    )


def test_bag_of_words_log_likelihood_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        docs.bag_of_words_log_likelihood(torch.zeros(2, 60), torch.zeros(2, 59))


def test_true_log_px_is_the_sum_over_mixtures():
    corpus = docs.make_documents(6, seed=2)
    psi = docs.mixtures() @ docs.topic_word_matrix()
    # brute force: p(x) = (1/60) Σ_m Π_i ψ_m[x_i], in float64 without logs for a short prefix
    short = corpus.words[:, :5]
    counts = torch.nn.functional.one_hot(short, 60).sum(1)
    brute = torch.stack([psi[:, w].prod(1).mean() for w in short]).log()
    assert torch.allclose(docs.true_log_px(counts), brute, atol=1e-10)
    per_mixture = torch.stack([Categorical(probs=p).log_prob(corpus.words).sum(1) for p in psi])
    reference = torch.logsumexp(per_mixture, 0) - math.log(60)
    assert torch.allclose(docs.true_log_px(corpus.counts), reference, atol=1e-9)


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    counts = docs.make_documents(10, seed=0).counts
    log_px = counts.sum(1).double() * math.log(1 / 60)
    assert docs.perplexity(log_px, counts) == pytest.approx(60)


def test_true_model_beats_the_unigram_model_on_held_out_documents():
    train, test = docs.make_documents(2000, seed=0), docs.make_documents(500, seed=1)
    true_ppl = docs.perplexity(docs.true_log_px(test.counts), test.counts)
    unigram_ppl = docs.perplexity(docs.unigram_log_px(test.counts, train.counts), test.counts)
    assert 15 < true_ppl < unigram_ppl < 60


def test_top_words():
    probs = docs.topic_word_matrix()[3]
    assert docs.top_words(probs, 2) == ["planet", "orbit"]


def test_document_vae_loss_is_the_negative_elbo():
    torch.manual_seed(0)
    model = docs.DocumentVAE()
    counts = docs.make_documents(16, seed=0).counts
    torch.manual_seed(1)
    terms = model.loss(counts)
    torch.manual_seed(1)
    mu, logvar = model.encode(counts)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    recon = (counts * torch.log_softmax(model.decode(z), -1)).sum(1)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(terms["loss"], (-recon + kl).mean(), atol=1e-4)
    assert torch.allclose(terms["kl"], kl.mean(), atol=1e-5)


def test_autoregressive_decoder_sees_only_earlier_words():
    torch.manual_seed(0)
    model = docs.AutoregressiveDocumentVAE()
    words = docs.make_documents(2, seed=0).words
    onehot = docs.one_hot_words(words)
    z = torch.zeros(2, 2)
    changed = words.clone()
    changed[:, -1] = (changed[:, -1] + 1) % 60  # only the last word differs
    # the log-probabilities of the first L − 1 words do not change
    first = model.log_likelihood(onehot[:, :-1], z)
    again = model.log_likelihood(docs.one_hot_words(changed)[:, :-1], z)
    assert torch.allclose(first, again)
    assert model.loss(onehot)["loss"].isfinite()


def test_importance_weighted_bound_rises_with_k_and_k1_is_the_elbo_in_expectation():
    torch.manual_seed(0)
    model = docs.DocumentVAE()
    counts = docs.make_documents(64, seed=0).counts
    g = torch.Generator().manual_seed(0)
    l1 = docs.importance_weighted_log_px(model, counts, 1, g)
    l100 = docs.importance_weighted_log_px(model, counts, 100, g)
    assert l100.mean() > l1.mean()
    with torch.no_grad():
        elbo = -model.loss(counts)["loss"]
    assert abs(l1.mean() - elbo) < 4 * l1.std() / 8 + 1.0


def test_importance_weighted_bound_does_not_depend_on_the_chunk_size():
    torch.manual_seed(0)
    model = docs.DocumentVAE()
    counts = docs.make_documents(8, seed=0).counts
    a = docs.importance_weighted_log_px(
        model, counts, 30, torch.Generator().manual_seed(0), chunk=7
    )
    b = docs.importance_weighted_log_px(
        model, counts, 30, torch.Generator().manual_seed(0), chunk=30
    )
    assert torch.allclose(a, b, atol=1e-5)
