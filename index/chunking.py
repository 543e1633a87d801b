"""Split text into sentences and token-bounded chunks, keeping exact character offsets."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from index import offline  # noqa: F401  (tiktoken must find its files before it loads)

ENCODING = "cl100k_base"
CHUNKER_VERSION = 1

_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")
_LAST_SPACE = re.compile(r".*\s", re.DOTALL)  # greedy: matches up to the last whitespace
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "sq",
    "gen",
    "col",
    "lt",
    "sen",
    "rep",
    "gov",
    "jr",
    "sr",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "etc",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
}


@lru_cache(maxsize=1)
def encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"(\S+)$", text[max(0, dot - 12) : dot])
    if not word:
        return False
    token = word.group(1).lower().lstrip("(\"'“‘")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str) -> list[Span]:
    """Sentence spans (whitespace trimmed). Lines are always boundaries."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for end in _SENTENCE_END.finditer(text, line.start(), line.end()):
            if text[end.start()] == "." and _is_abbreviation(text, end.start()):
                continue
            spans.append(Span(start, end.end()))
            start = end.end()
        spans.append(Span(start, line.end()))
    return [_trim(text, s) for s in spans if text[s.start : s.end].strip()]


def _trim(text: str, span: Span) -> Span:
    piece = text[span.start : span.end]
    lead = len(piece) - len(piece.lstrip())
    return Span(span.start + lead, span.start + len(piece.rstrip()))


@dataclass(frozen=True)
class Chunk:
    number: int
    start: int
    end: int
    text: str
    tokens: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def _units(text: str, max_tokens: int) -> list[tuple[Span, int]]:
    """Sentences, with any sentence over the limit cut at word boundaries."""
    units: list[tuple[Span, int]] = []
    for sentence in split_sentences(text):
        tokens = count_tokens(text[sentence.start : sentence.end])
        if tokens <= max_tokens:
            units.append((sentence, tokens))
        else:
            units.extend(_split_long(text, sentence, max_tokens))
    return units


def _split_long(text: str, span: Span, max_tokens: int) -> list[tuple[Span, int]]:
    """Cut one over-long sentence into pieces of at most max_tokens, at spaces where possible."""
    enc = encoding()
    pieces: list[tuple[Span, int]] = []
    start = span.start
    while start < span.end:
        # Decoding max_tokens tokens gives a safe upper bound on the piece's characters.
        window = text[start : min(span.end, start + max_tokens * 8)]
        ids = enc.encode(window, disallowed_special=())
        if len(ids) <= max_tokens:
            end = start + len(window)  # the window may stop short of the sentence's end
        else:
            # (decoding a cut multi-byte character can add replacement characters: clamp)
            end = min(span.end, start + len(enc.decode(ids[:max_tokens])))
        if end < span.end:
            space = _LAST_SPACE.match(text, start + 1, end + 1)
            if space:
                end = space.end() - 1  # never cut a word when any whitespace (tab, NBSP, ...) is available
        while count_tokens(text[start:end]) > max_tokens:
            end -= max(1, (end - start) // 10)
        piece = _trim(text, Span(start, end))
        if piece.end > piece.start:
            pieces.append((piece, count_tokens(text[piece.start : piece.end])))
        start = end
        while start < span.end and text[start].isspace():
            start += 1
    return pieces


def chunk_text(text: str, max_tokens: int = 200, overlap: int = 40) -> list[Chunk]:
    """Pack whole sentences into chunks of at most max_tokens, repeating up to `overlap`
    tokens of trailing sentences at the start of the next chunk."""
    units = _units(text, max_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and total + units[j][1] <= max_tokens:
            total += units[j][1]
            j += 1
        j = max(j, i + 1)
        start, end = units[i][0].start, units[j - 1][0].end
        while j - 1 > i and count_tokens(text[start:end]) > max_tokens:
            j -= 1
            end = units[j - 1][0].end
        piece = text[start:end]
        chunks.append(Chunk(len(chunks), start, end, piece, count_tokens(piece)))
        if j >= len(units):
            break
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][1] <= overlap:
            back -= 1
            carried += units[back][1]
        i = back
    return chunks
