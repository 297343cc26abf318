"""The values that cross stage boundaries: retrieved passages, citations, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A retrieved paragraph. ``paragraph`` is 1-based, as in the corpus contract."""

    file: str
    paragraph: int
    text: str
    score: float
    lang: str
    # Cosine similarity (-1..1) of the paragraph's best-matching sentence to the question.
    # ``score`` ranks (it is relative to the other candidates); this one is absolute.
    similarity: float | None = None
    # The 0-based number of that best-matching sentence within the paragraph, when known.
    sentence: int | None = None
    # With QA_RERANK=llm: the model's probability (0..1) that the paragraph states the answer.
    relevance: float | None = None

    @property
    def label(self) -> str:
        """The citation as shown to people: ``file ¶n``."""
        return f"{self.file} ¶{self.paragraph}"


@dataclass(frozen=True)
class Citation:
    """A paragraph that supports an answer; ``text`` is that paragraph's full text."""

    file: str
    paragraph: int
    text: str

    @property
    def label(self) -> str:
        return f"{self.file} ¶{self.paragraph}"

    def marker(self) -> str:
        """``[file ¶n]``, the form used in Markdown and plain-text output."""
        return f"[{self.label}]"


@dataclass
class Answer:
    """The bot's reply to one question.

    ``found`` is False when the articles do not contain the answer; then ``citations``
    is empty and ``text`` says so in the question's language.
    """

    question: str
    text: str
    citations: list[Citation]
    found: bool
    lang: str
    backend: str
    passages: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    standalone_question: str | None = None
    fallback: str | None = None
    fallback_reason: str | None = None
    # Why ``found`` is False: the model said the sources do not answer, or which check failed
    # ("name Emmanuel Macron is in no article"). None for an answer.
    abstention_reason: str | None = None
    # Words of the answer left in another language than the question's, by language:
    # {"nl": ["Buitenlandse", "Zaken"]} (see qa.grounding.foreign_words). Empty for a quote.
    foreign_words: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (used by ``qa ask --json`` and the evaluation reports)."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "text": self.text,
            "found": self.found,
            "lang": self.lang,
            "backend": self.backend,
            "fallback": self.fallback,
            "fallback_reason": self.fallback_reason,
            "abstention_reason": self.abstention_reason,
            "foreign_words": {lang: list(words) for lang, words in self.foreign_words.items()},
            "citations": [{"file": c.file, "paragraph": c.paragraph, "text": c.text} for c in self.citations],
            "passages": [
                {"file": p.file, "paragraph": p.paragraph, "score": p.score, "lang": p.lang, "text": p.text}
                for p in self.passages
            ],
            "timings": dict(self.timings),
        }
