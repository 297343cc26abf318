"""Scoring of retrieval candidates: pure functions over numbers, no model and no index.

Multilingual-e5-small scores a passage higher when it is in the question's language,
whatever it says; and a few generic passages ("the ceremony took place…") are close to
every question. The ranking corrects for both, then adds a second, partly language-neutral
signal (sparse latent terms):

1. each sentence's cosine is corrected for *hubness* (CSLS, as in cross-lingual word
   retrieval): ``2·cos(q, s) − hub(s)``, where ``hub(s)`` is the mean cosine of ``s`` to its
   nearest sentences in other paragraphs, computed once at index time;
2. a paragraph scores as its best sentence;
3. paragraph scores are standardised (z-scores) *within each language*, so each language's
   best paragraphs compete on equal terms;
4. the sparse latent-term dot products, standardised over the candidates, are added with
   weight ``SPARSE_WEIGHT``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

HUB_NEIGHBOURS = 10  # k of CSLS, the value of the method's authors
SPARSE_WEIGHT = 0.5
_MIN_GROUP = 3  # fewer candidates than this in a language: use the pooled statistics
_HUB_SAMPLE = 6000  # above this many sentences, estimate hubness against a fixed sample


@dataclass
class Candidate:
    """One paragraph found through one or more of its sentences."""

    file: str
    paragraph: int
    lang: str
    dense: float = -np.inf  # best corrected sentence score (step 1-2)
    cosine: float = -1.0  # best raw cosine of a sentence to the question
    sparse: float = 0.0
    score: float = 0.0
    sentences: list[int] = field(default_factory=list)
    best_sentence: int = 0  # the sentence behind ``dense`` (0-based, in the paragraph)

    @property
    def key(self) -> tuple[str, int]:
        return self.file, self.paragraph


def hubness(
    vectors: np.ndarray, owners: Sequence[object] | np.ndarray, k: int = HUB_NEIGHBOURS, seed: int = 0
) -> np.ndarray:
    """Mean cosine of each (normalised) vector to its ``k`` nearest vectors with a different owner.

    Large collections are compared against a fixed random sample, which estimates the same mean.
    """
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    owner_ids = np.unique(np.asarray([str(o) for o in owners]), return_inverse=True)[1]
    if n > _HUB_SAMPLE:
        sample = np.sort(np.random.default_rng(seed).choice(n, _HUB_SAMPLE, replace=False))
    else:
        sample = np.arange(n)
    reference = vectors[sample]
    hub = np.zeros(n, dtype=np.float32)
    for start in range(0, n, 2048):
        block = vectors[start : start + 2048] @ reference.T
        same = owner_ids[start : start + 2048, None] == owner_ids[sample][None, :]
        block[same] = -np.inf
        kk = min(k, block.shape[1])
        if kk == 0:
            continue
        top = np.partition(block, block.shape[1] - kk, axis=1)[:, -kk:]
        top[~np.isfinite(top)] = 0.0
        hub[start : start + 2048] = top.mean(axis=1)
    return hub


def _zscores(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / (std if std > 1e-9 else 1.0)


def language_zscores(scores: np.ndarray, langs: Sequence[str]) -> np.ndarray:
    """Scores standardised within each language (small groups use the pooled statistics)."""
    out = np.empty_like(scores, dtype=np.float64)
    lang_array = np.asarray(langs)
    pooled_mean = float(scores.mean()) if len(scores) else 0.0
    pooled_std = float(scores.std()) if len(scores) else 1.0
    for lang in set(langs):
        mask = lang_array == lang
        group = scores[mask]
        if len(group) >= _MIN_GROUP:
            out[mask] = _zscores(group)
        else:
            out[mask] = (group - pooled_mean) / (pooled_std if pooled_std > 1e-9 else 1.0)
    return out


def add_sentence_hit(
    candidates: dict[tuple[str, int], Candidate],
    file: str,
    paragraph: int,
    lang: str,
    sentence: int,
    cosine: float,
    hub: float,
) -> None:
    """Fold one sentence hit into its paragraph's candidate (steps 1-2)."""
    key = (file, paragraph)
    cand = candidates.get(key)
    if cand is None:
        cand = candidates[key] = Candidate(file, paragraph, lang)
    corrected = 2.0 * cosine - hub
    if corrected > cand.dense:
        cand.dense = corrected
        cand.best_sentence = sentence
    cand.cosine = max(cand.cosine, cosine)
    cand.sentences.append(sentence)


def score_candidates(
    candidates: Sequence[Candidate], sparse_weight: float = SPARSE_WEIGHT
) -> list[Candidate]:
    """Set ``score`` (steps 3-4) and return the candidates best first."""
    if not candidates:
        return []
    dense = language_zscores(np.array([c.dense for c in candidates]), [c.lang for c in candidates])
    total = dense
    if sparse_weight:
        total = dense + sparse_weight * _zscores(np.array([c.sparse for c in candidates]))
    for cand, value in zip(candidates, total, strict=True):
        cand.score = float(value)
    return sorted(candidates, key=lambda c: (-c.score, c.file, c.paragraph))


def group_by_language(items: Sequence[Candidate]) -> dict[str, list[Candidate]]:
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for item in items:
        groups[item.lang].append(item)
    return groups
