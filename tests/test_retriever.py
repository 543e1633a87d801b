"""Hybrid retrieval over a real index: overlapping chunks of one document that are both retrieved come
back as one passage spanning them, and the passage is the document's exact text."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import offline_settings

from bot.answer.pipeline import QAPipeline
from bot.answer.retriever import HybridRetriever
from bot.answer.types import Passage

TOPICS = [
    "The lighthouse keeper {} the lamp every evening before the fishing boats return to the harbour",
    "The village school {} a new library wing funded by the regional council last spring",
    "A storm in the northern strait {} three piers and flooded the market square near the church",
    "The ferry company {} its winter timetable after complaints from islanders who commute daily",
    "Local bakers {} rye bread in stone ovens that were built by the first settlers of the island",
    "The museum of maritime history {} an exhibition of ship models carved from driftwood",
]
VERBS = ["checks", "opened", "damaged", "changed", "bake", "shows", "praised", "moved"]


def long_document() -> str:
    sentences = [t.format(v) + f", according to report number {i}." for i, (t, v) in enumerate(
        (t, v) for v in VERBS for t in TOPICS
    )]  # fmt: skip
    return " ".join(sentences) + "\n"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> QAPipeline:
    files = {"island.txt": long_document(), "other.txt": "Mountain goats climb steep cliffs in search of salt.\n"}
    return QAPipeline.open(offline_settings(tmp_path_factory.mktemp("retriever"), files))


def overlapping_pair(pipeline: QAPipeline) -> tuple[int, int]:
    passages = pipeline.retriever.passages
    for i in range(len(passages) - 1):
        a, b = passages[i], passages[i + 1]
        if a.doc_id == b.doc_id == "island.txt" and b.start < a.end:
            return i, i + 1
    raise AssertionError("the long document should be cut into overlapping chunks")


def test_overlapping_chunks_come_back_as_one_passage(pipeline: QAPipeline) -> None:
    r = pipeline.retriever
    first, second = overlapping_pair(pipeline)
    shared = [s for s in r.chunk_sentences[first] if s in r.chunk_sentences[second]]
    assert shared, "overlapping chunks share whole sentences"
    retrieval = r.run(r.sentences[shared[0]].text, 5)
    [merged] = [h for h in retrieval.hits if r.passages[first].id in h.chunk_ids]
    assert r.passages[second].id in merged.chunk_ids
    text = (Path(pipeline.settings.corpus_dir) / "island.txt").read_text(encoding="utf-8")
    assert merged.chunk.text == text[merged.chunk.start : merged.chunk.end]
    assert merged.chunk.start == r.passages[first].start and merged.chunk.end >= r.passages[second].end


def test_no_two_passages_overlap_and_every_chunk_is_reported(pipeline: QAPipeline) -> None:
    r = pipeline.retriever
    for question in ["Which storm damaged the piers?", "What does the bakery bake?", "ferry timetable report 20"]:
        retrieval = r.run(question, 5)
        spans = [(h.chunk.doc_id, h.chunk.start, h.chunk.end) for h in retrieval.hits]
        for i, (doc, start, end) in enumerate(spans):
            for other_doc, other_start, other_end in spans[i + 1 :]:
                assert doc != other_doc or end < other_start or other_end < start
        assert sorted(retrieval.chunk_ids()) == sorted(r.passages[i].id for i in retrieval.ranked_chunks)
        answer = pipeline.answer(question)
        assert answer.retrieved == retrieval.chunk_ids()
        texts = pipeline.retrieved_passages(answer.retrieved, 5)
        assert texts == [h.chunk.text for h in retrieval.hits]


DOC = "Alpha one. Beta two. Gamma three. Delta four. Epsilon five. Zeta six."


def fake_retriever(spans: list[tuple[str, int, int]]) -> HybridRetriever:
    """A retriever holding only passages with these (doc, start, end) spans of DOC: enough to merge."""
    retriever = object.__new__(HybridRetriever)
    retriever.passages = [
        Passage(f"{doc}#c{n}", doc, doc, doc, n, start, end, DOC[start:end])
        for n, (doc, start, end) in enumerate(spans)
    ]
    return retriever


def test_merging_groups_overlapping_and_touching_chunks_and_keeps_documents_apart() -> None:
    r = fake_retriever([("a", 0, 20), ("a", 15, 34), ("a", 34, 47), ("b", 10, 30), ("a", 50, 70)])
    assert r.merge_overlapping([3, 0, 2, 1, 4]) == [[3], [0, 1, 2], [4]]  # chunk 1 links 0 and 2
    assert r.merge_overlapping([4, 3]) == [[4], [3]]


def test_a_merged_passage_is_the_documents_text_over_the_whole_span() -> None:
    r = fake_retriever([("a", 0, 20), ("a", 15, 34), ("a", 30, 47)])
    merged = r.union([0, 1, 2])
    assert (merged.id, merged.start, merged.end) == ("a#c0", 0, 47)
    assert merged.text == DOC[0:47]
