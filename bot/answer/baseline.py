"""The baseline pipeline: the plain LangChain recipe answering with the top chunk's best sentence."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from bot.answer.extractive import citation
from bot.answer.types import Answer, Passage, Turn
from index.chunking import split_sentences
from index.documents import load_corpus
from index.settings import Settings


class BaselinePipeline:
    """k=4 dense search over 1,000-character chunks; never declines."""

    def __init__(self, settings: Settings) -> None:
        from index.baseline import BaselineIndex
        from index.embedding import get_embedder

        documents, _ = load_corpus(settings.corpus_dir, settings.max_file_mb)
        self.index = BaselineIndex(documents)
        self.embedder = get_embedder()

    def retrieved_passages(self, chunk_ids: list[str], k: int) -> list[str]:
        """The texts of the first k retrieved chunks (the baseline never merges them)."""
        return [self.index.chunks[chunk_id].text for chunk_id in chunk_ids[:k]]

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        started = time.perf_counter()
        chunks = self.index.search(question, k=4)
        if not chunks:
            return Answer(question, "The index is empty.", False, 0.0)
        top = chunks[0]
        spans = split_sentences(top.text)
        vectors = self.embedder.embed([top.text[s.start : s.end] for s in spans] + [question])
        best = spans[int(np.argmax(vectors[:-1] @ vectors[-1]))]
        quote = top.text[best.start : best.end]
        passage = Passage(top.id, top.doc_id, top.title, top.source, 0, top.start, top.start + len(top.text), top.text)
        cite = citation(1, passage, top.start + best.start, top.start + best.end, quote)
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(
            question,
            f"{quote} [1]",
            True,
            1.0,
            [cite],
            [c.id for c in chunks],
            {"total_ms": elapsed},
            answerer="baseline",
        )
