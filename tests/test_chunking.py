"""Properties of the sentence splitter and the token chunker."""

from __future__ import annotations

import time
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.chunking import chunk_text, count_tokens, split_sentences

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Arbitrary text, weighted towards whitespace, punctuation and line breaks.
any_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("  \n\n\t.!?\"')Ab1")),
    ),
    max_size=1500,
)

# Prose-like text: short words, sentence punctuation, spaces and newlines between words.
# Some "words" are long single tokens (rules, underlines) and separators include tabs and
# no-break spaces: both once made the chunker cut inside a word.
word = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'-,é", min_size=1, max_size=12),
    st.sampled_from(["=" * 64, "-" * 48, "_" * 32, "https://example.com/a/long/path/page.html"]),
)
separator = st.sampled_from(
    [" ", " ", " ", " ", "\t", "\u00a0", ". ", "! ", "? ", ".\n", "\n", "\n\n", ", ", ".  ", ' "', ". Dr. "]
)
prose = st.lists(st.tuples(word, separator), min_size=0, max_size=400).map(
    lambda parts: "".join(w + s for w, s in parts)
)

limits = st.tuples(st.integers(16, 120), st.integers(0, 40))


def _check_chunks(text: str, max_tokens: int, overlap: int):
    chunks = chunk_text(text, max_tokens, overlap)
    covered = bytearray(len(text))
    for n, c in enumerate(chunks):
        assert c.number == n
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
        assert c.tokens == count_tokens(c.text) <= max_tokens
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    missed = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not missed, f"characters not in any chunk at {missed[:5]}"
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    if not text.strip():
        assert chunks == []
    return chunks


@FAST
@given(any_text, limits)
def test_chunks_cover_text_exactly_within_token_limit(text: str, limit: tuple[int, int]) -> None:
    _check_chunks(text, *limit)


@FAST
@given(prose, limits)
def test_chunks_never_cut_words(text: str, limit: tuple[int, int]) -> None:
    chunks = _check_chunks(text, *limit)
    for c in chunks:
        before = text[c.start - 1] if c.start > 0 else " "
        after = text[c.end] if c.end < len(text) else " "
        assert before.isspace(), f"chunk {c.number} starts inside a word: {text[c.start - 10 : c.start + 10]!r}"
        assert after.isspace(), f"chunk {c.number} ends inside a word: {text[c.end - 10 : c.end + 10]!r}"


@FAST
@given(prose, limits)
def test_overlap_repeats_only_whole_sentences_within_budget(text: str, limit: tuple[int, int]) -> None:
    max_tokens, overlap = limit
    chunks = chunk_text(text, max_tokens, overlap)
    for previous, current in pairwise(chunks):
        assert previous.start < current.start  # always progresses
        if current.start < previous.end:  # overlapping: the shared part is at most `overlap` tokens
            assert count_tokens(text[current.start : previous.end]) <= overlap + 2


@FAST
@given(st.one_of(any_text, prose))
def test_sentences_trimmed_in_order_and_covering(text: str) -> None:
    spans = split_sentences(text)
    covered = bytearray(len(text))
    last_end = 0
    for s in spans:
        piece = text[s.start : s.end]
        assert piece and piece == piece.strip()
        assert "\n" not in piece  # lines are always boundaries
        assert s.start >= last_end
        last_end = s.end
        covered[s.start : s.end] = b"\x01" * (s.end - s.start)
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())


def test_one_megabyte_line_without_punctuation() -> None:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    text = " ".join(words[i % 8] + str(i % 97) for i in range(120_000))[:1_000_000]
    text = text[: text.rfind(" ")]
    started = time.perf_counter()
    chunks = chunk_text(text, 200, 40)
    elapsed = time.perf_counter() - started
    assert elapsed < 30
    assert len(chunks) > 1000
    assert all(c.tokens <= 200 and text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in pairwise(chunks):
        assert b.start == a.end + 1 and text[a.end] == " "  # one long sentence: cut at spaces, no gap


def test_one_long_word_is_cut_within_limit() -> None:
    text = "x" * 5000 + " tail."
    chunks = _check_chunks(text, 50, 10)
    assert len(chunks) > 2 and chunks[-1].text.endswith("tail.")


def test_regressions_found_by_hypothesis() -> None:
    # tabs were not cut points: the chunk ended inside "0A0000A0A"
    chunks = _check_chunks("0A0A\t0A0A\t0A0000A0A ", 16, 0)
    assert [c.text for c in chunks] == ["0A0A\t0A0A", "0A0000A0A"]
    # a 128-character window of 3 tokens was taken whole, ending inside the second rule
    text = "0 0 0 0 0A0A0 " + ("=" * 64 + " ") * 2
    assert [c.text for c in _check_chunks(text, 16, 0)] == ["0 0 0 0 0A0A0 " + "=" * 64, "=" * 64]
    # decoding a token prefix that splits a 4-byte character added replacement characters
    _check_chunks("0:0:0\x81\x81\U00010000\U0001e000", 16, 0)


def test_abbreviations_and_initials_do_not_split() -> None:
    text = (
        "Dr. Smith met Mr. Jones at 10 a.m. on Jan. 5 in the U.S. Embassy. "
        "They discussed e.g. Trade. J. R. R. Tolkien was mentioned.\nNew line here! Is it? Yes."
    )
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "Dr. Smith met Mr. Jones at 10 a.m. on Jan. 5 in the U.S. Embassy.",
        "They discussed e.g. Trade.",
        "J. R. R. Tolkien was mentioned.",
        "New line here!",
        "Is it?",
        "Yes.",
    ]


def test_sentences_split_after_closing_quote_and_digits() -> None:
    text = 'He said "Stop." Then he left. 2024 was busy.'
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        'He said "Stop."',
        "Then he left.",
        "2024 was busy.",
    ]


def test_chunks_pack_whole_sentences() -> None:
    sentences = [f"Sentence number {n} is about the river." for n in range(40)]
    text = " ".join(sentences)
    chunks = chunk_text(text, 60, 15)
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.startswith("Sentence number") and c.text.endswith("river.")
    # overlap: each chunk after the first starts with the last sentence(s) of the one before
    for a, b in pairwise(chunks):
        assert b.start < a.end
