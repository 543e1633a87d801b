"""Load the corpus folder into documents, reporting every file that cannot be used."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

PAGE_SEPARATOR = "\n\n"  # between the pages of a PDF in Document.text


class CorpusError(Exception):
    """The corpus as a whole cannot be read (for example, the folder is missing)."""


_HEADING = re.compile(r"^#{1,6}[ \t]+(?P<md>.+)$|^(?P<rst>[^\n]+)\n[=\-~^\"'`#*+]{4,}[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """One source document. Citations point at character offsets into `text`."""

    doc_id: str  # path relative to the corpus folder, with forward slashes
    path: Path
    title: str
    text: str
    content_hash: str
    # url, date, publisher, kind, ... (scalars, plus `page_starts` for paged documents)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def page_starts(self) -> list[int] | None:
        """Offsets into `text` where each page starts (PDFs), or None."""
        starts = self.metadata.get("page_starts")
        return starts if isinstance(starts, list) and starts else None

    def section_at(self, offset: int) -> str | None:
        """The heading (Markdown `#` or reStructuredText underlined) in force at `offset`, if any."""
        found = None
        for match in _HEADING.finditer(self.text, 0, offset + 1):
            if match.start() > offset:
                break
            found = (match.group("md") or match.group("rst")).strip()
        return found

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding the character at `offset`, or None for unpaged documents."""
        starts = self.page_starts
        return max(1, bisect_right(starts, offset)) if starts else None


@dataclass(frozen=True)
class LoadProblem:
    """A file that was skipped, or (warning=True) one that was indexed but needs attention."""

    path: Path
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class UnusableFile(Exception):
    """Raised by a loader with a message that says what is wrong and what to do."""


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a leading `---` YAML block from the body. Broken YAML raises UnusableFile."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            header = "\n".join(lines[1:n])
            try:
                meta = yaml.safe_load(header) or {}
            except yaml.YAMLError as exc:
                raise UnusableFile(
                    f"its front matter is not valid YAML ({_yaml_problem(exc)}); fix the block between the '---' lines"
                ) from exc
            if not isinstance(meta, dict):
                raise UnusableFile("its front matter must be a YAML mapping such as 'title: ...'")
            return meta, "\n".join(lines[n + 1 :])
    raise UnusableFile("its front matter starts with '---' but never ends; add a closing '---' line")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A one-line description of a YAML error, with its line in the file (the block starts on line 2)."""
    what = " ".join(str(getattr(exc, "problem", None) or exc).split())
    mark = getattr(exc, "problem_mark", None)
    return f"{what} at line {mark.line + 2}, column {mark.column + 1}" if mark is not None else what


def decode_text(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise UnusableFile("it looks like a binary file (it contains NUL bytes); only text documents can be indexed")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableFile(f"it is not valid UTF-8 (bad byte at position {exc.start}); re-save it as UTF-8") from exc


Loader = Callable[[Path, bytes], tuple[str, dict[str, Any]]]


def load_plain(path: Path, raw: bytes) -> tuple[str, dict[str, Any]]:
    """Plain text and Markdown: an optional YAML front matter block, then the body as is. Without a
    title in the front matter, the first line is the title when it reads as one (a Markdown "# "
    heading; in plain text, a short line with no closing punctuation followed by the body)."""
    meta, body = split_front_matter(decode_text(raw))
    meta.pop("page_starts", None)  # page offsets come from paged formats, never from front matter
    if not meta.get("title"):
        title = first_line_title(body, markdown=path.suffix.lower() in (".md", ".markdown"))
        if title:
            meta["title"] = title
    return body, meta


HEADLINE_CHARS = 150


_ABBREVIATION_END = re.compile(r"\b[A-Za-z]{1,3}\.(?:[A-Za-z]{1,3}\.)+$")  # "p.c.", "U.S.", "a.m."


def is_title_cased(line: str) -> bool:
    """Most words of four letters or more start with a capital, as in a headline."""
    long_words = [w for w in line.split() if len(w) >= 4 and w[0].isalpha()]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) * 2 > len(long_words)


def first_line_title(body: str, markdown: bool) -> str | None:
    """The first non-empty line as a title: "# Heading" in Markdown; in plain text a headline, i.e. a
    line of 2+ words and at most HEADLINE_CHARS characters, not ending like a sentence, with text after it."""
    first, _, rest = body.strip().partition("\n")
    first = first.strip()
    if markdown:
        heading = re.match(r"#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", first)  # "# C#" keeps its "#"
        return heading.group(1).strip() if heading else None
    readable = len(first.split()) >= 2 and len(first) <= HEADLINE_CHARS and rest.strip()
    # "...Reservoirs Fall to 41 p.c.": a title-cased line ending with an abbreviation, not like a sentence
    abbreviated = _ABBREVIATION_END.search(first) and is_title_cased(first)
    ends_like_a_sentence = first.endswith((".", "!", "?", ":", ";", ",", "|")) and not abbreviated
    if not readable or ends_like_a_sentence or _NOT_A_HEADLINE.search(first):
        return None
    return first


# a byline, a list item, table row or quote, or a line that is only a date ("12 March 2024", "2024-03-12")
_NOT_A_HEADLINE = re.compile(
    r"^(?:by\s|posted\b|[-*+|>#•]|\d+[.)]\s)"
    r"|^(?:\w+day,?\s+)?(?:\d{1,2}\s+\w+|\w+\s+\d{1,2}(?:st|nd|rd|th)?),?\s+\d{4}\b.{0,20}$|^\d{4}-\d\d-\d\d\b",
    re.IGNORECASE,
)


# --- reStructuredText -------------------------------------------------------------------

_RST_ADORNMENT = re.compile(r"""^([=\-`:'"~^_*+#<>.])\1{2,}\s*$""")


def rst_title(text: str) -> str | None:
    """The text of the first section heading: a line underlined (and maybe overlined) with
    a repeated punctuation character at least as long as the line, like `Title\\n=====`."""
    lines = text.split("\n")
    for n in range(len(lines) - 1):
        line, under = lines[n].rstrip(), lines[n + 1].rstrip()
        if not line.strip() or _RST_ADORNMENT.match(line) or not _RST_ADORNMENT.match(under):
            continue
        title = line.strip()
        if len(under) < min(len(title), 4):
            continue  # docutils accepts a short underline with a warning; a 3-character one is noise
        over = lines[n - 1].rstrip() if n > 0 else ""
        overlined = bool(over) and _RST_ADORNMENT.match(over) is not None
        if n > 0 and over.strip() and not overlined:
            continue  # the last line of a paragraph, not a heading
        if overlined and over[0] != under[0]:
            continue
        return title
    return None


def load_rst(path: Path, raw: bytes) -> tuple[str, dict[str, Any]]:
    """reStructuredText: the body as is; the title from the first heading."""
    text = decode_text(raw)
    title = rst_title(text)
    return text, ({"title": title} if title else {})


# --- HTML ---------------------------------------------------------------------------------

_HTML_DROP = (
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "button",
    "select",
    "dialog",
)
_HTML_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_HTML_BLOCKS = (
    "address",
    "article",
    "blockquote",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
)
_HTML_DATE_META = (
    "article:published_time",
    "og:published_time",
    "date",
    "dc.date",
    "dcterms.date",
    "dc.date.issued",
    "citation_publication_date",
    "pubdate",
    "publishdate",
    "datepublished",
)


def _meta_content(soup: Any, *names: str) -> str | None:
    """The content of the first <meta> whose property, name or itemprop is one of `names`."""
    wanted = {n.lower() for n in names}
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = " ".join(str(tag.get("content") or "").split())
        for attr in ("property", "name", "itemprop"):
            key = str(tag.get(attr) or "").lower()
            if key in wanted and content and key not in found:
                found[key] = content
    return next((found[n.lower()] for n in names if n.lower() in found), None)


def _html_metadata(soup: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag else ""
    title = title or _meta_content(soup, "og:title", "twitter:title")
    if title:
        meta["title"] = title
    url = None
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        if "canonical" in ([rel] if isinstance(rel, str) else [r.lower() for r in rel]):
            url = str(link["href"]).strip()
            break
    url = url or _meta_content(soup, "og:url")
    if url:
        meta["url"] = url
    date = _meta_content(soup, *_HTML_DATE_META)
    if date:
        meta["date"] = date
    return meta


def _visible_text(root: Any) -> str:
    """The text of `root`, one line per paragraph, heading, list item or other block."""
    from bs4 import NavigableString

    for br in root.find_all("br"):
        br.replace_with(NavigableString("\n"))
    for block in root.find_all(_HTML_BLOCKS):
        block.insert_before(NavigableString("\n"))
        block.insert_after(NavigableString("\n"))
    lines = (" ".join(line.split()) for line in root.get_text().split("\n"))
    return "\n".join(line for line in lines if line)


def _html_soup(raw: bytes) -> Any:
    from bs4 import BeautifulSoup

    if b"\x00" in raw[:8192]:
        raise UnusableFile("it looks like a binary file (it contains NUL bytes), not an HTML page")
    try:
        markup: str | bytes = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        markup = raw  # let BeautifulSoup use the page's declared charset
    return BeautifulSoup(markup, "html.parser")


def load_html(path: Path, raw: bytes) -> tuple[str, dict[str, Any]]:
    """HTML: the main text only (no scripts, navigation, headers, footers, sidebars or forms),
    one line per block; title, URL and date from <title>, <link rel=canonical> and <meta>."""
    from bs4 import Comment, Declaration, Doctype, ProcessingInstruction

    soup = _html_soup(raw)
    meta = _html_metadata(soup)
    script_chars = sum(len(s.get_text()) for s in soup.find_all(("script", "style", "template")))
    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, Declaration, Doctype, ProcessingInstruction))):
        node.extract()
    for tag in soup.find_all(_HTML_DROP):
        if tag.decomposed:
            continue
        # An <article>'s own header holds its headline: keep it; drop the page's header and footer.
        if tag.name == "header" and tag.find_parent(("article", "main")) is not None:
            continue
        tag.decompose()
    for tag in soup.find_all(
        lambda t: (
            t.has_attr("hidden")
            or str(t.get("aria-hidden")).lower() == "true"
            or str(t.get("role") or "").lower() in _HTML_DROP_ROLES
        )
    ):
        if not tag.decomposed:
            tag.decompose()
    head = soup.find("head")
    if head is not None:
        head.decompose()
    candidates = soup.find_all("main") or sorted(soup.find_all("article"), key=lambda t: -len(t.get_text()))
    text = ""
    for root in [*candidates[:1], soup.find("body"), soup]:
        if root is not None and root.get_text().strip():
            text = _visible_text(root)
            break
    words = len(text.split())
    advice = (
        "if the page is built by JavaScript, save the page as the browser shows it (or print it to PDF) and index that"
    )
    if words == 0:
        detail = f" (only {script_chars:,} characters of script)" if script_chars else ""
        raise UnusableFile(f"it has no visible text{detail}; {advice}")
    if script_chars > 20 * len(text) and words < 50:
        raise UnusableFile(
            f"it is mostly script: {words} word{'s' if words != 1 else ''} of visible text next to "
            f"{script_chars:,} characters of script; {advice}"
        )
    return text, meta


# --- PDF ------------------------------------------------------------------------------------

_PDF_JUNK_TITLES = re.compile(r"^(untitled(-\d+)?|microsoft word - .*|document\d*|\(anonymous\))$", re.IGNORECASE)


def _pdf_reader(raw: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(raw))
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise UnusableFile(
            f"it is not a readable PDF ({type(exc).__name__}: {exc}); it may be damaged or only partly "
            "downloaded: download or export it again"
        ) from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # owner-password-only PDFs open with an empty password
        except DependencyError as exc:
            raise UnusableFile(
                f"it is encrypted and reading it needs an extra package ({exc}); install it, or save an "
                "unencrypted copy (e.g. `qpdf --decrypt in.pdf out.pdf`) and index that"
            ) from exc
        except Exception:
            opened = 0
        if not opened:
            raise UnusableFile(
                "it is encrypted (password-protected); save an unencrypted copy "
                "(e.g. `qpdf --decrypt --password=PASSWORD in.pdf out.pdf`) and index that"
            )
    return reader


def _pdf_title(reader: Any) -> str | None:
    try:
        info = reader.metadata
        title = " ".join(str(info.title or "").split()) if info is not None else ""
    except Exception:  # a damaged info dictionary only costs the title
        return None
    return title if title and not _PDF_JUNK_TITLES.match(title) else None


def load_pdf(path: Path, raw: bytes) -> tuple[str, dict[str, Any]]:
    """PDF: the text of each page, pages joined by a blank line; `page_starts` holds the offset
    where each page starts, so a chunk's page can be found; the title from the PDF's /Title."""
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # pypdf logs a warning for every quirk it recovers from
    try:
        reader = _pdf_reader(raw)
        count = len(reader.pages)
        pages: list[str] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                page_text = page.extract_text() or ""
            except Exception as exc:
                raise UnusableFile(
                    f"its page {number} cannot be read ({type(exc).__name__}: {exc}); it may be damaged: "
                    "download or export it again"
                ) from exc
            page_text = page_text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
            pages.append("\n".join(line.rstrip() for line in page_text.strip().split("\n")))
        title = _pdf_title(reader)
    except UnusableFile:
        raise
    except Exception as exc:
        raise UnusableFile(
            f"it is not a readable PDF ({type(exc).__name__}: {exc}); it may be damaged: download or export it again"
        ) from exc
    finally:
        pypdf_log.setLevel(level)
    if count == 0:
        raise UnusableFile("it has no pages; export it again")
    if not any(ch.isalnum() for page_text in pages for ch in page_text):
        raise UnusableFile(
            f"none of its {count} page(s) has a text layer (scanned? run OCR first, "
            "e.g. `ocrmypdf in.pdf out.pdf`, and index the result)"
        )
    starts, offset = [], 0
    for page_text in pages:
        starts.append(offset)
        offset += len(page_text) + len(PAGE_SEPARATOR)
    meta: dict[str, Any] = {"page_starts": starts, "pages": count}
    if title:
        meta["title"] = title
    return PAGE_SEPARATOR.join(pages), meta


LOADERS: dict[str, Loader] = {
    ".txt": load_plain,
    ".md": load_plain,
    ".markdown": load_plain,
    ".rst": load_rst,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}
SUPPORTED_SUFFIXES = tuple(LOADERS)  # LOADERS is the registry; this is derived from it


def load_document(path: Path, doc_id: str, max_bytes: int) -> Document:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        kinds = ", ".join(sorted(LOADERS))
        raise UnusableFile(f"unsupported file type '{path.suffix or '(none)'}'; supported: {kinds}")
    size = path.stat().st_size
    if size > max_bytes:
        raise UnusableFile(
            f"it is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; split it or raise QABOT_MAX_FILE_MB"
        )
    raw = path.read_bytes()
    text, meta = loader(path, raw)
    if not text.strip():
        raise UnusableFile("it has no text; add content or remove the file")
    # Title precedence: front matter (md/txt), else the format's own (HTML <title>, PDF /Title, rst
    # heading), else the file name.
    title = " ".join(str(meta.get("title") or "").split()) or path.stem.replace("-", " ").replace("_", " ")
    # the fingerprint covers what is indexed from the file: its bytes and the title derived from them, so a
    # change in how titles are found re-indexes the documents it affects
    fingerprint = hashlib.sha256(raw + b"\0" + title.encode()).hexdigest()
    return Document(doc_id, path, title, text, fingerprint, _clean_metadata(meta, len(text)))


def _is_page_starts(value: Any, length: int) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and value[0] == 0
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= length for v in value)
        and all(a <= b for a, b in pairwise(value))
    )


def _clean_metadata(meta: dict[str, Any], length: int) -> dict[str, Any]:
    """Scalars stay, other values become strings; `page_starts` stays a list of ints."""
    clean: dict[str, Any] = {}
    for key, value in meta.items():
        if key == "title":
            continue
        if key == "page_starts":
            if _is_page_starts(value, length):
                clean[key] = list(value)
        elif isinstance(value, (str, int, float, bool)):
            clean[key] = value
        else:
            clean[key] = str(value)
    return clean


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"The corpus folder {corpus_dir} does not exist. Create it and put documents in it, "
            "or set QABOT_CORPUS_DIR to the folder that holds them."
        )
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )


def load_corpus(corpus_dir: Path, max_file_mb: float = 20.0) -> tuple[list[Document], list[LoadProblem]]:
    """Every usable document in the folder, and a problem for each file that is not."""
    documents: list[Document] = []
    problems: list[LoadProblem] = []
    for path in corpus_files(corpus_dir):
        doc_id = path.relative_to(corpus_dir).as_posix()
        try:
            documents.append(load_document(path, doc_id, int(max_file_mb * 1e6)))
        except UnusableFile as exc:
            problems.append(LoadProblem(path, f"skipped: {exc}"))
        except OSError as exc:
            problems.append(LoadProblem(path, f"skipped: cannot read it ({exc.strerror}); check its permissions"))
    problems.extend(duplicate_title_warnings(documents))
    return documents, problems


def duplicate_title_warnings(documents: list[Document]) -> list[LoadProblem]:
    """One warning per title shared by several documents: all are indexed, but their
    citations would look alike."""
    by_title: dict[str, list[Document]] = {}
    for doc in documents:
        by_title.setdefault(" ".join(doc.title.casefold().split()), []).append(doc)
    warnings = []
    for same in by_title.values():
        if len(same) > 1:
            names = ", ".join(d.doc_id for d in same)
            warnings.append(
                LoadProblem(
                    same[-1].path,
                    f"warning: {len(same)} documents have the title {same[0].title!r} ({names}); all are indexed, "
                    "but their citations look alike: give each a distinct title (e.g. 'title:' in the front matter)",
                    warning=True,
                )
            )
    return warnings
