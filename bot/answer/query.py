"""Query preparation: clean what people type, refuse what cannot be a question, fold in follow-ups."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer.text import terms, words
from bot.answer.types import Turn

_MENTION = re.compile(r"<(@[!&]?|#)\d+>|@(everyone|here)\b")
_MARKDOWN = re.compile(r"[*_`~|>]+")
_CITATION_MARK = re.compile(r"\s*\[\d+\]")
# A question opening with a connective continues the conversation; one opening with a bare "who" or
# "when" does only if it also refers back ("who said that?"): "who won the world cup?" is new.
_FOLLOW_UP_START = re.compile(r"^(and|but|so|also|then|what about|how about|really)\b", re.I)
_REFERS_BACK = {
    "that",
    "this",
    "it",
    "he",
    "she",
    "they",
    "them",
    "those",
    "these",
    "there",
    "him",
    "her",
    "his",
    "their",
    "its",
}


@dataclass(frozen=True)
class PreparedQuery:
    question: str  # cleaned question
    context: str = ""  # the earlier turn a follow-up refers to
    reply: str | None = None  # set when the input cannot be answered at all

    @property
    def search_text(self) -> str:
        return f"{self.context} {self.question}".strip()


def clean(text: str) -> str:
    text = _MENTION.sub(" ", text)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    text = _MARKDOWN.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def is_follow_up(question: str) -> bool:
    tokens = words(question)
    if len(tokens) > 10:
        return False
    return bool(_FOLLOW_UP_START.match(question)) or bool(_REFERS_BACK & set(tokens)) or len(terms(question)) < 2


def prepare_query(question: str, history: Sequence[Turn] = (), max_chars: int = 1000) -> PreparedQuery:
    if len(question) > max_chars:
        return PreparedQuery(
            "",
            reply=(
                f"That question is {len(question):,} characters long; the limit is {max_chars:,}. "
                "Please ask it in fewer words."
            ),
        )
    cleaned = clean(question)
    if not cleaned:
        return PreparedQuery(
            "", reply='Please type a question about the documents, for example: "What did the new treaty agree?"'
        )
    if not any(c.isalnum() for c in cleaned):
        return PreparedQuery("", reply="I can only answer questions written in words. What would you like to know?")
    context = ""
    if history and is_follow_up(cleaned):
        last = history[-1]
        context = f"{clean(last.question)} {_CITATION_MARK.sub('', last.answer)}".strip()
    return PreparedQuery(cleaned, context)
