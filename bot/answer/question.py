"""What a question asks for: its expected answer type, found from its wording."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.text import fold

NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "thousand",
    "million",
    "billion",
    "dozen",
    "dozens",
]
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
_NAME = re.compile(r"\b[A-Z][a-z’'\-]+(?:\s+(?:[A-Z][a-z’'\-]+|bin|de|van|von|al))+\b")


@dataclass(frozen=True)
class QuestionType:
    """The kind of answer expected; `required` types decline when no passage has one."""

    name: str
    required: bool = False

    def matches(self, sentence: str) -> bool:
        pattern = {"number": _NUMBER, "money": _MONEY, "date": _DATE, "person": _NAME}.get(self.name)
        return bool(pattern.search(sentence)) if pattern else False


_RULES: list[tuple[str, QuestionType]] = [
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
        r"\bhow (many|much|long|far|old|big|large|tall|high|often)\b|\bwhat (percentage|proportion|share|number)\b",
        QuestionType("number", required=True),
    ),
    (
        r"(^|[,;:]\s*)((and|but|so|then|ok|okay)\s+)?(who|whom|whose)\b|\bwho(?:'s| is| was)\b"
        r"|\bwhich (expert|person|official|minister|spokesman|spokesperson|professor|leader|analyst)\b",
        QuestionType("person"),
    ),
]


def question_type(question: str) -> QuestionType:
    folded = fold(question)
    for pattern, kind in _RULES:
        if re.search(pattern, folded):
            return kind
    return QuestionType("other")
