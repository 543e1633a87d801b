"""Typo correction against the documents' own words: "libary" finds "library", "netwrok" "network"."""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterable

from bot.answer.text import STOPWORDS, fold

MIN_LENGTH = 4  # shorter words have too many neighbours one edit away
MAX_LENGTH = 30  # longer "words" are not typos, and their edits would be costly
SUBSTITUTION_LENGTH = 7  # a changed letter only in longer words: "bonus" is no typo of "bones", "expire" of "expiry"
# corrections to common English (not the documents' words) only for longer words: "compo" is no typo of
# "como", nor "whens" of "when"
ENGLISH_LENGTH = 6
_WORD = re.compile(r"[^\W\d_]+")
# chat shorthand, read as the words it stands for when typed in lower case and not a word of the documents
# (a spun "final yr" keeps "yr"); "y", "n", "bc", "yr" are left: too often a letter, a name, an era or
# "your"; and "u",
# "ur": the model reads "can u list them" well, and "you" only moved retrieval (one evidence 1st -> 3rd)
CHAT_SHORTHAND = {
    "ppl": "people",
    "r": "are",
    "wat": "what",
    "wot": "what",
    "wut": "what",
    "yrs": "years",
    "hrs": "hours",
    "mins": "minutes",
    "govt": "government",
    "tho": "though",
    "thru": "through",
    "abt": "about",
    "cuz": "because",
    "coz": "because",
    "tmrw": "tomorrow",
    "smth": "something",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
}


def edits(word: str, substitutions: bool = True) -> set[str]:
    """Words one typing slip away that keep the first letter (people rarely mistype it): a letter
    dropped, added or swapped with the next, or, in a long word, changed."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b for a, b in splits for c in string.ascii_lowercase}
    if substitutions and len(word) >= SUBSTITUTION_LENGTH:
        found |= {a + c + b[1:] for a, b in splits if b for c in string.ascii_lowercase}
    return found - {word}


class Speller:
    """Corrects a question's words that are neither the documents' nor common English (the embedding
    model's whole-word vocabulary) to the one document word a single slip away, else to the one common
    English word; a word with no such neighbour, or with several, stays as typed. Function words are
    never the correction ("wheres" is not "whereas", "whens" not "when"), and a capitalised word is only
    corrected for a letter dropped, added or swapped, never changed: "Kowalska" is another person than
    "Kowalski", and stays a name the documents never mention."""

    def __init__(
        self, document_words: Collection[str], english_words: Collection[str] = (), texts: Iterable[str] = ()
    ) -> None:
        self.document_words = set(document_words) - STOPWORDS
        self.english_words = set(english_words) - STOPWORDS
        texts = list(texts)
        self.acronyms = written_out(texts)
        self.in_capitals = {fold(w) for text in texts for w in re.findall(r"\b[A-Z]{3,}(?=s?\b)", text)}
        self.known = set(document_words) | set(english_words) | STOPWORDS | set(self.acronyms)

    def expansions(self, text: str) -> list[str]:
        """What the question's acronyms stand for, where the documents spell them out: "AGM", "AGMs", or
        "agm" when the documents write "AGM" too, is their "Annual General Meeting". A word in lower case
        that is a word of the embedding model's vocabulary stays that word ("was"), and so does any word
        of a question in capitals throughout ("WHAT WAS CUT?"); chat ("hmmm") is never an acronym."""
        shouted = text.upper() == text
        found = []
        for word in _WORD.findall(text):
            folded = fold(word)
            if folded not in self.acronyms and folded.endswith("s") and word[:-1].isupper():
                folded = folded[:-1]  # "AGMs"
            phrase = self.acronyms.get(folded)
            written_so = word[:2].isupper() and not shouted
            common = folded in self.english_words or folded in STOPWORDS
            used = folded in self.in_capitals and not common
            if phrase and (written_so or used) and phrase not in found:
                found.append(phrase)
        return found

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda m: self.correct_word(m.group(0)), self.unabbreviate(text))

    def unabbreviate(self, text: str) -> str:
        """Chat shorthand written out: "how many ppl r there" -> "how many people are there" (not stuck to a
        number: "24hrs" is the documents' word, if anyone's)."""
        return _WORD.sub(
            lambda m: m.group(0) if text[m.start() - 1 : m.start()].isdigit() else self.shorthand(m.group(0)), text
        )

    def shorthand(self, word: str) -> str:
        if word in CHAT_SHORTHAND and word not in self.document_words:
            return CHAT_SHORTHAND[word]
        return word

    def correct_word(self, word: str) -> str:
        folded = fold(word)
        if not MIN_LENGTH <= len(word) <= MAX_LENGTH or folded in self.known or not folded.isascii():
            return word
        if folded.endswith("s") and folded[:-1] in STOPWORDS:  # "whats", "theres": a contraction
            return word
        slips = edits(folded, substitutions=not word[0].isupper())
        candidates = slips & self.document_words
        if not candidates and len(word) >= ENGLISH_LENGTH:  # "acutally" is "actually" to the embedder too
            candidates = slips & self.english_words
        if len(candidates) != 1:
            return word
        fixed = candidates.pop()
        if word.isupper():
            return fixed.upper()
        return fixed.capitalize() if word[0].isupper() else fixed


def corrections(asked: str, corrected: str) -> str:
    """The words a correction changed, for the reader: '"libary" as "library"'."""
    pairs = zip(_WORD.findall(asked), _WORD.findall(corrected), strict=False)
    return ", ".join(f"“{a}” as “{b}”" for a, b in dict.fromkeys(pairs) if a != b)


# a capitalised phrase of two to six words, "of/for" allowed inside: "Annual General Meeting", "Royal
# National Lifeboat Institution", "Department for Transport" (not "the": "Visit the Annual…"; not "and":
# "Soviet Union and North Korea" are two)
_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for)\s+)?[A-Z][a-z]+){1,5}\b")
_INSIDE = frozenset({"of", "for"})


def written_out(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms of three letters or more the texts' capitalised phrases spell out, by their initials
    without the small words ("agm" -> "annual general meeting"). A capitalised function word that opens a
    sentence is no part of the phrase ("In North Korea"), and an acronym two phrases share is left out."""
    found: dict[str, set[str]] = {}
    for text in texts:
        for match in _PHRASE.finditer(text):
            words = match.group(0).split()
            while words and words[0].lower() in STOPWORDS:
                words = words[1:]
            initials = "".join(w[0] for w in words if w.lower() not in _INSIDE).lower()
            if len(initials) >= 3:
                found.setdefault(initials, set()).add(" ".join(w.lower() for w in words))
    return {acronym: phrases.pop() for acronym, phrases in found.items() if len(phrases) == 1}
