"""👍/👎 feedback on answers: a local SQLite store, and an export to the question-set YAML format for review.

Every answer the bot posts is recorded (question, earlier questions of the conversation, answer, citations as
JSON); a vote is +1 or -1 per user and answer (voting again changes it). User ids are never stored: only a
sha256 of the id with a random salt kept in the database, so votes can be counted once per person but not
traced back. No discord import here: the store is usable from the CLI and tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import yaml

from bot.answer.types import Answer, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]',
    answer TEXT NOT NULL,
    answered INTEGER NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    answerer TEXT NOT NULL DEFAULT '',
    confidence REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    user_hash TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    time REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
"""


class VoteResult(Enum):
    RECORDED = "recorded"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    UNKNOWN_ANSWER = "unknown answer"


@dataclass
class VotedAnswer:
    """One recorded answer with its vote counts."""

    id: str
    question: str
    history: list[str]
    answer: str
    answered: bool
    citations: list[dict]
    created: float
    up: int = 0
    down: int = 0
    last_vote: float = 0.0


class FeedbackStore:
    """The feedback database at `path` (created with its folder on first use). Safe to use from any thread:
    every operation opens its own short-lived connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('user_salt', ?)", (secrets.token_hex(16),))
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'user_salt'").fetchone()[0]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.execute("PRAGMA foreign_keys=ON")
            with db:  # one transaction: commit, or roll back on error
                yield db

    def hash_user(self, user_id: int | str) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()

    def record_answer(self, answer: Answer, history: Sequence[Turn] = ()) -> str:
        """Store a posted answer; returns its id (16 hex characters, used in the vote buttons' custom ids)."""
        answer_id = secrets.token_hex(8)
        citations = [
            {k: v for k, v in vars(c).items() if k in ("n", "title", "doc_id", "chunk_id", "quote", "url", "page")}
            for c in answer.citations
        ]
        with self._connect() as db:
            db.execute(
                "INSERT INTO answers"
                " (id, question, history, answer, answered, citations, answerer, confidence, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    answer.question,
                    json.dumps([t.question for t in history], ensure_ascii=False),
                    answer.answer,
                    int(answer.answered),
                    json.dumps(citations, ensure_ascii=False),
                    answer.answerer,
                    float(answer.confidence),
                    time.time(),
                ),
            )
        return answer_id

    def vote(self, answer_id: str, user_id: int | str, value: int) -> VoteResult:
        if value not in (1, -1):
            raise ValueError("a vote is +1 or -1")
        user = self.hash_user(user_id)
        with self._connect() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return VoteResult.UNKNOWN_ANSWER
            row = db.execute(
                "SELECT vote FROM votes WHERE answer_id = ? AND user_hash = ?", (answer_id, user)
            ).fetchone()
            if row is not None and row[0] == value:
                return VoteResult.UNCHANGED
            db.execute(
                "INSERT INTO votes (answer_id, user_hash, vote, time) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote, time = excluded.time",
                (answer_id, user, value, time.time()),
            )
        return VoteResult.RECORDED if row is None else VoteResult.CHANGED

    def counts(self, answer_id: str) -> tuple[int, int]:
        """(👍, 👎) for one answer."""
        with self._connect() as db:
            up, down = db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes WHERE answer_id = ?",
                (answer_id,),
            ).fetchone()
        return int(up), int(down)

    def voted_answers(self) -> list[VotedAnswer]:
        """Every answer with at least one vote, oldest vote first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT a.id, a.question, a.history, a.answer, a.answered, a.citations, a.created,"
                " SUM(v.vote = 1), SUM(v.vote = -1), MAX(v.time)"
                " FROM answers a JOIN votes v ON v.answer_id = a.id GROUP BY a.id ORDER BY MIN(v.time)"
            ).fetchall()
        return [
            VotedAnswer(r[0], r[1], json.loads(r[2]), r[3], bool(r[4]), json.loads(r[5]), r[6], r[7], r[8], r[9])
            for r in rows
        ]


# --- export -------------------------------------------------------------------------------------

EXPORT_HEADER = """\
# Questions people voted on in Discord, exported by `qabot feedback export` for review.
# 👍 items: `answers` and `evidence` are the quotes the bot cited; cut each answer to the short fact a correct
#   answer must contain, and check `kind`, before moving the item into an eval/questions-*.yaml file.
# 👎 items are marked REVIEW in their note and have no answers yet: write the accepted answers and evidence
#   (or set answerable: false, kind: unanswerable); the question loader rejects them until you do.
"""


def _normalise(question: str) -> str:
    return " ".join(question.casefold().split())


def _quotes(citations: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for c in citations:
        quote = " ".join(str(c.get("quote", "")).split())
        if quote:
            seen.setdefault(quote, None)
    return list(seen)


def _item(group: list[VotedAnswer]) -> dict:
    latest = max(group, key=lambda a: a.last_vote)
    up, down = sum(a.up for a in group), sum(a.down for a in group)
    key = _normalise(latest.question) + "\n" + "\n".join(map(_normalise, latest.history))
    when = datetime.fromtimestamp(latest.last_vote, UTC).strftime("%Y-%m-%d")
    votes = f"👍 {up} 👎 {down}, last vote {when}"
    item: dict = {
        "id": "fb-" + hashlib.sha256(key.encode()).hexdigest()[:10],
        "question": latest.question,
        "kind": "follow-up" if latest.history else "factoid",
        "answerable": True,
        "answers": [],
        "evidence": [],
    }
    if up > down and latest.answered:
        quotes = _quotes(latest.citations)
        item["answers"] = quotes or [latest.answer]
        item["evidence"] = quotes
        item["note"] = f"From Discord feedback ({votes}). Answers are the cited quotes: shorten them to the key fact."
    elif up > down:
        item |= {"kind": "unanswerable", "answerable": False}
        item["note"] = f"From Discord feedback ({votes}): the bot said it is not in the documents, and people agreed."
    else:
        said = " ".join(latest.answer.split())
        item["note"] = (
            f"REVIEW: from Discord feedback ({votes}). The bot {'answered' if latest.answered else 'declined'}: "
            f"{said[:500]!r}. Write the accepted answers and evidence, or mark it unanswerable."
        )
    if latest.history:
        item["history"] = list(latest.history)
    return item


def feedback_items(store: FeedbackStore) -> list[dict]:
    """One question-set item per distinct question (and conversation) that got votes."""
    groups: dict[tuple[str, tuple[str, ...]], list[VotedAnswer]] = {}
    for voted in store.voted_answers():
        key = (_normalise(voted.question), tuple(map(_normalise, voted.history)))
        groups.setdefault(key, []).append(voted)
    return [_item(group) for group in groups.values()]


def export_feedback(db: FeedbackStore | Path | str, out_path: Path | str) -> int:
    """Write the voted questions to `out_path` as a question-set YAML file; returns how many (0: nothing written)."""
    store = db if isinstance(db, FeedbackStore) else FeedbackStore(db)
    items = feedback_items(store)
    if not items:
        return 0
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=120)
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    partial.write_text(EXPORT_HEADER + "\n" + body, encoding="utf-8")
    partial.replace(out)
    return len(items)
