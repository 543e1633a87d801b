"""Questions answered by adding or subtracting two amounts the documents give: "how much more is Tarsenia
putting in than Merovia?", "if you add the grant to the seed money, how much is that altogether?"."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Set
from dataclasses import dataclass

import numpy as np

from bot.answer.arithmetic import clause_around, head_noun, nearest_sentences, same_document
from bot.answer.question import count_focus, count_stem
from bot.answer.text import fold, terms

# Parts are bounded (PART characters) so that a long question costs linear time, not cubic.
PART = r"[^?,]{1,80}?"
# "how much more/less … than …", "how many fewer … compared with …": the first must be the larger (smaller)
_MORE = re.compile(
    rf"\bhow (?:much|many)\s+(?P<comparison>more|higher|bigger|extra|less|fewer|lower|smaller|cheaper)\b"
    rf"(?P<first>{PART})\b(?:than|compared (?:to|with)|vs\.?|versus)\b(?P<second>{PART})\s*(?:[?,]|$)",
    re.I,
)
_SMALLER = {"less", "fewer", "lower", "smaller", "cheaper"}
# a question that asks for a quantity: only then are "difference between", "add", "plus", "combined" sums
_QUANTITY = re.compile(r"\bhow (?:much|many)\b|\b(?:total|sum|difference in)\b", re.I)
_DIFFERENCE = re.compile(
    rf"\bdifference\b[^?]{{0,40}}?\bbetween\b(?P<first>{PART})\band\b(?P<second>{PART})\s*(?:[?,]|$)", re.I
)
# "add the grant to the seed money", "the grant plus the seed money", "the grant and the loan combined"
_ADD = re.compile(rf"\badd(?:ing)?\b(?P<first>{PART})\b(?:to|and)\b(?P<second>{PART})\s*(?:[?,]|$)", re.I)
_PLUS = re.compile(rf"(?P<first>{PART})\bplus\b(?P<second>{PART})\s*(?:[?,]|$)", re.I)
_TOGETHER = re.compile(
    rf"(?P<first>{PART})\band\b(?P<second>{PART})\b(?:put together|added together|combined|altogether|in total)\b",
    re.I,
)
_LEAD = re.compile(r"^.*?\bhow (?:much|many)\b(?:\s+(?:money|cash|in total|altogether))?", re.I)
_FILLER = re.compile(r"\b(?:if you|do|does|did|is|was|are|were|has|have|had|the|a|an|that|this|it)\b", re.I)

_SCALES = {"": 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_AMOUNT = re.compile(
    r"(?P<currency>[$€£¥])?\s?(?<![\d.,])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]\d)"
    r"(?:\s?(?P<scale>bn|billion|mn|m|million|k|thousand)\b)?"
    r"(?:\s?(?P<unit>p\.\s?c\b\.?|pence\b|p\b(?!\.\s?m\b)|pounds\b|dollars\b|euros\b|%|per ?cent\b|percent\b))?",
    re.I,
)
_UNITS = {"pounds": "£", "dollars": "$", "euros": "€", "pence": "p", "per cent": "%", "percent": "%"}
PART_WORDS_BONUS = 0.3  # for an amount whose clause names the part's own words ("with Tarsenia contributing €132m")
MIN_SIMILARITY = 0.45  # cosine of the part with the amount's clause or sentence, plus that bonus
MIN_COSINE = 0.3  # and the cosine alone: a clause that merely repeats a word is not about the part


@dataclass(frozen=True)
class Amount:
    sentence: int
    position: int
    unit: str  # "£", "$", "€", "¥", "p" (pence) or "%"
    value: float
    scale: str  # as written: "m", "million", "" …
    text: str
    decimals: int = 0  # as written: 1 for "£8.5 million"


@dataclass(frozen=True)
class AmountSum:
    """Two amounts added or subtracted (for a difference the larger first)."""

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


@dataclass(frozen=True)
class AmountChange:
    """An amount going from one value to another ("from £1.4 million in 2021 to £4.6 million"), or the
    amount planned and the amount it came to ("meant to cost £3.6m, but the final bill came to £4.8m")."""

    start: Amount
    end: Amount
    planned: bool = False  # the start was what it was meant to cost, the end what it came to

    @property
    def sentences(self) -> list[int]:
        return [self.start.sentence, self.end.sentence]

    def describe(self, refs: list[str]) -> str:
        change = self.end.value - self.start.value
        if self.planned:
            side = "over" if change > 0 else "under"
            outcome = f"{render(abs(change), self.start, self.end)} {side} budget" if change else "On budget"
            return (
                f"{outcome}: planned {self.start.text} {refs[0]}, came to {self.end.text} {refs[1]} "
                "(computed from the cited passage)."
            )
        direction = "Up" if change > 0 else "Down"
        return (
            f"{direction} {render(abs(change), self.start, self.end)}: from {self.start.text} {refs[0]} to "
            f"{self.end.text} {refs[1]} (computed from the cited passage)."
        )


@dataclass(frozen=True)
class AmountShare:
    """A share of an amount the documents give: "would have been £21.3m but was reduced by a third"."""

    amount: Amount
    share: float
    said: str  # "a third", "25%"

    @property
    def sentences(self) -> list[int]:
        return [self.amount.sentence]

    def describe(self, refs: list[str]) -> str:
        shown = render(self.amount.value * self.share, self.amount, self.amount)
        return f"{shown}: {self.said} of {self.amount.text} {refs[0]} (computed from the cited passage)."


_SMALLER_SCALE = {"bn": "m", "billion": "million", "m": "", "mn": "", "million": "", "k": "", "thousand": ""}


def render(value: float, first: Amount, second: Amount) -> str:
    """The result in the unit of the two amounts and the larger scale they are written in, or the next
    smaller one while it is under 1 in that scale ("€24m", "£9.7 million", "£1.5bn minus £1.2bn" is
    "£300m", "£1.234m minus £1.23m" is "£4,000"), with the decimals its amounts need; a difference of
    percentages in points."""
    scale = max((first, second), key=lambda a: _SCALES[a.scale.lower()]).scale
    while scale and abs(value) < _SCALES[scale.lower()]:
        scale = _SMALLER_SCALE[scale.lower()]
    size = _SCALES[scale.lower()]
    decimals = max(a.decimals - round(np.log10(_SCALES[a.scale.lower()] / size)) for a in (first, second))
    shown = f"{value / size:,.{min(max(decimals, 0), 6)}f}"
    shown = shown.rstrip("0").rstrip(".") if "." in shown else shown
    spaced = " " if len(scale) > 2 else ""
    if first.unit == "%":
        return f"{shown} percentage points"
    if first.unit in "£$€¥":
        return f"{first.unit}{shown}{spaced}{scale}"
    return f"{shown}{spaced}{scale}{first.unit}"


def amounts_in(text: str, sentence: int) -> list[Amount]:
    """The money, pence and percentages a sentence gives (never a count, a year or a clock time)."""
    found = []
    for m in _AMOUNT.finditer(text):
        if not (m.group("currency") or m.group("unit")):
            continue
        unit = m.group("currency") or m.group("unit").lower()
        unit = "%" if unit.startswith("p.") or unit == "%" else _UNITS.get(unit, unit)
        scale = m.group("scale") or ""
        value = float(m.group("number").replace(",", "")) * _SCALES[scale.lower()]
        decimals = len(m.group("number").partition(".")[2])
        found.append(Amount(sentence, m.start(), unit, value, scale, m.group(0).strip(), decimals))
    return found


@dataclass(frozen=True)
class Parts:
    """The two things whose amounts are combined, the words that tell them apart, and how to combine."""

    parts: list[str]
    subjects: list[str]
    subtract: bool
    smaller_first: bool | None = None  # for "how much more/less": the order the question asserts


def two_parts(question: str) -> Parts | None:
    """A short second part shares the first's predicate: in "how much more is Tarsenia putting in than
    Merovia?" the parts are "Tarsenia putting in" and "Merovia putting in", told apart by the names."""
    question = question[:400]  # a sum is asked in a sentence, not an essay
    more = _MORE.search(question)
    if more:
        return _parts(more, True, more.group("comparison").lower() in _SMALLER, compares=True)
    if not _QUANTITY.search(question):
        return None
    for pattern, subtract in ((_DIFFERENCE, True), (_ADD, False), (_PLUS, False), (_TOGETHER, False)):
        match = pattern.search(question)
        if match:
            return _parts(match, subtract, None, compares=False)
    return None


def _parts(match: re.Match, subtract: bool, smaller_first: bool | None, compares: bool) -> Parts | None:
    first, second = _clean(match.group("first")).split(), _clean(match.group("second")).split()
    if not first or not second:
        return None
    second = [head_noun(" ".join(first)) if w.lower() in ("one", "ones") else w for w in second]
    if compares and len(second) <= 2 and len(first) >= len(second) + 2:
        # the first's subject: its leading capitalised words ("Manchester United pay…"), else as many words
        # as the second part has
        leading = next((i for i, w in enumerate(first) if not w[:1].isupper()), len(first))
        size = leading if 0 < leading < len(first) else len(second)
        subjects = [first[:size], second]
        second = second + first[size:]
    else:
        subjects = [first, second]
    return Parts([" ".join(first), " ".join(second)], [" ".join(x) for x in subjects], subtract, smaller_first)


def _clean(part: str) -> str:
    return " ".join(_FILLER.sub(" ", _LEAD.sub(" ", part)).strip(" ?,.").split())


_A_TIME = re.compile(r"(?:in\s+)?(?:(?:19|20)\d\d|last year|the year before|then|before)", re.I)


def amount_sum(
    question: str, retriever, min_similarity: float = MIN_SIMILARITY
) -> AmountSum | AmountChange | AmountShare | None:
    """Add or subtract the amounts two parts of the question name, each the amount whose clause (or whole
    sentence) is closest to its part; nothing unless both are found in the same unit, nor when the
    documents have the comparison the other way round (the extractive answer then shows what they say);
    when the second part is a time ("compared to 2023"), the change the documents give from it.
    A question for how much something rose or fell is the difference of a "from … to …" the documents give."""
    found = two_parts(question)
    if not found:
        return amount_change(question, retriever)
    first = _best_amount(found.parts[0], found.subjects[0], retriever, None, min_similarity)
    second = _best_amount(found.parts[1], found.subjects[1], retriever, first, min_similarity) if first else None
    if not first or not second:  # "compared to 2023" names a time, not a second thing with an amount
        return amount_change(question, retriever) if _A_TIME.fullmatch(found.subjects[1]) else None
    if first.unit == "%" and not found.subtract:
        return None  # percentages of different wholes do not add up
    if found.smaller_first is not None and (first.value < second.value) != found.smaller_first:
        return None
    if found.subtract and second.value > first.value:
        first, second = second, first
    return AmountSum(first, second, found.subtract)


def words_named(text: str, retriever) -> Callable[[Set[str]], float]:
    """How much of the text's words (weighed by IDF) a clause or sentence names, given its terms."""
    wanted = {t: retriever.idf(t) for t in terms(text)}
    total = sum(wanted.values()) or 1.0
    return lambda found: sum(w for t, w in wanted.items() if t in found) / total


def _best_amount(part: str, subject: str, retriever, other: Amount | None, min_similarity: float) -> Amount | None:
    """The amount whose clause, or whole sentence, is closest to the part, with a bonus for the share of the
    subject's words (by IDF) its clause names; at least `min_similarity` with the bonus and MIN_COSINE
    without. The second amount (after `other`) is looked for in the first's unit and document. Table rows
    are left out: their amounts are columns (two years, two sites), not the things a question compares."""
    vector, scores, nearest = nearest_sentences(part, retriever)
    pool = []
    for s in nearest:
        text = retriever.sentences[s].text
        if not retriever.quotable[s] or text.lstrip().startswith("|"):
            continue
        if other is not None and not same_document(retriever, s, other.sentence):
            continue  # two amounts from two stories are seldom two sides of one sum
        for amount in amounts_in(text, s):
            if other is None or (amount.unit == other.unit and amount != other):
                pool.append(amount)
    if not pool:
        return None
    clauses = [clause_around(retriever.sentences[a.sentence].text, a.position) for a in pool]
    clause_scores = retriever.embedder.embed(clauses) @ vector
    word_share = words_named(subject, retriever)
    best, best_score = None, 0.0
    for amount, clause, clause_score in zip(pool, clauses, clause_scores, strict=True):
        similarity = max(float(scores[amount.sentence]), float(clause_score))
        score = similarity + PART_WORDS_BONUS * word_share(set(terms(clause)))
        if similarity >= MIN_COSINE and score >= min_similarity and score > best_score:
            best, best_score = amount, score
    return best


# "by how much did the gas bill go up from 2021 to last year?", "how much has the price fallen?"
_CHANGE = re.compile(
    r"\bhow much\b[^?]{0,120}?\b(?:go(?:ne)? up|went up|rise|risen|rose|increase|increased|grow|grown|grew|climb"
    r"|climbed|jump|jumped|fall|fallen|fell|drop|dropped|go(?:ne)? down|went down|decrease|decreased|shrink|shrank"
    r"|shrunk)\b",
    re.I,
)
# "how much over budget did the job go?": the amount planned against the amount it came to
_OVERRUN = re.compile(
    r"\bhow (?:much|far)\b[^?]{0,120}?\b(?:over (?:the |its |their )?budget|overspen[dt]|overr[au]n"
    r"|more than (?:planned|expected|budgeted|forecast|estimated))",
    re.I,
)
_PLANNED = re.compile(
    r"\b(?:(?:meant|expected|supposed|due|budgeted|estimated|forecast|planned)\s+to\s+(?:come\s+to|\w+)"
    r"|(?:a|the|original|initial)\s+budget\s+(?:of|was))\s+(?:about\s+|around\s+)?$",
    re.I,
)
# "how many more junior players have they got than in 2023?": counts going from one to another
_COUNT_CHANGE = re.compile(r"\bhow many (?:more|fewer|less)\b", re.I)
# a whole number ("61", "1,150") that is no percentage, clock time, score, decimal or scaled amount
_COUNT = r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?!\d|[,.]\d|\s*(?:%|per ?cent|p\.c\.|[ap]\.?m\b|:|-\d))"
_COUNT += r"(?!\s*(?:m|bn|k|mn|million|billion|thousand)\b)"
_COUNT_NUMBER = re.compile(_COUNT, re.I)
# "how much did they save on the fine by pleading guilty?", "how much did the judge knock off?"
_REDUCTION = re.compile(
    r"\bhow much\b[^?]{0,120}?\b(?:sav(?:e|ed|es|ing)|knock(?:ed|s)? off|tak(?:e|en|es) off|reduc\w*|discount\w*)\b",
    re.I,
)
_FRACTIONS = {"half": 1 / 2, "third": 1 / 3, "quarter": 1 / 4, "fifth": 1 / 5, "tenth": 1 / 10}
_ORDINAL_WORDS = {"3rd": "third", "4th": "quarter", "5th": "fifth", "10th": "tenth"}
_REDUCED_BY = re.compile(
    r"^(?:(?![£$€¥]\d)[^.;]){0,80}?"  # no other amount between
    r"\b(?:reduced|cut|discounted|lowered|slashed|decreased|diminished|trimmed)\s+(?:it\s+)?by\s+"
    rf"(?:(?:a|one)\s+(?P<fraction>{'|'.join([*_FRACTIONS, *_ORDINAL_WORDS])})\b"
    r"|(?P<percent>\d+(?:\.\d+)?)\s*(?:%|per ?cent|p\.c\.))",
    re.I,
)
# between the two: "but" and a word for what it came to ("but the final bill came to…", "however it cost…")
_BUT = re.compile(
    r"^[^.;]{0,80}?\b(?:but|however|yet|although|though)\b[^.;£$€¥\d]{0,60}?"
    r"\b(?:came|come|comes|cost|costs|costing|totall?ed|bill|invoice|spent|ended up|rose|reached|soared)\b",
    re.I,
)
_FROM = re.compile(r"\bfrom\s+(?:about\s+|around\s+|round\s+)?$", re.I)
_TO = re.compile(r"^[^.;:]{0,40}?\bto\s+(?:about\s+|around\s+|round\s+)?$", re.I)
# the sentence says the change itself ("rose by £3.2m", "up 9%", "fell 31 p.c."): the extractive answer quotes it
_STATED_CHANGE = re.compile(
    r"\b(?:by|up|down|rose|risen|fell|fallen|dropped|climbed|jumped|increased|decreased|grew|slumped|plunged)\s+"
    r"(?:by\s+)?(?:about\s+|around\s+|round\s+|nearly\s+|almost\s+)?[$€£¥]?\d"
    r"|[$€£¥]\d[\d,.]*\s*(?:m|bn|k|million|billion)?\s+(?:over|under)\s+budget\b|\boverspend\s+of\s+[$€£¥]?\d",
    re.I,
)


def amount_change(question: str, retriever) -> AmountChange | AmountShare | None:
    """How much something rose or fell, from the sentence closest to the question (cosine plus a bonus for
    the share of its words the sentence names; the cosine at least MIN_COSINE) that gives it going "from"
    one amount "to" another in one unit ("rose from £1.4 million in 2021 to £4.6 million"); for a question
    about an overrun, what it was meant to cost and what it came to; for one about a reduction ("how much
    did they save…"), the share an amount was reduced by. Nothing when that sentence states the change
    itself ("rose by £3.2m", "£1.2m over budget"): the extractive answer quotes it."""
    asked = question[:400]
    overrun, reduction, counts = (bool(p.search(asked)) for p in (_OVERRUN, _REDUCTION, _COUNT_CHANGE))
    counted = count_focus(fold(asked)) if counts else ""
    if not (overrun or reduction or counts or _CHANGE.search(asked)):
        return None
    _, scores, nearest = nearest_sentences(asked, retriever)
    word_share = words_named(question, retriever)
    best, best_score = None, 0.0
    for s in nearest:
        text = retriever.sentences[s].text
        if not retriever.quotable[s] or text.lstrip().startswith("|"):
            continue
        stated = bool(_STATED_CHANGE.search(text))
        change = None if stated else _change_in(text, s, overrun, reduction, counts, counted)
        score = float(scores[s]) + PART_WORDS_BONUS * word_share(retriever.sentence_terms[s])
        if (change or stated) and float(scores[s]) >= MIN_COSINE and score > best_score:
            best, best_score = change, score  # a change stated outright is better quoted than computed
    return best


def _change_in(
    text: str, sentence: int, overrun: bool, reduction: bool, counts: bool, counted: str = ""
) -> AmountChange | AmountShare | None:
    """A sentence's amounts (or, for "how many more", counts) going "from" one "to" another; for a question
    about an overrun, the amount planned and the amount it came to; for one about a reduction, the share an
    amount was reduced by, else its amounts going from one to another."""
    if counts:
        pair = _counts_from_to(text, sentence, counted)
        return AmountChange(*pair) if pair else None
    share = _reduced_by(text, sentence) if reduction else None
    if share:
        return share
    pair = _from_to(text, sentence)
    if pair and reduction and pair[1].value >= pair[0].value:  # a reduction never rose
        return None
    if pair:
        return AmountChange(*pair)
    planned = _planned_actual(text, sentence) if overrun else None
    return AmountChange(*planned, planned=True) if planned else None


def _from_to(text: str, sentence: int) -> tuple[Amount, Amount] | None:
    """The amounts a sentence goes "from" and "to", in one unit: "from £1.4 million in 2021 to £4.6 million"."""
    return _pair_around(text, amounts_in(text, sentence), _FROM, _TO)


def _planned_actual(text: str, sentence: int) -> tuple[Amount, Amount] | None:
    """The amount planned and the amount it came to, in one unit: "was meant to cost £3.6 million, but the
    final bill came to £4.8 million"."""
    return _pair_around(text, amounts_in(text, sentence), _PLANNED, _BUT)


def _pair_around(
    text: str, found: list[Amount], before: re.Pattern[str], between: re.Pattern[str]
) -> tuple[Amount, Amount] | None:
    """Two of a sentence's amounts in a row, in one unit, with `before` ending the 80 characters before the
    first and `between` matching the text between them."""
    for first, second in itertools.pairwise(found):
        start, end = _span(text, first)
        gap = text[end : _span(text, second)[0]]
        if first.unit == second.unit and before.search(text[max(0, start - 80) : start]) and between.match(gap):
            return first, second
    return None


def _span(text: str, amount: Amount) -> tuple[int, int]:
    """Where an amount's text stands in its sentence (a match may begin with the space before it)."""
    start = text.find(amount.text, amount.position)
    return start, start + len(amount.text)


def _reduced_by(text: str, sentence: int) -> AmountShare | None:
    """The share an amount was reduced by, said right after it: "would have been £21.3m but was reduced by a
    third", "a starting point of £1.8 million, which she cut by 25%"."""
    for amount in amounts_in(text, sentence):
        match = _REDUCED_BY.match(text[_span(text, amount)[1] :])
        if not match:
            continue
        fraction = match.group("fraction")
        if fraction:
            word = _ORDINAL_WORDS.get(fraction.lower(), fraction.lower())
            return AmountShare(amount, _FRACTIONS[word], f"a {word}")
        return AmountShare(amount, float(match.group("percent")) / 100, f"{match.group('percent')}%")
    return None


def _counts_from_to(text: str, sentence: int, counted: str = "") -> tuple[Amount, Amount] | None:
    """Two counts of the thing counted a sentence goes "from" and "to": "grew from 61 registered players in
    2023 to 96" (not years, "from 2019 to 2023", nor clock times, scores, percentages or scaled amounts)."""
    if counted and not re.search(rf"\b{count_stem(counted)}", text, re.I):
        return None
    return _pair_around(text, counts_in(text, sentence), _FROM, _TO)


def counts_in(text: str, sentence: int) -> list[Amount]:
    """The whole numbers a sentence gives that are no year, amount, percentage, clock time or score, as
    amounts without a unit: "61", "1,150"."""
    found = []
    for m in _COUNT_NUMBER.finditer(text):
        value = float(m.group(0).replace(",", ""))
        if not (len(m.group(0)) == 4 and 1800 <= value <= 2100):
            found.append(Amount(sentence, m.start(), "", value, "", m.group(0)))
    return found
