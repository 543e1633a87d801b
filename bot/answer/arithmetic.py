"""Questions answered by computing: how many years lie between two events the documents date."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from bot.answer.retriever import is_dateline
from bot.answer.text import MONTH, NUMBER_VALUES, YEAR, terms

_ASKS_YEARS = re.compile(r"\bhow many years\b|\bhow long (after|before|between|apart)\b", re.I)
_SPLIT = re.compile(r"\b(?:between|and|after|before|until|till|since|did|when)\b", re.I)
# "how many years after the Corvina sank was the wreck found?": there the auxiliary ends the first event
_SPLIT_AT_AUXILIARY = re.compile(r"\b(?:was|were|had)\b", re.I)


@dataclass(frozen=True)
class YearDifference:
    years: int
    sources: list[tuple[int, int]]  # (sentence index, year), earlier event first

    @property
    def sentences(self) -> list[int]:
        return [s for s, _ in self.sources]

    def describe(self, refs: list[str]) -> str:
        (_, early), (_, late) = self.sources
        return f"{self.years} years: {early} {refs[0]} to {late} {refs[1]} (computed from the cited passages)."


def _event_parts(question: str) -> list[str]:
    """The two event descriptions of 'how many years between X and Y' style questions."""
    body = _ASKS_YEARS.sub(" ", question)
    body = re.sub(r"\b(apart|later|earlier|does|the|there)\b", " ", body, flags=re.I)
    body = re.sub(r"\b(passed|elapsed)\s+(?=between|since|from|after|before)", " ", body, flags=re.I)
    parts = _two_events(_SPLIT.split(_SPLIT_AT_AUXILIARY.sub(" ", body)))
    if len(parts) < 2:
        parts = _two_events([p for part in _SPLIT.split(body) for p in _SPLIT_AT_AUXILIARY.split(part)])
    if len(parts) == 2:  # "the 2000 one" means "the 2000 <head noun of the first event>"
        parts[1] = re.sub(r"\bones?\b", head_noun(parts[0]), parts[1])
        # "between Putin backing X and his first meeting" : "his" is the first event's named subject
        subject = re.match(r"([A-Z][\w\-]+)", parts[0])
        if subject:
            parts[1] = re.sub(r"^(his|her|its|their)\b", f"{subject.group(1)}'s", parts[1], flags=re.I)
    return parts


def head_noun(phrase: str) -> str:
    """The last word of an event's noun phrase, or the one before a closing participle when three words
    come before it ("old cottage hospital going" -> "hospital"; "the first meeting" -> "meeting")."""
    words = phrase.split()
    if len(words) >= 4 and re.search(r"(?:ing|ed)$", words[-1]):
        return words[-2]
    return words[-1]


def _two_events(pieces: list[str]) -> list[str]:
    """The first two pieces of two words or more; a single word joins the next piece ("peg and desmond
    married": both are the event's subject)."""
    parts, pending = [], ""
    for piece in pieces:
        words = f"{pending} {piece.strip(' ?,.')}".split()
        pending = " ".join(words) if len(words) < 2 else ""
        if len(words) >= 2:
            parts.append(" ".join(words))
    return parts[:2]


# "eight years later" dates an event; "two years later than planned" compares, and does not
_LATER = re.compile(r"\b(\d{1,2}|" + "|".join(NUMBER_VALUES) + r")\s+years?\s+(later|afterwards)\b(?!\s+than\b)", re.I)


def _year_positions(text: str) -> list[tuple[int | None, int]]:
    """(character position, year) of each year a sentence dates things to, derived ones first: they date
    the whole sentence ("He didn't meet Kim … until eight years later"), so their position is None."""
    years = [(m.start(), int(m.group(0))) for m in YEAR.finditer(text)]
    derived = []
    for match in _LATER.finditer(text):
        before = [int(y) for y in YEAR.findall(text[: match.start()])]
        count = match.group(1).lower()
        n = int(count) if count.isdigit() else NUMBER_VALUES[count]
        if before:
            derived.append((None, before[-1] + n))
    return derived + years


# Clauses of a sentence: one sentence often dates two events ("We planted in spring 2017 and had our
# first proper harvest in the summer of 2019").
_CLAUSE_BREAK = re.compile(r"\s*(?:,(?!\d)|(?<!\d),|[;:()]|\s[—–]\s|\s(?:and|but|while|whereas)\s)\s*", re.I)
MIN_CLAUSE_WORDS = 4  # a shorter clause ("based in 1911") is read with the one before it


def dated_clauses(text: str) -> list[tuple[str, int]]:
    """Each year a sentence dates something to, with the clause that holds it."""
    return [
        (text if position is None else clause_around(text, position), year) for position, year in _year_positions(text)
    ]


def clause_around(text: str, position: int) -> str:
    """The clause of a sentence that holds a character position, joined to the clauses before it until it
    has MIN_CLAUSE_WORDS words."""
    starts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)]
    ends = [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    first = last = max(i for i, start in enumerate(starts) if start <= position)
    while len(text[starts[first] : ends[last]].split()) < MIN_CLAUSE_WORDS and (first > 0 or last < len(ends) - 1):
        if first > 0:
            first -= 1
        else:  # the sentence's first clause reads on: "In 2016, the firm bought a farm"
            last += 1
    return text[starts[first] : ends[last]]


def _best_dated_sentence(
    part: str, retriever, exclude_year: int | None, near: int | None = None
) -> tuple[float, int, int] | None:
    """The sentence that best dates an event, and its year. When the sentence dates several things ("We
    planted in spring 2017 and had our first proper harvest in the summer of 2019"), the year is the one
    whose clause is closest to the event, and a clause closer than its whole sentence vouches for it.
    `near`: the other event's sentence; one beside it gets NEARBY_BONUS, as the two events of a question
    are often told together."""
    vector, scores, nearest = nearest_sentences(part, retriever)
    own_years = [int(y) for y in YEAR.findall(part)]
    best = None
    for s in nearest:
        dated = [(c, y) for c, y in _dated(retriever, s) if (not own_years or y in own_years) and y != exclude_year]
        if not dated or not retriever.quotable[s] or retriever.sentences[s].text.rstrip().endswith(":"):
            continue
        # A year named in the question is strong evidence on its own.
        beside = near is not None and abs(s - near) <= 2 and same_document(retriever, s, near)
        bonus = (0.3 if own_years else 0.0) + NEARBY_BONUS * beside
        if best is None or scores[s] + bonus > best[0]:
            best = (float(scores[s]) + bonus, s, dated, bonus)
    if best is None:
        return None
    _, s, dated, bonus = best
    clause_scores = retriever.embedder.embed([clause for clause, _ in dated]) @ vector
    closest = int(np.argmax(clause_scores))
    return max(float(scores[s]), float(clause_scores[closest])) + bonus, s, dated[closest][1]


# an undated sentence about the day the document was written: "welcomed its first patients today"
_RELATIVE_DAY = re.compile(
    r"\b(?:today|yesterday|tonight|this (?:week|morning|afternoon|evening)|last (?:week|night)"
    r"|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)


def _dated(retriever, s: int) -> list[tuple[str, int]]:
    """The years sentence `s` dates things to, with their clauses; a sentence about "today" or "on
    Tuesday" naming no year is dated by its document's date line."""
    text = retriever.sentences[s].text
    clauses = dated_clauses(text)
    if clauses or not _RELATIVE_DAY.search(text):
        return clauses
    year = _document_years(retriever).get(retriever.sentences[s].doc_id)
    return [(text, year)] if year else []


_DOCUMENT_YEARS: WeakKeyDictionary = WeakKeyDictionary()
_FULL_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\s+((?:1[6-9]|20)\d\d)\b")


def _document_years(retriever) -> dict[str, int]:
    """Each document's year of writing: the year of the first full date ("14 May 2025") on a date line
    ("PRESS RELEASE — … — 14 May 2025") or in its first three sentences ("on Wednesday 12 March 2025")."""
    if retriever not in _DOCUMENT_YEARS:
        years: dict[str, int] = {}
        seen: Counter[str] = Counter()
        for sentence in retriever.sentences:
            seen[sentence.doc_id] += 1
            match = _FULL_DATE.search(sentence.text)
            opening = seen[sentence.doc_id] <= 3 or is_dateline(sentence.text.strip())
            if match and opening and sentence.doc_id not in years:
                years[sentence.doc_id] = int(match.group(1))
        _DOCUMENT_YEARS[retriever] = years
    return _DOCUMENT_YEARS[retriever]


NEARBY_BONUS = 0.03


def same_document(retriever, a: int, b: int) -> bool:
    return retriever.sentences[a].doc_id == retriever.sentences[b].doc_id


NEAREST = 40  # sentences read for a quantity: the closest to its description by cosine


def nearest_sentences(text: str, retriever) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The embedding of a description ("the council voting to approve the bridge"), its raw cosine with
    every sentence (the similarity floors are calibrated on it), and the NEAREST sentences, closest first."""
    vector = retriever.embedder.embed([text])[0]
    scores = retriever.sentence_vectors @ vector
    return vector, scores, [int(s) for s in np.argsort(-scores)[:NEAREST]]


def year_difference(question: str, retriever, min_similarity: float = 0.45) -> YearDifference | None:
    """Compute the years between two events when each is dated by a sentence of the documents."""
    asks_age = _HOW_OLD.search(question)
    if asks_age:
        return age_at(asks_age.group("subject"), asks_age.group("event"), retriever, min_similarity)
    compares = _OLDER.search(question)
    if compares:
        older = compares.group("comparison").lower() == "older"
        return age_difference(compares.group("first"), compares.group("second"), retriever, older)
    if not _ASKS_YEARS.search(question):
        return None
    parts = _event_parts(question)
    if len(parts) != 2:
        return None
    first = _best_dated_sentence(parts[0], retriever, None)
    second = _best_dated_sentence(parts[1], retriever, first[2] if first else None, first[1] if first else None)
    if not first or not second or min(first[0], second[0]) < min_similarity:
        return None
    (_, s1, y1), (_, s2, y2) = sorted([first, second], key=lambda x: x[2])
    return YearDifference(y2 - y1, [(s1, y1), (s2, y2)])


_HOW_OLD = re.compile(r"\bhow old (?:was|were|is) (?P<subject>.+?) (?:when|at the time) (?P<event>[^?]+)", re.I)
# a year something began: "was built in 1898", "opened in 1891", "founded in 1987 by"
_ORIGIN = re.compile(
    r"\b(?:built|founded|opened|established|born|completed|launched|constructed|formed|created|set up)\b"
    r"[^.;]{0,30}?\b(1[6-9]\d\d|20\d\d)\b",
    re.I,
)


def age_at(subject: str, event: str, retriever, min_similarity: float) -> YearDifference | None:
    """ "How old was the Corvina when she sank?": the year the subject began ("The Corvina was built in
    1898"; "It was founded in 1987" after a sentence naming it), to the year of the event, dated like any
    event."""
    origin = _origin_year(subject, retriever)
    if origin is None:
        return None
    s1, y1 = origin
    later = _best_dated_sentence(f"{subject} {event}", retriever, y1)
    if later is None or later[0] < min_similarity or later[2] < y1:
        return None
    return YearDifference(later[2] - y1, [(s1, y1), (later[1], later[2])])


_OLDER = re.compile(
    r"\bhow (?:many years|much) (?P<comparison>older|younger|newer) (?:is|was|are|were) (?P<first>.+?) than "
    r"(?P<second>[^?]+)",
    re.I,
)


def age_difference(first: str, second: str, retriever, older: bool = True) -> YearDifference | None:
    """ "How many years older is the museum than the company?": between the years each began; nothing
    when the documents have it the other way round (a false premise is answered as any question)."""
    a, b = _origin_year(first, retriever), _origin_year(second, retriever)
    if a is None or b is None or a[0] == b[0] or (a[1] < b[1]) != older:
        return None
    (s1, y1), (s2, y2) = sorted([a, b], key=lambda x: x[1])
    return YearDifference(y2 - y1, [(s1, y1), (s2, y2)])


def _origin_year(subject: str, retriever) -> tuple[int, int] | None:
    """The sentence and year the subject began: a sentence whose clause before "built/founded/…" opens with
    one of the subject's words ("The Corvina was built in 1898", not "Captain Hale of the Corvina was born
    in 1861"), or with a pronoun after a sentence that opens so ("It was founded in 1987")."""
    wanted = set(terms(subject))
    best = None
    for s, year, opening in _beginnings(retriever) if wanted else []:
        share = len(wanted & retriever.sentence_terms[s]) / len(wanted)
        if opening in wanted and (best is None or share > best[0]):
            best = (share, s, year)
    return (best[1], best[2]) if best else None


_BEGINNINGS: WeakKeyDictionary = WeakKeyDictionary()


def _beginnings(retriever) -> list[tuple[int, int, str]]:
    """(sentence, year, the word its clause opens with) for every quotable sentence saying when something
    began; found once per retriever, as it does not depend on the question."""
    if retriever not in _BEGINNINGS:
        found = []
        for s, sentence in enumerate(retriever.sentences):
            match = _ORIGIN.search(sentence.text)
            if not match or not retriever.quotable[s]:
                continue
            opening = terms(sentence.text[: match.start()])[:1]
            pronoun = re.match(r"\s*(it|she|he|they)\b", sentence.text, re.I)
            if pronoun and s and retriever.sentences[s - 1].doc_id == sentence.doc_id:
                opening = terms(retriever.sentences[s - 1].text)[:1]
            if opening:
                found.append((s, int(match.group(1)), opening[0]))
        _BEGINNINGS[retriever] = found
    return _BEGINNINGS[retriever]
