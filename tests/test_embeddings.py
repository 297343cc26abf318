"""The bundled embedding model (real, offline) behind LangChain's Embeddings interface."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from qa.config import Settings
from qa.embeddings import E5Embeddings, get_embeddings, sparse_dot, sparse_from_str, sparse_to_str
from qa.errors import ConfigError


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings()


def test_default_is_the_bundled_e5_and_loaded_once(settings: Settings) -> None:
    first = get_embeddings(settings)
    assert isinstance(first, E5Embeddings) and isinstance(first, Embeddings)
    assert get_embeddings(settings.model_copy()) is first
    assert "e5" in first.model_id and first.dim == 384


def test_vectors_are_normalised_and_langchain_shaped(e5: E5Embeddings) -> None:
    docs = e5.embed_documents(["Die Konvention hat 9 Kapitel.", "La convention compte 71 articles."])
    assert len(docs) == 2 and all(len(v) == 384 for v in docs)
    assert np.allclose(np.linalg.norm(np.array(docs), axis=1), 1.0, atol=1e-3)
    query = e5.embed_query("How many chapters?")
    assert len(query) == 384 and abs(np.linalg.norm(query) - 1.0) < 1e-3


def test_query_and_passage_prefixes_differ(e5: E5Embeddings) -> None:
    text = "Ghada Waly leads UNODC."
    assert not np.allclose(e5.embed_query_array(text), e5.embed_documents_array([text])[0], atol=1e-3)


def test_cross_lingual_paraphrases_are_closer_than_unrelated_text(e5: E5Embeddings) -> None:
    query = e5.embed_query_array("How many chapters does the convention have?")
    german, french, unrelated = e5.embed_documents_array(
        [
            "Die Konvention besteht aus 9 Kapiteln und 71 Artikeln.",
            "La Convention est composée de 9 chapitres et de 71 articles.",
            "Das Wetter in Hamburg war am Wochenende sonnig und warm.",
        ]
    )
    assert query @ german > query @ unrelated
    assert query @ french > query @ unrelated


def test_progress_is_reported_per_batch(e5: E5Embeddings) -> None:
    seen: list[tuple[int, int]] = []
    texts = [f"Satz Nummer {i} über die Konvention." for i in range(e5.batch_size + 3)]
    out = e5.embed_documents_array(texts, progress=lambda done, total: seen.append((done, total)))
    assert out.shape == (len(texts), 384)
    assert seen == [(e5.batch_size, len(texts)), (len(texts), len(texts))]
    assert e5.embed_documents_array([]).shape == (0, 384)


def test_sparse_latent_terms_round_trip_and_score(e5: E5Embeddings) -> None:
    query = e5.sparse_query("Ghada Waly UNODC")
    assert 0 < len(query[0]) <= e5.sparse_top_k
    related, unrelated = e5.sparse_documents(
        ["Ghada Waly ist Exekutivdirektorin von UNODC.", "Il pleut beaucoup en automne à Brest."]
    )
    stored = sparse_from_str(sparse_to_str(related))
    assert stored[0].tolist() == related[0].tolist()
    assert np.allclose(stored[1], related[1], rtol=1e-3)
    assert sparse_dot(query, stored) > sparse_dot(query, sparse_from_str(sparse_to_str(unrelated)))


def test_sparse_dot_matches_a_dense_dot() -> None:
    a = (np.array([3, 7, 11], dtype=np.int32), np.array([1.0, 2.0, 3.0], dtype=np.float32))
    b = sparse_from_str("7:0.5 11:2 400:9")
    assert sparse_dot(a, b) == pytest.approx(2.0 * 0.5 + 3.0 * 2.0)
    assert sparse_dot(a, sparse_from_str("")) == 0.0


def test_openai_embeddings_are_opt_in_and_need_a_key(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_embeddings(settings.model_copy(update={"embeddings": "openai"}))
