"""The Discord renderer: splitting long answers and keeping every embed within Discord's limits (property tests)."""

from __future__ import annotations

import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer.types import Answer, Citation
from bot.apps.discord_render import (
    EMBED_FIELDS,
    MESSAGE_LIMIT,
    NOT_FOUND_HEADER,
    IndexedDocument,
    about_embed,
    documents_embed,
    embed_problems,
    render_answer,
    split_message,
    trim,
)

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=14)
marker = st.integers(1, 40).map(lambda n: f"[{n}]")
sentence = st.builds(
    lambda words, end, marks: " ".join(words) + end + "".join(f" {m}" for m in marks),
    st.lists(word, min_size=1, max_size=30),
    st.sampled_from([".", "?", "!", ""]),
    st.lists(marker, max_size=2),
)
inline_code = word.map(lambda w: f"`{w} {w}`")
code_block = st.builds(
    lambda lang, lines: f"```{lang}\n" + "\n".join(lines) + "\n```",
    st.sampled_from(["", "python", "yaml"]),
    st.lists(st.text(alphabet="abc xyz=()[]1234", max_size=60), min_size=1, max_size=12),
)
long_word = st.integers(50, 3000).map(lambda n: "x" * n)
separator = st.sampled_from([" ", " ", "\n", "\n\n"])
piece = st.one_of(sentence, sentence, sentence, inline_code, code_block, long_word)
document = st.lists(st.tuples(piece, separator), min_size=1, max_size=80).map(
    lambda parts: "".join(p + s for p, s in parts)
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_pieces(pieces: list[str], limit: int) -> None:
    for p in pieces:
        assert p and p == p.strip()
        assert len(p) <= limit
        assert p.count("```") % 2 == 0, "a piece opens a code block it does not close"


@FAST
@given(document, st.sampled_from([MESSAGE_LIMIT, 500, 120]))
def test_split_respects_the_limit_and_loses_nothing(text: str, limit: int) -> None:
    pieces = split_message(text, limit)
    check_pieces(pieces, limit)
    if all(len(b) <= limit for b in re.findall(r"```.*?```", text, re.S)):
        assert squash("".join(pieces)) == squash(text)  # only whitespace at the cuts is dropped


@FAST
@given(document)
def test_split_never_cuts_a_marker_or_an_inline_code_span(text: str) -> None:
    pieces = split_message(text, 300)
    for first, second in itertools.pairwise(pieces):
        assert not re.search(r"\[\d*$", first) or not re.match(r"^\d*\]", second)
    original_markers = re.findall(r"\[\d+\]", text)
    assert re.findall(r"\[\d+\]", "\n".join(pieces)) == original_markers
    assert not any(re.match(r"^\s*\[\d+\]", p) for p in pieces if not re.match(r"^\s*\[\d+\]", text))


def test_split_prefers_sentence_ends_and_keeps_markers_with_their_sentence() -> None:
    text = " ".join(f"Sentence number {n} says something useful about the treaty. [{n}]" for n in range(1, 80))
    pieces = split_message(text)
    assert len(pieces) > 1
    for p in pieces:
        assert re.search(r"\. \[\d+\]$", p), p[-40:]
        assert p.startswith("Sentence number")


def test_a_code_block_longer_than_a_message_is_refenced_per_piece() -> None:
    code = "```python\n" + "\n".join(f"value_{n} = {n} * 2" for n in range(400)) + "\n```"
    pieces = split_message(f"Here is the code:\n{code}\nThat was it.")
    assert len(pieces) >= 3
    check_pieces(pieces, MESSAGE_LIMIT)
    body = [line for p in pieces for line in p.splitlines() if line.startswith("value_")]
    assert body == [f"value_{n} = {n} * 2" for n in range(400)]
    assert all(p.startswith("```python") for p in pieces[1:-1])


def test_a_short_code_block_is_never_split() -> None:
    code = "```\n" + "\n".join("line" for _ in range(200)) + "\n```"  # ~1,000 characters
    pieces = split_message("Intro sentence. " * 80 + code + " Outro.")
    assert sum(code in p for p in pieces) == 1


titles = st.text(min_size=1, max_size=400).filter(str.strip)
quotes = st.text(max_size=3000)
citation = st.builds(
    lambda n, title, quote, url, page: Citation(n, title, "src", "doc", "doc#c0", 0, len(quote), quote, url, page),
    st.integers(1, 99),
    titles,
    quotes,
    st.one_of(
        st.none(), st.text(alphabet="abcdefghij/.", min_size=1, max_size=300).map(lambda p: f"https://x.org/{p}")
    ),
    st.one_of(st.none(), st.integers(1, 5000)),
)


@FAST
@given(st.lists(citation, max_size=40), st.text(min_size=0, max_size=6000), st.booleans(), st.booleans())
def test_every_embed_limit_holds(citations: list[Citation], text: str, answered: bool, embed: bool) -> None:
    answer = Answer("q?", text, answered, 0.5, citations, timings_ms={"total_ms": 12.0})
    reply = render_answer(answer, embed=embed)
    check_pieces(reply.contents, MESSAGE_LIMIT)
    assert reply.contents
    if reply.embed is not None:
        assert embed and citations
        assert embed_problems(reply.embed) == []
        assert len(reply.embed.fields) == min(len(citations), EMBED_FIELDS)


def test_the_sources_embed_shows_title_page_quote_and_links_go_in_content_without_preview() -> None:
    citations = [
        Citation(
            1, "The Treaty", "s", "t.txt", "t.txt#c0", 0, 10, "It was signed in June 2024.", "https://ex.org/t", 3
        ),
        Citation(2, "Notes", "s", "n.txt", "n.txt#c0", 0, 10, "Officials expressed concern."),
    ]
    reply = render_answer(Answer("q", "Signed in June 2024. [1] Concern followed. [2]", True, 0.9, citations))
    assert reply.contents == ["Signed in June 2024. [1] Concern followed. [2]\n🔗 [1] <https://ex.org/t>"]
    fields = reply.embed.fields
    assert fields[0].name == "[1] The Treaty · p. 3" and "signed in June 2024" in fields[0].value
    assert fields[1].name == "[2] Notes" and "https://" not in fields[1].value


def test_plain_sources_when_embeds_are_not_allowed() -> None:
    quote = "word " * 200
    citations = [Citation(1, "Doc", "s", "d", "d#c0", 0, 1, quote, "https://ex.org/d")]
    reply = render_answer(Answer("q", "Answer. [1]", True, 0.9, citations), embed=False)
    assert reply.embed is None
    text = "\n".join(reply.contents)
    assert "**Sources**" in text and "[1] **Doc**" in text and "<https://ex.org/d>" in text
    assert len(text) < 600  # the quote is trimmed


def test_a_declined_answer_is_marked_as_not_in_the_documents() -> None:
    answer = Answer("What is the capital of France?", "I couldn't find that in the documents.", False, 0.1)
    reply = render_answer(answer)
    assert reply.contents[0].startswith(NOT_FOUND_HEADER)
    assert reply.embed is None
    refused = render_answer(Answer("", "Please type a question.", False, 0.0, answerer="input-check"))
    assert NOT_FOUND_HEADER not in refused.contents[0]


def test_trim_cuts_at_a_word_with_an_ellipsis() -> None:
    assert trim("short", 10) == "short"
    assert trim("one two three four five", 12) == "one two…"
    assert len(trim("x" * 50, 10)) == 10


@FAST
@given(st.lists(st.tuples(titles, st.integers(1, 500), st.booleans()), max_size=300))
def test_documents_and_about_embeds_fit(docs: list[tuple[str, int, bool]]) -> None:
    documents = [
        IndexedDocument(f"doc-{n}.txt", title, count, "https://ex.org/d" if url else None)
        for n, (title, count, url) in enumerate(docs)
    ]
    assert embed_problems(documents_embed(documents)) == []
    assert embed_problems(about_embed(documents, "by quoting the documents.", ["/ask", "mention me"])) == []
