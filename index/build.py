"""Incremental, idempotent index builds: embed only what changed, survive interruption, never disturb readers.

A build writes the next version of the index beside the live one: documents unchanged since the live
version are copied with their embeddings, only changed ones are embedded. Then the pointer flips to the
new version in one write. An interrupted build leaves its version behind, and the next build resumes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.chunking import Chunk, Span, chunk_text, split_sentences
from index.documents import Document, LoadProblem, load_corpus
from index.manifest import IndexMismatch, Manifest, check_compatible, expected_manifest
from index.settings import PROJECT_ROOT, Settings
from index.store import (
    RETRIES,
    BuildLock,
    Catalog,
    IndexStore,
    Record,
    StoredDoc,
    built_with,
    ensure_writable,
    live_version_of,
    wipe_index_dir,
)

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
            | ({"page": doc.page_at(c.start)} if doc.page_starts else {})
            | ({"section": section} if (section := doc.section_at(c.start)) else {}),
        )
        for c in chunks
    ]


def sentence_records(doc: Document, spans: list[Span]) -> list[Record]:
    base = {"doc_id": doc.doc_id, "doc_hash": doc.content_hash, "doc_parts": len(spans)}
    return [
        Record(
            f"{doc.doc_id}#s{n}",
            doc.text[s.start : s.end],
            base
            | {"sentence": n, "start": s.start, "end": s.end}
            | ({"page": doc.page_at(s.start)} if doc.page_starts else {})
            | ({"section": section} if (section := doc.section_at(s.start)) else {}),
        )
        for n, s in enumerate(spans)
    ]


@dataclass
class Plan:
    """What a build does with each document, given the live version and the version being written."""

    copy: set[str] = field(default_factory=set)  # unchanged since the live version: copied with their vectors
    clear: set[str] = field(default_factory=set)  # stale or partial in the version being written: removed first
    embed: list[tuple[Document, str]] = field(default_factory=list)  # (document, "added" or "updated")
    removed: int = 0


def _complete(stored: StoredDoc | None, doc_hash: str) -> bool:
    return stored is not None and stored.doc_hash == doc_hash and stored.complete


def _fast_path_ok(
    settings: Settings, found: Manifest | None, documents: list[Document], problems: list[LoadProblem]
) -> bool:
    """True when the pointer proves the live version was built from exactly these files."""
    if found is None or not found.complete or any(not p.warning for p in problems):
        return False
    if {d.doc_id: d.content_hash for d in documents} != {d: info["hash"] for d, info in found.documents.items()}:
        return False
    if settings.chroma_host:
        return True
    sqlite = settings.index_dir / "chroma.sqlite3"
    if not sqlite.is_file():
        return False
    with sqlite.open("rb") as head:
        return head.read(16) == b"SQLite format 3\x00"


def build_index(
    settings: Settings, rebuild: bool = False, progress: Progress | None = None, lock_wait: float | None = None
) -> BuildReport:
    """Bring the index up to date with the corpus folder. `lock_wait`: seconds to wait for another build
    (default QABOT_INDEX_LOCK_WAIT) before raising IndexBusy."""
    started = time.perf_counter()
    report = BuildReport()
    documents, report.problems = load_corpus(settings.corpus_dir, settings.max_file_mb)
    wanted = expected_manifest(settings.chunk_tokens, settings.chunk_overlap)
    catalog = Catalog(settings, retries=RETRIES)  # embedded: no Chroma until something changed
    if not rebuild:
        found = catalog.read_manifest()
        check_compatible(found, wanted)
        if _fast_path_ok(settings, found, documents, report.problems):
            report.documents["unchanged"] = len(documents)
            report.chunks["unchanged"] = sum(info["chunks"] for info in found.documents.values())
            report.seconds = time.perf_counter() - started
            return report
    if not settings.chroma_host:
        ensure_writable(settings.index_dir)
    with catalog.lock(settings.index_lock_wait if lock_wait is None else lock_wait) as lock:
        if rebuild and not settings.chroma_host:
            wipe_index_dir(settings.index_dir)
        try:
            live = catalog.read_manifest()  # again, under the lock: another build may have just finished
        except IndexMismatch:
            if not rebuild:
                raise
            live = None
        check_compatible(None if rebuild else live, wanted)
        _write_version(catalog, live, rebuild, wanted, documents, report, progress, lock)
    report.seconds = time.perf_counter() - started
    return report


def _write_version(
    catalog: Catalog,
    live: Manifest | None,
    rebuild: bool,
    wanted: Manifest,
    documents: list[Document],
    report: BuildReport,
    progress: Progress | None,
    lock: BuildLock,
) -> None:
    """Write the next version (or resume an interrupted one), flip the pointer, drop older versions."""
    found = None if rebuild else live
    live_version = live_version_of(live)
    present = catalog.versions()
    source = catalog.open(live_version) if found and live_version in present else None
    target = None if rebuild else _leftover(catalog, present, live_version, wanted)
    target_version = target.version if target else max([live_version or 0, *present]) + 1
    unreadable = _unreadable_ids(catalog.settings, report.problems)
    plan = _plan(documents, unreadable, source, target, report)
    if target is None and found and found.complete and not plan.embed and not plan.removed:
        return  # the live version is already what this build would write
    if live is None:
        catalog.write_manifest(wanted)  # no pointer yet: record the settings, naming no version
    target = target or catalog.open(target_version, create=True, built_with=built_with(wanted))
    for doc_id in plan.clear:
        target.remove_document(doc_id)
    if plan.copy:
        target.copy_documents(source, plan.copy, lock.beat)
    _embed(target, plan.embed, report, progress, lock.beat)
    wanted.documents = {
        d.doc_id: {"hash": d.content_hash, "title": d.title, "chunks": report.chunks_per_doc[d.doc_id]}
        for d in documents
    }
    for doc_id, info in (found.documents if found else {}).items():
        if doc_id not in wanted.documents and doc_id in unreadable:
            wanted.documents[doc_id] = info  # unreadable now, but its indexed copy is kept
    wanted.version, wanted.complete = target_version, True
    catalog.write_manifest(wanted)  # the flip: readers see the new version from here on
    catalog.drop_versions({target_version, live_version})


def _leftover(catalog: Catalog, present: list[int], live_version: int | None, wanted: Manifest) -> IndexStore | None:
    """The version an interrupted build left above the live one, if it was made with the same settings."""
    if not present or (live_version is not None and max(present) <= live_version):
        return None
    leftover = catalog.open(max(present))
    return leftover if leftover.built_with == built_with(wanted) else None


def _plan(
    documents: list[Document],
    unreadable: set[str],
    source: IndexStore | None,
    target: IndexStore | None,
    report: BuildReport,
) -> Plan:
    """Keep what the version being written already holds, copy what the live version holds, embed the rest."""
    plan = Plan()
    in_source = source.stored_documents() if source else {}
    in_target = target.stored_documents() if target else {}

    def reuse(doc_id: str, doc_hash: str) -> StoredDoc | None:
        if _complete(in_target.get(doc_id), doc_hash):
            return in_target[doc_id]
        if _complete(in_source.get(doc_id), doc_hash):
            plan.copy.add(doc_id)
            if doc_id in in_target:
                plan.clear.add(doc_id)
            return in_source[doc_id]
        return None

    for doc in documents:
        kept = reuse(doc.doc_id, doc.content_hash)
        if kept is None:
            known = doc.doc_id in in_source or doc.doc_id in in_target
            plan.embed.append((doc, "updated" if known else "added"))
            continue
        report.documents["unchanged"] += 1
        report.chunks["unchanged"] += kept.chunks
        report.chunks_per_doc[doc.doc_id] = kept.chunks
    indexed = in_source | in_target
    for doc_id in unreadable & indexed.keys():  # unreadable now: the indexed copy is kept
        reuse(doc_id, (in_source.get(doc_id) or in_target[doc_id]).doc_hash)
    for doc_id in indexed.keys() - unreadable - {d.doc_id for d in documents}:
        plan.removed += 1
        report.documents["removed"] += 1
        report.chunks["removed"] += indexed[doc_id].chunks
        if doc_id in in_target:
            plan.clear.add(doc_id)
    return plan


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


def _embed(
    target: IndexStore,
    pending: list[tuple[Document, str]],
    report: BuildReport,
    progress: Progress | None,
    beat: Callable[[], None],
) -> None:
    if not pending:
        return
    from index.embedding import get_embedder

    settings = target.settings
    prepared = [
        (
            doc,
            kind,
            chunk_records(doc, chunk_text(doc.text, settings.chunk_tokens, settings.chunk_overlap)),
            sentence_records(doc, split_sentences(doc.text)),
        )
        for doc, kind in pending
    ]
    total = sum(len(c) + len(s) for _, _, c, s in prepared)
    embedder = get_embedder()
    tick = (lambda n: progress(n, total)) if progress else None
    for doc, kind, chunks, sentences in prepared:
        embed_started = time.perf_counter()
        chunk_vectors = embedder.embed([r.text for r in chunks], tick)
        sentence_vectors = embedder.embed([r.text for r in sentences], tick)
        report.embed_seconds += time.perf_counter() - embed_started
        report.texts_embedded += len(chunks) + len(sentences)
        target.replace_document(doc.doc_id, chunks, chunk_vectors, sentences, sentence_vectors)
        report.documents[kind] += 1
        report.chunks[kind] += len(chunks)
        report.chunks_per_doc[doc.doc_id] = len(chunks)
        beat()
