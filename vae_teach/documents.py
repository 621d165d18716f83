"""Documents with known topics, and the bag-of-words document VAE (notebook 08).

The data: a small topic model over readable words. Each of the five topics puts most of its
mass on ten words of its own and the rest on ten common words shared by all topics. A
document of L words picks a main topic k, a second topic j ≠ k and a weight ρ ∈ RHO, and
draws each word independently from the mixture π = (1 − ρ) e_k + ρ e_j (e_k the k-th unit
vector):

    x_i | π ~ Cat(π Ψ),  i = 1 … L          Ψ: (5, V) topic-word probabilities

(π and Ψ, not θ and β: in the course θ is the decoder's parameters, β the KL weight.) With
ρ = 0 the second topic plays no part, so the 60 draws (k, j, ρ) give 45 distinct π.

The latent (k, j, ρ) takes finitely many values, so the true model's log p(x) is an exact
sum (`true_log_px`), and held-out perplexity can be compared with the true model's.

The model (Schulz and Aziz's running example): z ~ N(0, I), then L words
x_i | z ~ Cat(softmax(W₂ relu(W₁ z + b₁) + b₂)). Only the counts n_v of each word enter
log p(x|z) = Σ_i log ψ_{x_i} = Σ_v n_v log ψ_v, so a document is a count vector (V,).
"""

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from vae_teach import _checks
from vae_teach.elbo import importance_weighted_bound, reparameterize
from vae_teach.gaussian import (
    diagonal_log_density_of_noise,
    log_mean_exp,
    standard_normal_log_density,
)
from vae_teach.kl import gaussian_kl

TOPICS = {
    "weather": (
        "rain", "snow", "wind", "cloud", "storm", "sunny", "cold", "warm", "forecast", "thunder",
    ),
    "cooking": (
        "bread", "soup", "garlic", "oven", "recipe", "butter", "pepper", "onion", "bake", "salt",
    ),
    "football": (
        "goal", "match", "striker", "referee", "league", "penalty", "keeper", "score", "pitch",
        "coach",
    ),
    "space": (
        "planet", "orbit", "rocket", "star", "moon", "galaxy", "comet", "launch", "telescope",
        "astronaut",
    ),
    "music": (
        "guitar", "piano", "song", "concert", "melody", "drum", "band", "chorus", "violin",
        "rhythm",
    ),
}  # fmt: skip
COMMON = ("the", "a", "and", "of", "to", "in", "is", "it", "was", "on")
TOPIC_NAMES = tuple(TOPICS)
VOCABULARY = tuple(word for words in TOPICS.values() for word in words) + COMMON
# a topic's mass: OWN_SHARE on its own ten words, COMMON_SHARE on the common words, and the
# rest spread evenly over the whole vocabulary (so that no word is impossible in any document)
OWN_SHARE, COMMON_SHARE = 0.75, 0.2
# the weight ρ of the second topic: 0 (a pure document), 0.2 or 0.4 (so k stays the main one)
RHO = (0.0, 0.2, 0.4)
LENGTH = 40
V = len(VOCABULARY)  # 60 words


def topic_word_matrix() -> torch.Tensor:
    """Ψ: (5, V) float64, row k = p(word | topic k): Zipf-like weights 1/rank inside each group
    of ten words, OWN_SHARE on the topic's own words, COMMON_SHARE on the common words, the
    rest uniform over the vocabulary."""
    K, V = len(TOPICS), len(VOCABULARY)
    zipf = 1.0 / torch.arange(1, 11, dtype=torch.float64)
    zipf = zipf / zipf.sum()
    topic_word = torch.full((K, V), (1 - OWN_SHARE - COMMON_SHARE) / V, dtype=torch.float64)
    for k in range(K):
        topic_word[k, 10 * k : 10 * k + 10] += OWN_SHARE * zipf
        topic_word[k, 10 * K :] += COMMON_SHARE * zipf
    return topic_word


class Documents(NamedTuple):
    """A corpus: counts (n, V) float32, words (n, L) int64 in the order drawn, and the truth:
    topic (n,) main topic k, second (n,) topic j, rho (n,) its weight, mixture (n, 5) = π."""

    counts: torch.Tensor
    words: torch.Tensor
    topic: torch.Tensor
    second: torch.Tensor
    rho: torch.Tensor
    mixture: torch.Tensor


def mixtures() -> torch.Tensor:
    """Every (k, j, ρ) the generator can draw, as its mixture π, each equally likely.

    (K (K − 1) |RHO|, K) = (60, 5) float64; with ρ = 0 the rows for different j coincide
    (45 distinct π), which leaves the equally weighted sum over the 60 rows unchanged.
    """
    K = len(TOPICS)
    rows = []
    for k in range(K):
        for j in range(K):
            if j != k:
                for rho in RHO:
                    pi = torch.zeros(K, dtype=torch.float64)
                    pi[k], pi[j] = 1 - rho, rho
                    rows.append(pi)
    return torch.stack(rows)


def make_documents(n: int, length: int = LENGTH, seed: int = 0) -> Documents:
    """Draw n documents of `length` words from the topic model; the same seed, the same corpus."""
    n = _checks.integer(n, "n", minimum=1)
    length = _checks.integer(length, "length", minimum=1)
    generator = torch.Generator().manual_seed(_checks.seed(seed))
    K = len(TOPICS)
    topic = torch.randint(0, K, (n,), generator=generator)
    # j ≠ k: a shift of 1 … K − 1 topics
    second = (topic + torch.randint(1, K, (n,), generator=generator)) % K
    rho = torch.tensor(RHO, dtype=torch.float64)[
        torch.randint(0, len(RHO), (n,), generator=generator)
    ]
    pi = torch.zeros(n, K, dtype=torch.float64)
    pi[torch.arange(n), topic] = 1 - rho
    pi[torch.arange(n), second] += rho
    # ψ = π Ψ: each document's word distribution, (n, K) @ (K, V) -> (n, V)
    psi = pi @ topic_word_matrix()
    words = torch.multinomial(psi, length, replacement=True, generator=generator)
    counts = F.one_hot(words, len(VOCABULARY)).sum(1).float()
    return Documents(counts, words, topic, second, rho.float(), pi.float())


def bag_of_words_log_likelihood(counts, logits) -> torch.Tensor:
    """log p(x|z) = Σ_i log ψ_{x_i} = Σ_v n_v log ψ_v, ψ = softmax(logits), in nats.

    The probability of the word sequence; the count vector's own probability (a multinomial)
    adds `log_multinomial_coefficient(counts)`, which does not depend on z or the decoder's θ.

    Args:
        counts: (B, V) word counts n_v. logits: (B, V) decoder outputs.
    Returns:
        (B,) summed over the vocabulary.
    """
    if counts.shape != logits.shape:
        raise ValueError(
            f"counts and logits must have the same shape (B, V), got {tuple(counts.shape)} "
            f"and {tuple(logits.shape)}"
        )
    # Σ_v n_v log softmax(logits)_v: (B, V) -> (B,)
    return (counts * torch.log_softmax(logits, dim=-1)).sum(-1)


def log_multinomial_coefficient(counts) -> torch.Tensor:
    """log (L! / Π_v n_v!), the number of word orders with these counts: (B, V) -> (B,)."""
    # lgamma(m + 1) = log m!
    return torch.lgamma(counts.sum(-1) + 1) - torch.lgamma(counts + 1).sum(-1)


def true_log_px(counts) -> torch.Tensor:
    """Exact log p(x) of each word sequence under the true topic model, in nats: (n, V) -> (n,).

    p(x) = Σ_m p(π_m) Π_v (π_m Ψ)_v^{n_v}, a sum over the finitely many mixtures π_m.
    """
    log_psi = torch.log(mixtures() @ topic_word_matrix())  # (M, V)
    # log p(x|π_m) = Σ_v n_v log ψ_mv: (n, V) @ (V, M) -> (n, M)
    log_terms = counts.double() @ log_psi.T
    # log Σ_m p(π_m) p(x|π_m), p(π_m) = 1/M: a log-mean-exp over the M mixtures
    return log_mean_exp(log_terms, dim=1)


def unigram_log_px(counts, train_counts) -> torch.Tensor:
    """log p(x) under one word distribution for every document (the training frequencies,
    add-one smoothed): the baseline with no latent at all. (n, V) -> (n,)."""
    freq = train_counts.double().sum(0) + 1
    return (counts.double() * torch.log(freq / freq.sum())).sum(-1)


def perplexity(log_px, counts) -> float:
    """exp(−Σ_d log p(x_d) / Σ_d L_d): the effective number of equally likely words per
    position (V for a uniform guess, lower is better)."""
    return math.exp(-float(log_px.sum()) / float(counts.sum()))


def top_words(probs, n: int = 5) -> list:
    """The n most probable words of a word distribution (V,) -> list of str."""
    return [VOCABULARY[i] for i in torch.topk(probs, n).indices.tolist()]


def word_topic(word: str) -> str:
    """The topic a word belongs to, or "common"."""
    for name, words in TOPICS.items():
        if word in words:
            return name
    return "common"


class DocumentVAE(nn.Module):
    """Bag-of-words VAE: q_φ(z|x) from the counts, p_θ(x_i|z) = Cat(softmax(W₂ h + b₂)),
    h = relu(W₁ z + b₁); the loss is −ELBO with a weight β on the KL."""

    def __init__(self, vocab_size=V, hidden=64, latent_dim=2, beta=1.0):
        super().__init__()
        self.latent_dim, self.beta = latent_dim, beta
        # encoder: s = Σ_i E_{x_i} = counts @ E, h = relu(M₁ s + c₁), then μ and log σ²
        self.embed = nn.Linear(vocab_size, hidden, bias=False)
        self.hidden = nn.Linear(hidden, hidden)
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        # decoder: (B, Z) -> (B, H) -> (B, V) logits
        self.W1 = nn.Linear(latent_dim, hidden)
        self.W2 = nn.Linear(hidden, vocab_size)

    def encode(self, counts):
        """(B, V) -> mu, logvar: (B, Z) each."""
        h = torch.relu(self.hidden(self.embed(counts)))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        """(B, Z) -> (B, V) logits; ψ = softmax(logits) is the word distribution."""
        return self.W2(torch.relu(self.W1(z)))

    def loss(self, counts, target=None):
        """Batch means of −ELBO_β = −log p_θ(x|z) + β KL(q_φ(z|x) ‖ N(0, I)), in nats."""
        mu, logvar = self.encode(counts)
        z = reparameterize(mu, logvar)
        # log p_θ(x|z) = Σ_v n_v log ψ_v, one z per document: (B,)
        recon = bag_of_words_log_likelihood(counts, self.decode(z))
        kl = gaussian_kl(mu, logvar)  # (B,)
        return {
            "loss": (-recon + self.beta * kl).mean(),
            "recon": -recon.mean(),
            "kl": kl.mean(),
        }


class AutoregressiveDocumentVAE(DocumentVAE):
    """A strong decoder: each word also sees the words before it,
    p_θ(x_i | z, x_<i) = Cat(softmax(W₂ relu(W₁ z + U c_<i + b₁) + b₂)), c_<i their counts / L.

    It takes one-hot word sequences (B, L, V) (`one_hot_words`) instead of counts.
    """

    def __init__(self, vocab_size=V, hidden=64, latent_dim=2, beta=1.0):
        super().__init__(vocab_size, hidden, latent_dim, beta)
        self.U = nn.Linear(vocab_size, hidden, bias=False)

    def log_likelihood(self, onehot, z):
        """log p_θ(x|z) = Σ_i log p_θ(x_i | z, x_<i): (B, L, V), (B, Z) -> (B,)."""
        length = onehot.shape[1]
        # c_<i: counts of the words before position i, scaled by 1/L: (B, L, V)
        before = (onehot.cumsum(1) - onehot) / length
        h = torch.relu(self.W1(z)[:, None, :] + self.U(before))  # (B, L, H)
        log_psi = torch.log_softmax(self.W2(h), dim=-1)  # (B, L, V)
        return (onehot * log_psi).sum((1, 2))

    def loss(self, onehot, target=None):
        mu, logvar = self.encode(onehot.sum(1))
        z = reparameterize(mu, logvar)
        recon = self.log_likelihood(onehot, z)
        kl = gaussian_kl(mu, logvar)
        return {
            "loss": (-recon + self.beta * kl).mean(),
            "recon": -recon.mean(),
            "kl": kl.mean(),
        }


def one_hot_words(words) -> torch.Tensor:
    """(n, L) word indices -> (n, L, V) float32 one-hot vectors."""
    return F.one_hot(words, len(VOCABULARY)).float()


def importance_weighted_log_px(model: DocumentVAE, counts, k: int, generator=None, chunk=50):
    """L_k ≤ log p_θ(x) for the bag-of-words VAE (notebook 06's bound), (B, V) -> (B,).

    The k samples are drawn `chunk` at a time, so memory stays at chunk · B · V numbers.
    """
    k = _checks.integer(k, "k", minimum=1)
    chunk = _checks.integer(chunk, "chunk", minimum=1)
    terms = []
    with torch.no_grad():
        mu, logvar = model.encode(counts)
        for start in range(0, k, chunk):
            eps = torch.randn((min(chunk, k - start), *mu.shape), generator=generator)
            z = mu + torch.exp(0.5 * logvar) * eps  # (n, B, Z)
            # log p_θ(x|z_k) + log p(z_k) − log q_φ(z_k|x): (n, B)
            log_px_z = bag_of_words_log_likelihood(counts.expand(len(z), -1, -1), model.decode(z))
            log_pz = standard_normal_log_density(z).sum(-1)
            log_qz = diagonal_log_density_of_noise(eps, logvar).sum(-1)
            terms.append((log_px_z, log_pz, log_qz))
    return importance_weighted_bound(*(torch.cat(parts) for parts in zip(*terms, strict=True)))
