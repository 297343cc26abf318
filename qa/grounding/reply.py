"""The model's reply: the JSON it is asked for, parsing it, its source numbers and markers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from qa.grounding.words import WORD
from qa.lang import fold
from qa.models import Passage

# The JSON the model is asked for. Field order matters: the answer streams first.
ANSWER_SCHEMA_FIELDS = ("answer", "sources", "found")

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")


_ABSTAIN_PATTERNS = re.compile(
    r"(i (do not|don't) know|not (stated|mentioned|contain|say)|do(es)? not (say|state|mention|contain)|"
    r"no information|keine (angaben|informationen)|nicht (erwähnt|angegeben|genannt)|"
    r"ne (le )?(disent|mentionnent|précisent) pas|aucune information|"
    r"(säger|nämner) (inget|inte)|framgår inte|(zeggen|vermelden) (niets|niet)|niet vermeld)",
    re.IGNORECASE,
)


def answer_schema(n_sources: int) -> dict[str, object]:
    """JSON schema for the reply; source numbers are limited to 1..n where the backend enforces it."""
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "integer", "enum": list(range(1, n_sources + 1))}},
            "found": {"type": "boolean"},
        },
        "required": list(ANSWER_SCHEMA_FIELDS),
        "additionalProperties": False,
    }


@dataclass
class ParsedReply:
    """What the model said: answer text (markers removed), source numbers as given, and ``found``."""

    text: str
    sources: list[int] = field(default_factory=list)
    found: bool = True
    structured: bool = False
    # The reply started as JSON but did not parse (cut off at the token limit, or broken).
    malformed: bool = False


def parse_reply(raw: str) -> ParsedReply:
    """Parse a JSON reply, or plain text with ``[n]`` markers when the backend ignored the schema."""
    stripped = raw.strip()
    if stripped.startswith("```"):
        stripped = re.sub(r"^```\w*\s*|\s*```$", "", stripped)
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            text = str(data.get("answer") or "").strip()
            sources = _ints(data.get("sources"))
            found = data.get("found")
            found_flag = bool(found) if isinstance(found, bool) else bool(text)
            cleaned, inline = strip_markers(text)
            return ParsedReply(cleaned, _dedupe(sources + inline), found_flag and bool(cleaned), True)
        return ParsedReply("", [], False, True, malformed=True)
    cleaned, inline = strip_markers(stripped)
    found = bool(cleaned) and not looks_like_abstention(cleaned)
    return ParsedReply(cleaned, inline, found, False)


def _ints(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            out.append(item)
        elif isinstance(item, str) and item.strip().lstrip("[").rstrip("]").isdigit():
            out.append(int(item.strip().lstrip("[").rstrip("]")))
    return out


def _dedupe(numbers: list[int]) -> list[int]:
    return list(dict.fromkeys(numbers))


def strip_markers(text: str) -> tuple[str, list[int]]:
    """Remove ``[1]``/``[1, 2]`` markers from ``text``; return the clean text and the numbers in order."""
    numbers: list[int] = []

    def collect(match: re.Match[str]) -> str:
        numbers.extend(int(n) for n in re.findall(r"\d+", match.group(1)))
        return ""

    cleaned = _MARKER.sub(collect, text)
    cleaned = re.sub(r"\s+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    return cleaned, _dedupe(numbers)


def looks_like_abstention(text: str) -> bool:
    """True for free-text replies such as "I don't know" or "The sources do not say"."""
    return len(text) < 200 and bool(_ABSTAIN_PATTERNS.search(text))


def map_sources(numbers: list[int], passages: list[Passage]) -> tuple[list[Passage], list[int]]:
    """Passages for the 1-based source ``numbers``; numbers outside 1..len(passages) are dropped."""
    kept: list[Passage] = []
    dropped: list[int] = []
    for n in numbers:
        if 1 <= n <= len(passages):
            if passages[n - 1] not in kept:
                kept.append(passages[n - 1])
        else:
            dropped.append(n)
    return kept, dropped


def leaks_prompt(answer: str, system_prompt: str, shingle: int = 6) -> bool:
    """True when ``answer`` repeats any run of ``shingle`` consecutive words of the system prompt."""
    prompt_words = WORD.findall(fold(system_prompt))
    answer_text = " ".join(WORD.findall(fold(answer)))
    for i in range(len(prompt_words) - shingle + 1):
        if " ".join(prompt_words[i : i + shingle]) in answer_text:
            return True
    return False
