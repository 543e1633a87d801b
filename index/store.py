"""The Chroma store: the only module that talks to Chroma.

The index is kept in versions: version N is two collections, `qabot_chunks_vN` and `qabot_sentences_vN`.
The manifest doubles as the pointer naming the live version; it lives where the index lives (`manifest.json`
in the index folder in embedded mode, a record of the `qabot_meta` collection on a Chroma server). Readers
open the version the pointer names. A build writes the next version beside the live one, flips the pointer
in one write, then drops older versions, keeping the previous one for readers that opened it just before.
A lock (a file lock, or a lock record on the server) lets one build run at a time.

Embedded and server mode share every line here except the client, the pointer's home and the lock's kind.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index import offline  # noqa: F401  (telemetry off before chromadb loads)
from index.manifest import Manifest, manifest_json, parse_manifest, read_manifest, write_manifest
from index.settings import Settings

log = logging.getLogger("qabot.index")

META = "qabot_meta"
POINTER_ID, LOCK_ID = "pointer", "lock"
LOCK_FILE = ".qabot-index.lock"
LOCK_STALE_SECONDS = 30 * 60  # a server lock not refreshed for this long was left by a crashed build
RETRIES = 5  # attempts after the first to reach a Chroma server, waiting 0.5, 1, 2, 4, 8 s between them
BACKOFF_SECONDS = 0.5
HTTP_TIMEOUT = 60.0
_VERSIONED = re.compile(r"qabot_(?:chunks|sentences)(?:_v(\d+))?")
_PAGE = 5000
_WRITE_BATCH = 2000
_CHROMA_FILES = {"chroma.sqlite3", "manifest.json"}
_NO_VECTOR = [0.0]  # meta records are looked up by id; Chroma still wants a vector


class IndexUnavailable(Exception):
    """The index cannot be opened or written; the message says what to do."""


class IndexBusy(IndexUnavailable):
    """Another build holds the index lock."""


@dataclass(frozen=True)
class StoredDoc:
    doc_hash: str
    chunks: int
    expected_chunks: int
    sentences: int
    expected_sentences: int

    @property
    def complete(self) -> bool:
        return self.chunks == self.expected_chunks and self.sentences == self.expected_sentences


@dataclass(frozen=True)
class Record:
    """A stored chunk or sentence."""

    id: str
    text: str
    metadata: dict[str, Any]


def collection_names(version: int) -> tuple[str, str]:
    """Version 0 is an index built before versions existed: it is read, copied from, then dropped."""
    suffix = f"_v{version}" if version else ""
    return f"qabot_chunks{suffix}", f"qabot_sentences{suffix}"


def live_version_of(manifest: Manifest | None) -> int | None:
    """The version readers use: the one the pointer names, once a build has completed it."""
    return manifest.version if manifest and manifest.complete else None


def describe(settings: Settings) -> str:
    if settings.chroma_host:
        return f"the Chroma server {settings.chroma_host}:{settings.chroma_port}"
    return f"the index folder {settings.index_dir}"


def ensure_writable(index_dir: Path) -> None:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise IndexUnavailable(
            f"Cannot write the index folder {index_dir} ({exc.strerror or exc}). "
            "Fix its permissions or set QABOT_INDEX_DIR to a writable folder."
        ) from exc


def wipe_index_dir(index_dir: Path) -> None:
    """Empty an embedded index folder (keeping the lock file the caller holds), refusing folders that
    hold anything but an index."""
    if not index_dir.exists():
        return
    foreign = [
        p.name
        for p in index_dir.iterdir()
        if p.is_file() and p.name not in _CHROMA_FILES and not p.name.startswith(".")
    ]
    if foreign:
        raise IndexUnavailable(
            f"{index_dir} holds files that are not part of an index ({', '.join(foreign[:3])}); "
            "refusing to delete it. Point QABOT_INDEX_DIR at a folder of its own."
        )
    _forget_cached_client(index_dir)
    for path in index_dir.iterdir():
        if path.name != LOCK_FILE:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _forget_cached_client(index_dir: Path) -> None:
    """Chroma keeps one open System per folder for the life of the process; a client opened
    on the folder after it was deleted would get that stale System (still reading the deleted
    sqlite file, failing on writes). Stop and drop it so the next client starts afresh."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:  # chromadb not loaded in a way we know: nothing is cached
        return
    target = index_dir.resolve()
    for identifier in list(getattr(SharedSystemClient, "_identifier_to_system", {})):
        try:
            same = Path(identifier).resolve() == target
        except (OSError, ValueError):
            same = False
        if same:
            system = SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
            if system is not None:
                with contextlib.suppress(Exception):
                    system.stop()


# --- reaching the server --------------------------------------------------------------------------


def _unreachable(exc: BaseException) -> bool:
    """A refused, lost or timed-out connection (worth retrying), as opposed to a refused request."""
    import httpx

    return any(isinstance(e, httpx.TransportError) for e in (exc, exc.__cause__, exc.__context__))


def _retrying(call: Callable[[], Any], where: str, retries: int) -> Any:
    """`call()`, retried with exponential back-off while the server cannot be reached."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if not _unreachable(exc):
                raise
            if attempt == retries:
                raise IndexUnavailable(
                    f"Cannot reach {where} ({type(exc).__name__}: {exc}) after {retries + 1} attempt(s). "
                    "Is it running? Start it with `chroma run --path DIR --host HOST --port PORT`, "
                    "or fix CHROMA_HOST / CHROMA_PORT."
                ) from exc
            delay = BACKOFF_SECONDS * 2**attempt
            log.warning("cannot reach %s (%s); retrying in %.1f s", where, type(exc).__name__, delay)
            time.sleep(delay)
            attempt += 1


class _Guarded:
    """A collection whose calls retry a lost server with back-off and then raise IndexUnavailable. A
    dropped collection (a reader still on a version two builds old) raises IndexUnavailable too."""

    def __init__(self, collection: Any, where: str, retries: int) -> None:
        self._collection, self._where, self._retries = collection, where, retries
        self.name = collection.name

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._collection, attribute)
        return functools.partial(self._call, value) if callable(value) else value

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from chromadb.errors import NotFoundError

        try:
            return _retrying(lambda: method(*args, **kwargs), self._where, self._retries)
        except NotFoundError as exc:
            raise IndexUnavailable(f"The collection {self.name} is gone from {self._where}: {exc}") from exc


def open_client(settings: Settings, retries: int = RETRIES) -> Any:
    """A Chroma client: HttpClient when CHROMA_HOST is set (retrying a server that is down), else embedded."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    where = describe(settings)
    try:
        if settings.chroma_host:
            return _retrying(lambda: _http_client(settings, chroma_settings), where, retries)
        ensure_writable(settings.index_dir)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except IndexUnavailable:
        raise
    except Exception as exc:  # chromadb raises many types for a bad folder or server
        hint = (
            "Check CHROMA_HOST, CHROMA_PORT and CHROMA_AUTH_TOKEN."
            if settings.chroma_host
            else "If the folder is damaged, run `qabot index --rebuild`."
        )
        raise IndexUnavailable(f"Cannot open {where} ({type(exc).__name__}: {exc}). {hint}") from exc


def _http_client(settings: Settings, chroma_settings: Any) -> Any:
    import chromadb
    import httpx

    token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
    client = chromadb.HttpClient(
        host=settings.chroma_host,
        port=settings.chroma_port,
        headers={"Authorization": f"Bearer {token}"} if token else None,
        settings=chroma_settings,
    )
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):  # chromadb sets no timeout: a silent server would hang a question
        session.timeout = httpx.Timeout(HTTP_TIMEOUT, connect=5.0)
    return client


def _pages(collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
    """Every record of a collection, a page at a time (one huge response would not fit a server's limits)."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=_PAGE, offset=offset)
        if got["ids"]:
            yield got
        if len(got["ids"]) < _PAGE:
            return
        offset += _PAGE


# --- one version of the index ---------------------------------------------------------------------


class IndexStore:
    """One version of the index: chunks and sentences of every document, with their embeddings, in two
    collections. `IndexStore(settings)` opens the live version."""

    def __init__(
        self,
        settings: Settings,
        client: Any = None,
        version: int | None = None,
        create: bool = False,
        retries: int = 0,
        built_with: str = "",
    ) -> None:
        self.settings = settings
        self.client = client or open_client(settings)
        self.retries = retries
        self.manifest: Manifest | None = None
        if version is None:
            self.manifest = Catalog(settings, self.client, retries).read_manifest()
            version = live_version_of(self.manifest)
        if version is None:
            raise IndexUnavailable(f"No index has been built in {describe(settings)} yet: run `qabot index`.")
        self.version = version
        try:
            self.chunks, self.sentences = (self._open(name, create, built_with) for name in collection_names(version))
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnavailable(
                f"The index is unreadable ({type(exc).__name__}: {exc}). Run `qabot index --rebuild`."
            ) from exc

    def _open(self, name: str, create: bool, built_with: str) -> _Guarded:
        from index.embedding import register_chroma_function

        function, where = register_chroma_function()(), describe(self.settings)
        if create:
            metadata = {"hnsw:space": "cosine", "built_with": built_with}
            call = functools.partial(self.client.get_or_create_collection, metadata=metadata)
        else:
            call = self.client.get_collection
        return _Guarded(
            _retrying(lambda: call(name, embedding_function=function), where, self.retries), where, self.retries
        )

    @property
    def built_with(self) -> str:
        """What this version was built with (model and chunker settings), as recorded when it was created."""
        return (self.chunks.metadata or {}).get("built_with", "")

    def stored_documents(self) -> dict[str, StoredDoc]:
        """What each document has in the store, to tell complete documents from interrupted ones."""
        found: dict[str, dict[str, Any]] = {}
        for collection, kind in ((self.chunks, "chunks"), (self.sentences, "sentences")):
            for meta in (meta for page in _pages(collection, ["metadatas"]) for meta in page["metadatas"]):
                entry = found.setdefault(meta["doc_id"], {"hash": meta["doc_hash"], "chunks": 0, "sentences": 0})
                if meta["doc_hash"] != entry["hash"]:
                    entry["hash"] = "mixed"
                entry[kind] += 1
                entry[f"expected_{kind}"] = meta["doc_parts"]
        return {
            doc_id: StoredDoc(
                e["hash"], e["chunks"], e.get("expected_chunks", -1), e["sentences"], e.get("expected_sentences", -1)
            )
            for doc_id, e in found.items()
        }

    def remove_document(self, doc_id: str) -> None:
        self.chunks.delete(where={"doc_id": doc_id})
        self.sentences.delete(where={"doc_id": doc_id})

    def replace_document(
        self,
        doc_id: str,
        chunks: Sequence[Record],
        chunk_vectors: np.ndarray,
        sentences: Sequence[Record],
        sentence_vectors: np.ndarray,
    ) -> None:
        """Swap a document's records for new ones. Sentences go last: a document counts as
        complete only when both sets are whole, so an interrupted write is redone next run."""
        self.remove_document(doc_id)
        self._add(self.chunks, chunks, chunk_vectors)
        self._add(self.sentences, sentences, sentence_vectors)

    def copy_documents(self, source: IndexStore, doc_ids: set[str], beat: Callable[[], None] = lambda: None) -> None:
        """Copy these documents' records with their embeddings from another version: nothing is re-embedded."""
        for mine, theirs in ((self.chunks, source.chunks), (self.sentences, source.sentences)):
            for page in _pages(theirs, ["documents", "metadatas", "embeddings"]):
                keep = [i for i, meta in enumerate(page["metadatas"]) if meta["doc_id"] in doc_ids]
                if keep:
                    records = [Record(page["ids"][i], page["documents"][i], page["metadatas"][i]) for i in keep]
                    self._add(mine, records, np.asarray(page["embeddings"], dtype=np.float32)[keep])
                beat()

    @staticmethod
    def _add(collection: Any, records: Sequence[Record], vectors: np.ndarray) -> None:
        for start in range(0, len(records), _WRITE_BATCH):
            batch = records[start : start + _WRITE_BATCH]
            collection.upsert(
                ids=[r.id for r in batch],
                documents=[r.text for r in batch],
                metadatas=[r.metadata for r in batch],
                embeddings=vectors[start : start + _WRITE_BATCH],
            )

    def query_chunks(self, vector: np.ndarray, k: int) -> list[tuple[Record, float]]:
        """Nearest chunks by cosine similarity, best first (one round trip: Chroma returns fewer than k when
        the collection is smaller)."""
        result = self.chunks.query(
            query_embeddings=[vector], n_results=k, include=["documents", "metadatas", "distances"]
        )
        return [
            (Record(i, t, m), 1.0 - d)
            for i, t, m, d in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
            )
        ]

    def all_chunks(self) -> list[Record]:
        return [
            Record(i, t, m)
            for page in _pages(self.chunks, ["documents", "metadatas"])
            for i, t, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        ]

    def all_sentences(self) -> tuple[list[Record], np.ndarray]:
        records, vectors = [], [np.zeros((0, 384), np.float32)]
        for page in _pages(self.sentences, ["documents", "metadatas", "embeddings"]):
            records += [Record(*r) for r in zip(page["ids"], page["documents"], page["metadatas"], strict=True)]
            vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        return records, np.concatenate(vectors)


# --- the index as a whole: pointer, versions, lock ------------------------------------------------


class Catalog:
    """The pointer naming the live version (the manifest), the versions present, and the build lock.
    The client is opened only when needed: in embedded mode the pointer is a file."""

    def __init__(self, settings: Settings, client: Any = None, retries: int = 0) -> None:
        self.settings, self._client, self.retries = settings, client, retries
        self.where = describe(settings)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = open_client(self.settings, self.retries)
        return self._client

    @functools.cached_property
    def meta(self) -> Any:
        """The collection holding the pointer and lock records (server mode)."""
        create = functools.partial(self.client.get_or_create_collection, META, embedding_function=None)
        return _Guarded(_retrying(create, self.where, self.retries), self.where, self.retries)

    def open(self, version: int, create: bool = False, built_with: str = "") -> IndexStore:
        return IndexStore(self.settings, self.client, version, create, self.retries, built_with)

    def read_manifest(self) -> Manifest | None:
        if not self.settings.chroma_host:
            return read_manifest(self.settings.index_dir)
        got = self.meta.get(ids=[POINTER_ID], include=["documents"])
        return parse_manifest(got["documents"][0], f"record in {self.where}") if got["ids"] else None

    def write_manifest(self, manifest: Manifest) -> None:
        """Write the pointer in one atomic step (a file rename, or one record upsert)."""
        if not self.settings.chroma_host:
            write_manifest(self.settings.index_dir, manifest)
            return
        self.meta.upsert(
            ids=[POINTER_ID],
            documents=[manifest_json(manifest)],
            metadatas=[{"version": manifest.version, "complete": manifest.complete}],
            embeddings=[_NO_VECTOR],
        )

    def live_version(self) -> int | None:
        """The live version (None: no build has completed), read cheaply to notice a newer one."""
        if not self.settings.chroma_host:
            return live_version_of(read_manifest(self.settings.index_dir))
        got = self.meta.get(ids=[POINTER_ID], include=["metadatas"])
        meta = got["metadatas"][0] if got["ids"] else {}
        return meta["version"] if meta.get("complete") else None

    def versions(self) -> list[int]:
        from index.embedding import register_chroma_function

        register_chroma_function()  # listing builds each collection's embedding function
        collections = _retrying(self.client.list_collections, self.where, self.retries)
        return sorted({int(m[1] or 0) for c in collections if (m := _VERSIONED.fullmatch(c.name))})

    def drop_versions(self, keep: set[int]) -> None:
        from chromadb.errors import NotFoundError

        for version in self.versions():
            if version not in keep:
                for name in collection_names(version):
                    with contextlib.suppress(NotFoundError):
                        _retrying(lambda n=name: self.client.delete_collection(n), self.where, self.retries)

    @contextlib.contextmanager
    def lock(self, wait: float) -> Iterator[BuildLock]:
        """Hold the build lock; wait up to `wait` seconds for another build, then raise IndexBusy."""
        owner = f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"
        held: BuildLock
        if self.settings.chroma_host:
            held = _RecordLock(self.meta, f"{owner} [{uuid.uuid4().hex[:8]}]")
        else:
            held = _FileLock(self.settings.index_dir / LOCK_FILE, owner)
        held.acquire(wait, self.where)
        try:
            yield held
        finally:
            held.release()


class BuildLock(Protocol):
    def acquire(self, wait: float, where: str) -> None: ...
    def beat(self) -> None: ...
    def release(self) -> None: ...


def _busy(holder: str, where: str, wait: float, expiry: str) -> IndexBusy:
    return IndexBusy(
        f"Another `qabot index` run ({holder or 'unknown'}) is updating {where}; gave up after waiting "
        f"{wait:.0f} s. Try again when it has finished ({expiry})."
    )


class _FileLock:
    """An OS lock on a file in the index folder: released by the OS if the process dies."""

    def __init__(self, path: Path, owner: str) -> None:
        self.path, self.owner = path, owner
        self.file: Any = None

    def acquire(self, wait: float, where: str) -> None:
        import fcntl

        self.file = self.path.open("a+")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.file.close()
                    raise _busy(self.path.read_text().strip(), where, wait, "its lock ends with its process") from None
                time.sleep(0.1)
        self.file.truncate(0)
        self.file.write(self.owner)
        self.file.flush()

    def beat(self) -> None:
        pass

    def release(self) -> None:
        import fcntl

        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


class _RecordLock:
    """A lock record on the server: `add` stores it only if no record has its id, so whoever reads back
    their own name holds it. The holder refreshes `beat`; a record left unrefreshed for
    LOCK_STALE_SECONDS (a crashed build) is removed with a delete conditional on that stale beat."""

    def __init__(self, meta: Any, owner: str) -> None:
        self.meta, self.owner = meta, owner
        self.last_beat = 0.0

    def holder(self) -> dict[str, Any] | None:
        got = self.meta.get(ids=[LOCK_ID], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def acquire(self, wait: float, where: str) -> None:
        from chromadb.errors import DuplicateIDError

        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            with contextlib.suppress(DuplicateIDError):  # the server keeps the first record
                self.meta.add(
                    ids=[LOCK_ID],
                    documents=[self.owner],
                    metadatas=[{"owner": self.owner, "beat": now}],
                    embeddings=[_NO_VECTOR],
                )
            held = self.holder()
            if held and held["owner"] == self.owner:
                self.last_beat = now
                return
            if held and now - held["beat"] > LOCK_STALE_SECONDS:
                log.warning("removing a stale index lock (%s)", held["owner"])
                self.meta.delete(ids=[LOCK_ID], where={"beat": held["beat"]})
                continue
            if time.monotonic() >= deadline:
                expiry = f"a lock left by a crashed run expires {LOCK_STALE_SECONDS // 60} minutes after its last beat"
                raise _busy(held["owner"] if held else "", where, wait, expiry)
            time.sleep(0.5)

    def beat(self) -> None:
        now = time.time()
        if now - self.last_beat < 60:
            return
        held = self.holder()
        if not held or held["owner"] != self.owner:
            raise IndexBusy(f"This build lost the index lock to {held['owner'] if held else 'nobody'}: stopping.")
        self.last_beat = now
        self.meta.update(ids=[LOCK_ID], metadatas=[{"owner": self.owner, "beat": now}])

    def release(self) -> None:
        with contextlib.suppress(IndexUnavailable):  # the server is gone: the lock goes stale by itself
            self.meta.delete(ids=[LOCK_ID], where={"owner": self.owner})


def built_with(manifest: Manifest) -> str:
    """What a version is built with (model and chunker), kept on its collections so a build never resumes
    a leftover version made with other settings."""
    return json.dumps({"model": manifest.embedding_model, "chunker": manifest.chunker}, sort_keys=True)
