"""Incremental, idempotent index builds against a real Chroma PersistentClient."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    all_ids,
    assert_index_matches_corpus,
    cli_env,
    expected_parts,
    synthetic_corpus,
    synthetic_text,
    write_corpus,
)

from index.build import build_index
from index.chunking import chunk_text, split_sentences
from index.manifest import MANIFEST_NAME, IndexMismatch, read_manifest
from index.store import IndexStore


@pytest.fixture
def embed_log(embedder, monkeypatch) -> list[str]:
    """Every text the shared embedder is asked to embed during the test."""
    log: list[str] = []
    real = embedder.embed

    def counting(texts, progress=None):
        log.extend(texts)
        return real(texts, progress)

    monkeypatch.setattr(embedder, "embed", counting)
    return log


def build_embed(texts: list[str]) -> np.ndarray:
    from index.embedding import get_embedder

    return get_embedder().embed(texts)


def _total_texts(settings) -> int:
    return sum(c + s for c, s in expected_parts(settings).values())


def test_first_build_adds_everything(tiny_corpus, settings_factory, embed_log) -> None:
    settings = settings_factory(QABOT_CHUNK_TOKENS=48, QABOT_CHUNK_OVERLAP=10)
    report = build_index(settings)
    parts = expected_parts(settings)
    assert report.documents == {"added": 3, "updated": 0, "removed": 0, "unchanged": 0}
    assert report.chunks["added"] == sum(c for c, _ in parts.values()) > 3  # several chunks per document
    assert report.texts_embedded == len(embed_log) == _total_texts(settings)
    assert report.problems == []
    assert 0 < report.embed_seconds <= report.seconds
    store = assert_index_matches_corpus(settings)
    # front matter: title and metadata reach the chunk records
    meta = store.chunks.get(where={"doc_id": "baking.md"}, include=["metadatas"])["metadatas"][0]
    assert meta["title"] == "Banana bread" and meta["kind"] == "recipe"
    # the stored vectors are the right ones: a sentence finds its own document first
    hits = store.query_chunks(build_embed(["Larkin was the university librarian"])[0], 2)
    assert hits[0][0].metadata["doc_id"] == "hull.txt"


def test_second_build_embeds_nothing(tiny_corpus, settings_factory, embed_log) -> None:
    settings = settings_factory()
    build_index(settings)
    embed_log.clear()
    report = build_index(settings)
    assert report.texts_embedded == 0 and embed_log == []
    assert report.documents == {"added": 0, "updated": 0, "removed": 0, "unchanged": 3}
    assert report.chunks["unchanged"] == sum(c for c, _ in expected_parts(settings).values())
    # Without the manifest's fast path, reconciling against the store still embeds nothing.
    (settings.index_dir / MANIFEST_NAME).unlink()
    report = build_index(settings)
    assert report.texts_embedded == 0 and embed_log == []
    assert report.documents["unchanged"] == 3
    assert_index_matches_corpus(settings)


def test_changed_file_reembeds_only_its_parts(tiny_corpus, settings_factory, embed_log) -> None:
    settings = settings_factory(QABOT_CHUNK_TOKENS=48, QABOT_CHUNK_OVERLAP=10)
    build_index(settings)
    old_chunks = expected_parts(settings)["hull.txt"][0]
    new_text = "The University of Hull has a new vice-chancellor. She started in 2024."
    (tiny_corpus / "hull.txt").write_text(new_text)
    embed_log.clear()
    report = build_index(settings)
    chunks = chunk_text(new_text, 48, 10)
    sentences = [new_text[s.start : s.end] for s in split_sentences(new_text)]
    assert old_chunks > len(chunks)  # stale chunks must be deleted, not left behind
    assert report.documents == {"added": 0, "updated": 1, "removed": 0, "unchanged": 2}
    assert report.chunks["updated"] == len(chunks)
    assert report.texts_embedded == len(chunks) + len(sentences)
    assert sorted(embed_log) == sorted([c.text for c in chunks] + sentences)
    store = assert_index_matches_corpus(settings)
    texts = store.chunks.get(where={"doc_id": "hull.txt"})["documents"]
    assert texts == [new_text]


def test_deleted_file_is_removed_from_the_store(tiny_corpus, settings_factory) -> None:
    settings = settings_factory()
    build_index(settings)
    (tiny_corpus / "treaty" / "pact.txt").unlink()
    report = build_index(settings)
    assert report.documents["removed"] == 1 and report.documents["unchanged"] == 2
    assert report.chunks["removed"] == 1
    store = IndexStore(settings)
    assert store.chunks.get(where={"doc_id": "treaty/pact.txt"})["ids"] == []
    assert store.sentences.get(where={"doc_id": "treaty/pact.txt"})["ids"] == []
    assert "treaty/pact.txt" not in read_manifest(settings.index_dir).documents
    assert_index_matches_corpus(settings)


def test_added_file_is_added(tiny_corpus, settings_factory, embed_log) -> None:
    settings = settings_factory()
    build_index(settings)
    write_corpus(tiny_corpus, {"extra/new.md": "A new document. It has two sentences."})
    embed_log.clear()
    report = build_index(settings)
    assert report.documents == {"added": 1, "updated": 0, "removed": 0, "unchanged": 3}
    assert report.texts_embedded == len(embed_log) == 1 + 2
    assert_index_matches_corpus(settings)


def test_rebuild_starts_clean(tiny_corpus, settings_factory, embed_log) -> None:
    settings = settings_factory()
    build_index(settings)
    store = IndexStore(settings)
    store.client.create_collection("leftover_junk")
    store.chunks.upsert(
        ids=["ghost#c0"],
        documents=["ghost"],
        embeddings=[[0.0] * 383 + [1.0]],
        metadatas=[{"doc_id": "ghost", "doc_hash": "x", "doc_parts": 1}],
    )
    embed_log.clear()
    report = build_index(settings, rebuild=True)
    assert report.documents == {"added": 3, "updated": 0, "removed": 0, "unchanged": 0}
    assert report.texts_embedded == len(embed_log) == _total_texts(settings)
    store = assert_index_matches_corpus(settings)  # no ghost
    assert "leftover_junk" not in [c.name for c in store.client.list_collections()]
    # the rebuilt store is writable in this same process (Chroma caches clients per folder)
    (tiny_corpus / "hull.txt").write_text("Rewritten after the rebuild. Two sentences.")
    assert build_index(settings).documents["updated"] == 1
    assert_index_matches_corpus(settings)


def test_rebuild_refuses_a_folder_with_foreign_files(tiny_corpus, settings_factory, tmp_path) -> None:
    from index.store import IndexUnavailable

    settings = settings_factory(QABOT_INDEX_DIR=tmp_path / "mine")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(IndexUnavailable, match=r"thesis\.docx"):
        build_index(settings, rebuild=True)
    assert (tmp_path / "mine" / "thesis.docx").read_bytes() == b"precious"


def test_changed_chunk_settings_raise_index_mismatch(tiny_corpus, settings_factory, embed_log) -> None:
    build_index(settings_factory(QABOT_CHUNK_TOKENS=64))
    changed = settings_factory(QABOT_CHUNK_TOKENS=96)
    embed_log.clear()
    with pytest.raises(IndexMismatch) as caught:
        build_index(changed)
    message = str(caught.value)
    assert "qabot index --rebuild" in message
    assert "chunk_tokens=64 (now 96)" in message
    assert embed_log == []  # nothing touched
    assert read_manifest(changed.index_dir).chunker["chunk_tokens"] == 64
    report = build_index(changed, rebuild=True)
    assert report.documents["added"] == 3
    assert_index_matches_corpus(changed)


def test_interrupted_build_resumes_without_duplicates(
    tiny_corpus, settings_factory, tmp_path, monkeypatch, embed_log
) -> None:
    write_corpus(tiny_corpus, {f"more/doc{n}.txt": synthetic_text(random.Random(n), 150) for n in range(3)})
    settings = settings_factory(QABOT_CHUNK_TOKENS=48, QABOT_CHUNK_OVERLAP=10)
    real = IndexStore.replace_document
    calls = []

    def interrupted(self, doc_id, chunks, chunk_vectors, sentences, sentence_vectors):
        calls.append(doc_id)
        if len(calls) == 2:  # a half-written document: chunks stored, sentences not
            self.remove_document(doc_id)
            self._add(self.chunks, chunks, chunk_vectors)
            raise KeyboardInterrupt
        return real(self, doc_id, chunks, chunk_vectors, sentences, sentence_vectors)

    monkeypatch.setattr(IndexStore, "replace_document", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings)
    monkeypatch.setattr(IndexStore, "replace_document", real)
    assert read_manifest(settings.index_dir).complete is False
    embed_log.clear()

    report = build_index(settings)
    total_docs = len(expected_parts(settings))
    assert report.documents["unchanged"] == 1  # the one document written before the interruption
    assert report.documents["updated"] == 1  # the half-written one is redone
    assert report.documents["added"] == total_docs - 2
    assert report.texts_embedded < _total_texts(settings)
    store = assert_index_matches_corpus(settings)

    clean = settings_factory(QABOT_CHUNK_TOKENS=48, QABOT_CHUNK_OVERLAP=10, QABOT_INDEX_DIR=tmp_path / "clean")
    build_index(clean)
    clean_ids = all_ids(IndexStore(clean))
    resumed_ids = all_ids(store)
    assert len(resumed_ids[0]) == len(clean_ids[0]) and sorted(resumed_ids[0]) == sorted(clean_ids[0])
    assert sorted(resumed_ids[1]) == sorted(clean_ids[1])


def _stored_records(sqlite_path: Path) -> int:
    """Records Chroma has committed, read from a second process's point of view."""
    try:
        with sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, timeout=0.2) as db:
            return db.execute("SELECT count(*) FROM embeddings_queue").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_index_process_resumes(settings_factory, tmp_path, embed_log) -> None:
    """SIGKILL `qabot index` part-way through embedding; the next run completes the index
    without duplicates and without re-embedding what was already stored."""
    corpus = synthetic_corpus(tmp_path / "corpus", files=40, words_per_file=60, seed=11)
    settings = settings_factory(corpus=corpus)
    total = _total_texts(settings)
    process = subprocess.Popen(
        [str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "qabot"), "index"],
        env=cli_env(settings),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sqlite_path = settings.index_dir / "chroma.sqlite3"
    deadline = time.monotonic() + 90
    try:
        # Wait until a few documents are committed, then kill without warning.
        while time.monotonic() < deadline and process.poll() is None and _stored_records(sqlite_path) < 30:
            time.sleep(0.05)
        assert process.poll() is None, f"qabot index finished before it could be killed: {process.communicate()}"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert "netguard" not in stderr
    manifest = json.loads((settings.index_dir / MANIFEST_NAME).read_text())
    assert manifest["complete"] is False and manifest["documents"] == {}

    report = build_index(settings)
    assert report.documents["unchanged"] >= 1  # work done before the kill was kept
    assert report.documents["unchanged"] + report.documents["added"] + report.documents["updated"] == 40
    assert 0 < report.texts_embedded < total
    store = assert_index_matches_corpus(settings)
    # the vector index survived: each document's first chunk is its own nearest neighbour
    got = store.chunks.get(where={"chunk": 0}, include=["documents", "metadatas"])
    vectors = build_embed(got["documents"])
    for vector, meta in zip(vectors, got["metadatas"], strict=True):
        assert store.query_chunks(vector, 1)[0][0].metadata["doc_id"] == meta["doc_id"]


def test_an_index_from_before_versions_is_read_then_moved_to_versions(tiny_corpus, settings_factory, embed_log) -> None:
    """Indexes built before versioned collections (`qabot_chunks`, no version in the manifest) are version 0:
    readers use them as they are, and the next change copies them into version 1 without re-embedding."""
    settings = settings_factory()
    build_index(settings)
    store = IndexStore(settings)
    for collection in (store.chunks, store.sentences):
        collection.modify(name=collection.name.removesuffix("_v1"))
    manifest = json.loads((settings.index_dir / MANIFEST_NAME).read_text())
    del manifest["version"]
    (settings.index_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert IndexStore(settings).chunks.name == "qabot_chunks"
    embed_log.clear()
    (tiny_corpus / "baking.md").write_text("Banana bread keeps for three days. Wrap it in foil.")
    report = build_index(settings)
    assert report.documents == {"added": 0, "updated": 1, "removed": 0, "unchanged": 2}
    assert len(embed_log) == 1 + 2
    assert_index_matches_corpus(settings)
    assert IndexStore(settings).version == 1
