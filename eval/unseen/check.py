#!/usr/bin/env python3
"""Self-check for the unseen question set (stdlib + PyYAML only; imports nothing from the project)."""

import collections
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
DOCS = {p.name: p.read_text(encoding="utf-8") for p in sorted((HERE / "corpus").glob("*.txt"))}
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
KEYS = {"id", "question", "kind", "answerable", "answers", "evidence", "note"}
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def norm(s, drop):
    s = s.lower().translate(QUOTES)
    s = re.sub(r"[^\w\s]+", "" if drop else " ", s)
    return re.sub(r"\s+", " ", s).strip()


def sentence_around(doc, ev):
    i = doc.find(ev)
    start = max(doc.rfind(". ", 0, i), doc.rfind("\n", 0, i)) + 1
    ends = [j for j in (doc.find(". ", i + len(ev)), doc.find("\n", i + len(ev))) if j != -1]
    end = min(ends) if ends else len(doc)
    return doc[start : end + 1]


def main():
    items = yaml.safe_load((HERE / "questions.yaml").read_text(encoding="utf-8"))
    errors, warnings = [], []
    ids = [it.get("id") for it in items]
    for dup in [k for k, v in collections.Counter(ids).items() if v > 1]:
        errors.append(f"duplicate id {dup}")
    for n, it in enumerate(items, 1):
        qid = it.get("id")
        if qid != f"un-{n:03d}":
            errors.append(f"{qid}: expected id un-{n:03d}")
        if set(it) - KEYS or not {"id", "question", "kind", "answerable", "answers", "evidence"} <= set(it):
            errors.append(f"{qid}: bad keys {sorted(it)}")
        if it["kind"] not in KINDS:
            errors.append(f"{qid}: unknown kind {it['kind']}")
        if it["answerable"] != (it["kind"] not in {"unanswerable", "out-of-scope"}):
            errors.append(f"{qid}: answerable flag does not fit kind {it['kind']}")
        if not it["answerable"]:
            if it["answers"] or it["evidence"]:
                errors.append(f"{qid}: non-answerable item must have empty answers/evidence")
            continue
        if not it["answers"] or not it["evidence"]:
            errors.append(f"{qid}: answerable item needs answers and evidence")
            continue
        contexts = []
        for ev in it["evidence"]:
            hits = [name for name, text in DOCS.items() if ev in text]
            if not hits:
                errors.append(f"{qid}: evidence not found verbatim: {ev!r}")
                continue
            for name in hits:
                contexts += [ev, sentence_around(DOCS[name], ev)]
        found = [
            a
            for a in it["answers"]
            if any(
                a.lower() in c.lower() or any(norm(a, d) and norm(a, d) in norm(c, d) for d in (False, True))
                for c in contexts
            )
        ]
        if not found:
            computed = "computed" in it.get("note", "").lower()
            (warnings if computed else errors).append(
                f"{qid}: no answer string occurs in evidence/sentence"
                + (" (computed answer, allowed)" if computed else "")
            )
    print("documents:", {k: len(v.split()) for k, v in DOCS.items()}, "words")
    print("questions:", len(items))
    for k, v in sorted(collections.Counter(it["kind"] for it in items).items()):
        print(f"  {k}: {v}")
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
