"""Hybrid retrieval: dense chunks (Chroma) + dense sentences + BM25, fused by reciprocal rank."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from bot.answer.text import MONTH, terms
from bot.answer.types import Hit, Passage, Sentence
from index.settings import Settings

RRF_K = 60
CANDIDATES = 30
HUBNESS_PENALTY = 0.4
TABLE_ROW_WORDS = 4  # a table row with fewer words ("| Source | Amount |") cannot stand as an answer
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
FEEDBACK_SENTENCES, FEEDBACK_TERMS = 3, 5


@dataclass
class Retrieval:
    """What retrieval found for one query; the answerer reads sentence scores from it too."""

    query: str
    vector: np.ndarray
    hits: list[Hit]
    sentence_scores: np.ndarray  # cosine of the query with every sentence, in retriever order
    ranked_chunks: list[int] = field(default_factory=list)  # the top k chunks before merging, best first

    def chunk_ids(self) -> list[str]:
        """The stored chunks retrieved, best passage first (a merged passage's chunks in document order)."""
        return [chunk_id for hit in self.hits for chunk_id in hit.chunk_ids]


class HybridRetriever:
    def __init__(self, store) -> None:
        from index.embedding import get_embedder

        self.store = store
        self.version: int = store.version  # the index version this retriever reads, all of it
        self.embedder = get_embedder()
        self.passages = [Passage.from_record(r.id, r.text, r.metadata) for r in store.all_chunks()]
        self.passages.sort(key=lambda p: (p.doc_id, p.start))
        self.by_id = {p.id: i for i, p in enumerate(self.passages)}
        records, vectors = store.all_sentences()
        order = sorted(range(len(records)), key=lambda i: (records[i].metadata["doc_id"], records[i].metadata["start"]))
        self.sentence_vectors = vectors[order]
        self.sentence_hubness = self._hubness(self.sentence_vectors)
        self.sentences = [
            Sentence(
                r.id,
                r.metadata["doc_id"],
                r.metadata["start"],
                r.metadata["end"],
                r.text,
                r.metadata.get("page"),
                r.metadata.get("section"),
            )
            for r in (records[i] for i in order)
        ]
        self.sentence_chunks = self._map_sentences_to_chunks()
        self.chunk_sentences: list[list[int]] = [[] for _ in self.passages]
        for sentence, chunks in enumerate(self.sentence_chunks):
            for chunk in chunks:
                self.chunk_sentences[chunk].append(sentence)
        self.sentence_terms = [frozenset(terms(s.text)) for s in self.sentences]
        self.titles = titles = {p.doc_id: p.title for p in self.passages}  # whitespace collapsed by the loader
        self.asked_by = self._questions_answered()
        # a headline that opens the document is its title (and a citation shows it), not an answer
        self.quotable = [
            is_quotable(s.text)
            and " ".join(s.text.split()) != titles[s.doc_id]
            and not self._is_table_header(i)
            and self.asked_by[i] != i
            and not s.text.startswith(("Q:", "Q."))  # the interviewer's words
            for i, s in enumerate(self.sentences)
        ]
        self.document_frequency = Counter(t for ts in self.sentence_terms for t in ts)
        self._bm25 = self._lexical_index([p.title + "\n" + p.text for p in self.passages])

    def _ends_line(self, i: int) -> bool:
        """Whether nothing but a line break (or the end of the text) follows a sentence."""
        passage = self.passages[self.sentence_chunks[i][0]]
        rest = passage.text[self.sentences[i].end - passage.start :]
        return not rest.strip() or rest.lstrip(" \t").startswith("\n")

    def _opens_line(self, i: int) -> bool:
        """Whether a sentence opens its line, or follows the "Q:" that opens it."""
        passage = self.passages[self.sentence_chunks[i][0]]
        before = passage.text[: self.sentences[i].start - passage.start]
        line = before[before.rfind("\n") + 1 :]
        return not line.strip() or line.lstrip().startswith(("Q:", "Q."))

    def _questions_answered(self) -> list[int | None]:
        """For each sentence, the question line it answers: a short question ending its line ("Q: Why
        leave a secure job in a lab?", "Where does the food come from?") heads what follows, as in an
        interview or FAQ, until the next one or a heading. A question line maps to itself."""
        found: list[int | None] = []
        current = None
        for i, sentence in enumerate(self.sentences):
            text = sentence.text.strip().strip("*_\"'”’")
            if i and sentence.doc_id != self.sentences[i - 1].doc_id:
                current = None
            if text.startswith("#") or is_plain_heading(text):
                current = None
            elif text.endswith("?") and len(text.split()) <= 15 and self._ends_line(i) and self._opens_line(i):
                current = i
            found.append(current)
        return found

    def _is_table_header(self, i: int) -> bool:
        """A table row followed by the table's rule ("|---|---|") is its header, not data."""
        following = self.sentences[i + 1].text.strip() if i + 1 < len(self.sentences) else ""
        return self.sentences[i].text.lstrip().startswith("|") and bool(_TABLE_RULE.match(following))

    def _map_sentences_to_chunks(self) -> list[list[int]]:
        """For each sentence, the passages whose span contains it (overlap makes it up to two or three)."""
        starts: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, p in enumerate(self.passages):
            starts[p.doc_id].append((p.start, i))
        holding: list[list[int]] = []
        for sentence in self.sentences:
            doc = starts.get(sentence.doc_id, [])
            j = bisect.bisect_right(doc, (sentence.start, len(self.passages)))
            found = []
            while j > 0:
                j -= 1
                p = self.passages[doc[j][1]]
                if p.end >= sentence.end:
                    found.append(doc[j][1])
                elif p.end < sentence.start:
                    break
            holding.append(sorted(found))
        return holding

    @staticmethod
    def _lexical_index(texts: list[str]):
        import bm25s

        index = bm25s.BM25()
        if texts:
            index.index([terms(t) or ["_"] for t in texts], show_progress=False)
        return index

    @staticmethod
    def _hubness(vectors: np.ndarray) -> np.ndarray:
        """How close each sentence is to the corpus's common direction. Topic sentences that resemble
        everything ("hubs") otherwise win for every question; subtracting part of this fixes that."""
        if not len(vectors):
            return np.zeros(0, dtype=np.float32)
        centroid = vectors.mean(axis=0)
        return vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))

    def sentence_scores(self, vector: np.ndarray) -> np.ndarray:
        """Hubness-corrected cosine of a query vector with every sentence."""
        if not len(self.sentences):
            return np.zeros(0)
        return self.sentence_vectors @ vector - HUBNESS_PENALTY * self.sentence_hubness

    def idf(self, term: str) -> float:
        """Inverse sentence frequency: rare terms weigh more; unseen terms weigh most."""
        n = len(self.sentences) or 1
        return math.log(
            1 + (n - self.document_frequency.get(term, 0) + 0.5) / (self.document_frequency.get(term, 0) + 0.5)
        )

    def lexical_scores(self, query: str, sentence_scores: np.ndarray | None = None) -> np.ndarray:
        """BM25 of every passage. With sentence scores, the query is expanded by pseudo-relevance feedback:
        the rarest words of the best-matching sentences join it, so a plain-English question also finds
        passages that use the documents' own words for the same thing."""
        query_terms = terms(query)
        if not self.passages or not query_terms:
            return np.zeros(len(self.passages))
        if sentence_scores is not None and len(sentence_scores):
            query_terms = query_terms + self.feedback_terms(query_terms, sentence_scores)
        return np.asarray(self._bm25.get_scores(query_terms))

    def feedback_terms(self, query_terms: list[str], sentence_scores: np.ndarray) -> list[str]:
        weights: Counter[str] = Counter()
        for s in np.argsort(-sentence_scores)[:FEEDBACK_SENTENCES]:
            for term in self.sentence_terms[s] - set(query_terms):
                weights[term] += self.idf(term)
        return [term for term, _ in weights.most_common(FEEDBACK_TERMS)]

    def retrieve(self, query: str, k: int = 5) -> list[Hit]:
        return self.run(query, k).hits

    def run(self, query: str, k: int = 5, vector: np.ndarray | None = None) -> Retrieval:
        if vector is None:
            vector = self.embedder.embed([query])[0]
        if not self.passages:
            return Retrieval(query, vector, [], np.zeros(0))
        dense = {self.by_id[r.id]: score for r, score in self.store.query_chunks(vector, CANDIDATES)}
        sentence_scores = self.sentence_scores(vector)
        lexical = self.lexical_scores(query, sentence_scores)
        fused: dict[int, float] = defaultdict(float)
        for rank, i in enumerate(sorted(dense, key=dense.get, reverse=True)):
            fused[i] += 1 / (RRF_K + rank)
        for rank, i in enumerate(np.argsort(-lexical)[:CANDIDATES]):
            if lexical[i] > 0:
                fused[int(i)] += 1 / (RRF_K + rank)
        for rank, i in enumerate(self._best_chunks_by_sentence(sentence_scores)):
            fused[i] += 1 / (RRF_K + rank)
        ranked = sorted(fused, key=fused.get, reverse=True)[:k]
        groups = self.merge_overlapping(ranked)
        hits = [
            Hit(
                self.union(group),
                max(fused[i] for i in group),
                max(dense.get(i, 0.0) for i in group),
                max(float(lexical[i]) for i in group),
                tuple(self.passages[i].id for i in group) if len(group) > 1 else (),
            )
            for group in groups
        ]
        return Retrieval(query, vector, hits, sentence_scores, ranked)

    def merge_overlapping(self, order: list[int]) -> list[list[int]]:
        """Group chunks (indices, best first) into passages: a chunk that overlaps or touches an earlier
        group of its document joins it, and one that links two groups merges them. Groups keep the rank
        of their best chunk; inside a group, chunks are in document order."""
        groups: list[list[int]] = []
        for i in order:
            p = self.passages[i]
            touching = [
                g
                for g in groups
                if self.passages[g[0]].doc_id == p.doc_id
                and p.start <= max(self.passages[j].end for j in g)
                and min(self.passages[j].start for j in g) <= p.end
            ]
            if not touching:
                groups.append([i])
                continue
            keep = touching[0]
            for other in touching[1:]:
                keep.extend(other)
                groups.remove(other)
            keep.append(i)
            keep.sort(key=lambda j: self.passages[j].start)
        return groups

    def union(self, group: list[int]) -> Passage:
        """One passage spanning overlapping chunks given in document order; it keeps the first chunk's
        id, number and metadata, and its text is the document's text over the whole span."""
        if len(group) == 1:
            return self.passages[group[0]]
        first = self.passages[group[0]]
        text, end = first.text, first.end
        for j in group[1:]:
            p = self.passages[j]
            if p.end > end:
                text += p.text[max(0, end - p.start) :] if p.start <= end else p.text
                end = p.end
        return replace(first, end=end, text=text)

    def _best_chunks_by_sentence(self, sentence_scores: np.ndarray) -> list[int]:
        ranked: list[int] = []
        for s in np.argsort(-sentence_scores)[:CANDIDATES]:
            for chunk in self.sentence_chunks[s]:
                if chunk not in ranked:
                    ranked.append(chunk)
        return ranked


SENTENCE_WORDS = 5  # fewer words are a fragment: "Funding was agreed."
LIST_ITEM_WORDS = 3  # besides its mark: "- Graham Tolley (Treasurer)"; "- Kwame Hollis-Brant" is a label


def is_quotable(sentence: str) -> bool:
    """Whether a sentence can stand as an answer: not a heading or fragment. A table row can when it
    has enough words ("| Public appeal (9,400 donors) | £2.3 million |"), not a rule ("|---|")."""
    stripped = sentence.strip()
    if stripped.startswith("|"):
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        return len(cells) >= 2 and sum(len(cell.split()) for cell in cells) >= TABLE_ROW_WORDS
    if is_plain_heading(stripped) or is_dateline(stripped):
        return False
    # a list item names one thing: "- Graham Tolley (Treasurer)" answers "who's the treasurer?"
    least = LIST_ITEM_WORDS + 1 if LIST_MARK.match(stripped) else SENTENCE_WORDS
    return len(sentence.split()) >= least and not stripped.startswith("#") and sentence.count("|") < 2


HEADING_WORDS = 8  # a line this short without closing punctuation is a heading ("The ship and its loss")
LIST_MARK = re.compile(r"(?:[-*•+–—·▪]|\d{1,2}[.)]|[a-z][.)]|\(\d{1,2}\))\s")
_CLOSED = re.compile(r"[.!?:;\"”’')\]*_…]$")


def is_plain_heading(text: str) -> bool:
    """A plain-text section heading: a short line with no closing punctuation that is not a list item and
    states no figure ("The hospital has 96 beds", "Opening hours: 10am to 8pm" are facts)."""
    if len(text.split()) > HEADING_WORDS or _CLOSED.search(text) or LIST_MARK.match(text):
        return False
    return not re.search(r"[\d%:]", text)


DATELINE_WORDS = 14
_DATELINE_START = re.compile(
    r"(?:[A-Z][A-Z.'\-]+(?:\s[A-Z][A-Z.'\-]+)*\s?(?:,|—|–|--)|PRESS RELEASE\b|For immediate release\b|By [A-Z])"
)
# a web page's date line: "Obituary | Published Wednesday 12 March 2025", "Last updated: 4 June 2025, 10:42"
_PAGE_DATE = re.compile(
    r"(?:[A-Z][\w ]{0,30}\s\|\s+)?(?:Last\s+)?(?:Published|Posted|Updated|updated|Filed)(?:\s+on)?:?\s+"
    rf"(?:[A-Z][a-z]+day,?\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}|{MONTH}\s+\d{{1,2}}\b|\d{{4}}-\d\d-\d\d)"
)
_DATELINE_MARK = re.compile(r"\b\d{4}\b|\brelease\b|\bcorrespondent\b|\bwire service\b|\bnews agency\b", re.I)


def is_dateline(text: str) -> bool:
    """A news file's dateline or byline on a line of its own ("SKELVIK, 15 March 2025 (Coastal Wire
    Service)", "PRESS RELEASE — For immediate release, 2 June 2025", "By Harriet Coles, Environment
    Correspondent", "Obituary | Published Wednesday 12 March 2025"): where and when it was filed, never an
    answer."""
    if len(text.split()) > DATELINE_WORDS or re.search(r"[a-z][.!?]$", text):  # a sentence ends in a word
        return False
    if _PAGE_DATE.match(text) and not re.search(r"[.!?]$", text):
        return True
    return bool(_DATELINE_START.match(text)) and bool(_DATELINE_MARK.search(text))


def open_retriever(settings: Settings, retries: int | None = None) -> HybridRetriever:
    """The retriever over the live version of the index. `retries`: attempts to reach a Chroma server
    that is down (default: a bounded back-off of about 15 s)."""
    from index.manifest import check_compatible, expected_manifest
    from index.store import RETRIES, Catalog, IndexStore, open_client

    client = None
    if settings.chroma_host:
        client = open_client(settings, RETRIES if retries is None else retries)
    manifest = Catalog(settings, client).read_manifest()  # embedded: a file, read before Chroma is loaded
    check_compatible(manifest, expected_manifest(settings.chunk_tokens, settings.chunk_overlap))
    return HybridRetriever(IndexStore(settings, client))
