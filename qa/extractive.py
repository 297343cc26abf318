"""The ``extractive`` backend: no LLM, the best sentence(s) quoted from the retrieved paragraphs.

Sentences of the top passages are ranked by the retriever's multilingual embedding model
(cosine with the question), so an English question finds a German sentence. Deterministic
and fast; the quote stays in the article's language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from qa.config import Settings
from qa.grounding import numbers_in
from qa.models import Passage

log = logging.getLogger(__name__)

# Sentence boundary: end punctuation, then a space and an upper-case letter, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"„“«'(\[A-ZÀ-ÖØ-ÞĐ0-9])")
MAX_SENTENCES = 2
# Below this question-sentence similarity the best sentence is not taken as an answer.
MIN_SIMILARITY = 0.80
# A second sentence is added only when nearly as similar as the best one.
SECOND_SENTENCE_MARGIN = 0.015


@dataclass
class Extract:
    text: str
    citations: list[Passage]
    score: float


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (abbreviation-naive, which is fine for ranking)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) >= 12]


def extract_answer(
    question: str, passages: list[Passage], retriever: Any, settings: Settings
) -> Extract | None:
    """The best supporting sentence(s) with their paragraphs, or None when nothing fits."""
    # Questions quoted in an article (interviews) answer nothing.
    candidates = [
        (p, s) for p in passages for s in split_sentences(p.text) if not s.rstrip('"”“»').endswith("?")
    ]
    if not candidates:
        return None
    scores = _similarities(question, [s for _, s in candidates], retriever, passages, candidates)
    ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    best = ranked[0]
    if scores[best] < settings_threshold(settings):
        log.info("extractive: best sentence similarity %.3f below threshold", scores[best])
        return None
    chosen = [best]
    for i in ranked[1:MAX_SENTENCES]:
        if scores[best] - scores[i] <= SECOND_SENTENCE_MARGIN:
            chosen.append(i)
    chosen.sort()  # keep article order
    citations: list[Passage] = []
    for i in chosen:
        if candidates[i][0] not in citations:
            citations.append(candidates[i][0])
    text = " ".join(f'"{candidates[i][1]}"' for i in chosen)
    return Extract(text, citations, scores[best])


def settings_threshold(settings: Settings) -> float:
    return MIN_SIMILARITY


def _similarities(
    question: str,
    sentences: list[str],
    retriever: Any,
    passages: list[Passage],
    candidates: list[tuple[Passage, str]],
) -> list[float]:
    embedder = getattr(retriever, "embedder", None)
    if embedder is not None and hasattr(embedder, "embed_query_array"):
        import numpy as np

        q = np.asarray(embedder.embed_query_array(question), dtype=np.float32)
        s = np.asarray(embedder.embed_documents_array(sentences), dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        s = s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-12)
        return [float(x) for x in s @ q]
    # No embedder (a fake retriever): shared words and numbers, with the passage rank as a prior.
    q_words = {w.casefold() for w in re.findall(r"\w{3,}", question)} | numbers_in(question)
    out = []
    for passage, sentence in candidates:
        words = {w.casefold() for w in re.findall(r"\w{3,}", sentence)} | numbers_in(sentence)
        overlap = len(q_words & words) / (len(q_words) or 1)
        out.append(MIN_SIMILARITY + 0.1 * overlap - 0.001 * passages.index(passage))
    return out
