"""Multilingual question answering over news articles, with paragraph citations.

Public API::

    import qa
    answer = qa.answer("How many chapters does the Hanoi Convention have?")
    passages = qa.search("Wer leitete die Zeremonie?", k=5)

Importing the package does no work: models, clients and indexes load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from qa.errors import QAError

__all__ = [
    "Answer",
    "Citation",
    "Passage",
    "QAError",
    "answer",
    "search",
    "stream_answer",
]

# Lazy exports: name -> module that defines it.
_LAZY = {
    "Passage": "qa.models",
    "search": "qa.retrieve",
    "Answer": "qa.models",
    "Citation": "qa.models",
    "answer": "qa.answering",
    "stream_answer": "qa.answering",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = getattr(module, name)
    return value
