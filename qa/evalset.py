"""The known-answers evaluation set: loading, validation, answer matching and metrics.

The set lives in ``tests/eval/known_answers.jsonl``, one question per line, written by hand
from the articles. Everything here is pure and fast (no model, no index): the runner in
:mod:`qa.eval` produces rankings and answers, these functions score them.

Matching rules (see :func:`alternative_matches`): case-insensitive, accents folded, dashes
read as spaces, whole words by default; an alternative ending in ``*`` matches as a word
prefix (``"ratif*"`` matches "ratify", "ratifizieren", "ratificera").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qa.config import PROJECT_ROOT
from qa.errors import InputError, SourceError
from qa.lang import fold

if TYPE_CHECKING:
    from qa.corpus import Corpus

DEFAULT_PATH = PROJECT_ROOT / "tests" / "eval" / "known_answers.jsonl"
# Questions written on 2026-12-07, after the pipeline's rules, and never used to build or tune any
# of them: run once to see how the figures of the main set carry over to new questions
# (``qa eval --set tests/eval/heldout.jsonl``; docs/evaluation.md).
HELDOUT_PATH = PROJECT_ROOT / "tests" / "eval" / "heldout.jsonl"
# A second held-out set, written on 2026-12-07 (afternoon) from the articles alone and committed
# before any run on it, to judge ranking changes that the first one had been used to look at.
FRESH_PATH = PROJECT_ROOT / "tests" / "eval" / "fresh.jsonl"
LANGUAGES = ("en", "de", "fr", "sv", "nl")
Lang = Literal["en", "de", "fr", "sv", "nl"]

# Every target in one place. Tests and reports read them from here; lowering one needs a
# reason in the commit message.
THRESHOLDS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "retrieval": MappingProxyType({"recall@5": 0.97, "mrr": 0.85}),
        "local": MappingProxyType(
            {"accuracy": 0.90, "abstention": 0.80, "citation_precision": 0.90, "language_match": 0.90}
        ),
        "openai": MappingProxyType(
            {"accuracy": 0.90, "abstention": 0.80, "citation_precision": 0.90, "language_match": 0.90}
        ),
        # The extractive backend quotes paragraphs verbatim, in the article's language, so it is
        # judged on its own terms: does it quote an evidence paragraph (evidence_accuracy), and
        # are the paragraphs it quotes evidence (citation_precision)? It picks sentences by
        # embedding similarity without reading them, so its accuracy target sits below the
        # LLM backends' 0.90 but well above retrieval's recall@1.
        "extractive": MappingProxyType({"citation_precision": 0.90, "evidence_accuracy": 0.80}),
    }
)


class EvalSetError(InputError):
    """The known-answers file is missing or malformed."""


class Evidence(BaseModel):
    """A phrase that occurs in exactly one paragraph of ``file``, which supports the answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(min_length=1)
    contains: str = Field(min_length=3)


class KnownAnswer(BaseModel):
    """One question of the set, answerable (with answers and evidence) or not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    question: str = Field(min_length=3)
    lang: Lang
    answerable: bool
    answers: tuple[tuple[str, ...], ...] = ()
    evidence: tuple[Evidence, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    standalone: str | None = None
    tags: tuple[str, ...] = ()

    @field_validator("answers")
    @classmethod
    def _non_empty_groups(cls, groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for group in groups:
            if not group:
                raise ValueError("an answer group is empty")
            for alt in group:
                if not normalize(alt.rstrip("*")):
                    raise ValueError(f"blank answer alternative {alt!r}")
        return groups

    @model_validator(mode="after")
    def _answerable_has_answers(self) -> KnownAnswer:
        if self.answerable and not (self.answers and self.evidence):
            raise ValueError("an answerable item needs 'answers' and 'evidence'")
        if not self.answerable and (self.answers or self.evidence):
            raise ValueError("an unanswerable item must not have 'answers' or 'evidence'")
        if self.standalone is not None and not self.history:
            raise ValueError("'standalone' is only for follow-up items (with 'history')")
        return self

    @property
    def is_follow_up(self) -> bool:
        return bool(self.history)

    @property
    def retrieval_query(self) -> str:
        """What to search with when scoring retrieval alone: the standalone form of a follow-up."""
        return self.standalone or self.question

    def expected(self) -> str:
        """The expected answer for people: groups joined by AND, alternatives by ``|``."""
        if not self.answerable:
            return "(not in the articles: abstain)"
        return " AND ".join(
            " | ".join(group[:4]) + (" | …" if len(group) > 4 else "") for group in self.answers
        )


def load_known_answers(path: Path = DEFAULT_PATH) -> list[KnownAnswer]:
    """Read the JSONL set; EvalSetError naming the line for anything malformed or duplicated."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalSetError(f"Cannot read the known-answers file {path}: {exc.strerror or exc}") from exc
    items: list[KnownAnswer] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = KnownAnswer.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path.name} line {number}: not valid JSON ({exc.msg})") from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'item'}: {err['msg']}" for err in exc.errors()
            )
            raise EvalSetError(f"{path.name} line {number}: {problems}") from exc
        if item.id in seen:
            raise EvalSetError(f"{path.name} line {number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalSetError(f"{path} has no items")
    return items


# --- matching ---------------------------------------------------------------------------

_DASHES = re.compile(r"[\-\u2010-\u2015\u2212]")
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"'}
)


def normalize(text: str) -> str:
    """Case-folded, accent-free, dashes as spaces, single spaces: the form answers are matched in."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_DASHES.sub(" ", stripped.casefold()).split())


@lru_cache(maxsize=4096)
def _alternative_pattern(alternative: str) -> re.Pattern[str]:
    prefix = alternative.endswith("*")
    core = re.escape(normalize(alternative.rstrip("*")))
    return re.compile(r"(?<!\w)" + core + ("" if prefix else r"(?!\w)"))


def alternative_matches(alternative: str, text: str) -> bool:
    """Whether one alternative occurs in ``text`` as whole words (or as a word prefix, with ``*``)."""
    return _alternative_pattern(alternative).search(normalize(text)) is not None


def answer_matches(item: KnownAnswer, text: str) -> bool:
    """True when every answer group has an alternative in ``text``. Always False for unanswerable items."""
    if not item.answerable:
        return False
    normalized = normalize(text)
    return all(any(_alternative_pattern(alt).search(normalized) for alt in group) for group in item.answers)


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _contains(paragraph_text: str, phrase: str) -> bool:
    return _squash(phrase) in _squash(paragraph_text)


def is_hit(item: KnownAnswer, file: str, paragraph_text: str) -> bool:
    """Whether a paragraph of ``file`` with this text contains one of the item's evidence phrases."""
    return any(ev.file == file and _contains(paragraph_text, ev.contains) for ev in item.evidence)


def evidence_paragraphs(item: KnownAnswer, corpus: Corpus) -> set[tuple[str, int]]:
    """Every ``(file, paragraph number)`` whose text contains one of the item's evidence phrases."""
    found: set[tuple[str, int]] = set()
    for ev in item.evidence:
        try:
            doc = corpus.document(ev.file)
        except SourceError:  # a file this corpus does not have: no paragraphs to find
            continue
        found.update((ev.file, p.number) for p in doc.paragraphs if _contains(p.text, ev.contains))
    return found


def validate(items: Sequence[KnownAnswer], corpus: Corpus) -> list[str]:
    """Problems with the set against ``corpus``: each evidence phrase must occur in exactly one
    content (non-boilerplate) paragraph of its file; ids must be unique."""
    problems: list[str] = []
    files = {doc.file: doc for doc in corpus.documents}
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            problems.append(f"{item.id}: duplicate id")
        seen.add(item.id)
        for ev in item.evidence:
            doc = files.get(ev.file)
            if doc is None:
                problems.append(f"{item.id}: evidence file {ev.file} is not in the corpus")
                continue
            matches = [p for p in doc.paragraphs if _contains(p.text, ev.contains)]
            if len(matches) != 1:
                where = ", ".join(f"¶{p.number}" for p in matches) or "no paragraph"
                problems.append(f"{item.id}: {ev.contains!r} occurs in {where} of {ev.file}, not exactly one")
            elif matches[0].boilerplate:
                problems.append(
                    f"{item.id}: {ev.contains!r} is in {ev.file} ¶{matches[0].number}, a boilerplate paragraph"
                )
    return problems


# --- answer language -------------------------------------------------------------------

# Names from the articles that carry no language of their own but sway a detector (Vietnamese
# and Polish names pull short answers towards "vi" or "pl"). Masked before detection.
NEUTRAL_NAMES = (
    "Luong Tam Quang",
    "Luong Cuong",
    "Bui Thanh Son",
    "To Lam",
    "Antonio Guterres",
    "Guterres",
    "Krzysztof Gawkowski",
    "Gawkowski",
    "Ghada Waly",
    "Waly",
    "Thong Nhat",
    "Hanoi",
    "Vietnam",
    "Laos",
    "New York",
    "UNODC",
    "ONUDC",
    "KPV",
    "VNA",
)
_NEUTRAL_TOKENS = tuple(tuple(name.lower().split()) for name in NEUTRAL_NAMES)
_CITATION_MARKER = re.compile(r"\[[^\[\]]*¶\s*\d+[^\[\]]*\]")
# Fewer words than this (after masking names and numbers) and an answer has no language to judge.
MIN_LANGUAGE_WORDS = 3


def strip_citations(text: str) -> str:
    """Answer text without ``[file ¶n]`` markers."""
    return " ".join(_CITATION_MARKER.sub(" ", text).split())


def language_text(text: str) -> str | None:
    """The words of an answer that tell its language: citations, article names and numbers removed.

    None when too few words remain ("9", "Luong Cuong.", "Bui Thanh Son"): such an answer is
    neutral, neither in nor out of the question's language. Accents are kept (they are evidence).
    """
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", strip_citations(text)))
    folded = [fold(w) for w in words]
    kept: list[str] = []
    i = 0
    while i < len(words):
        name = next((n for n in _NEUTRAL_TOKENS if tuple(folded[i : i + len(n)]) == n), None)
        if name is not None:
            i += len(name)
            continue
        if len(words[i]) > 1 or folded[i] in {"a", "y", "i", "o"}:
            kept.append(words[i])
        i += 1
    return " ".join(kept) if len(kept) >= MIN_LANGUAGE_WORDS else None


# --- retrieval metrics ------------------------------------------------------------------

RankedParagraph = tuple[str, int, str]  # (file, paragraph number, paragraph text)


def first_hit_rank(item: KnownAnswer, ranked: Sequence[RankedParagraph]) -> int | None:
    """1-based rank of the first retrieved paragraph that is a hit, or None."""
    for rank, (file, _number, text) in enumerate(ranked, start=1):
        if is_hit(item, file, text):
            return rank
    return None


def retrieval_metrics(
    items: Iterable[KnownAnswer], ranked: Mapping[str, Sequence[RankedParagraph]], k: int = 5
) -> dict[str, float]:
    """recall@1, recall@k and MRR@k over the answerable items.

    ``ranked`` maps item id to its retrieved paragraphs, best first. An answerable item
    without a ranking is a ValueError (a silent miss would hide a runner bug).
    """
    answerable = [item for item in items if item.answerable]
    if not answerable:
        raise ValueError("no answerable items to score retrieval on")
    missing = [item.id for item in answerable if item.id not in ranked]
    if missing:
        raise ValueError(f"no ranking for {len(missing)} item(s): {', '.join(missing[:5])}")
    at1 = atk = rr = 0.0
    for item in answerable:
        rank = first_hit_rank(item, list(ranked[item.id])[:k])
        if rank is not None:
            atk += 1
            rr += 1.0 / rank
            at1 += rank == 1
    n = len(answerable)
    return {"recall@1": at1 / n, f"recall@{k}": atk / n, "mrr": rr / n, "n": float(n)}


# --- answer metrics ---------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    """What a backend replied to one item, reduced to what the metrics need."""

    item: KnownAnswer
    text: str
    found: bool
    citations: tuple[RankedParagraph, ...]
    answer_lang: str | None
    seconds: float = 0.0
    first_token_seconds: float | None = None
    error: str | None = None
    # Why the bot abstained (``Answer.abstention_reason``), shown with a false abstention.
    abstention_reason: str | None = None
    # Words the answer left in another language (``Answer.foreign_words``): {"nl": ["Zaken"]}.
    foreign_words: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def correct_citations(self) -> int:
        return sum(is_hit(self.item, file, text) for file, _n, text in self.citations)

    @property
    def correct(self) -> bool:
        """Answerable: found and every answer group matched. Unanswerable: abstained."""
        if self.error is not None:
            return False
        if self.item.answerable:
            return self.found and answer_matches(self.item, self.text)
        return not self.found

    @property
    def evidence_correct(self) -> bool:
        """Extractive terms. Answerable: found and cites an evidence paragraph. Unanswerable: abstained."""
        if self.error is not None:
            return False
        if self.item.answerable:
            return self.found and self.correct_citations > 0
        return not self.found

    @property
    def wrong_language(self) -> bool:
        """Detected as written in another language than the question's."""
        return self.error is None and self.answer_lang not in (None, self.item.lang)

    @property
    def language_ok(self) -> bool:
        """In the question's language, or neutral (``answer_lang`` None: too few words to tell),
        with no word left in another language ("Le vicepremier et le minister de Buitenlandse
        Zaken …" is French to a detector, and "Generalsekretär" too short to judge)."""
        return self.error is None and not self.wrong_language and not self.foreign_words


def _share(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def answer_metrics(outcomes: Sequence[AnswerOutcome]) -> dict[str, float]:
    """Accuracy, abstention, citation precision/recall, language match over a run.

    - accuracy: answerable items answered (found) with every answer group matched;
    - evidence_accuracy: answerable items answered citing an evidence paragraph;
    - abstention: unanswerable items where the bot said the articles do not answer;
    - false_abstention: answerable items where it said so;
    - citation_precision: cited paragraphs (on answerable items) that contain an evidence phrase;
    - citation_recall: answerable items with at least one correct citation;
    - language_match: all items whose answer is in the question's language or neutral
      (too short to tell once names and numbers are masked; counted in language_undetermined),
      and keeps no word of another language (counted in foreign_words);
    """
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    cited = sum(len(o.citations) for o in answerable if o.error is None)
    return {
        "accuracy": _share(sum(o.correct for o in answerable), len(answerable)),
        "evidence_accuracy": _share(sum(o.evidence_correct for o in answerable), len(answerable)),
        "abstention": _share(sum(o.correct for o in unanswerable), len(unanswerable)),
        "false_abstention": _share(sum(o.error is None and not o.found for o in answerable), len(answerable)),
        "citation_precision": _share(sum(o.correct_citations for o in answerable if o.error is None), cited),
        "citation_recall": _share(sum(o.correct_citations > 0 for o in answerable), len(answerable)),
        "language_match": _share(sum(o.language_ok for o in outcomes), len(outcomes)),
        "language_undetermined": float(sum(o.error is None and o.answer_lang is None for o in outcomes)),
        "foreign_words": float(sum(o.error is None and bool(o.foreign_words) for o in outcomes)),
        "errors": float(sum(o.error is not None for o in outcomes)),
        "n": float(len(outcomes)),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def failures(metrics: Mapping[str, float], targets: Mapping[str, float]) -> list[str]:
    """Human-readable list of targets the metrics miss (empty when all are met)."""
    return [
        f"{name} {metrics.get(name, 0.0):.3f} < {target:.2f}"
        for name, target in targets.items()
        if metrics.get(name, 0.0) < target
    ]
