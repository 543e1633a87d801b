"""Typo correction against the documents' own words: "libary" finds "library", "netwrok" "network"."""

from __future__ import annotations

import re
import string
from collections.abc import Collection

from bot.answer.text import STOPWORDS

MIN_LENGTH = 4  # shorter words have too many neighbours one edit away
SUBSTITUTION_LENGTH = 7  # a changed letter only in longer words: "bonus" is no typo of "bones", "expire" of "expiry"
# corrections to common English (not the documents' words) only for longer words: "compo" is no typo of
# "como", nor "whens" of "when"
ENGLISH_LENGTH = 6
_WORD = re.compile(r"[A-Za-z]+")


def edits(word: str) -> set[str]:
    """Words one typing slip away that keep the first letter (people rarely mistype it): a letter
    dropped, added or swapped with the next, or, in a long word, changed."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b for a, b in splits for c in string.ascii_lowercase}
    if len(word) >= SUBSTITUTION_LENGTH:
        found |= {a + c + b[1:] for a, b in splits if b for c in string.ascii_lowercase}
    return found - {word}


class Speller:
    """Corrects a question's words that are neither the documents' nor common English (the embedding
    model's whole-word vocabulary) to the one document word a single slip away, else to the one common
    English word; a word with no such neighbour, or with several, stays as typed."""

    def __init__(self, document_words: Collection[str], english_words: Collection[str] = ()) -> None:
        self.document_words = set(document_words)
        self.english_words = set(english_words)

    def correct(self, question: str) -> str:
        return _WORD.sub(lambda m: self.correct_word(m.group(0)), question)

    def correct_word(self, word: str) -> str:
        lowered = word.lower()
        if len(word) < MIN_LENGTH or lowered in self.document_words or lowered in STOPWORDS:
            return word
        if lowered in self.english_words:
            return word
        slips = edits(lowered)
        candidates = slips & self.document_words
        if not candidates and len(word) >= ENGLISH_LENGTH:  # "acutally" is "actually" to the embedder too
            candidates = slips & self.english_words - STOPWORDS
        if len(candidates) != 1:
            return word
        fixed = candidates.pop()
        return fixed.capitalize() if word[0].isupper() else fixed
