"""Questions answered by computing: how many years lie between two events the documents date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from bot.answer.text import NUMBER_VALUES, YEAR, terms

_ASKS_YEARS = re.compile(r"\bhow many years\b|\bhow long (after|before|between|apart)\b", re.I)
_SPLIT = re.compile(r"\b(?:between|and|after|before|until|till|since|did|when)\b", re.I)
# "how many years after the Corvina sank was the wreck found?": there the auxiliary ends the first event
_SPLIT_AT_AUXILIARY = re.compile(r"\b(?:was|were|had)\b", re.I)


@dataclass(frozen=True)
class YearDifference:
    years: int
    sources: list[tuple[int, int]]  # (sentence index, year), earlier event first


def _event_parts(question: str) -> list[str]:
    """The two event descriptions of 'how many years between X and Y' style questions."""
    body = _ASKS_YEARS.sub(" ", question)
    body = re.sub(r"\b(apart|passed|elapsed|later|earlier|does|the|there)\b", " ", body, flags=re.I)
    parts = _two_events(_SPLIT.split(_SPLIT_AT_AUXILIARY.sub(" ", body)))
    if len(parts) < 2:
        parts = _two_events([p for part in _SPLIT.split(body) for p in _SPLIT_AT_AUXILIARY.split(part)])
    if len(parts) == 2:  # "the 2000 one" means "the 2000 <head noun of the first event>"
        parts[1] = re.sub(r"\bones?\b", parts[0].split()[-1], parts[1])
        # "between Putin backing X and his first meeting" : "his" is the first event's named subject
        subject = re.match(r"([A-Z][\w\-]+)", parts[0])
        if subject:
            parts[1] = re.sub(r"^(his|her|its|their)\b", f"{subject.group(1)}'s", parts[1], flags=re.I)
    return parts


def _two_events(pieces: list[str]) -> list[str]:
    parts = [" ".join(p.strip(" ?,.").split()) for p in pieces]
    return [p for p in parts if len(p.split()) >= 2][:2]


# "eight years later" dates an event; "two years later than planned" compares, and does not
_LATER = re.compile(r"\b(\d{1,2}|" + "|".join(NUMBER_VALUES) + r")\s+years?\s+(later|afterwards)\b(?!\s+than\b)", re.I)


def dated_years(text: str) -> list[int]:
    """The years a sentence dates things to, "eight years later" resolved against the year before it
    ("after his father's death in 2011, until eight years later" -> 2019, listed first)."""
    years = [int(y) for y in YEAR.findall(text)]
    derived = []
    for match in _LATER.finditer(text):
        before = [int(y) for y in YEAR.findall(text[: match.start()])]
        count = match.group(1).lower()
        n = int(count) if count.isdigit() else NUMBER_VALUES[count]
        if before:
            derived.append(before[-1] + n)
    return derived + years


def _best_dated_sentence(
    part: str, retriever, exclude_year: int | None, near: int | None = None
) -> tuple[float, int, int] | None:
    """The sentence that best dates an event, and its year. `near`: the other event's sentence; one beside
    it gets NEARBY_BONUS, as the two events of a question are often told together."""
    vector = retriever.embedder.embed([part])[0]
    scores = retriever.sentence_vectors @ vector  # raw cosine: min_similarity is calibrated on it
    own_years = [int(y) for y in YEAR.findall(part)]
    best = None
    for s in np.argsort(-scores)[:40]:
        text = retriever.sentences[int(s)].text
        years = dated_years(text)
        if own_years:
            years = [y for y in years if y in own_years]
        years = [y for y in years if y != exclude_year]
        if years and retriever.quotable[int(s)]:
            # A year named in the question is strong evidence on its own.
            beside = near is not None and abs(int(s) - near) <= 2 and _same_document(retriever, int(s), near)
            candidate = (float(scores[s]) + (0.3 if own_years else 0.0) + NEARBY_BONUS * beside, int(s), years[0])
            if best is None or candidate[0] > best[0]:
                best = candidate
    return best


NEARBY_BONUS = 0.03


def _same_document(retriever, a: int, b: int) -> bool:
    return retriever.sentences[a].doc_id == retriever.sentences[b].doc_id


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
