"""The loaders (txt/md, rst, html, pdf), metadata precedence, load problems and PDF page numbers.
Every input file is written by the test itself."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from index.build import chunk_records
from index.chunking import chunk_text
from index.documents import (
    LOADERS,
    PAGE_SEPARATOR,
    UnusableFile,
    load_corpus,
    load_document,
    load_html,
    load_pdf,
    load_rst,
    rst_title,
)

MB = 20_000_000


# --- helpers --------------------------------------------------------------------------------


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF, one Helvetica text object per page (one line per `\\n`); '' is a blank page."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(len(pages)))}] "
        f"/Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, text in enumerate(pages):
        shows = "".join(f"({_pdf_string(line)}) Tj T* " for line in text.split("\n") if line)
        content = f"BT /F1 11 Tf 13 TL 72 760 Td {shows}ET".encode("latin-1") if shows else b""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    info = ""
    if title is not None:
        objects.append(f"<< /Title ({_pdf_string(title)}) >>".encode("latin-1"))
        info = f" /Info {len(objects)} 0 R"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypt_pdf(raw: bytes, user_password: str, owner_password: str | None = None) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(raw))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")  # RC4 needs no extra package
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def load(path: Path):
    return load_document(path, path.name, MB)


PAGE_ONE = (
    "The first page opens the report. Alpha river levels rose in March.\n"
    "Engineers inspected the northern dam twice. They found no cracks in the concrete.\n"
    "The spillway gates were tested under load. All four gates opened within a minute.\n"
    "Sensors on the east bank were replaced. The old ones had failed in the winter storms."
)
PAGE_TWO = (
    "The second page covers the budget. Bravo funding doubled in April.\n"
    "The council approved the spending on Friday. Work on the new turbines starts in May.\n"
    "A second crew will be hired for the summer. Their contract runs until late September.\n"
    "Charlie the project manager signs off every invoice. Audits happen twice a year."
)


# --- registry --------------------------------------------------------------------------------


def test_every_format_is_registered_in_loaders():
    assert {".txt", ".md", ".markdown", ".rst", ".html", ".htm", ".pdf"} <= set(LOADERS)


def test_unsupported_suffix_lists_supported_kinds(tmp_path):
    with pytest.raises(UnusableFile, match=r"unsupported file type '\.docx'.*\.pdf"):
        load(write(tmp_path, "a.docx", b"PK"))


# --- PDF --------------------------------------------------------------------------------------


def test_hand_made_pdf_is_extractable_by_pypdf():
    reader = PdfReader(io.BytesIO(make_pdf([PAGE_ONE, PAGE_TWO], title="Dam Report")))
    assert len(reader.pages) == 2
    assert "northern dam" in reader.pages[0].extract_text()
    assert "Bravo funding" in reader.pages[1].extract_text()
    assert reader.metadata.title == "Dam Report"


def test_pdf_text_pages_and_title(tmp_path):
    doc = load(write(tmp_path, "dam-report.pdf", make_pdf([PAGE_ONE, PAGE_TWO], title="Dam Report 2024")))
    assert doc.title == "Dam Report 2024"  # PDF /Title beats the file name
    starts = doc.metadata["page_starts"]
    assert starts == [0, doc.text.index("The second page")]
    assert all(type(s) is int for s in starts)
    assert doc.text[: starts[1]].endswith(PAGE_SEPARATOR)
    assert "Alpha river" in doc.text[: starts[1]] and "Bravo funding" in doc.text[starts[1] :]
    assert doc.page_at(0) == 1 and doc.page_at(starts[1] - 1) == 1 and doc.page_at(starts[1]) == 2
    assert doc.metadata["pages"] == 2


def test_pdf_without_title_falls_back_to_file_name(tmp_path):
    doc = load(write(tmp_path, "annual_dam-report.pdf", make_pdf([PAGE_ONE])))
    assert doc.title == "annual dam report"
    assert doc.metadata["page_starts"] == [0]


def test_pdf_blank_pages_keep_page_offsets(tmp_path):
    text, meta = load_pdf(Path("x.pdf"), make_pdf([PAGE_ONE, "", PAGE_TWO]))
    starts = meta["page_starts"]
    assert len(starts) == 3
    assert text[starts[2] :].startswith("The second page")


def test_pdf_with_no_text_layer_says_run_ocr(tmp_path):
    with pytest.raises(UnusableFile, match=r"no.*text layer.*scanned\? run OCR first"):
        load(write(tmp_path, "scan.pdf", make_pdf(["", ""])))


def test_encrypted_pdf_is_reported(tmp_path):
    raw = encrypt_pdf(make_pdf([PAGE_ONE]), "secret")
    assert PdfReader(io.BytesIO(raw)).is_encrypted
    with pytest.raises(UnusableFile, match=r"encrypted \(password-protected\); save an unencrypted copy"):
        load(write(tmp_path, "locked.pdf", raw))


def test_pdf_with_only_an_owner_password_is_read(tmp_path):
    doc = load(write(tmp_path, "restricted.pdf", encrypt_pdf(make_pdf([PAGE_ONE]), "", "owner-secret")))
    assert "northern dam" in doc.text


@pytest.mark.parametrize("raw", [b"%PDF-1.4\nthis is not really a pdf\n" * 5, b"", "truncated"])
def test_corrupt_pdf_is_reported(tmp_path, raw):
    if raw == "truncated":
        raw = make_pdf([PAGE_ONE, PAGE_TWO])[:250]
    with pytest.raises(UnusableFile, match=r"not a readable PDF|has no text|cannot be read"):
        load(write(tmp_path, "broken.pdf", raw))


# --- HTML -------------------------------------------------------------------------------------

PAGE_HTML = """<!doctype html>
<html><head>
  <title>Dam   inspection finished</title>
  <meta property="og:title" content="OG title that loses">
  <link rel="canonical" href="https://example.org/news/dam">
  <meta property="article:published_time" content="2024-06-19T08:00:00Z">
  <style>.nav { color: red }</style>
  <script>window.trackingScriptText = "TRACKER";</script>
</head>
<body>
  <header><div class="logo">SITE HEADER TEXT</div></header>
  <nav><ul><li><a href="/">NAV HOME LINK</a></li><li>NAV ABOUT</li></ul></nav>
  <main>
    <article>
      <h1>Engineers finish dam inspection</h1>
      <p>The inspection ended on Monday. No cracks were found.</p>
      <p>Repairs are <em>not</em> needed this year.<br>The report is public.</p>
      <aside>SIDEBAR RELATED STORIES</aside>
      <form><label>NEWSLETTER SIGNUP</label><input></form>
      <script>document.write("INLINE SCRIPT TEXT")</script>
      <noscript>NOSCRIPT TEXT</noscript>
    </article>
  </main>
  <footer>FOOTER COPYRIGHT 2024</footer>
  <!-- COMMENT TEXT -->
</body></html>
"""


def test_html_keeps_main_text_and_drops_page_chrome(tmp_path):
    doc = load(write(tmp_path, "dam.html", PAGE_HTML))
    for gone in (
        "SITE HEADER",
        "NAV HOME",
        "NAV ABOUT",
        "SIDEBAR",
        "NEWSLETTER",
        "INLINE SCRIPT",
        "TRACKER",
        "NOSCRIPT",
        "FOOTER",
        "COMMENT",
        "color: red",
    ):
        assert gone not in doc.text
    assert doc.text.split("\n") == [
        "Engineers finish dam inspection",
        "The inspection ended on Monday. No cracks were found.",
        "Repairs are not needed this year.",
        "The report is public.",
    ]


def test_html_metadata_title_url_date(tmp_path):
    doc = load(write(tmp_path, "dam.htm", PAGE_HTML))
    assert doc.title == "Dam inspection finished"  # <title> beats og:title and the file name
    assert doc.metadata["url"] == "https://example.org/news/dam"
    assert doc.metadata["date"] == "2024-06-19T08:00:00Z"


def test_html_og_metadata_when_no_title_or_canonical(tmp_path):
    html = (
        '<html><head><meta property="og:title" content="From OG">'
        '<meta property="og:url" content="https://example.org/og"><meta name="date" content="2024-01-02">'
        "</head><body><p>Plain body text here.</p></body></html>"
    )
    doc = load(write(tmp_path, "page.html", html))
    assert (doc.title, doc.metadata["url"], doc.metadata["date"]) == ("From OG", "https://example.org/og", "2024-01-02")
    assert doc.text == "Plain body text here."


def test_html_without_main_uses_body_and_without_title_uses_file_name(tmp_path):
    html = "<html><body><nav>MENU</nav><div><h2>Heading</h2><p>One.</p><p>Two.</p></div></body></html>"
    doc = load(write(tmp_path, "plain-page.html", html))
    assert doc.text == "Heading\nOne.\nTwo."
    assert doc.title == "plain page"


def test_html_prefers_article_when_no_main(tmp_path):
    html = (
        "<html><body><div>Cookie banner words</div><article><p>Article text only.</p></article>"
        "<div>Trailing widget</div></body></html>"
    )
    text, _ = load_html(Path("a.html"), html.encode())
    assert text == "Article text only."


def test_html_that_is_mostly_script_is_reported(tmp_path):
    app = (
        "<html><head><title>App</title></head><body><div id='app'>Loading...</div>"
        "<noscript>You need to enable JavaScript to run this app.</noscript>"
        f"<script>{'var x = 1; ' * 3000}</script></body></html>"
    )
    with pytest.raises(UnusableFile, match=r"mostly script.*save the page as the browser shows it"):
        load(write(tmp_path, "app.html", app))
    empty = f"<html><body><div id='root'></div><script>{'render(); ' * 500}</script></body></html>"
    with pytest.raises(UnusableFile, match=r"no visible text"):
        load(write(tmp_path, "empty.html", empty))


def test_short_html_without_scripts_is_fine(tmp_path):
    assert load(write(tmp_path, "note.html", "<p>Short note.</p>")).text == "Short note."


# --- reStructuredText -------------------------------------------------------------------------

RST = """.. comment line

Dam Inspection Notes
====================

The inspection ended on Monday.

Findings
--------

No cracks were found.
"""


def test_rst_title_from_first_heading_and_body_kept(tmp_path):
    doc = load(write(tmp_path, "notes.rst", RST))
    assert doc.title == "Dam Inspection Notes"
    assert doc.text == RST


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("==========\n Overlined\n==========\n\nBody.\n", "Overlined"),
        ("Tilde Title\n~~~~~~~~~~~\nBody.\n", "Tilde Title"),
        ("Caret\n^^^^^\n", "Caret"),
        ("A paragraph line\nthat continues\n-----\n", None),  # underline under a paragraph's second line
        ("No heading at all.\n\nJust text.\n", None),
    ],
)
def test_rst_title_forms(text, title):
    assert rst_title(text) == title


def test_rst_without_heading_uses_file_name(tmp_path):
    assert load_rst(Path("x.rst"), b"Just text.\n") == ("Just text.\n", {})
    assert load(write(tmp_path, "field_notes.rst", "Just text.\n")).title == "field notes"


# --- Markdown / text: front matter and precedence ---------------------------------------------


def test_markdown_front_matter_title_beats_file_name(tmp_path):
    md = "---\ntitle: The Real Title\ndate: 2024-06-20\ntags: [a, b]\n---\n# Heading\n\nBody text.\n"
    doc = load(write(tmp_path, "file-name.md", md))
    assert doc.title == "The Real Title"
    assert doc.text == "# Heading\n\nBody text.\n"
    assert doc.metadata == {"date": "2024-06-20", "tags": "['a', 'b']"}  # non-scalars still become strings


def test_markdown_without_front_matter_uses_its_first_heading(tmp_path):
    doc = load(write(tmp_path, "my_notes-2024.md", "# Heading\n\nBody text.\n"))
    assert doc.title == "Heading"
    assert doc.text == "# Heading\n\nBody text.\n"


@pytest.mark.parametrize(
    ("name", "text", "title"),
    [
        ("reef.txt", "Coral cover falls by a third\nHard coral cover has fallen.\n", "Coral cover falls by a third"),
        ("my_notes-2024.md", "Body text first.\n\n# A later heading\n", "my notes 2024"),
        ("reef.txt", "The survey ended in March. Divers counted fish.\nMore text.\n", "reef"),
        ("reef.txt", "Coral cover falls by a third\n", "reef"),  # nothing after it: the line is the text
        ("reef.txt", "Summary:\nCoral cover fell.\n", "reef"),
        ("dry.txt", "Reservoirs Fall to 41 p.c.\n\nThe utility said so.\n", "Reservoirs Fall to 41 p.c."),
        ("dry.txt", "The meeting began at 9 a.m.\n\nIt ended at noon.\n", "dry"),  # a sentence, not a headline
        ("dry.txt", "Talks end in the U.S. today. Rain fell.\nMore text.\n", "dry"),
        ("reef.txt", "x" * 151 + " y\nBody.\n", "reef"),
        ("reef.txt", "12 March 2024\nBody.\n", "reef"),  # a dateline
        ("reef.txt", "By Jane Smith\nBody.\n", "reef"),  # a byline
        ("reef.txt", "- item one\nBody.\n", "reef"),
        ("notes.markdown", "# Heading here\n\nBody.\n", "Heading here"),
        ("lang.md", "# Why use C#\n\nBody.\n", "Why use C#"),
    ],
)
def test_a_headline_first_line_is_the_title(tmp_path, name, text, title):
    assert load(write(tmp_path, name, text)).title == title


def test_front_matter_cannot_claim_page_offsets(tmp_path):
    doc = load(write(tmp_path, "a.md", "---\ntitle: A\npage_starts: [0, 3]\n---\nBody text.\n"))
    assert "page_starts" not in doc.metadata and doc.page_starts is None


@pytest.mark.parametrize(
    ("md", "message"),
    [
        ("---\ntitle: [unclosed\n---\nBody.\n", r"not valid YAML \(expected .* at line 2, column \d+\); fix the block"),
        ("---\ntitle: Never closed\nBody.\n", r"never ends; add a closing '---' line"),
        ("---\n- a list\n---\nBody.\n", r"must be a YAML mapping"),
    ],
)
def test_markdown_with_broken_front_matter_is_reported(tmp_path, md, message):
    with pytest.raises(UnusableFile, match=message):
        load(write(tmp_path, "broken.md", md))


# --- the corpus: bad files reported, the rest loaded; duplicate titles warned ------------------


def test_bad_files_are_reported_and_the_rest_still_loads(tmp_path):
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nGood text.\n")
    write(tmp_path, "good.pdf", make_pdf([PAGE_ONE], title="Good PDF"))
    write(tmp_path, "page.html", PAGE_HTML)
    write(tmp_path, "sub/notes.rst", RST)
    bad = {
        "scan.pdf": "scanned? run OCR first",
        "locked.pdf": "encrypted",
        "broken.pdf": "not a readable PDF",
        "app.html": "mostly script",
        "front.md": "front matter",
    }
    write(tmp_path, "scan.pdf", make_pdf([""]))
    write(tmp_path, "locked.pdf", encrypt_pdf(make_pdf([PAGE_ONE]), "pw"))
    write(tmp_path, "broken.pdf", b"%PDF-1.7\n garbage garbage\n")
    write(tmp_path, "app.html", f"<body><p>Hi</p><script>{'x();' * 2000}</script></body>")
    write(tmp_path, "front.md", "---\ntitle: x\nBody.\n")
    documents, problems = load_corpus(tmp_path)
    assert sorted(d.doc_id for d in documents) == ["good.md", "good.pdf", "page.html", "sub/notes.rst"]
    assert {p.path.name: p.message for p in problems}.keys() == bad.keys()
    for problem in problems:
        assert problem.message.startswith("skipped: ") and not problem.warning
        assert bad[problem.path.name] in problem.message


def test_duplicate_titles_are_warned_but_both_indexed(tmp_path):
    write(tmp_path, "a.md", "---\ntitle: Dam Report\n---\nFirst text.\n")
    write(tmp_path, "b.html", "<html><head><title>Dam  report</title></head><body><p>Second text.</p></body></html>")
    write(tmp_path, "c.md", "---\ntitle: Other\n---\nThird text.\n")
    documents, problems = load_corpus(tmp_path)
    assert sorted(d.doc_id for d in documents) == ["a.md", "b.html", "c.md"]
    [warning] = problems
    assert warning.warning and warning.message.startswith("warning:")
    assert "a.md" in warning.message and "b.html" in warning.message and "c.md" not in warning.message
    assert "Dam Report" in warning.message and "distinct title" in warning.message


# --- page numbers into chunk metadata ----------------------------------------------------------


def test_chunk_records_carry_page_and_keep_page_starts_out(tmp_path):
    doc = load(write(tmp_path, "report.pdf", make_pdf([PAGE_ONE, PAGE_TWO], title="Report")))
    records = chunk_records(doc, chunk_text(doc.text, 32, 0))
    assert len(records) >= 4
    for record in records:
        assert "page_starts" not in record.metadata
        assert all(isinstance(v, (str, int, float, bool)) for v in record.metadata.values())
        assert record.metadata["page"] == (2 if record.metadata["start"] >= doc.metadata["page_starts"][1] else 1)
    assert {r.metadata["page"] for r in records} == {1, 2}
    page_two = doc.metadata["page_starts"][1]
    spanning = [r for r in records if r.metadata["start"] < page_two < r.metadata["end"]]
    assert spanning and all(r.metadata["page"] == 1 for r in spanning)  # the page holding the chunk's start
    md = load(write(tmp_path, "plain.md", "Some text. More text.\n"))
    assert "page" not in chunk_records(md, chunk_text(md.text, 32, 0))[0].metadata


def test_build_index_stores_page_numbers(tmp_path):
    from index.build import build_index
    from index.settings import Settings
    from index.store import IndexStore

    corpus = tmp_path / "corpus"
    write(corpus, "report.pdf", make_pdf([PAGE_ONE, PAGE_TWO], title="Dam Report"))
    write(corpus, "notes.md", "---\ntitle: Notes\n---\nA plain note without pages.\n")
    settings = Settings(
        QABOT_CORPUS_DIR=corpus,
        QABOT_INDEX_DIR=tmp_path / "index",
        QABOT_CHUNK_TOKENS=32,
        QABOT_CHUNK_OVERLAP=0,
        _env_file=None,
    )
    report = build_index(settings)
    assert report.problems == []
    chunks = IndexStore(settings).all_chunks()
    pdf_chunks = sorted((r for r in chunks if r.metadata["doc_id"] == "report.pdf"), key=lambda r: r.metadata["chunk"])
    assert len(pdf_chunks) >= 4
    assert [r.metadata["page"] for r in pdf_chunks] == sorted(r.metadata["page"] for r in pdf_chunks)
    assert {r.metadata["page"] for r in pdf_chunks} == {1, 2}
    page_two_starts = len(PAGE_ONE) + len(PAGE_SEPARATOR)
    for record in pdf_chunks:
        assert "page_starts" not in record.metadata
        assert record.metadata["page"] == (2 if record.metadata["start"] >= page_two_starts else 1)
    assert next(r for r in pdf_chunks if "Alpha river" in r.text).metadata["page"] == 1
    assert next(r for r in pdf_chunks if "Charlie" in r.text).metadata["page"] == 2
    [note] = [r for r in chunks if r.metadata["doc_id"] == "notes.md"]
    assert "page" not in note.metadata

    types = pytest.importorskip("bot.answer.types")
    passage = types.Passage.from_record(pdf_chunks[-1].id, pdf_chunks[-1].text, pdf_chunks[-1].metadata)
    assert passage.page == 2
