"""Run a question set through an answer pipeline and score it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from bot.answer.types import Answer, Turn
from bot.eval.metrics import answer_correct, citation_precision, first_evidence_rank, percentile
from bot.eval.questions import QuestionItem


class Pipeline(Protocol):
    def answer(self, question: str, history: list[Turn] = ...) -> Answer: ...
    def retrieved_passages(self, chunk_ids: list[str], k: int) -> list[str]: ...


@dataclass
class ItemResult:
    id: str
    kind: str
    question: str
    answerable: bool
    answered: bool
    answer: str
    confidence: float
    citations: list[dict[str, Any]]
    retrieved: list[str]
    evidence_rank: int | None
    has_evidence: bool
    correct: bool
    citation_precision: float | None
    latency_ms: float
    passed: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class EvalRun:
    pipeline: str
    summary: dict[str, float | None]
    by_kind: dict[str, dict[str, float | None]]
    items: list[ItemResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "summary": self.summary,
            "by_kind": self.by_kind,
            "items": [asdict(i) for i in self.items],
        }


def score_item(item: QuestionItem, answer: Answer, chunk_texts: list[str], latency_ms: float) -> ItemResult:
    rank = first_evidence_rank(chunk_texts, item.evidence) if item.evidence else None
    reasons: list[str] = []
    if item.answerable:
        correct = answer_correct(answer.answer, answer.answered, item.answers)
        precision = citation_precision([c.quote for c in answer.citations], item.evidence) if item.evidence else None
        if not answer.answered:
            reasons.append("declined an answerable question")
        elif len(answer.answer) > 400:
            reasons.append(f"answer is {len(answer.answer)} characters (limit 400)")
        elif not correct:
            reasons.append("no accepted answer in the text")
        if item.evidence and rank is None:
            reasons.append(f"no evidence in the top {len(chunk_texts)} chunks")
        passed = correct
    else:
        correct, precision = False, None
        passed = not answer.answered
        if not passed:
            reasons.append("answered a question the documents cannot answer")
    return ItemResult(
        item.id,
        item.kind,
        item.question,
        item.answerable,
        answer.answered,
        answer.answer,
        answer.confidence,
        [asdict(c) for c in answer.citations],
        answer.retrieved,
        rank,
        bool(item.evidence),
        correct,
        precision,
        round(latency_ms, 2),
        passed,
        reasons,
    )


def summarise(results: list[ItemResult], k: int = 5) -> dict[str, float | None]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    with_evidence = [r for r in answerable if r.has_evidence]

    def rate(items: list[ItemResult], test: Callable[[ItemResult], bool]) -> float | None:
        return round(sum(map(test, items)) / len(items), 4) if items else None

    latencies = [r.latency_ms for r in results]
    summary: dict[str, float | None] = {
        "questions": len(results),
        "answer_accuracy": rate(answerable, lambda r: r.correct),
        "declined_correctly": rate(unanswerable, lambda r: not r.answered),
        "wrongly_declined": rate(answerable, lambda r: not r.answered),
    }
    for depth in sorted({1, 3, 5, k}):
        summary[f"recall_at_{depth}"] = rate(
            with_evidence, lambda r, k=depth: r.evidence_rank is not None and r.evidence_rank <= k
        )
    summary["mrr"] = (
        round(sum(1 / r.evidence_rank for r in with_evidence if r.evidence_rank) / len(with_evidence), 4)
        if with_evidence
        else None
    )
    precisions = [r.citation_precision for r in answerable if r.citation_precision is not None]
    summary["citation_precision"] = round(sum(precisions) / len(precisions), 4) if precisions else None
    summary["latency_p50_ms"] = round(percentile(latencies, 0.5), 2)
    summary["latency_p95_ms"] = round(percentile(latencies, 0.95), 2)
    return summary


def conversation(pipeline: Pipeline, questions: list[str]) -> list[Turn]:
    """The earlier turns of a follow-up item, answered by the pipeline itself as a user would see them."""
    history: list[Turn] = []
    for question in questions:
        history.append(Turn(question, pipeline.answer(question, history).answer))
    return history


def run_eval(
    name: str,
    pipeline: Pipeline,
    items: list[QuestionItem],
    k: int = 5,
    progress: Callable[[ItemResult], None] | None = None,
) -> EvalRun:
    pipeline.answer("warm-up question about the documents")
    results: list[ItemResult] = []
    for item in items:
        history = conversation(pipeline, item.history)
        started = time.perf_counter()
        answer = pipeline.answer(item.question, history)
        latency = (time.perf_counter() - started) * 1000
        texts = pipeline.retrieved_passages(answer.retrieved, k)
        result = score_item(item, answer, texts, latency)
        results.append(result)
        if progress:
            progress(result)
    by_kind: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    by_kind_summary = {kind: summarise(rs, k) for kind, rs in sorted(by_kind.items())}
    return EvalRun(name, summarise(results, k), by_kind_summary, results)
