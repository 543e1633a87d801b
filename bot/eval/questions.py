"""The fixed question set: load it and validate every item, reporting all problems at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.eval.metrics import contains

KINDS = {
    "factoid",
    "number",
    "who",
    "why",
    "date",
    "list",
    "multi-hop",
    "paraphrase-heavy",
    "unanswerable",
    "out-of-scope",
    "false-premise",
    "follow-up",
}


@dataclass(frozen=True)
class QuestionItem:
    id: str
    question: str
    kind: str
    answerable: bool
    answers: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    note: str = ""
    history: list[str] = field(default_factory=list)  # earlier questions of the conversation, for follow-ups


class QuestionFileError(Exception):
    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


def _check_item(n: int, raw: object, problems: list[str]) -> QuestionItem | None:
    where = f"item {n}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping with id, question, kind, answerable, answers, evidence")
        return None
    where = f"item {n} ({raw.get('id', 'no id')})"
    before = len(problems)
    for key, kind in (("id", str), ("question", str), ("kind", str), ("answerable", bool)):
        if not isinstance(raw.get(key), kind):
            problems.append(f"{where}: '{key}' is missing or not a {kind.__name__}")
    for key in ("answers", "evidence", "history"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: '{key}' must be a list of strings")
    if len(problems) > before:
        return None
    if raw["kind"] not in KINDS:
        problems.append(f"{where}: unknown kind '{raw['kind']}' (known: {', '.join(sorted(KINDS))})")
    if raw["answerable"] and not raw.get("answers"):
        problems.append(f"{where}: answerable items need at least one accepted answer")
    return QuestionItem(
        raw["id"],
        raw["question"],
        raw["kind"],
        raw["answerable"],
        list(raw.get("answers", [])),
        list(raw.get("evidence", [])),
        str(raw.get("note", "")),
        list(raw.get("history", [])),
    )


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """What the YAML parser found and where, on one line (its own message spans several, with an excerpt)."""
    parts = []
    for text, mark in (
        (getattr(exc, "context", None), getattr(exc, "context_mark", None)),
        (getattr(exc, "problem", None), getattr(exc, "problem_mark", None)),
    ):
        if text:
            parts.append(f"{text} (line {mark.line + 1}, column {mark.column + 1})" if mark else text)
    return "; ".join(parts) or " ".join(str(exc).split())


def load_questions(path: Path, corpus_texts: list[str] | None = None) -> list[QuestionItem]:
    """Load and validate a question file; raise QuestionFileError listing every problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionFileError(path, [f"cannot read it ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise QuestionFileError(path, [f"not UTF-8 text (byte {exc.start})"]) from exc
    except yaml.YAMLError as exc:
        raise QuestionFileError(path, [f"not valid YAML: {_yaml_problem(exc)}"]) from exc
    if not isinstance(data, list) or not data:
        raise QuestionFileError(path, ["must be a non-empty YAML list of question items"])
    problems: list[str] = []
    items = [item for n, raw in enumerate(data, start=1) if (item := _check_item(n, raw, problems))]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            problems.append(f"duplicate id '{item.id}'")
        seen.add(item.id)
    if corpus_texts is not None:
        for item in items:
            for evidence in item.evidence:
                if not any(contains(text, evidence) for text in corpus_texts):
                    problems.append(f"{item.id}: evidence not found in the corpus: {evidence[:80]!r}")
    if problems:
        raise QuestionFileError(path, problems)
    return items
