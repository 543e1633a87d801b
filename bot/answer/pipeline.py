"""The answer pipeline as named stages: query preparation, retrieval, answer synthesis."""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.query import prepare_query
from bot.answer.retriever import HybridRetriever, open_retriever
from bot.answer.types import Answer, Turn
from index.settings import Settings


class QAPipeline:
    """`answer(question, history)` is the one entry point every channel uses."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, answerer=None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.extractive = ExtractiveAnswerer(retriever)
        self.answerer = answerer or self.extractive

    @classmethod
    def open(cls, settings: Settings) -> QAPipeline:
        if settings.llm_model:  # a misconfigured provider is reported before the index is opened
            from bot.answer.llm import check_llm_config

            check_llm_config(settings)
        retriever = open_retriever(settings)
        answerer = None
        if settings.llm_model:
            from bot.answer.llm import LLMAnswerer

            answerer = LLMAnswerer(settings, retriever, fallback=ExtractiveAnswerer(retriever))
        return cls(settings, retriever, answerer)

    def reload(self) -> None:
        """Reopen the index after it was rebuilt, keeping the same answerer settings."""
        fresh = QAPipeline.open(self.settings)
        self.retriever, self.extractive, self.answerer = fresh.retriever, fresh.extractive, fresh.answerer

    def passage_text(self, chunk_id: str) -> str:
        return self.retriever.passages[self.retriever.by_id[chunk_id]].text

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        prepared = prepare_query(question, history, self.settings.max_question_chars)
        timings["prepare_ms"] = (time.perf_counter() - started) * 1000
        if prepared.reply is not None:
            return Answer(question, prepared.reply, False, 0.0, timings_ms=timings, answerer="input-check")
        step = time.perf_counter()
        retrieval = self.retriever.run(prepared.search_text, self.settings.top_k)
        timings["retrieve_ms"] = (time.perf_counter() - step) * 1000
        step = time.perf_counter()
        result = self.answerer.answer(prepared.question, retrieval, prepared.context)
        timings["answer_ms"] = (time.perf_counter() - step) * 1000
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        result.question = question
        result.timings_ms = timings
        return result
