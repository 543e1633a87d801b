"""Query preparation: clean what people type, refuse what cannot be a question, fold in follow-ups."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answer.question import ROLE_WORDS, role_words_in
from bot.answer.text import STOPWORDS, terms, words
from bot.answer.types import Turn

_MENTION = re.compile(r"<(@[!&]?|#)\d+>|@(everyone|here)\b")
_MARKDOWN = re.compile(r"[*_`~|>]+")
_CITATION_MARK = re.compile(r"\s*\[\d+\]")
_ELLIPSIS = re.compile(r"^\s*(?:and|but|so|then|what about|how about)\s+(?P<phrase>[^?]+?)\s*\?*\s*$", re.I)
# "and who said that?" is a whole question, not a phrase standing for part of the earlier one
_NOT_A_PHRASE = {"who", "what", "when", "where", "why", "how", "which", "is", "was", "did", "does", "do", "are"}
ELLIPSIS_SIMILARITY, ELLIPSIS_MARGIN = 0.4, 0.1
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
    ellipsis: str = ""  # "putin" of "and putin?": to put in place of its counterpart in the earlier question
    earlier_question: str = ""
    expanded: str = ""  # what the question's acronyms stand for in the documents: "annual general meeting"

    @property
    def search_text(self) -> str:
        """What retrieval searches for: the question (after the earlier turn it follows up), with acronyms
        written out: role acronyms ("CEO" also searches for "chief executive"; "boss" is too vague to), and
        those the documents spell out ("agm" for their "Annual General Meeting")."""
        text = f"{self.context} {self.question}".strip()
        spelled = [ROLE_WORDS[role][0] for role in role_words_in(self.question) if len(role) <= 3]
        return " ".join(filter(None, [text, *spelled, self.expanded]))


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
    if not history or not is_follow_up(cleaned):
        return PreparedQuery(cleaned)
    last = history[-1]
    context = f"{clean(last.question)} {_CITATION_MARK.sub('', last.answer)}".strip()
    match = _ELLIPSIS.match(cleaned)
    phrase = match.group("phrase") if match else ""
    if phrase and (len(phrase.split()) > 4 or phrase.split()[0].lower() in _NOT_A_PHRASE):
        phrase = ""
    return PreparedQuery(cleaned, context, ellipsis=phrase, earlier_question=clean(last.question))


def fill_ellipsis(phrase: str, earlier: str, embed: Callable[[list[str]], np.ndarray]) -> str | None:
    """The earlier question with the phrase of "and <phrase>?" in place of its counterpart: the noun
    phrase with the same head ("the 2000 treaty" for "the 1961 treaty"), else the part it resembles
    most ("what did kim call the deal?" + "and putin?" -> "what did putin call the deal?"). None when
    no part resembles it clearly (cosine under 0.4, or within 0.1 of the runner-up)."""
    if re.search(r"\bones?$", phrase, re.I):  # "the 2000 one" stands for "2000" in "the 1961 treaty"
        phrase = re.sub(r"^(the|a|an)\s+|\s+ones?$", "", phrase, flags=re.I)
    span = _same_number(phrase, earlier) or _same_head(phrase, earlier) or _most_similar(phrase, earlier, embed)
    if span is None:
        return None
    start, end = span
    if phrase.lower().startswith("the ") and earlier[:start].lower().endswith("the "):
        start -= 4
    return f"{earlier[:start]}{phrase}{earlier[end:]}"


def _same_number(phrase: str, earlier: str) -> tuple[int, int] | None:
    """For a phrase that is a number ("2000"), the earlier question's number of the same length."""
    if not phrase.isdigit():
        return None
    match = re.search(rf"\b\d{{{len(phrase)}}}\b", earlier)
    return match.span() if match else None


def _same_head(phrase: str, earlier: str) -> tuple[int, int] | None:
    """The earlier noun phrase ending in the phrase's last word (its head): that word and the content
    words just before it."""
    head = phrase.split()[-1].lower()
    spans = _content_words(earlier)
    for i, (start, end) in enumerate(spans):
        if earlier[start:end].lower() == head:
            first = i
            while first > 0 and earlier[spans[first - 1][1] : spans[first][0]].strip() == "":
                first -= 1
            return spans[first][0], end
    return None


def _most_similar(phrase: str, earlier: str, embed: Callable[[list[str]], np.ndarray]) -> tuple[int, int] | None:
    spans = _names_and_words(earlier)
    if not spans:
        return None
    vectors = embed([phrase] + [earlier[a:b] for a, b in spans])
    similarity = vectors[1:] @ vectors[0]
    order = np.argsort(-similarity)
    best = similarity[order[0]]
    if best < ELLIPSIS_SIMILARITY or (len(order) > 1 and best - similarity[order[1]] < ELLIPSIS_MARGIN):
        return None
    return spans[int(order[0])]


def _content_words(question: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[\w’'\-]+", question) if m.group(0).lower() not in STOPWORDS]


def _names_and_words(question: str) -> list[tuple[int, int]]:
    """Content words of a question, a run of capitalised words as one ("State Duma")."""
    spans: list[tuple[int, int]] = []
    for start, end in _content_words(question):
        previous = spans[-1] if spans else None
        joins = previous and question[start].isupper() and question[previous[0]].isupper()
        if joins and question[previous[1] : start].strip() == "":
            spans[-1] = (previous[0], end)
        else:
            spans.append((start, end))
    return spans
