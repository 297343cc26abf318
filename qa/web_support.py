"""Which sentences of a cited paragraph support an answer: pure text functions for the web chat.

The chat highlights, in every cited paragraph, the sentence(s) sharing the most content
with the part of the answer that cites it. Overlap is measured on numbers and content
words (crudely stemmed to six letters), weighted by how rare the word is among the
paragraph's sentences, so the sentence that carries the answer's figures and names wins.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from qa.models import Citation

# A run of sentence-final punctuation, closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'»”’)\]]*\s+")
_PREV_WORD = re.compile(r"[\w.]*$")
_TOKEN = re.compile(r"\w+")
_NUMBER_MARKER = re.compile(r"\[(\d{1,3})\]")
_FILE_MARKER = re.compile(r"\[([^\[\]\n]{1,200}?)\s*¶\s*(\d{1,5})\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}\])+")
_ABBREVIATIONS = frozenset(
    [
        "dr",
        "nr",
        "st",
        "bzw",
        "vs",
        "z.b",
        "u.a",
        "d.h",
        "mr",
        "mrs",
        "ms",
        "prof",
        "etc",
        "ca",
        "inkl",
        "resp",
        "mme",
        "mm",
        "m",
        "hr",
        "fr",
        "bl.a",
        "t.ex.",
        "jfr",
        "ong",
    ]
)
# Frequent words of four letters or more that say nothing about content (en, de, fr, sv, nl).
_STOPWORDS = frozenset(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "been",
        "were",
        "will",
        "would",
        "which",
        "their",
        "there",
        "they",
        "them",
        "what",
        "when",
        "where",
        "also",
        "into",
        "than",
        "then",
        "these",
        "those",
        "about",
        "after",
        "before",
        "over",
        "under",
        "more",
        "most",
        "some",
        "such",
        "only",
        "other",
        "eine",
        "einer",
        "eines",
        "einem",
        "einen",
        "nicht",
        "auch",
        "sich",
        "dass",
        "oder",
        "aber",
        "wird",
        "werden",
        "wurde",
        "wurden",
        "sind",
        "hatte",
        "haben",
        "beim",
        "unter",
        "nach",
        "über",
        "durch",
        "noch",
        "sowie",
        "diese",
        "dieser",
        "dieses",
        "diesem",
        "dans",
        "pour",
        "avec",
        "sont",
        "leur",
        "leurs",
        "cette",
        "mais",
        "plus",
        "aussi",
        "entre",
        "sous",
        "elle",
        "elles",
        "nous",
        "vous",
        "était",
        "från",
        "till",
        "inte",
        "även",
        "eller",
        "under",
        "efter",
        "mellan",
        "denna",
        "detta",
        "dessa",
        "sina",
        "också",
        "vara",
        "varit",
        "voor",
        "zijn",
        "niet",
        "door",
        "worden",
        "werd",
        "naar",
        "deze",
        "over",
        "ook",
        "zoals",
        "maar",
        "hebben",
        "heeft",
        "tussen",
        "waren",
    ]
)
_MIN_SUPPORT_WEIGHT = 2.0  # two shared content words, or one shared number


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace trimmed).

    Does not split after ordinals or dates ("24. Oktober"), known abbreviations, or
    when the next word starts in lower case.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    previous_end = 0  # every boundary ends in whitespace, so no word reaches back past it
    for match in _BOUNDARY.finditer(text):
        # Searching from the text's start made many short sentences quadratic.
        prev_word = _PREV_WORD.search(text, previous_end, match.start())
        previous_end = match.end()
        prev = prev_word.group().lower() if prev_word else ""
        nxt = text[match.end() : match.end() + 1]
        if prev.isdigit() or prev.rstrip(".") in _ABBREVIATIONS or (nxt and nxt.islower()):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        piece = text[begin:end]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            trimmed.append((begin + left, begin + right))
    return trimmed


def strip_markers(text: str) -> str:
    """``text`` without citation markers (``[1]``, ``[file ¶6]``)."""
    return _NUMBER_MARKER.sub(" ", _FILE_MARKER.sub(" ", text))


def content_terms(text: str) -> set[str]:
    """Numbers and content words of ``text``, lower-cased and cut to six letters."""
    terms = set()
    for token in _TOKEN.findall(text.lower()):
        if token.isdigit():
            terms.add(token)
        elif len(token) >= 4 and token not in _STOPWORDS:
            terms.add(token[:6])
    return terms


def _weight(term: str) -> float:
    return 2.0 if term.isdigit() else 1.0


def support_spans(
    paragraph: str, claim: str, *, max_sentences: int = 2, ratio: float = 0.6
) -> list[tuple[int, int]]:
    """Spans of the sentences of ``paragraph`` that best support ``claim``, in text order.

    Empty when no sentence shares at least two content words or one number with the claim.
    Sentences scoring at least ``ratio`` of the best are kept, up to ``max_sentences``.
    """
    spans = sentence_spans(paragraph)
    claim_terms = content_terms(strip_markers(claim))
    if not spans or not claim_terms:
        return []
    sentence_terms = [content_terms(paragraph[b:e]) & claim_terms for b, e in spans]
    doc_freq = Counter(t for terms in sentence_terms for t in terms)
    n = len(spans)
    scores = [sum(_weight(t) * math.log(1 + n / doc_freq[t]) for t in terms) for terms in sentence_terms]
    raw = [sum(_weight(t) for t in terms) for terms in sentence_terms]
    best = max(scores)
    if best <= 0:
        return []
    ranked = sorted(range(n), key=lambda i: (-scores[i], i))
    chosen = [
        i for i in ranked[:max_sentences] if scores[i] >= ratio * best and raw[i] >= _MIN_SUPPORT_WEIGHT
    ]
    return sorted(spans[i] for i in chosen)


def normalize_markers(text: str, citations: list[Citation]) -> str:
    """``text`` with citation markers as ``[k]`` (k = 1-based position in ``citations``).

    ``[file ¶n]`` markers naming a citation become ``[k]``. When the text carries no valid
    ``[k]`` marker at all, markers for every citation are appended, so each stays visible.
    """
    if not citations:
        return text
    index = {(c.file, c.paragraph): k for k, c in enumerate(citations, start=1)}

    def to_number(match: re.Match[str]) -> str:
        k = index.get((match.group(1).strip(), int(match.group(2))))
        return f"[{k}]" if k else match.group(0)

    text = _FILE_MARKER.sub(to_number, text)
    if not any(1 <= int(m.group(1)) <= len(citations) for m in _NUMBER_MARKER.finditer(text)):
        text = text.rstrip() + " " + "".join(f"[{k}]" for k in range(1, len(citations) + 1))
    return text


def claim_for_marker(text: str, k: int) -> str:
    """The sentences of an answer that cite ``[k]``; the whole answer if none does.

    Markers opening a sentence ("… 71 articles. [1] It was …") belong to the sentence before.
    """
    marker = f"[{k}]"
    sentences = [text[b:e] for b, e in sentence_spans(text)]
    owned: list[str] = [""] * len(sentences)
    for i, sentence in enumerate(sentences):
        leading = _LEADING_MARKERS.match(sentence)
        if leading and i > 0:
            owned[i - 1] += " " + leading.group().strip()
            owned[i] += sentence[leading.end() :].strip()
        else:
            owned[i] += sentence
    claims = [s for s in owned if marker in s]
    return " ".join(claims) if claims else text


def numbered_markers(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, k)`` of every ``[k]`` marker in ``text``."""
    return [(m.start(), m.end(), int(m.group(1))) for m in _NUMBER_MARKER.finditer(text)]
