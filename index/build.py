"""Incremental, idempotent index builds: embed only what changed, survive interruption."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.chunking import Chunk, Span, chunk_text, split_sentences
from index.documents import Document, LoadProblem, load_corpus
from index.manifest import Manifest, check_compatible, expected_manifest, read_manifest, write_manifest
from index.settings import PROJECT_ROOT, Settings
from index.store import IndexStore, Record, StoredDoc, ensure_writable, wipe_index_dir

Progress = Callable[[int, int], None]  # (advance, total)


@dataclass
class BuildReport:
    documents: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("added", "updated", "removed", "unchanged"), 0)
    )
    chunks: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("added", "updated", "removed", "unchanged"), 0)
    )
    problems: list[LoadProblem] = field(default_factory=list)
    chunks_per_doc: dict[str, int] = field(default_factory=dict)
    texts_embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0


def display_path(path: Path) -> str:
    """A document's path as people should see it in citations: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def chunk_records(doc: Document, chunks: list[Chunk]) -> list[Record]:
    """Chroma metadata takes scalars only, so `page_starts` stays out; a paged document's
    chunks get `page`, the 1-based page holding the chunk's first character."""
    scalars = {k: v for k, v in doc.metadata.items() if isinstance(v, (str, int, float, bool))}
    base = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": display_path(doc.path),
        "doc_hash": doc.content_hash,
        "doc_parts": len(chunks),
    } | scalars
    return [
        Record(
            f"{doc.doc_id}#c{c.number}",
            c.text,
            base
            | {"chunk": c.number, "start": c.start, "end": c.end, "tokens": c.tokens, "hash": c.content_hash}
            | ({"page": doc.page_at(c.start)} if doc.page_starts else {}),
        )
        for c in chunks
    ]


def sentence_records(doc: Document, spans: list[Span]) -> list[Record]:
    base = {"doc_id": doc.doc_id, "doc_hash": doc.content_hash, "doc_parts": len(spans)}
    return [
        Record(f"{doc.doc_id}#s{n}", doc.text[s.start : s.end], base | {"sentence": n, "start": s.start, "end": s.end})
        for n, s in enumerate(spans)
    ]


def _fresh(doc: Document, stored: StoredDoc | None) -> bool:
    return stored is not None and stored.doc_hash == doc.content_hash and stored.complete


def _fast_path_ok(
    settings: Settings, found: Manifest | None, documents: list[Document], problems: list[LoadProblem]
) -> bool:
    """True when the manifest proves the last build finished from exactly these files."""
    if settings.chroma_host or found is None or not found.complete or any(not p.warning for p in problems):
        return False
    current = {d.doc_id: d.content_hash for d in documents}
    sqlite = settings.index_dir / "chroma.sqlite3"
    healthy = sqlite.is_file() and sqlite.open("rb").read(16) == b"SQLite format 3\x00"
    return healthy and current == {d: info["hash"] for d, info in found.documents.items()}


def build_index(
    settings: Settings, rebuild: bool = False, progress: Progress | None = None, store: IndexStore | None = None
) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    documents, report.problems = load_corpus(settings.corpus_dir, settings.max_file_mb)
    wanted = expected_manifest(settings.chunk_tokens, settings.chunk_overlap)
    index_dir = settings.index_dir
    if rebuild and not settings.chroma_host and store is None:
        wipe_index_dir(index_dir)
    found = None if rebuild else read_manifest(index_dir)
    check_compatible(found, wanted)
    if not rebuild and _fast_path_ok(settings, found, documents, report.problems):
        report.documents["unchanged"] = len(documents)
        report.chunks["unchanged"] = sum(info["chunks"] for info in found.documents.values())
        report.seconds = time.perf_counter() - started
        return report

    ensure_writable(index_dir)
    write_manifest(index_dir, wanted)  # incomplete until the end: a crash forces reconciliation
    store = store or IndexStore(settings)
    if rebuild and settings.chroma_host:
        store.client.reset()
        store = IndexStore(settings, store.client)
    stored = store.stored_documents()
    _remove_deleted(store, stored, documents, report)
    _write_changed(store, stored, documents, report, progress)
    wanted.documents = {
        d.doc_id: {"hash": d.content_hash, "title": d.title, "chunks": report.chunks_per_doc[d.doc_id]}
        for d in documents
    }
    unreadable = _unreadable_ids(settings, report.problems)
    for doc_id, info in (found.documents if found else {}).items():
        if doc_id not in wanted.documents and doc_id in unreadable:
            wanted.documents[doc_id] = info  # unreadable now, but its indexed copy is kept
    wanted.complete = True
    write_manifest(index_dir, wanted)
    report.seconds = time.perf_counter() - started
    return report


def _unreadable_ids(settings: Settings, problems: list[LoadProblem]) -> set[str]:
    """The doc ids of files that exist but cannot be read now (their indexed copy is kept).
    Matched exactly: a suffix match kept 'b.txt' when 'ab.txt' or 'sub/b.txt' was unreadable."""
    ids = set()
    for problem in (p for p in problems if not p.warning):
        try:
            ids.add(problem.path.relative_to(settings.corpus_dir).as_posix())
        except ValueError:
            ids.add(problem.path.as_posix())
    return ids


def _remove_deleted(
    store: IndexStore, stored: dict[str, StoredDoc], documents: list[Document], report: BuildReport
) -> None:
    present = {d.doc_id for d in documents}
    unreadable = _unreadable_ids(store.settings, report.problems)
    for doc_id, info in stored.items():
        if doc_id in present or doc_id in unreadable:
            continue
        store.remove_document(doc_id)
        report.documents["removed"] += 1
        report.chunks["removed"] += info.chunks


def _write_changed(
    store: IndexStore,
    stored: dict[str, StoredDoc],
    documents: list[Document],
    report: BuildReport,
    progress: Progress | None,
) -> None:
    from index.embedding import get_embedder

    pending = []
    for doc in documents:
        previous = stored.get(doc.doc_id)
        if _fresh(doc, previous):
            report.documents["unchanged"] += 1
            report.chunks["unchanged"] += previous.chunks
            report.chunks_per_doc[doc.doc_id] = previous.chunks
            continue
        chunks = chunk_text(doc.text, store.settings.chunk_tokens, store.settings.chunk_overlap)
        pending.append((doc, chunk_records(doc, chunks), sentence_records(doc, split_sentences(doc.text)), previous))
    total = sum(len(c) + len(s) for _, c, s, _ in pending)
    if not pending:
        return
    embedder = get_embedder()
    tick = (lambda n: progress(n, total)) if progress else None
    for doc, chunks, sentences, previous in pending:
        embed_started = time.perf_counter()
        chunk_vectors = embedder.embed([r.text for r in chunks], tick)
        sentence_vectors = embedder.embed([r.text for r in sentences], tick)
        report.embed_seconds += time.perf_counter() - embed_started
        report.texts_embedded += len(chunks) + len(sentences)
        store.replace_document(doc.doc_id, chunks, chunk_vectors, sentences, sentence_vectors)
        kind = "updated" if previous is not None else "added"
        report.documents[kind] += 1
        report.chunks[kind] += len(chunks)
        report.chunks_per_doc[doc.doc_id] = len(chunks)
