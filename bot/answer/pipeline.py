"""The answer pipeline as named stages: query preparation, retrieval, answer synthesis.

The pipeline reads one version of the index at a time. At most every CHECK_SECONDS, on a question, a
background thread reads the index pointer; when a newer version is live it loads that one and swaps it in
whole, so an answer never mixes versions and no question waits for the load. When the index cannot be
reached, questions get UNAVAILABLE_REPLY (nothing raises) and later questions try again, so the pipeline
recovers by itself when the server is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.query import PreparedQuery, fill_ellipsis, prepare_query
from bot.answer.retriever import HybridRetriever, Retrieval, open_retriever
from bot.answer.spelling import Speller, corrections
from bot.answer.types import Answer, Turn
from index.embedding import get_embedder
from index.manifest import IndexMismatch
from index.settings import Settings
from index.store import Catalog, IndexUnavailable

log = logging.getLogger("qabot.answer")

CHECK_SECONDS = 5.0
UNAVAILABLE_REPLY = "The index is unavailable right now, try again shortly."


@dataclass(frozen=True)
class Loaded:
    """One version of the index and the answerers over it: replaced as a whole, never piecemeal."""

    retriever: HybridRetriever
    extractive: ExtractiveAnswerer
    answerer: Any
    speller: Speller


def _load(settings: Settings, retriever: HybridRetriever, answerer: Any = None) -> Loaded:
    extractive = ExtractiveAnswerer(retriever)
    if answerer is None and settings.llm_model:
        from bot.answer.llm import LLMAnswerer

        answerer = LLMAnswerer(settings, retriever, fallback=ExtractiveAnswerer(retriever))
    speller = Speller(extractive.vocabulary, retriever.embedder.words(), (s.text for s in retriever.sentences))
    return Loaded(retriever, extractive, answerer or extractive, speller)


class QAPipeline:
    """`answer(question, history)` is the one entry point every channel uses. Built without a retriever,
    it answers UNAVAILABLE_REPLY until the index can be opened."""

    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever | None = None,
        answerer: Any = None,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.settings = settings
        self.check_seconds = check_seconds
        self.loaded = _load(settings, retriever, answerer) if retriever else None
        self._checked = time.monotonic()
        self._refreshing = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> QAPipeline:
        if settings.llm_model:  # a misconfigured provider is reported before the index is opened
            from bot.answer.llm import check_llm_config

            check_llm_config(settings)
        return cls(settings, open_retriever(settings))

    @property
    def retriever(self) -> HybridRetriever | None:
        return self.loaded.retriever if self.loaded else None

    @property
    def extractive(self) -> ExtractiveAnswerer | None:
        return self.loaded.extractive if self.loaded else None

    @property
    def answerer(self) -> Any:
        return self.loaded.answerer if self.loaded else None

    def reload(self, retries: int | None = None) -> None:
        """Open the live version of the index afresh (after a build, or when a newer one is noticed)."""
        self.loaded = _load(self.settings, open_retriever(self.settings, retries))
        self._checked = time.monotonic()

    def retrieved_passages(self, chunk_ids: list[str], k: int) -> list[str]:
        """The texts of the first k passages an answer's retrieval returned (its chunks, merged again the
        way retrieval merged them)."""
        r = self.retriever
        groups = r.merge_overlapping([r.by_id[chunk_id] for chunk_id in chunk_ids])
        return [r.union(group).text for group in groups[:k]]

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        prepared = prepare_query(question, history, self.settings.max_question_chars)
        if prepared.reply is not None:
            timings["prepare_ms"] = (time.perf_counter() - started) * 1000
            return Answer(question, prepared.reply, False, 0.0, timings_ms=timings, answerer="input-check")
        if prepared.ellipsis:  # "and putin?" after "what did kim call the deal?" is a question of its own
            filled = fill_ellipsis(prepared.ellipsis, prepared.earlier_question, get_embedder().embed)
            prepared = replace(prepared, question=filled, context="") if filled else prepared
        timings["prepare_ms"] = (time.perf_counter() - started) * 1000
        step = time.perf_counter()
        try:
            loaded, corrected, retrieval = self._retrieve(prepared)
        except IndexUnavailable as exc:
            log.warning("question not answered, the index is unavailable: %s", exc)
            timings["total_ms"] = (time.perf_counter() - started) * 1000
            return Answer(question, UNAVAILABLE_REPLY, False, 0.0, timings_ms=timings, answerer="index-unavailable")
        timings["retrieve_ms"] = (time.perf_counter() - step) * 1000
        step = time.perf_counter()
        result = loaded.answerer.answer(corrected.question, retrieval, corrected.context)
        timings["answer_ms"] = (time.perf_counter() - step) * 1000
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        read_as = corrections(loaded.speller.unabbreviate(prepared.question), corrected.question)
        if read_as:  # say how the question was read, beside any notice the answerer gave
            result.notice = " ".join(filter(None, [result.notice, f"(Read {read_as}.)"]))
        result.question = question
        result.timings_ms = timings
        return result

    def _retrieve(self, prepared: PreparedQuery) -> tuple[Loaded, PreparedQuery, Retrieval]:
        """Retrieve from the loaded version. If that fails, the version may have been dropped by a newer
        build: check the pointer once and retry on the newer version."""
        loaded = self._current()
        try:
            return self._run(loaded, prepared)
        except IndexUnavailable:
            with self._refreshing:
                if self.loaded is loaded:
                    self._refresh()
            fresh = self.loaded
            if fresh is None or fresh is loaded:
                raise
            return self._run(fresh, prepared)

    def _run(self, loaded: Loaded, prepared: PreparedQuery) -> tuple[Loaded, PreparedQuery, Retrieval]:
        """Retrieval for the question with its typos corrected against this version's documents."""
        speller = loaded.speller
        question, context = speller.correct(prepared.question), speller.correct(prepared.context)
        expanded = "; ".join(speller.expansions(f"{question} {context}"))
        prepared = replace(prepared, question=question, context=context, expanded=expanded)
        return loaded, prepared, loaded.retriever.run(prepared.search_text, self.settings.top_k)

    def _current(self) -> Loaded:
        """The loaded version. When a pointer check is due, one thread makes it in the background (loading a
        newer version can take seconds on a large corpus), and questions use the loaded version meanwhile.
        With nothing loaded yet, the asking thread tries to load it."""
        due = self.loaded is None or time.monotonic() - self._checked >= self.check_seconds
        if due and self._refreshing.acquire(blocking=False):
            if self.loaded is None:
                try:
                    self._refresh()
                finally:
                    self._refreshing.release()
            else:
                threading.Thread(target=self._refresh_in_background, name="qabot-index-check", daemon=True).start()
        if self.loaded is None:
            raise IndexUnavailable("the index is not open yet")
        return self.loaded

    def _refresh_in_background(self) -> None:
        try:
            self._refresh()
        except IndexUnavailable as exc:  # the next question that queries will say so
            log.warning("index check failed: %s", exc)
        finally:
            self._refreshing.release()

    def _refresh(self) -> None:
        """Load the live version if it differs from the loaded one (or nothing is loaded)."""
        self._checked = time.monotonic()
        loaded = self.loaded
        try:
            if loaded:
                live = Catalog(self.settings, loaded.retriever.store.client).live_version()
                if live == loaded.retriever.version:
                    return
                log.info("index version %d is live (was %d): loading it", live, loaded.retriever.version)
            self.reload(retries=0)
        except IndexMismatch as exc:
            log.error("cannot open the live index version: %s", exc)
