"""Sanity checks for the unseen-2 question set.

Checks that ids are unique, the schema is respected, every evidence string occurs
exactly (byte for byte) in one of the corpus documents, and every answerable item has
at least one answer string in its evidence or the sentence around it (items whose note
says "Computed" are excepted from the answer check).

Run: /work/main/.venv/bin/python /work/main/eval/unseen-2/check.py
"""

import collections
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
QUESTIONS = HERE / "questions.yaml"

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
}
FIELDS = {"id", "question", "kind", "answerable", "answers", "evidence", "note"}
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str, drop_punct: bool) -> str:
    """Lowercase, map curly quotes, and collapse punctuation and whitespace."""
    text = text.lower().translate(QUOTES)
    text = re.sub(r"[^\w\s]+", "" if drop_punct else " ", text)
    return re.sub(r"\s+", " ", text).strip()


def contains(haystack: str, needle: str) -> bool:
    """True if needle occurs in haystack under either normalisation."""
    return any(normalise(needle, flag) in normalise(haystack, flag) for flag in (False, True))


def sentence_around(doc: str, start: int, end: int) -> str:
    """The evidence span widened to the enclosing sentence(s) on its line."""
    left = max(doc.rfind("\n", 0, start), doc.rfind(". ", 0, start))
    left = 0 if left < 0 else left + 1
    right_candidates = [i for i in (doc.find("\n", end), doc.find(". ", end)) if i >= 0]
    right = min(right_candidates) if right_candidates else len(doc)
    return doc[left : right + 1]


def main() -> int:
    docs = {path.name: path.read_text(encoding="utf-8") for path in sorted(CORPUS.iterdir()) if path.is_file()}
    items = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    problems = []
    seen = set()
    kinds = collections.Counter()
    per_doc = collections.Counter()

    for item in items:
        qid = item.get("id", "<no id>")
        if qid in seen:
            problems.append(f"{qid}: duplicate id")
        seen.add(qid)
        missing = {"id", "question", "kind", "answerable", "answers", "evidence"} - set(item)
        extra = set(item) - FIELDS
        if missing or extra:
            problems.append(f"{qid}: missing fields {sorted(missing)}, unknown fields {sorted(extra)}")
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(f"{qid}: unknown kind {kind!r}")
        kinds[kind] += 1
        answers = item.get("answers") or []
        evidence = item.get("evidence") or []

        if not item.get("answerable"):
            if kind not in ("unanswerable", "out-of-scope"):
                problems.append(f"{qid}: answerable false but kind {kind}")
            if answers or evidence:
                problems.append(f"{qid}: unanswerable item must have empty answers and evidence")
            continue
        if kind in ("unanswerable", "out-of-scope"):
            problems.append(f"{qid}: kind {kind} but answerable true")
        if not answers or not evidence:
            problems.append(f"{qid}: answerable item needs answers and evidence")

        contexts = []
        for ev in evidence:
            found = [name for name, text in docs.items() if ev in text]
            if not found:
                problems.append(f"{qid}: evidence not found verbatim: {ev!r}")
                continue
            for name in found:
                per_doc[name] += 1
                text = docs[name]
                start = text.find(ev)
                contexts.append(sentence_around(text, start, start + len(ev)))

        computed = "computed" in str(item.get("note", "")).lower()
        if contexts and not computed and not any(contains(ctx, ans) for ctx in contexts for ans in answers):
            problems.append(f"{qid}: no answer string occurs in its evidence sentences")

    print(f"{len(items)} questions, {len(seen)} unique ids")
    for kind, count in sorted(kinds.items(), key=lambda kv: str(kv[0])):
        print(f"  {kind}: {count}")
    print("evidence strings per document:")
    for name in docs:
        words = len(docs[name].split())
        print(f"  {name}: {per_doc[name]} evidence strings, {words} words")
    for problem in problems:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
