"""Scoring rules of the question set (see eval/README.md): normalisation and per-item metrics."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _base(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()


def normalise_variants(text: str) -> tuple[str, str]:
    """(punctuation to space, punctuation removed), each with whitespace collapsed and led by a space, so
    that a match starts at the start of a word."""
    base = _base(text)
    spaced = re.sub(r"[\W_]+", " ", base).strip()
    removed = re.sub(r"\s+", " ", re.sub(r"[^\w\s]+|_", "", base)).strip()
    return f" {spaced}", f" {removed}"


def contains(haystack: str, needle: str) -> bool:
    """True when the needle occurs in the haystack under either normalisation, as whole words (a word may
    take a plural ending) and whole numbers: the scoring rules' "occurs", except that "24" is not found
    in "2024" nor "war" in "software"; an accepted "portrait" is found in "portraits", as the answers expect."""
    h, n = normalise_variants(haystack), normalise_variants(needle)
    found = any(nv.strip() and re.search(_as_found(nv), hv) for hv, nv in zip(h, n, strict=True))
    return found and _same_number(haystack, needle)


def _as_found(needle: str) -> str:
    """A word may take a plural ending ("portrait" in "portraits", not "US" in "use"); a number must end
    where the haystack's number ends ("13" is not found in "130")."""
    return re.escape(needle) + (r"(?!\d)" if needle[-1].isdigit() else r"(?:e?s)?\b")


def _same_number(haystack: str, needle: str) -> bool:
    """A needle ending in a number finds that whole number, decimals and thousands included: "5" is not in
    "5,000", "£2" not in "£2.5m", "1.5" not in "15"."""
    number = re.search(r"\d[\d,.]*$", _base(needle).strip())
    if not number:
        return True
    value = re.sub(r"(?<=\d),(?=\d)", "", number.group(0)).rstrip(".,")
    text = re.sub(r"(?<=\d),(?=\d)", "", _base(haystack))
    return bool(re.search(rf"(?<![\d.]){re.escape(value)}(?![.,]?\d)", text))


def answer_correct(body: str, answered: bool, answers: list[str], max_chars: int = 400) -> bool:
    return answered and len(body) <= max_chars and any(contains(body, a) for a in answers)


def first_evidence_rank(chunk_texts: list[str], evidence: list[str]) -> int | None:
    """1-based rank of the first chunk holding some evidence string, or None."""
    for rank, text in enumerate(chunk_texts, start=1):
        if any(contains(text, e) for e in evidence):
            return rank
    return None


def citation_precision(quotes: list[str], evidence: list[str]) -> float:
    """Share of cited passages that hold an evidence string (or lie inside one); 0 when nothing is cited."""
    if not quotes:
        return 0.0
    good = sum(1 for q in quotes if any(contains(q, e) or contains(e, q) for e in evidence))
    return good / len(quotes)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
