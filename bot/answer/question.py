"""What a question asks for: its expected answer type, found from its wording."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.answer.text import NUMBER_VALUES, STOPWORDS, fold

NUMBER_WORDS = [*NUMBER_VALUES, "hundred", "thousand", "million", "billion", "dozen", "dozens"]
_NUMBER = re.compile(r"\d|\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥₩]|\b\d[\d,.]*\s*(bn|m|billion|million|trillion)\b|\b(dollars?|euros?|pounds|roubles?|rubles?|"
    r"yuan|won|yen)\b",
    re.IGNORECASE,
)
_MONTHS = "january february march april may june july august september october november december"
_PERIODS = "day|night|week|weekend|month|year|decade|century|spring|summer|autumn|fall|winter"
_DATE = re.compile(
    r"\b(1[6-9]\d\d|20\d\d)\b|\b(" + "|".join(_MONTHS.split()) + r")\b"
    r"|o'clock|\b\d{1,2}(:\d\d)?\s*([ap]\.?m\b)|\b\d{1,2}:\d\d\b"
    r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|evening|noon|midnight)\b"
    # relative dates: "last month", "earlier this year", "three weeks ago", "yesterday"
    rf"|\b(last|next|this|previous|past|final|coming|following|same)\s+({_PERIODS})s?\b"
    r"|\b(yesterday|today|tonight|tomorrow|ago)\b",
    re.IGNORECASE,
)
_DATE_NUMBERS = re.compile(
    r"\b(1[6-9]\d\d|20\d\d)\b|\b\d{1,2}(st|nd|rd|th)?\s+(" + "|".join(_MONTHS.split()) + r")\b"
    r"|\b(" + "|".join(_MONTHS.split()) + r")\s+\d{1,2}\b",
    re.IGNORECASE,
)
_DAY = re.compile(  # a calendar day, not just a month or a year
    r"\b\d{1,2}(st|nd|rd|th)?\s+("
    + "|".join(_MONTHS.split())
    + r")\b|\b("
    + "|".join(_MONTHS.split())
    + r")\s+\d{1,2}\b"
    r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow)\b|\b\d{4}-\d\d-\d\d\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"%|\bper ?cent\b|\bpercentage\b|\b(half|third|quarter|fifth|tenth)s?\b", re.IGNORECASE)
_PLACE = re.compile(r"\b(?:at|in|to|from|into|near|inside|outside|across|toward|towards)\s+(?:the\s+)?([A-Z][\w’'\-]+)")
_NAME = re.compile(r"\b[A-Z][a-z’'\-]+(?:\s+(?:[A-Z][a-z’'\-]+|bin|de|van|von|al))+\b")


@dataclass(frozen=True)
class QuestionType:
    """The kind of answer expected; `required` types decline when no passage has one. An "identity"
    question ("what's the name of the satellite?", "who was the diplomat in Moscow?") needs a name
    attached to its head noun (`focus`) that the question itself does not use (`known`)."""

    name: str
    required: bool = False
    focus: str = ""
    known: frozenset[str] = frozenset()

    @property
    def described(self) -> str:
        """What the question asks for, in words for a decline message."""
        return {"day": "exact date", "percent": "percentage", "money": "amount"}.get(self.name, self.name)

    def matches(self, sentence: str) -> bool:
        if self.name == "identity":
            return self.names_focus(sentence)
        if self.name == "number":  # a count or amount, not the day or year of a date
            return bool(_NUMBER.search(_DATE_NUMBERS.sub(" ", sentence)))
        if self.name in ("person", "place"):
            pattern = _NAME if self.name == "person" else _PLACE
            return any(self.is_new_name(m.group(m.lastindex or 0)) for m in pattern.finditer(sentence))
        pattern = {"money": _MONEY, "date": _DATE, "day": _DAY, "percent": _PERCENT}.get(self.name)
        return bool(pattern.search(sentence)) if pattern else False

    def is_new_name(self, name: str) -> bool:
        """A name the question does not already use, not a calendar word or a capitalised function word."""
        parts = [re.sub(r"'s$", "", fold(w)) for w in name.split()]
        parts = [p for p in parts if p not in STOPWORDS and p not in _CALENDAR]
        return bool(parts) and not all(p in self.known for p in parts)

    def names_focus(self, sentence: str) -> bool:
        """A new name tied to the head noun: right after it ("the satellite Malligyong-1"), in apposition
        or as the subject of "is/was/worked as the <head>", after "the <head> was", or "named"/"called"."""
        head = re.escape(self.focus[:5]) + r"\w*"
        name = r"([A-Z][\w’'\-]+)"
        role = r"(?:a|an|the)\s+(?:[\w’'\-]+\s+){0,3}"
        patterns = [
            rf"\b{head},?\s+{name}",  # "spokesman Lin Jian"
            rf"{name},\s+{role}{head}",  # "Ramon Pacheco Pardo, a professor"
            rf"{name},?\s+(?:who\s+)?(?:is|was|became|served as|worked as|has been|had been)\s+{role}{head}",
            rf"\b{head}\s+(?:is|was|has been|had been)\s+{name}",  # "the librarian was Philip Larkin"
            rf"\b(?:named|called|dubbed|known as)\s+[“\"']?{name}",
        ]
        found = (m.group(1) for p in patterns for m in re.finditer(p, sentence, re.IGNORECASE))
        return any(n[0].isupper() and fold(n) not in self.known and fold(n) not in _CALENDAR for n in found)


_CALENDAR = frozenset(_MONTHS.split()) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_IDENTITY = re.compile(
    r"\b(?:what|what's|whats)\s+(?:is\s+|was\s+|are\s+|were\s+)?(?:the|his|her|their|its)\s+names?\s+of\s+"
    r"(?:the\s+|a\s+|an\s+)?"
    r"|\bwho\s*(?:is|was|'s|’s)\s+(?:the|[A-Z][\w\-]*['’]s)\s+",
    re.IGNORECASE,
)


def identity_type(question: str) -> QuestionType | None:
    """The head noun of "the name of the <noun phrase>" / "who is the <noun phrase>": the phrase runs to
    the first function word, or to a capitalised word once it has a lower-case one ("the two dogs Kim
    gave" -> "dogs")."""
    match = _IDENTITY.search(question)
    if not match:
        return None
    head = ""
    for word in re.findall(r"[\w’'\-]+", question[match.end() :]):
        lowered = fold(word)
        if lowered in STOPWORDS or (word[0].isupper() and head and head.islower()):
            break
        if lowered not in NUMBER_WORDS and lowered not in {"first", "second", "new", "old"}:
            head = word
    if not head:
        return None
    known = frozenset(fold(w) for w in re.findall(r"[\w’'\-]+", question))
    return QuestionType("identity", required=True, focus=fold(head), known=known)


_RULES: list[tuple[str, QuestionType]] = [
    (r"\b(exact|precise) (date|day)\b|\b(what|which) (date|day)\b", QuestionType("day", required=True)),
    (
        r"\bwhat (percentage|percent|proportion|fraction)\b|\bhow many per ?cent\b",
        QuestionType("percent", required=True),
    ),
    (
        r"\bhow much (money|did .* (pay|cost|spend|earn|get paid))|\bhow much .*\b(paid|cost|costs|worth|price|spent|"
        r"spend|pay|earn)\b|\bwhat (was|is) the (price|cost|value)",
        QuestionType("money", required=True),
    ),
    (
        # "when" asks for a date only as the question word ("when did...", "...when?"), not in a clause
        # such as "who opened the doors when they swapped seats?"
        r"\b(what|which|in what) (year|month|date|day)\b|\bwhat time\b|\b(since|until|till) when\b"
        r"|\bwhen (did|does|do|was|is|were|are|will|would|has|have|had|can|could|should)\b|\bwhen\s*\?*\s*$",
        QuestionType("date", required=True),
    ),
    (
        r"\bhow (many|much|long|far|old|big|large|tall|high|often)\b|\bwhat (share|number)\b",
        QuestionType("number", required=True),
    ),
    (
        r"(^|[,;:]\s*)((and|but|so|then|ok|okay)\s+)?(who|whom|whose)\b|\bwho(?:'s| is| was)\b"
        r"|\bwhich (expert|person|official|minister|spokesman|spokesperson|professor|leader|analyst)\b",
        QuestionType("person"),
    ),
    (
        r"(^|[,;:]\s*)((and|but|so|then)\s+)?where\b|\bin (which|what) (city|town|country|place|region)\b",
        QuestionType("place"),
    ),
]


def question_type(question: str, context: str = "") -> QuestionType:
    """The answer type asked for. `context` is the earlier turn a follow-up refers to: a name it already
    gave is not the new name "and who said that?" asks for."""
    identity = identity_type(question)
    if identity:
        return identity
    folded = fold(question)
    known = frozenset(fold(w) for w in re.findall(r"[\w’'\-]+", f"{question} {context}"))
    for pattern, kind in _RULES:
        if re.search(pattern, folded):
            return replace(kind, known=known)
    return QuestionType("other")
