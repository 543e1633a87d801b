"""Render an `Answer` for Discord: message texts within 2,000 characters and a sources embed within every limit.

Pure functions: no network, no bot. `render_answer` is what the bot sends; `split_message` is the splitter it
uses, exposed for tests. Long texts are split at paragraph, line, sentence or word boundaries, in that order
of preference, and never inside a citation marker like [12], an inline `code` span or a ``` code block (a
code block longer than one message is cut at its lines and each piece fenced again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.answer.types import Answer, Citation

# Discord's limits, https://discord.com/developers/docs/resources/message#embed-object-embed-limits
MESSAGE_LIMIT = 2000
EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048

ANSWERED_COLOUR = discord.Colour.green()
DECLINED_COLOUR = discord.Colour.gold()
NOT_FOUND_HEADER = "🔎 **Not in the documents**"
PLAIN_QUOTE_CHARS = 300  # per quote in the plain-text sources (no embed permission)

_MARKER = re.compile(r"\[\d+\]")
_NEXT_IS_MARKER = re.compile(r"\s*\[\d+\]")
_INLINE_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")
_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*(?:[ \t]*\[\d+\])*(?=\s)")
_SPACE = re.compile(r"(?<!\s)\s+(?!\s)(?!\[\d+\])")  # a whole run of spaces, not the one before a marker


@dataclass
class Reply:
    """What to send for one answer: one or more message texts; the embed (if any) goes with the last one."""

    contents: list[str]
    embed: discord.Embed | None = None


# --- splitting ----------------------------------------------------------------------------------


def _fence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each ``` block, fences included; pairs fences in order."""
    fences = [m.start() for m in re.finditer("```", text)]
    return [(fences[i], fences[i + 1] + 3) for i in range(0, len(fences) - 1, 2)]


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans no split may fall strictly inside: code blocks, inline code, citation markers."""
    blocks = _fence_spans(text)

    def outside_blocks(start: int) -> bool:
        return not any(s <= start < e for s, e in blocks)

    spans = list(blocks)
    spans += [m.span() for m in _INLINE_CODE.finditer(text) if outside_blocks(m.start())]
    spans += [m.span() for m in _MARKER.finditer(text) if outside_blocks(m.start())]
    return spans


def _allowed(position: int, spans: Sequence[tuple[int, int]], text: str = "") -> bool:
    """Not inside a protected span, and not just before a citation marker (which would be orphaned)."""
    if any(s < position < e for s, e in spans):
        return False
    return not _NEXT_IS_MARKER.match(text, position)


def _refence_long_blocks(text: str, limit: int) -> str:
    """Cut each code block longer than `limit` into consecutive blocks that each fit, cutting at lines."""
    if text.count("```") % 2:
        text += "\n```"  # an unclosed block runs to the end anyway: close it so every piece can be fenced
    out, last = [], 0
    for start, end in _fence_spans(text):
        block = text[start:end]
        out.append(text[last:start])
        last = end
        if len(block) <= limit:
            out.append(block)
            continue
        inner = block[3:-3]
        newline = inner.find("\n")
        header = "```" + (inner[: newline + 1] if newline != -1 else "")
        body = inner[newline + 1 :] if newline != -1 else inner
        closing = "\n```" if header.endswith("\n") else "```"
        budget = max(1, limit - len(header) - len(closing))
        pieces: list[str] = []
        current = ""
        for line in body.rstrip("\n").split("\n"):
            while len(line) > budget:  # one line longer than a message: hard cut
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(line[:budget])
                line = line[budget:]
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) > budget:
                pieces.append(current)
                current = line
            else:
                current = candidate
        if current or not pieces:
            pieces.append(current)
        out.append("\n".join(header + piece + closing for piece in pieces))
    out.append(text[last:])
    return "".join(out)


def _cut_position(text: str, limit: int) -> int:
    """Where to cut `text` (longer than `limit`) so that text[:position].rstrip() fits in `limit`."""
    spans = _protected(text)
    best_any = 0
    for pattern in (_PARAGRAPH, _LINE, _SENTENCE, _SPACE):
        positions = [m.end() if pattern is _SENTENCE else m.start() for m in pattern.finditer(text, 0, limit + 1)]
        positions = [p for p in positions if 0 < p <= limit and _allowed(p, spans, text)]
        if positions:
            best = max(positions)
            if best >= limit // 2:
                return best
            best_any = max(best_any, best)
    if best_any:
        return best_any
    # No boundary at all (one very long word): cut it, preferably where no span or marker suffers.
    fallback = [p for p in range(limit, limit // 2, -1) if _allowed(p, spans, text)]
    return fallback[0] if fallback else limit


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split `text` into stripped, non-empty pieces of at most `limit` characters."""
    rest = _refence_long_blocks(text.strip(), limit).strip()
    pieces = []
    while len(rest) > limit:
        position = _cut_position(rest, limit)
        piece = rest[:position].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[position:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


# --- trimming -----------------------------------------------------------------------------------


def trim(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _water_fill(lengths: Sequence[int], budget: int, cap: int) -> list[int]:
    """Share `budget` characters among items wanting `lengths`, each at most `cap`; short items keep theirs."""
    wanted = [min(n, cap) for n in lengths]
    if sum(wanted) <= budget:
        return wanted
    shares = [0] * len(wanted)
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    left = budget
    for rank, i in enumerate(order):
        fair = left // (len(order) - rank)
        shares[i] = min(wanted[i], fair)
        left -= shares[i]
    return shares


# --- the answer ---------------------------------------------------------------------------------


def _where(c: Citation) -> str:
    return f"{c.title}" + (f" · p. {c.page}" if c.page else "") + (f" · § {c.section}" if c.section else "")


def _links(citations: Sequence[Citation]) -> str:
    """One line of links for the cited documents that have a URL, in <> so Discord shows no preview."""
    seen: dict[str, list[int]] = {}
    for c in citations:
        if c.url:
            seen.setdefault(c.url, []).append(c.n)
    if not seen:
        return ""
    parts = [" ".join(f"[{n}]" for n in numbers) + f" <{url}>" for url, numbers in seen.items()]
    return "🔗 " + " · ".join(parts)


def sources_embed(answer: Answer, footer: str | None = None) -> discord.Embed:
    """The cited passages as embed fields, every Discord embed limit respected."""
    citations = list(answer.citations)
    embed = discord.Embed(
        title=trim(f"Sources ({len(citations)})", EMBED_TITLE),
        colour=ANSWERED_COLOUR if answer.answered else DECLINED_COLOUR,
    )
    shown = citations if len(citations) <= EMBED_FIELDS else citations[: EMBED_FIELDS - 1]
    rest = citations[len(shown) :]
    names = [f"[{c.n}] {_where(c)}" for c in shown]
    values = [f"“{' '.join(c.quote.split())}”" if c.quote.strip() else "(no quote)" for c in shown]
    if rest:
        names.append(f"{len(rest)} more source(s)")
        values.append("; ".join(f"[{c.n}] {_where(c)}" for c in rest))
    footer = trim(footer, FOOTER_TEXT) if footer else None
    budget = EMBED_TOTAL - len(embed.title or "") - len(footer or "") - 10
    name_budget = _water_fill([len(n) for n in names], budget * 3 // 10, FIELD_NAME)
    names = [trim(n, max(4, b)) for n, b in zip(names, name_budget, strict=True)]
    value_budget = _water_fill([len(v) for v in values], budget - sum(map(len, names)), FIELD_VALUE)
    for name, value, room in zip(names, values, value_budget, strict=True):
        embed.add_field(name=name, value=trim(value, max(4, room)), inline=False)
    if footer:
        embed.set_footer(text=footer)
    return embed


def plain_sources(citations: Sequence[Citation]) -> str:
    """The sources as message text, for channels where the bot may not embed."""
    lines = ["**Sources**"]
    for c in citations:
        line = f"[{c.n}] **{_where(c)}**: “{trim(c.quote, PLAIN_QUOTE_CHARS)}”"
        if c.url:
            line += f" <{c.url}>"
        lines.append(line)
    return "\n".join(lines)


def answer_text(answer: Answer) -> str:
    """The answer's own text: marked when the documents do not hold the answer, with the notice if any."""
    text = answer.answer.strip() or "(no answer text)"
    if not answer.answered and answer.answerer != "input-check":
        text = f"{NOT_FOUND_HEADER}\n{text}"
    if answer.notice:
        text += f"\n*{answer.notice.strip()}*"
    return text


def footer_text(answer: Answer) -> str:
    total = answer.timings_ms.get("total_ms")
    parts = [f"confidence {answer.confidence:.2f}"]
    if total is not None:
        parts.append(f"{total:.0f} ms")
    parts.append(answer.answerer)
    return " · ".join(parts)


def render_answer(answer: Answer, *, embed: bool = True, limit: int = MESSAGE_LIMIT) -> Reply:
    """Message texts for `answer`, plus a sources embed when `embed` (else the sources as plain text)."""
    text = answer_text(answer)
    if not answer.citations:
        return Reply(split_message(text, limit))
    if not embed:
        return Reply(split_message(f"{text}\n\n{plain_sources(answer.citations)}", limit))
    links = _links(answer.citations)
    return Reply(
        split_message(f"{text}\n{links}" if links else text, limit), sources_embed(answer, footer_text(answer))
    )


def embed_problems(embed: discord.Embed) -> list[str]:
    """Every way `embed` breaks a Discord limit (empty when it is fine); used by tests and as a guard."""
    problems = []
    if embed.title and len(embed.title) > EMBED_TITLE:
        problems.append("title")
    if embed.description and len(embed.description) > EMBED_DESCRIPTION:
        problems.append("description")
    if len(embed.fields) > EMBED_FIELDS:
        problems.append("field count")
    for field in embed.fields:
        if not field.name or len(field.name) > FIELD_NAME:
            problems.append(f"field name {field.name!r:.40}")
        if not field.value or len(field.value) > FIELD_VALUE:
            problems.append(f"field value {field.value!r:.40}")
    if embed.footer.text and len(embed.footer.text) > FOOTER_TEXT:
        problems.append("footer")
    if len(embed) > EMBED_TOTAL:
        problems.append(f"total {len(embed)}")
    return problems


# --- /sources and /about ------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedDocument:
    doc_id: str
    title: str
    passages: int
    url: str | None = None


def documents_embed(documents: Sequence[IndexedDocument]) -> discord.Embed:
    """The indexed documents, one line each, cut off with a count when they do not fit."""
    embed = discord.Embed(title=f"Indexed documents ({len(documents)})", colour=discord.Colour.blurple())
    lines = []
    for d in documents:
        line = f"• **{trim(d.title, 120)}** · `{trim(d.doc_id, 120)}` · {d.passages} passage(s)"
        lines.append(line + (f" · <{d.url}>" if d.url and len(d.url) <= 500 else ""))
    if not lines:
        embed.description = "Nothing is indexed yet: put documents in the corpus folder and run /reindex."
        return embed
    room = EMBED_DESCRIPTION - 40
    shown: list[str] = []
    for line in lines:
        if sum(len(s) + 1 for s in shown) + len(line) > room:
            break
        shown.append(line)
    if len(shown) < len(lines):
        shown.append(f"…and {len(lines) - len(shown)} more.")
    embed.description = "\n".join(shown)
    return embed


def about_embed(documents: Sequence[IndexedDocument], answerer: str, ways: Sequence[str]) -> discord.Embed:
    """What the bot knows and how it answers."""
    titles = ", ".join(d.title for d in documents[:15]) + (
        f" and {len(documents) - 15} more" if len(documents) > 15 else ""
    )
    embed = discord.Embed(title="About qabot", colour=discord.Colour.blurple())
    embed.description = trim(
        f"I answer questions about {len(documents)} document(s): {titles or 'none yet'}.", EMBED_DESCRIPTION
    )
    embed.add_field(
        name="How I answer",
        value=trim(
            "I search the documents by meaning and by keywords, then answer "
            + answerer
            + " Every claim carries a marker like [1] pointing at the quoted passage under the answer. "
            "If the documents do not say, I tell you so instead of guessing.",
            FIELD_VALUE,
        ),
        inline=False,
    )
    embed.add_field(name="How to ask", value=trim(" · ".join(ways), FIELD_VALUE), inline=False)
    embed.add_field(
        name="Feedback",
        value="Press 👍 or 👎 under an answer. Votes are stored with a hashed user id and help improve the answers.",
        inline=False,
    )
    return embed
