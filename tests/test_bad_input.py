"""Bad corpora and bad index folders: clear errors, and the good documents still indexed."""

from __future__ import annotations

import time

import pytest
from helpers import TINY_CORPUS, assert_index_matches_corpus, expected_parts, run_qabot, write_corpus

from index.build import build_index
from index.documents import CorpusError, load_corpus
from index.manifest import IndexMismatch, read_manifest
from index.store import IndexStore, IndexUnavailable

BAD_FILES = {
    "empty.txt": ("", "no text"),
    "blank.md": ("   \n\n\t\n", "no text"),
    "binary.txt": (b"PK\x03\x04\x00\x00binary\x00junk" * 20, "binary"),
    "latin1.txt": ("Café au lait, crème brûlée.".encode("latin-1"), "not valid UTF-8"),
    "report.docx": (b"PK\x03\x04 a word document", "unsupported file type '.docx'"),
    "no-suffix": ("Plain text without a suffix.", "unsupported file type '(none)'"),
    "broken.md": ("---\ntitle: [unclosed\n---\nBody text.", "front matter is not valid YAML"),
    "endless.md": ("---\ntitle: x\nBody text without a closing line.", "never ends"),
}


def _problems(report) -> dict[str, str]:
    return {p.path.name: str(p) for p in report.problems}


def test_missing_corpus_folder(settings_factory, tmp_path) -> None:
    settings = settings_factory(corpus=tmp_path / "no-such-folder")
    with pytest.raises(CorpusError) as caught:
        build_index(settings)
    assert str(tmp_path / "no-such-folder") in str(caught.value)
    assert "QABOT_CORPUS_DIR" in str(caught.value)
    assert not (settings.index_dir / "chroma.sqlite3").exists()


def test_bad_files_are_reported_and_good_ones_indexed(tiny_corpus, settings_factory) -> None:
    write_corpus(tiny_corpus, {name: content for name, (content, _) in BAD_FILES.items()})
    write_corpus(tiny_corpus, {".hidden/notes.txt": "Hidden files are ignored."})
    settings = settings_factory()
    report = build_index(settings)
    problems = _problems(report)
    assert set(problems) == set(BAD_FILES)  # hidden folders are skipped silently
    for name, (_, expected) in BAD_FILES.items():
        assert expected in problems[name], problems[name]
        assert str(tiny_corpus / name) in problems[name]  # names the file
    assert report.documents["added"] == len(TINY_CORPUS)
    assert_index_matches_corpus(settings)
    # the next run reports the same problems and still embeds nothing new
    again = build_index(settings)
    assert set(_problems(again)) == set(BAD_FILES) and again.texts_embedded == 0


def test_huge_single_line_file_is_rejected_quickly(tiny_corpus, settings_factory) -> None:
    with (tiny_corpus / "huge.txt").open("wb") as f:
        f.write(b"lorem ipsum dolor sit amet " * (50_000_000 // 27 + 1))  # ~50 MB, one line
    started = time.perf_counter()
    documents, problems = load_corpus(tiny_corpus, max_file_mb=20)
    assert time.perf_counter() - started < 2
    assert len(documents) == len(TINY_CORPUS)
    [problem] = problems
    assert problem.path.name == "huge.txt"
    assert "50.0 MB" in problem.message and "20 MB limit" in problem.message and "QABOT_MAX_FILE_MB" in problem.message
    report = build_index(settings_factory())
    assert [p.path.name for p in report.problems] == ["huge.txt"]
    assert report.documents["added"] == len(TINY_CORPUS)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.write_bytes(b"caf\xe9 " + p.read_bytes()), id="invalid-utf8"),
        pytest.param(lambda p: p.write_bytes(b"\x00\x01binary" + p.read_bytes()), id="binary"),
        pytest.param(lambda p: p.write_text(""), id="emptied"),
        pytest.param(lambda p: p.write_text("x " * 30_000), id="too-large"),
    ],
)
def test_indexed_file_that_becomes_unreadable_keeps_its_chunks(tiny_corpus, settings_factory, spoil) -> None:
    settings = settings_factory(QABOT_MAX_FILE_MB=0.05)
    before = expected_parts(settings)
    build_index(settings)
    chunks_before = IndexStore(settings).chunks.get(where={"doc_id": "hull.txt"})["documents"]
    spoil(tiny_corpus / "hull.txt")
    report = build_index(settings)
    assert [p.path.name for p in report.problems] == ["hull.txt"]
    assert report.documents["removed"] == 0 and report.documents["unchanged"] == 2
    store = assert_index_matches_corpus(settings, extra_docs={"hull.txt": before["hull.txt"]})
    assert store.chunks.get(where={"doc_id": "hull.txt"})["documents"] == chunks_before
    # fixed again: re-indexed from its new content
    (tiny_corpus / "hull.txt").write_text("Hull is a port city. It faces the Humber.")
    report = build_index(settings)
    assert report.problems == [] and report.documents["updated"] == 1
    assert_index_matches_corpus(settings)


def test_deleted_file_next_to_unreadable_file_with_similar_name(settings_factory, tmp_path) -> None:
    """A deleted file is removed even when a file whose path ends with its name is unreadable."""
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "b.txt": "Bee document. Short.",
            "ab.txt": "Ay bee document. Short.",
            "a.txt": "Top level. Short.",
            "sub/a.txt": "Nested. Short.",
        },
    )
    settings = settings_factory()
    build_index(settings)
    (corpus / "b.txt").unlink()
    (corpus / "a.txt").unlink()
    (corpus / "ab.txt").write_bytes(b"\xff\xfe broken")
    (corpus / "sub" / "a.txt").write_bytes(b"\xff\xfe broken")
    report = build_index(settings)
    assert report.documents["removed"] == 2
    store = IndexStore(settings)
    assert store.chunks.get(where={"doc_id": "b.txt"})["ids"] == []
    assert store.chunks.get(where={"doc_id": "a.txt"})["ids"] == []
    assert len(store.chunks.get(where={"doc_id": "sub/a.txt"})["ids"]) == 1  # unreadable now: kept
    assert set(read_manifest(settings.index_dir).documents) == {"ab.txt", "sub/a.txt"}


def test_unwritable_index_folder(tiny_corpus, settings_factory, tmp_path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    settings = settings_factory(index=tmp_path / "a-file" / "index")
    for rebuild in (False, True):
        with pytest.raises(IndexUnavailable) as caught:
            build_index(settings, rebuild=rebuild)
        message = str(caught.value)
        assert str(tmp_path / "a-file" / "index") in message and "QABOT_INDEX_DIR" in message


def test_corrupt_index_folder_says_rebuild_and_rebuild_recovers(tiny_corpus, settings_factory) -> None:
    settings = settings_factory()
    build_index(settings)
    (settings.index_dir / "chroma.sqlite3").write_bytes(b"this is not a database " * 500)
    with pytest.raises((IndexUnavailable, IndexMismatch)) as caught:
        build_index(settings)
    assert "qabot index --rebuild" in str(caught.value)
    report = build_index(settings, rebuild=True)
    assert report.documents["added"] == len(TINY_CORPUS)
    assert_index_matches_corpus(settings)


def test_corrupt_manifest_says_rebuild(tiny_corpus, settings_factory) -> None:
    settings = settings_factory()
    build_index(settings)
    (settings.index_dir / "manifest.json").write_text("{ not json")
    with pytest.raises(IndexMismatch, match=r"qabot index --rebuild"):
        build_index(settings)
    assert build_index(settings, rebuild=True).documents["added"] == len(TINY_CORPUS)


def test_cli_reports_bad_file_and_corrupt_index_without_traceback(tiny_corpus, settings_factory, tmp_path) -> None:
    write_corpus(tiny_corpus, {"latin1.txt": "Café".encode("latin-1")})
    settings = settings_factory()
    done = run_qabot(["index"], settings, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(tiny_corpus / "latin1.txt") in done.stderr and "not valid UTF-8" in done.stderr
    assert "Traceback" not in done.stderr and "netguard" not in done.stderr
    assert "documents" in done.stdout

    (settings.index_dir / "chroma.sqlite3").write_bytes(b"garbage" * 1000)
    done = run_qabot(["index"], settings, cwd=tmp_path)
    assert done.returncode == 1
    assert "error:" in done.stderr and "qabot index --rebuild" in done.stderr
    assert str(settings.index_dir) in done.stderr
    assert "Traceback" not in done.stderr and "netguard" not in done.stderr


def test_cli_missing_corpus_exits_1_naming_the_folder(settings_factory, tmp_path) -> None:
    settings = settings_factory(corpus=tmp_path / "nowhere")
    done = run_qabot(["index"], settings, cwd=tmp_path)
    assert done.returncode == 1
    assert str(tmp_path / "nowhere") in done.stderr
    assert "Traceback" not in done.stderr
