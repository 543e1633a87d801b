"""The Chroma store: the only module that talks to Chroma."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index import offline  # noqa: F401  (telemetry off before chromadb loads)
from index.settings import Settings

CHUNKS = "qabot_chunks"
SENTENCES = "qabot_sentences"
_WRITE_BATCH = 2000
_CHROMA_FILES = {"chroma.sqlite3", "manifest.json"}


class IndexUnavailable(Exception):
    """The index cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class StoredDoc:
    doc_hash: str
    chunks: int
    expected_chunks: int
    sentences: int
    expected_sentences: int

    @property
    def complete(self) -> bool:
        return self.chunks == self.expected_chunks and self.sentences == self.expected_sentences


@dataclass(frozen=True)
class Record:
    """A stored chunk or sentence."""

    id: str
    text: str
    metadata: dict[str, Any]


def ensure_writable(index_dir: Path) -> None:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise IndexUnavailable(
            f"Cannot write the index folder {index_dir} ({exc.strerror or exc}). "
            "Fix its permissions or set QABOT_INDEX_DIR to a writable folder."
        ) from exc


def wipe_index_dir(index_dir: Path) -> None:
    """Remove an embedded index folder, refusing folders that hold anything but an index."""
    if not index_dir.exists():
        return
    foreign = [
        p.name
        for p in index_dir.iterdir()
        if p.is_file() and p.name not in _CHROMA_FILES and not p.name.startswith(".")
    ]
    if foreign:
        raise IndexUnavailable(
            f"{index_dir} holds files that are not part of an index ({', '.join(foreign[:3])}); "
            "refusing to delete it. Point QABOT_INDEX_DIR at a folder of its own."
        )
    _forget_cached_client(index_dir)
    shutil.rmtree(index_dir)


def _forget_cached_client(index_dir: Path) -> None:
    """Chroma keeps one open System per folder for the life of the process; a client opened
    on the folder after it was deleted would get that stale System (still reading the deleted
    sqlite file, failing on writes). Stop and drop it so the next client starts afresh."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:  # chromadb not loaded in a way we know: nothing is cached
        return
    target = index_dir.resolve()
    for identifier in list(getattr(SharedSystemClient, "_identifier_to_system", {})):
        try:
            same = Path(identifier).resolve() == target
        except (OSError, ValueError):
            same = False
        if same:
            system = SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
            if system is not None:
                with contextlib.suppress(Exception):
                    system.stop()


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    try:
        if settings.chroma_host:
            headers = (
                {"Authorization": f"Bearer {settings.chroma_token.get_secret_value()}"}
                if settings.chroma_token
                else None
            )
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, headers=headers, settings=chroma_settings
            )
        ensure_writable(settings.index_dir)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except IndexUnavailable:
        raise
    except Exception as exc:  # chromadb raises many types for a bad folder or server
        where = (
            f"the Chroma server {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else f"the index folder {settings.index_dir}"
        )
        raise IndexUnavailable(
            f"Cannot open {where} ({type(exc).__name__}: {exc}). If the folder is damaged, run `qabot index --rebuild`."
        ) from exc


class IndexStore:
    """Chunks and sentences of every document, with their embeddings, in two collections."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        from index.embedding import register_chroma_function

        self.settings = settings
        self.client = client or open_client(settings)
        function = register_chroma_function()()
        try:
            self.chunks = self.client.get_or_create_collection(
                CHUNKS, metadata={"hnsw:space": "cosine"}, embedding_function=function
            )
            self.sentences = self.client.get_or_create_collection(
                SENTENCES, metadata={"hnsw:space": "cosine"}, embedding_function=function
            )
        except Exception as exc:
            raise IndexUnavailable(
                f"The index is unreadable ({type(exc).__name__}: {exc}). Run `qabot index --rebuild`."
            ) from exc

    def stored_documents(self) -> dict[str, StoredDoc]:
        """What each document has in the store, to tell complete documents from interrupted ones."""
        found: dict[str, dict[str, Any]] = {}
        for collection, kind in ((self.chunks, "chunks"), (self.sentences, "sentences")):
            for meta in collection.get(include=["metadatas"])["metadatas"] or []:
                entry = found.setdefault(
                    meta["doc_id"],
                    {
                        "hash": meta["doc_hash"],
                        "chunks": 0,
                        "sentences": 0,
                        "expected_chunks": -1,
                        "expected_sentences": -1,
                    },
                )
                if meta["doc_hash"] != entry["hash"]:
                    entry["hash"] = "mixed"
                entry[kind] += 1
                entry[f"expected_{kind}"] = meta["doc_parts"]
        return {
            doc_id: StoredDoc(e["hash"], e["chunks"], e["expected_chunks"], e["sentences"], e["expected_sentences"])
            for doc_id, e in found.items()
        }

    def remove_document(self, doc_id: str) -> None:
        self.chunks.delete(where={"doc_id": doc_id})
        self.sentences.delete(where={"doc_id": doc_id})

    def replace_document(
        self,
        doc_id: str,
        chunks: Sequence[Record],
        chunk_vectors: np.ndarray,
        sentences: Sequence[Record],
        sentence_vectors: np.ndarray,
    ) -> None:
        """Swap a document's records for new ones. Sentences go last: a document counts as
        complete only when both sets are whole, so an interrupted write is redone next run."""
        self.remove_document(doc_id)
        self._add(self.chunks, chunks, chunk_vectors)
        self._add(self.sentences, sentences, sentence_vectors)

    @staticmethod
    def _add(collection: Any, records: Sequence[Record], vectors: np.ndarray) -> None:
        for start in range(0, len(records), _WRITE_BATCH):
            batch = records[start : start + _WRITE_BATCH]
            collection.upsert(
                ids=[r.id for r in batch],
                documents=[r.text for r in batch],
                metadatas=[r.metadata for r in batch],
                embeddings=vectors[start : start + _WRITE_BATCH],
            )

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[Record, float]]:
        """Nearest chunks by cosine similarity, best first."""
        count = self.chunks.count()
        if count == 0:
            return []
        result = self.chunks.query(
            query_embeddings=[vector], n_results=min(k, count), include=["documents", "metadatas", "distances"]
        )
        return [
            (Record(i, t, m), 1.0 - d)
            for i, t, m, d in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
            )
        ]

    def all_chunks(self) -> list[Record]:
        got = self.chunks.get(include=["documents", "metadatas"])
        return [Record(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

    def all_sentences(self) -> tuple[list[Record], np.ndarray]:
        got = self.sentences.get(include=["documents", "metadatas", "embeddings"])
        records = [Record(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
        vectors = np.asarray(got["embeddings"], dtype=np.float32) if records else np.zeros((0, 384), np.float32)
        return records, vectors
