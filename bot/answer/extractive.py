"""The offline default answerer: quote the sentence or two that answer the question, or decline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.answer.question import QuestionType, question_type
from bot.answer.retriever import HybridRetriever, Retrieval
from bot.answer.text import terms
from bot.answer.types import Answer, Citation, Passage

MAX_ANSWER_CHARS = 400
# Weights and thresholds were calibrated on the dev question set (see README, "How answers are chosen").
W_DENSE, W_LEXICAL, W_TYPE, W_RANK = 0.55, 0.30, 0.08, 0.07
DECLINE_BELOW = 0.42
SECOND_SENTENCE_WITHIN = 0.04
_PRONOUN_START = ("he ", "she ", "they ", "it ", "this ", "these ", "that ", "his ", "her ", "their ", "its ")


@dataclass(frozen=True)
class Scored:
    sentence: int
    score: float
    dense: float
    lexical: float
    typed: bool


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, retriever: HybridRetriever, passages: int = 5) -> None:
        self.retriever = retriever
        self.passages = passages

    def answer(self, question: str, retrieval: Retrieval, context: str = "") -> Answer:
        kind = question_type(question)
        ranked = self.score_sentences(f"{context} {question}", retrieval, kind)
        if not ranked or ranked[0].score < DECLINE_BELOW or (kind.required and not ranked[0].typed):
            confidence = ranked[0].score if ranked else 0.0
            return self.decline(question, retrieval, confidence, kind)
        chosen = self.choose(ranked)
        return self.compose(question, retrieval, chosen, ranked[0].score)

    def score_sentences(self, question: str, retrieval: Retrieval, kind: QuestionType) -> list[Scored]:
        r = self.retriever
        query_terms = set(terms(question))
        weights = {t: r.idf(t) for t in query_terms}
        total = sum(weights.values()) or 1.0
        rank_of = {r.by_id[h.chunk.id]: rank for rank, h in enumerate(retrieval.hits[: self.passages])}
        candidates = {s for chunk in rank_of for s in r.chunk_sentences[chunk]}
        candidates |= {int(s) for s in np.argsort(-retrieval.sentence_scores)[:10]}
        scored = []
        for s in candidates:
            dense = float(retrieval.sentence_scores[s])
            lexical = sum(w for t, w in weights.items() if t in r.sentence_terms[s]) / total
            typed = kind.matches(r.sentences[s].text)
            best_rank = min((rank_of[c] for c in r.sentence_chunks[s] if c in rank_of), default=self.passages)
            rank_score = 1.0 - best_rank / self.passages
            score = W_DENSE * dense + W_LEXICAL * lexical + W_TYPE * typed + W_RANK * rank_score
            scored.append(Scored(s, score, dense, lexical, typed))
        scored.sort(key=lambda x: x.score, reverse=True)
        if kind.required:  # the best sentence of the expected type leads, if it is close enough
            typed = [x for x in scored[:5] if x.typed]
            if typed and typed[0] is not scored[0] and typed[0].score >= scored[0].score - 0.08:
                scored.remove(typed[0])
                scored.insert(0, typed[0])
        return scored

    def choose(self, ranked: list[Scored]) -> list[int]:
        """The best sentence, with the one before it when it opens with a pronoun, or the runner-up
        when that scores almost as well; never more than fits in the answer."""
        r = self.retriever
        best = ranked[0].sentence
        chosen = [best]
        previous = best - 1
        if (
            r.sentences[best].text.lower().startswith(_PRONOUN_START)
            and previous >= 0
            and r.sentences[previous].doc_id == r.sentences[best].doc_id
        ):
            chosen.insert(0, previous)
        elif len(ranked) > 1 and ranked[1].score >= ranked[0].score - SECOND_SENTENCE_WITHIN:
            chosen = sorted([best, ranked[1].sentence], key=lambda s: (r.sentences[s].doc_id, r.sentences[s].start))
        if sum(len(r.sentences[s].text) + 5 for s in chosen) > MAX_ANSWER_CHARS:
            chosen = [best]
        return chosen

    def compose(self, question: str, retrieval: Retrieval, chosen: list[int], confidence: float) -> Answer:
        r = self.retriever
        parts, citations = [], []
        for n, s in enumerate(chosen, start=1):
            sentence = r.sentences[s]
            passage = r.passages[r.sentence_chunks[s][0]]
            text = (
                sentence.text
                if len(sentence.text) <= MAX_ANSWER_CHARS - 5
                else sentence.text[: MAX_ANSWER_CHARS - 6] + "…"
            )
            parts.append(f"{text} [{n}]")
            citations.append(citation(n, passage, sentence.start, sentence.end, sentence.text))
        return Answer(
            question,
            " ".join(parts),
            True,
            round(min(1.0, confidence), 3),
            citations,
            [h.chunk.id for h in retrieval.hits],
            answerer=self.name,
        )

    def decline(self, question: str, retrieval: Retrieval, confidence: float, kind: QuestionType) -> Answer:
        titles = sorted({p.title for p in self.retriever.passages})
        about = "; ".join(titles[:6]) + ("; …" if len(titles) > 6 else "")
        reason = f"no passage gives the {kind.name} asked for" if kind.required else "nothing close enough"
        text = f"I couldn't find that in the documents ({reason}). They cover: {about}."
        return Answer(
            question,
            text,
            False,
            round(max(0.0, confidence), 3),
            [],
            [h.chunk.id for h in retrieval.hits],
            answerer=self.name,
        )


def citation(n: int, passage: Passage, start: int, end: int, quote: str) -> Citation:
    return Citation(
        n, passage.title, passage.source, passage.doc_id, passage.id, start, end, quote, passage.url, passage.page
    )
