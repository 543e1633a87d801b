"""The channel-agnostic answer object and the pieces retrieval hands to answering."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A stored chunk of a document, with its place in the source text."""

    id: str
    doc_id: str
    title: str
    source: str
    number: int
    start: int
    end: int
    text: str
    url: str | None = None
    page: int | None = None
    section: str | None = None

    @classmethod
    def from_record(cls, id: str, text: str, meta: dict[str, Any]) -> Passage:
        return cls(
            id,
            meta["doc_id"],
            meta["title"],
            meta["source"],
            meta["chunk"],
            meta["start"],
            meta["end"],
            text,
            meta.get("url"),
            meta.get("page"),
            meta.get("section"),
        )


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document; answers quote and cite these."""

    id: str
    doc_id: str
    start: int
    end: int
    text: str
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and the scores it was fused from."""

    chunk: Passage  # overlapping retrieved chunks of one document are merged into one passage
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    merged: tuple[str, ...] = ()  # the stored chunks the passage covers, in document order, when merged

    @property
    def chunk_ids(self) -> tuple[str, ...]:
        return self.merged or (self.chunk.id,)


@dataclass(frozen=True)
class Citation:
    n: int
    title: str
    source: str
    doc_id: str
    chunk_id: str
    start: int
    end: int
    quote: str
    url: str | None = None
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class Turn:
    """One earlier question and answer of the same conversation."""

    question: str
    answer: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    answered: bool
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)  # chunk ids, best first
    timings_ms: dict[str, float] = field(default_factory=dict)
    answerer: str = "extractive"
    notice: str | None = None  # e.g. "the LLM failed; this is the extractive answer"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
