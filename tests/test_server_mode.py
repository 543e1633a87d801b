"""Server mode against a real `chroma run` server on a free loopback port: index, query, restart, re-index while
questions run, concurrent builds, and the server going away and coming back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import QABOT, assert_index_matches_corpus, cli_env, expected_parts

import index.store
from bot.answer.pipeline import UNAVAILABLE_REPLY, QAPipeline
from bot.answer.types import Answer
from index.build import build_index
from index.documents import load_corpus
from index.store import Catalog, IndexBusy, IndexStore, IndexUnavailable

CHROMA = Path(sys.executable).parent / "chroma"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

HULL_V2 = (
    "The University of Hull was refounded in 1954 as a chartered university. "
    "Its vice-chancellor is Professor Ada Quill, a marine biologist. "
    "The Allam Medical Building opened on the campus in 2017.\n\n"
    "The university runs a marine station on the Humber estuary. "
    "Its library lends rare maps of the Yorkshire coast to researchers. "
    "A new observatory was built on the roof of the physics wing in 2021.\n\n"
    "Students at Hull can join more than a hundred societies, from rowing on the river to chess. "
    "The students' union runs a cinema, two cafes and a weekly market in the courtyard. "
    "Graduation ceremonies take place each July in the Middleton Hall."
)
QUESTIONS = [
    "When was the University of Hull founded?",
    "Who was the librarian of the university?",
    "How long do you bake banana bread?",
    "What did the treaty between Russia and North Korea commit each side to?",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ChromaServer:
    """`chroma run` in a subprocess, persisting to `path`."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.log = path.parent / "chroma.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        command = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"chroma run exited: {self.log.read_text()[-2000:]}"
            try:
                NO_PROXY.open(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"no heartbeat from chroma run on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path / "chroma-data")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def settings(server: ChromaServer, tiny_corpus: Path, settings_factory):
    return settings_factory(
        QABOT_CHUNK_TOKENS=48, QABOT_CHUNK_OVERLAP=10, CHROMA_HOST="127.0.0.1", CHROMA_PORT=server.port
    )


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index.store, "BACKOFF_SECONDS", 0.05)


def collections(settings) -> list[str]:
    return sorted(c.name for c in Catalog(settings).client.list_collections())


def test_index_into_the_server_and_query(settings, embedder) -> None:
    report = build_index(settings)
    assert report.documents["added"] == 3
    assert_index_matches_corpus(settings)
    assert not settings.index_dir.exists()  # everything lives on the server, the manifest too
    assert collections(settings) == ["qabot_chunks_v1", "qabot_meta", "qabot_sentences_v1"]
    answer = QAPipeline.open(settings).answer("Who worked as the librarian of the university?")
    assert answer.answered and "Larkin" in answer.answer
    assert answer.citations[0].doc_id == "hull.txt"
    # a no-change run reads the pointer and stops: nothing embedded, no new version
    again = build_index(settings)
    assert again.texts_embedded == 0 and again.documents["unchanged"] == 3
    assert Catalog(settings).versions() == [1]


def test_server_restart_keeps_the_index(settings, server, embedder) -> None:
    build_index(settings)
    pipeline = QAPipeline.open(settings)
    before = pipeline.answer(QUESTIONS[1])
    server.stop()
    server.start()
    after = pipeline.answer(QUESTIONS[1])  # the same pipeline, its client reconnecting
    assert after.answered and after.answer == before.answer
    assert QAPipeline.open(settings).answer(QUESTIONS[1]).answer == before.answer
    assert build_index(settings).texts_embedded == 0


def _version_contents(settings) -> tuple[set[str], dict[str, str]]:
    """The chunk ids and document texts of the live version."""
    store = IndexStore(settings)
    documents, _ = load_corpus(settings.corpus_dir)
    return {r.id for r in store.all_chunks()}, {d.doc_id: d.text for d in documents}


def _from_one_version(answer: Answer, versions: list[tuple[set[str], dict[str, str]]]) -> bool:
    """Every retrieved chunk and every cited span of the answer belong to the same version."""
    return any(
        set(answer.retrieved) <= ids and all(texts[c.doc_id][c.start : c.end] == c.quote for c in answer.citations)
        for ids, texts in versions
    )


def test_reindex_while_questions_run(settings, tiny_corpus, embedder, embed_log_server) -> None:
    build_index(settings)
    v1 = _version_contents(settings)
    pipeline = QAPipeline.open(settings)
    pipeline.check_seconds = 0.1
    answers: list[Answer] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def ask_in_a_loop() -> None:
        while not stop.is_set():
            for question in QUESTIONS:
                try:
                    answers.append(pipeline.answer(question))
                except BaseException as exc:  # any failure fails the test
                    failures.append(exc)

    asker = threading.Thread(target=ask_in_a_loop)
    asker.start()
    try:
        while len(answers) < 8:
            time.sleep(0.05)
        (tiny_corpus / "hull.txt").write_text(HULL_V2)
        embed_log_server.clear()
        report = build_index(settings)
        flipped = len(answers)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("1954" in a.answer for a in answers[flipped:]):
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        asker.join(30)
    v2 = _version_contents(settings)
    assert not failures
    assert report.documents == {"added": 0, "updated": 1, "removed": 0, "unchanged": 2}
    hull_parts = expected_parts(settings)["hull.txt"]
    assert report.texts_embedded == len(embed_log_server) == sum(hull_parts)  # the other two were copied
    assert v1[0] != v2[0]  # the changed document has other chunk ids
    assert all(a.answerer != "index-unavailable" for a in answers)
    assert all(_from_one_version(a, [v1, v2]) for a in answers)
    assert any("1927" in a.answer for a in answers) and any("1954" in a.answer for a in answers)
    assert_index_matches_corpus(settings)
    # the next build keeps the previous version for late readers and drops the one before it
    (tiny_corpus / "baking.md").write_text("Banana bread keeps for three days. Wrap it in foil.")
    build_index(settings)
    assert Catalog(settings).versions() == [2, 3]


@pytest.fixture
def embed_log_server(embedder, monkeypatch) -> list[str]:
    log: list[str] = []
    real = embedder.embed

    def counting(texts, progress=None):
        if threading.current_thread() is threading.main_thread():  # the build, not the askers
            log.extend(texts)
        return real(texts, progress)

    monkeypatch.setattr(embedder, "embed", counting)
    return log


def test_a_reader_two_versions_behind_moves_to_the_live_one(settings, tiny_corpus, embedder) -> None:
    build_index(settings)
    pipeline = QAPipeline.open(settings)
    pipeline.check_seconds = 3600  # it will not look at the pointer by itself
    for text in ("Banana bread keeps for three days.", "Banana bread keeps for a week in the fridge."):
        (tiny_corpus / "baking.md").write_text(text)
        build_index(settings)
    assert Catalog(settings).versions() == [2, 3]  # the pipeline's version 1 is gone
    answer = pipeline.answer("How long does banana bread keep?")
    assert answer.answerer != "index-unavailable" and "baking.md#c0" in answer.retrieved
    assert pipeline.retriever.version == 3 and "a week" in pipeline.retrieved_passages(["baking.md#c0"], 1)[0]


def _second_build_waits_then_refuses(settings, corpus: Path) -> None:
    build_index(settings)
    (corpus / "hull.txt").write_text(HULL_V2)
    with Catalog(settings).lock(wait=0):
        started = time.monotonic()
        with pytest.raises(IndexBusy) as caught:
            build_index(settings, lock_wait=0.5)
        assert 0.5 <= time.monotonic() - started < 5
    message = str(caught.value)
    assert "Another `qabot index` run" in message and f"pid {os.getpid()}" in message
    assert Catalog(settings).versions() == [1]  # the refused build wrote nothing
    # a build that waits long enough gets the lock once the holder lets go
    holder = threading.Thread(target=_hold, args=(settings, 1.0))
    holder.start()
    time.sleep(0.2)
    report = build_index(settings, lock_wait=10)
    holder.join()
    assert report.documents["updated"] == 1
    assert_index_matches_corpus(settings)


def test_a_second_build_waits_then_refuses(settings, tiny_corpus, embedder) -> None:
    _second_build_waits_then_refuses(settings, tiny_corpus)


def test_a_second_embedded_build_waits_then_refuses(settings_factory, tiny_corpus, embedder) -> None:
    _second_build_waits_then_refuses(settings_factory(QABOT_CHUNK_TOKENS=48, QABOT_CHUNK_OVERLAP=10), tiny_corpus)


def _hold(settings, seconds: float) -> None:
    with Catalog(settings).lock(wait=0):
        time.sleep(seconds)


def test_two_concurrent_builds_leave_one_consistent_index(settings, tiny_corpus, embedder) -> None:
    build_index(settings)
    (tiny_corpus / "hull.txt").write_text(HULL_V2)
    outcomes: list[object] = []

    def build() -> None:
        try:
            outcomes.append(build_index(settings, lock_wait=30))
        except IndexBusy as exc:
            outcomes.append(exc)

    builders = [threading.Thread(target=build) for _ in range(2)]
    for builder in builders:
        builder.start()
    for builder in builders:
        builder.join(60)
    reports = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(reports) == 2  # the second waited for the first, then found nothing left to do
    assert sorted(r.documents["updated"] for r in reports) == [0, 1]
    assert_index_matches_corpus(settings)
    assert Catalog(settings).versions() == [1, 2]


def test_cli_refuses_while_another_build_holds_the_lock(settings, tmp_path) -> None:
    with Catalog(settings).lock(wait=0):
        done = subprocess.run(
            [str(QABOT), "index"],
            env=cli_env(
                settings, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(settings.chroma_port), QABOT_INDEX_LOCK_WAIT="0.5"
            ),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert "Another `qabot index` run" in done.stderr and "Traceback" not in done.stderr


def test_server_down_then_back(settings, server, fast_backoff, embedder) -> None:
    build_index(settings)
    pipeline = QAPipeline.open(settings)
    assert pipeline.answer(QUESTIONS[0]).answered
    server.stop()
    where = f"127.0.0.1:{server.port}"
    # the running pipeline answers, without raising, that the index is unavailable
    down = pipeline.answer(QUESTIONS[0])
    assert not down.answered and down.answer == UNAVAILABLE_REPLY and down.answerer == "index-unavailable"
    # opening or building fails after the bounded back-off, naming the server
    with pytest.raises(IndexUnavailable, match=where):
        QAPipeline.open(settings)
    with pytest.raises(IndexUnavailable, match=where):
        build_index(settings)
    waiting = QAPipeline(settings)  # how the Discord bot starts when the server is down
    assert waiting.answer(QUESTIONS[0]).answer == UNAVAILABLE_REPLY
    server.start()
    assert pipeline.answer(QUESTIONS[0]).answered  # both recover by themselves
    assert waiting.answer(QUESTIONS[0]).answered


def test_a_build_waits_for_a_server_that_comes_back(settings, server, monkeypatch, embedder) -> None:
    monkeypatch.setattr(index.store, "BACKOFF_SECONDS", 0.25)  # waits 0.25, 0.5, 1, 2, 4 s
    server.stop()
    restart = threading.Timer(1.0, server.start)
    restart.start()
    try:
        report = build_index(settings)
    finally:
        restart.join()
    assert report.documents["added"] == 3
    assert_index_matches_corpus(settings)


def test_questions_do_not_wait_for_a_new_version_to_load(settings_factory, tiny_corpus, embedder, monkeypatch) -> None:
    """Loading a version takes seconds on a large corpus: it happens beside the questions, not in them."""
    import bot.answer.pipeline as pipeline_module

    settings = settings_factory()
    build_index(settings)
    pipeline = QAPipeline.open(settings)
    pipeline.check_seconds = 0
    real_open = pipeline_module.open_retriever

    def slow_open(*args, **kwargs):
        time.sleep(1.5)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "open_retriever", slow_open)
    (tiny_corpus / "baking.md").write_text("Banana bread keeps for three days. Wrap it in foil.")
    build_index(settings)
    started = time.monotonic()
    answer = pipeline.answer(QUESTIONS[1])  # notices version 2 and starts loading it
    assert answer.answered and time.monotonic() - started < 1.0
    assert pipeline.retriever.version == 1
    deadline = time.monotonic() + 10
    while pipeline.retriever.version != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pipeline.retriever.version == 2
