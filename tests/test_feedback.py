"""The feedback store (votes with hashed user ids) and its export to the question-set YAML format."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.answer.types import Answer, Citation, Turn
from bot.eval.questions import load_questions
from bot.feedback import FeedbackStore, VoteResult, export_feedback

USER = 987654321012345678


def hull_answer(question: str = "When was the University of Hull founded?") -> Answer:
    quote = "It was founded in 1927 as University College Hull."
    citation = Citation(1, "hull", "corpus/hull.txt", "hull.txt", "hull.txt#c0", 78, 128, quote)
    return Answer(question, f"{quote} [1]", True, 0.9, [citation])


def declined(question: str = "What is the capital of France?") -> Answer:
    return Answer(question, "I couldn't find that in the documents.", False, 0.1)


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "new" / "folder" / "feedback.sqlite3")


def test_the_database_and_its_folder_are_created(store: FeedbackStore) -> None:
    assert store.path.is_file()
    tables = {r[0] for r in sqlite3.connect(store.path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"answers", "votes"} <= tables


def test_votes_are_stored_once_per_user_and_can_change(store: FeedbackStore) -> None:
    answer_id = store.record_answer(hull_answer())
    assert store.vote(answer_id, USER, 1) is VoteResult.RECORDED
    assert store.vote(answer_id, USER, 1) is VoteResult.UNCHANGED
    assert store.vote(answer_id, 42, 1) is VoteResult.RECORDED
    assert store.counts(answer_id) == (2, 0)
    assert store.vote(answer_id, USER, -1) is VoteResult.CHANGED
    assert store.counts(answer_id) == (1, 1)
    assert store.vote("f" * 16, USER, 1) is VoteResult.UNKNOWN_ANSWER
    with pytest.raises(ValueError):
        store.vote(answer_id, USER, 2)


def test_the_stored_row_has_question_answer_citations_vote_time_and_a_hashed_user(store: FeedbackStore) -> None:
    answer_id = store.record_answer(hull_answer(), [Turn("Tell me about Hull", "...")])
    store.vote(answer_id, USER, 1)
    db = sqlite3.connect(store.path)
    question, answer, citations, history = db.execute(
        "SELECT question, answer, citations, history FROM answers WHERE id = ?", (answer_id,)
    ).fetchone()
    assert question == "When was the University of Hull founded?" and "1927" in answer
    assert '"quote": "It was founded in 1927' in citations and "Tell me about Hull" in history
    user_hash, vote, when = db.execute("SELECT user_hash, vote, time FROM votes").fetchone()
    assert vote == 1 and when > 1.7e9
    assert len(user_hash) == 64 and str(USER) not in user_hash
    assert str(USER).encode() not in store.path.read_bytes()
    assert FeedbackStore(store.path).hash_user(USER) == user_hash  # the salt persists: same person, same hash


def test_export_writes_reviewable_question_set_items(store: FeedbackStore, tmp_path: Path) -> None:
    liked = store.record_answer(hull_answer())
    store.vote(liked, 1, 1)
    store.vote(liked, 2, 1)
    agreed = store.record_answer(declined())
    store.vote(agreed, 1, 1)
    disliked = store.record_answer(hull_answer("Who was the librarian?"), [Turn("Tell me about Hull")])
    store.vote(disliked, 1, -1)
    store.record_answer(hull_answer("Nobody voted on this"))

    out = tmp_path / "out" / "questions-feedback.yaml"
    assert export_feedback(store.path, out) == 3
    items = {item["question"]: item for item in yaml.safe_load(out.read_text(encoding="utf-8"))}
    assert set(items) == {"When was the University of Hull founded?", "What is the capital of France?",
                          "Who was the librarian?"}  # fmt: skip

    good = items["When was the University of Hull founded?"]
    assert list(good)[:6] == ["id", "question", "kind", "answerable", "answers", "evidence"]
    assert good["answerable"] is True and good["kind"] == "factoid"
    assert good["answers"] == good["evidence"] == ["It was founded in 1927 as University College Hull."]
    assert "👍 2" in good["note"]

    no = items["What is the capital of France?"]
    assert no["answerable"] is False and no["kind"] == "unanswerable" and no["answers"] == []

    review = items["Who was the librarian?"]
    assert review["note"].startswith("REVIEW") and review["answers"] == [] and review["evidence"] == []
    assert review["kind"] == "follow-up" and review["history"] == ["Tell me about Hull"]


def test_the_liked_items_load_as_a_question_set(store: FeedbackStore, tmp_path: Path) -> None:
    for question in ("When was the University of Hull founded?", "What is the capital of France?"):
        answer_id = store.record_answer(hull_answer(question) if "Hull" in question else declined(question))
        store.vote(answer_id, USER, 1)
    out = tmp_path / "questions-feedback.yaml"
    export_feedback(store, out)
    corpus = ["The University of Hull ... It was founded in 1927 as University College Hull. ..."]
    items = load_questions(out, corpus)
    assert [i.answerable for i in items] == [True, False]
    again = tmp_path / "again.yaml"
    export_feedback(store, again)
    assert again.read_text() == out.read_text()  # stable ids and content: re-exporting changes nothing


def test_the_same_question_asked_twice_is_one_item(store: FeedbackStore, tmp_path: Path) -> None:
    for user, question in (
        (1, "When was the University of Hull founded?"),
        (2, "when was the university of hull  founded?"),
    ):
        store.vote(store.record_answer(hull_answer(question)), user, 1)
    out = tmp_path / "q.yaml"
    assert export_feedback(store, out) == 1
    assert "👍 2" in yaml.safe_load(out.read_text())[0]["note"]


def test_nothing_is_written_without_votes(store: FeedbackStore, tmp_path: Path) -> None:
    store.record_answer(hull_answer())
    out = tmp_path / "none.yaml"
    assert export_feedback(store, out) == 0 and not out.exists()


def test_feedback_export_command(store: FeedbackStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app
    from index.settings import get_settings

    store.vote(store.record_answer(hull_answer()), USER, 1)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("QABOT_FEEDBACK_DB", str(store.path))
    get_settings.cache_clear()
    try:
        out = tmp_path / "exported.yaml"
        result = CliRunner().invoke(app, ["feedback", "export", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "1 voted question" in result.output
        assert yaml.safe_load(out.read_text())[0]["answers"] == ["It was founded in 1927 as University College Hull."]
        monkeypatch.setenv("QABOT_FEEDBACK_DB", str(tmp_path / "missing.sqlite3"))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["feedback", "export", "--out", str(out)])
        assert result.exit_code == 1 and "no feedback database" in result.output
    finally:
        get_settings.cache_clear()
