"""Folding sentence hits into paragraph candidates (pure functions)."""

from __future__ import annotations

from qa import rank


def test_a_paragraph_scores_as_its_best_sentence_and_remembers_which() -> None:
    found: dict[tuple[str, int], rank.Candidate] = {}
    rank.add_sentence_hit(found, "a.txt", 3, "de", 0, cosine=0.80, hub=0.70)  # 0.90
    rank.add_sentence_hit(found, "a.txt", 3, "de", 2, cosine=0.82, hub=0.50)  # 1.14: the best
    rank.add_sentence_hit(found, "a.txt", 3, "de", 1, cosine=0.85, hub=0.60)  # 1.10
    (cand,) = found.values()
    assert cand.best_sentence == 2 and abs(cand.dense - 1.14) < 1e-9
    assert cand.cosine == 0.85 and sorted(cand.sentences) == [0, 1, 2]
