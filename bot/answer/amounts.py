"""Questions answered by adding or subtracting two amounts the documents give: "how much more is Tarsenia
putting in than Merovia?", "if you add the grant to the seed money, how much is that altogether?"."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.answer.arithmetic import clause_around, head_noun
from bot.answer.text import terms

# "how much more/less … than …", "how many fewer … compared with …", "the difference between … and …"
_MORE = re.compile(
    r"\bhow (?:much|many)\s+(?:more|less|fewer|higher|lower|bigger|smaller|cheaper|extra)\b(?P<first>[^?]*?)"
    r"\b(?:than|compared (?:to|with)|vs\.?|versus)\b(?P<second>[^?]+)",
    re.I,
)
_DIFFERENCE = re.compile(r"\bdifference\b[^?]*?\bbetween\b(?P<first>[^?]+?)\band\b(?P<second>[^?]+)", re.I)
# "add the grant to the seed money", "the grant plus the seed money", "the grant and the loan combined"
_ADD = re.compile(r"\badd(?:ing)?\b(?P<first>[^?,]+?)\b(?:to|and)\b(?P<second>[^?,]+)", re.I)
_PLUS = re.compile(r"(?P<first>[^?,]+?)\bplus\b(?P<second>[^?,]+)", re.I)
_TOGETHER = re.compile(
    r"(?P<first>[^?,]+?)\band\b(?P<second>[^?,]+?)\b(?:put together|added together|combined|altogether|in total)\b",
    re.I,
)
_LEAD = re.compile(r"^.*?\bhow (?:much|many)\b(?:\s+(?:money|cash|in total|altogether))?", re.I)
_FILLER = re.compile(r"\b(?:if you|do|does|did|is|was|are|were|has|have|had|the|a|an|that|this|it)\b", re.I)

_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_AMOUNT = re.compile(
    r"(?P<currency>[$€£¥])?\s?(?<![\d.,])(?P<number>\d[\d,]*(?:\.\d+)?)"
    r"(?:\s?(?P<scale>bn|billion|mn|m|million|k|thousand)\b)?"
    r"(?:\s?(?P<unit>p\.\s?c\b\.?|pence\b|p\b|pounds\b|dollars\b|euros\b|%|per ?cent\b|percent\b))?",
    re.I,
)
_UNITS = {"pounds": "£", "dollars": "$", "euros": "€", "pence": "p", "per cent": "%", "percent": "%", "percent.": "%"}
PART_WORDS_BONUS = 0.3  # an amount whose clause names the part's rare words ("with Tarsenia contributing €132m")
MIN_SIMILARITY = 0.45


@dataclass(frozen=True)
class Amount:
    sentence: int
    position: int
    unit: str  # "£", "$", "€", "¥", "p" (pence) or "%"
    value: float
    scale: str  # as written: "m", "million", "" …
    text: str


@dataclass(frozen=True)
class AmountSum:
    """Two amounts added or subtracted (the larger first); rendered in the scale both are written in."""

    first: Amount
    second: Amount
    subtract: bool

    @property
    def sentences(self) -> list[int]:
        return [self.first.sentence, self.second.sentence]

    def describe(self, refs: list[str]) -> str:
        value = self.first.value - self.second.value if self.subtract else self.first.value + self.second.value
        how = "minus" if self.subtract else "plus"
        return (
            f"{render(value, self.first, self.second)}: {self.first.text} {refs[0]} {how} "
            f"{self.second.text} {refs[1]} (computed from the cited passages)."
        )


def render(value: float, first: Amount, second: Amount) -> str:
    """An amount in the unit and, when both share it, the scale of the two it came from: "€24m", "48p"."""
    scale = first.scale if first.scale.lower() == second.scale.lower() else ""
    number = value / _SCALES.get(scale.lower(), 1.0)
    shown = f"{number:,.2f}".rstrip("0").rstrip(".")
    spaced = " " if len(scale) > 2 else ""
    if first.unit in "£$€¥":
        return f"{first.unit}{shown}{spaced}{scale}"
    return f"{shown}{spaced}{scale}{first.unit}"


def amounts_in(text: str, sentence: int) -> list[Amount]:
    """The money, pence and percentages a sentence gives (never a year)."""
    found = []
    for m in _AMOUNT.finditer(text):
        if not (m.group("currency") or m.group("unit")):
            continue  # a count, a year or a label
        unit = m.group("currency") or m.group("unit").lower()
        unit = "%" if unit.startswith("p.") or unit == "%" else _UNITS.get(unit, unit)
        scale = m.group("scale") or ""
        value = float(m.group("number").replace(",", "")) * _SCALES.get(scale.lower(), 1.0)
        found.append(Amount(sentence, m.start(), unit, value, scale, m.group(0).strip()))
    return found


def two_parts(question: str) -> tuple[list[str], list[str], bool] | None:
    """The two things whose amounts are added or subtracted, the words that tell them apart, and whether to
    subtract. A short second part shares the first's predicate: in "how much more is Tarsenia putting in
    than Merovia?" the parts are "Tarsenia putting in" and "Merovia putting in", told apart by the names."""
    for pattern, subtract in ((_MORE, True), (_DIFFERENCE, True), (_ADD, False), (_PLUS, False), (_TOGETHER, False)):
        compares = pattern is _MORE
        match = pattern.search(question)
        if not match:
            continue
        first, second = _clean(match.group("first")).split(), _clean(match.group("second")).split()
        if not first or not second:
            continue
        second = [head_noun(" ".join(first)) if w.lower() in ("one", "ones") else w for w in second]
        if compares and len(second) <= 2 and len(first) >= len(second) + 2:
            subjects = [first[: len(second)], second]
            second = second + first[len(second) :]
        else:
            subjects = [first, second]
        return [" ".join(first), " ".join(second)], [" ".join(x) for x in subjects], subtract
    return None


def _clean(part: str) -> str:
    return " ".join(_FILLER.sub(" ", _LEAD.sub(" ", part)).strip(" ?,.").split())


def amount_sum(question: str, retriever, min_similarity: float = MIN_SIMILARITY) -> AmountSum | None:
    """Add or subtract the amounts two parts of the question name, each the amount whose clause (or whole
    sentence) is closest to its part; nothing unless both are found in the same unit."""
    found = two_parts(question)
    if not found:
        return None
    parts, subjects, subtract = found
    first = _best_amount(parts[0], subjects[0], retriever, None, min_similarity)
    second = _best_amount(parts[1], subjects[1], retriever, first, min_similarity) if first else None
    if not first or not second:
        return None
    if subtract and second.value > first.value:
        first, second = second, first
    return AmountSum(first, second, subtract)


def _best_amount(part: str, subject: str, retriever, other: Amount | None, min_similarity: float) -> Amount | None:
    """The amount whose clause, or whole sentence, is closest to the part, with a bonus for the share of
    the subject's words (by IDF) that its clause names."""
    vector = retriever.embedder.embed([part])[0]
    scores = retriever.sentence_vectors @ vector
    pool = []
    for s in (int(s) for s in np.argsort(-scores)[:40]):
        if not retriever.quotable[s]:
            continue
        for amount in amounts_in(retriever.sentences[s].text, s):
            if other is None or (amount.unit == other.unit and amount != other):
                pool.append(amount)
    if not pool:
        return None
    clauses = [clause_around(retriever.sentences[a.sentence].text, a.position) for a in pool]
    clause_scores = retriever.embedder.embed(clauses) @ vector
    wanted = {t: retriever.idf(t) for t in terms(subject)}
    total = sum(wanted.values()) or 1.0
    best, best_score = None, min_similarity
    for amount, clause, clause_score in zip(pool, clauses, clause_scores, strict=True):
        named = sum(w for t, w in wanted.items() if t in set(terms(clause))) / total
        score = max(float(scores[amount.sentence]), float(clause_score)) + PART_WORDS_BONUS * named
        if score > best_score:
            best, best_score = amount, score
    return best
