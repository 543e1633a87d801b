"""Word-level text handling shared by retrieval and answering: tokens, stems, normalisation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "else",
        "ever",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "much",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "say",
        "said",
        "says",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "wasn",
        "we",
        "were",
        "weren",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "won",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "according",
        "tell",
        "know",
        "think",
        "thing",
        "things",
        "really",
        "actually",
        "basically",
        "anything",
        "something",
        "kind",
        "sort",
        "one",
        "ones",
    ]
)
# chat spellings of contractions, without the apostrophe ("thats", "dont"): function words all the same
STOPWORDS |= {"thats", "theres", "heres", "hes", "shes", "im", "ive", "youre", "theyre", "whos", "wheres", "whens"}
STOPWORDS |= {"hows", "whys", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "cant", "couldnt"}
STOPWORDS |= {"wouldnt", "shouldnt", "havent", "hasnt", "hadnt", "wont"}

NUMBER_VALUES = {
    word: value
    for value, word in enumerate(
        [
            "zero",
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
            "thirteen",
            "fourteen",
            "fifteen",
        ]
    )
    if value
} | {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}

YEAR = re.compile(r"\b(?:1[6-9]\d\d|20\d\d)\b")  # a year of the last four centuries
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"  # "March", "Sept.", "Jun"
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*[a-z]*|[a-z]+(?:['’][a-z]+)?", re.IGNORECASE)


def fold(text: str) -> str:
    """Lowercase, straight quotes, accents removed."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A light suffix stemmer: enough to match plural, possessive and verb forms."""
    word = word.replace("'", "")
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, keep in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            if suffix in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] and word[-1] in "bdgmnprt":
                word = word[:-1]  # "stopped", "running", "planned": the consonant doubled before the ending
            break
    return word.rstrip("e") if len(word) > 4 else word


def words(text: str) -> list[str]:
    """Lowercased words and numbers, with thousands separators removed ("11,000" -> "11000")."""
    out = []
    for match in _WORD.finditer(fold(text)):
        token = match.group(0)
        if token[0].isdigit():
            token = token.replace(",", "")
        elif "'" in token:
            token = token.split("'")[0]
        out.append(token)
    return out


def terms(text: str) -> list[str]:
    """Content terms: stemmed words without stopwords."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
