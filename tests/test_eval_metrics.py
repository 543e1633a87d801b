"""The eval's scoring rules (eval/README.md) against hand-computed cases: normalisation, per-item
metrics, summaries overall and by kind, and the reports (compare, Markdown, JSON, failures table)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import Console

from bot.answer.types import Answer, Citation, Turn
from bot.eval.metrics import (
    answer_correct,
    citation_precision,
    contains,
    first_evidence_rank,
    normalise_variants,
    percentile,
)
from bot.eval.questions import QuestionItem
from bot.eval.report import compare, failures_table, markdown, to_json
from bot.eval.runner import EvalRun, ItemResult, run_eval, score_item, summarise

# --- normalisation --------------------------------------------------------------------------


def test_normalise_variants_by_hand() -> None:
    spaced, removed = normalise_variants("“Hello,”   World’s\tEND!  11,000")
    assert spaced == " hello world s end 11 000"
    assert removed == " hello worlds end 11000"


@pytest.mark.parametrize(
    ("haystack", "needle"),
    [
        ("Kim described the deal as an “alliance”.", '"alliance"'),  # curly vs straight double quotes
        ('Kim described the deal as an "alliance".', "“alliance”"),
        ("the country’s leader", "country's leader"),  # curly vs straight apostrophe
        ("over 11,000 containers of munitions", "11000"),  # thousands separator in the text
        ("over 11000 containers of munitions", "11,000"),  # ... or in the accepted answer
        ("over 11,000 containers", "11,000 containers"),
        ("a Russian-made AURUS limousine", "aurus"),  # case
        ("Russian-made   Aurus\n\nlimousine", "made aurus limousine"),  # whitespace and hyphen
        ("Kim Jong-un said", "kim jong un"),  # punctuation to space
        ("sanctions by the U.S. Treasury", "US"),  # punctuation removed
        ("the 1950–1953 Korean War", "1950-1953"),  # en dash
        ("the ﬁrst summit", "first summit"),  # NFKC folds the ligature
        ("It remains valid indefinitely.", "valid indefinitely"),
        ("streets adorned with large portraits", "portrait"),  # a plural of the accepted answer
        ("the boxes arrived", "box"),
        ("it cost £2m", "£2"),
        ("rose 1.5 per cent", "1.5"),
    ],
)
def test_contains_matches_after_normalisation(haystack: str, needle: str) -> None:
    assert contains(haystack, needle)


@pytest.mark.parametrize(
    ("haystack", "needle"),
    [
        ("the treaty came into force in 2024", "24"),  # a number inside a longer number
        ("in 111,000 homes", "11,000"),
        ("13 people and 130 more", "130 people"),
        ("over 130 days", "13"),  # a number inside a longer number, at its start
        ("use the funds", "US"),
        ("a town in Indiana", "India"),
        ("about 5,000 people", "5"),
        ("cost £2.5m", "£2"),
        ("rose 15 per cent", "1.5"),
        ("Version 2.0 shipped", "2"),
        ("new software", "war"),  # a word inside a longer word
        ("the Aurus limousine", "Aurus car"),
        ("anything at all", ""),  # nothing to find never matches
        ("anything at all", " !?… "),
    ],
)
def test_contains_matches_from_the_start_of_a_word_only(haystack: str, needle: str) -> None:
    assert not contains(haystack, needle)


# --- per-item metrics -----------------------------------------------------------------------


def test_answer_correct() -> None:
    answers = ["11,000", "eleven thousand"]
    assert answer_correct("The US says over 11000 containers were sent. [1]", True, answers)
    assert answer_correct("ELEVEN THOUSAND containers [1]", True, answers)
    assert not answer_correct("The US says over 11000 containers were sent.", False, answers)  # declined
    assert not answer_correct("Dozens of missiles were sent. [1]", True, answers)
    assert not answer_correct("11,000 containers", True, [])


def test_answer_longer_than_400_characters_is_wrong() -> None:
    exactly = "11,000 containers " + "x" * (400 - 18)
    assert len(exactly) == 400
    assert answer_correct(exactly, True, ["11000"])
    assert not answer_correct(exactly + "x", True, ["11000"])


def test_first_evidence_rank() -> None:
    chunks = [
        "Putin and Kim signed a pact.",
        "The US said North Korea sent over 11,000 containers of munitions.",
        "Another chunk also says “over 11,000 containers”.",
    ]
    assert first_evidence_rank(chunks, ["over 11000 containers"]) == 2
    assert first_evidence_rank(chunks, ["not there", "signed a pact"]) == 1
    assert first_evidence_rank(chunks, ["a Russian-made Aurus limousine"]) is None
    assert first_evidence_rank([], ["signed a pact"]) is None


def test_citation_precision() -> None:
    evidence = ["North Korea had “unlawfully transferred dozens of ballistic missiles and over 11,000 containers"]
    good = 'The US said North Korea had "unlawfully transferred dozens of ballistic missiles and over 11000 containers.'
    inside = "dozens of ballistic missiles"  # a quote that lies inside the evidence counts too
    bad = "Putin arrived in Pyongyang at night."
    assert citation_precision([], evidence) == 0.0
    assert citation_precision([good], evidence) == 1.0
    assert citation_precision([inside], evidence) == 1.0
    assert citation_precision([good, bad], evidence) == 0.5
    assert citation_precision([bad, bad, good], evidence) == pytest.approx(1 / 3)
    assert citation_precision([bad], evidence) == 0.0


def test_percentile_interpolates_linearly() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # unsorted on purpose
    assert percentile(values, 0.5) == pytest.approx(25.0)  # position 1.5 -> 20 + 0.5 * 10
    assert percentile(values, 0.95) == pytest.approx(38.5)  # position 2.85 -> 30 + 0.85 * 10
    assert percentile(values, 0.0) == 10.0
    assert percentile(values, 1.0) == 40.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) == 0.0


# --- summaries ------------------------------------------------------------------------------


def result(
    id: str,
    kind: str,
    *,
    answerable: bool = True,
    answered: bool = True,
    correct: bool = False,
    rank: int | None = None,
    has_evidence: bool = True,
    precision: float | None = None,
    latency: float = 10.0,
) -> ItemResult:
    passed = correct if answerable else not answered
    return ItemResult(
        id, kind, f"question {id}?", answerable, answered, f"answer {id}", 0.5, [], [], rank, has_evidence,
        correct, precision, latency, passed, [] if passed else ["failed"],
    )  # fmt: skip


HAND_MADE = [
    result("a1", "factoid", correct=True, rank=1, precision=1.0, latency=10),
    result("a2", "factoid", correct=False, rank=3, precision=0.5, latency=20),
    result("a3", "number", answered=False, rank=None, precision=0.0, latency=30),
    result("a4", "number", correct=True, has_evidence=False, latency=40),  # no evidence: not in recall / MRR
    result("u1", "out-of-scope", answerable=False, answered=False, has_evidence=False, latency=50),
    result("u2", "unanswerable", answerable=False, answered=True, has_evidence=False, latency=60),
]


def test_summarise_hand_computed() -> None:
    s = summarise(HAND_MADE)
    assert s == {
        "questions": 6,
        "answer_accuracy": 0.5,  # a1, a4 of 4 answerable
        "declined_correctly": 0.5,  # u1 of u1, u2
        "wrongly_declined": 0.25,  # a3 of 4 answerable
        "recall_at_1": 0.3333,  # a1 of a1..a3 (a4 has no evidence)
        "recall_at_3": 0.6667,  # a1, a2
        "recall_at_5": 0.6667,
        "mrr": 0.4444,  # (1 + 1/3 + 0) / 3
        "citation_precision": 0.5,  # (1 + 0.5 + 0) / 3; a4 has no evidence to judge by
        "latency_p50_ms": 35.0,  # between 30 and 40
        "latency_p95_ms": 57.5,  # position 4.75 of 10..60
    }


def test_summarise_of_one_kind_leaves_what_does_not_apply_empty() -> None:
    s = summarise([HAND_MADE[4]])
    assert s["questions"] == 1
    assert s["declined_correctly"] == 1.0
    for key in ("answer_accuracy", "wrongly_declined", "recall_at_1", "recall_at_5", "mrr", "citation_precision"):
        assert s[key] is None, key
    assert s["latency_p50_ms"] == s["latency_p95_ms"] == 50.0


class FakePipeline:
    """Scripted answers and passages: the runner and scorer without an index."""

    passages: ClassVar[dict[str, str]] = {
        "doc#c0": "Putin and Kim went for a spin in a Russian-made Aurus limousine.",
        "doc#c1": "North Korea sent over 11,000 containers of munitions, the US said.",
        "doc#c2": "The pact replaces the 2000 treaty.",
        "doc#c3": "Weather in Pyongyang was warm.",
    }

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Turn]]] = []

    def retrieved_passages(self, chunk_ids: list[str], k: int) -> list[str]:
        return [self.passages[chunk_id] for chunk_id in chunk_ids[:k]]

    def answer(self, question: str, history=()) -> Answer:
        self.calls.append((question, list(history)))
        cite = lambda n, cid: Citation(n, "Doc", "doc.txt", "doc", cid, 0, 10, self.passages[cid])  # noqa: E731
        scripted = {
            "car?": Answer(question, "A Russian-made Aurus limousine. [1]", True, 0.9, [cite(1, "doc#c0")],
                           ["doc#c0", "doc#c1", "doc#c2"]),
            "containers?": Answer(question, "Over 11000 containers [1] [2]", True, 0.8,
                                  [cite(1, "doc#c1"), cite(2, "doc#c3")], ["doc#c3", "doc#c2", "doc#c1"]),
            "treaty?": Answer(question, "I couldn't find that.", False, 0.1, [], ["doc#c3", "doc#c0"]),
            "weather on mars?": Answer(question, "I couldn't find that.", False, 0.1, [], ["doc#c3"]),
            "capital of peru?": Answer(question, "Lima [1]", True, 0.6, [cite(1, "doc#c3")], ["doc#c3"]),
        }  # fmt: skip
        return scripted.get(question, Answer(question, "warm", False, 0.0))


ITEMS = [
    QuestionItem("q-car", "car?", "factoid", True, ["Aurus"], ["Aurus limousine"]),
    QuestionItem("q-num", "containers?", "number", True, ["11,000"], ["over 11,000 containers"], history=["car?"]),
    QuestionItem("q-treaty", "treaty?", "factoid", True, ["2000"], ["replaces the 2000 treaty"]),
    QuestionItem("q-mars", "weather on mars?", "out-of-scope", False),
    QuestionItem("q-peru", "capital of peru?", "out-of-scope", False),
]


def test_run_eval_scores_items_and_groups_by_kind() -> None:
    pipeline = FakePipeline()
    seen: list[str] = []
    run = run_eval("fake", pipeline, ITEMS, k=3, progress=lambda r: seen.append(r.id))
    assert seen == [i.id for i in ITEMS]
    assert pipeline.calls[0][0] == "warm-up question about the documents"  # warm before timing
    # A follow-up's earlier question is asked first, and its answer becomes the history the item gets.
    assert pipeline.calls[2] == ("car?", [])
    assert pipeline.calls[3] == ("containers?", [Turn("car?", "A Russian-made Aurus limousine. [1]")])

    by_id = {r.id: r for r in run.items}
    car, num, treaty, mars, peru = (by_id[i.id] for i in ITEMS)
    assert (car.correct, car.evidence_rank, car.citation_precision, car.passed) == (True, 1, 1.0, True)
    assert (num.correct, num.evidence_rank, num.citation_precision) == (True, 3, 0.5)
    assert (treaty.correct, treaty.evidence_rank, treaty.citation_precision, treaty.passed) == (False, None, 0.0, False)
    assert treaty.reasons == ["declined an answerable question", "no evidence in the top 2 chunks"]
    assert (mars.passed, mars.reasons, mars.citation_precision) == (True, [], None)
    assert (peru.passed, peru.reasons) == (False, ["answered a question the documents cannot answer"])
    assert num.citations[1]["chunk_id"] == "doc#c3" and num.retrieved == ["doc#c3", "doc#c2", "doc#c1"]

    s = run.summary
    assert s["questions"] == 5
    assert s["answer_accuracy"] == 0.6667
    assert s["declined_correctly"] == 0.5
    assert s["wrongly_declined"] == 0.3333
    assert (s["recall_at_1"], s["recall_at_3"], s["recall_at_5"]) == (0.3333, 0.6667, 0.6667)
    assert s["mrr"] == 0.4444  # (1 + 1/3 + 0) / 3
    assert s["citation_precision"] == 0.5  # (1 + 0.5 + 0) / 3

    assert list(run.by_kind) == ["factoid", "number", "out-of-scope"]
    factoid, number, oos = run.by_kind["factoid"], run.by_kind["number"], run.by_kind["out-of-scope"]
    assert (factoid["questions"], factoid["answer_accuracy"], factoid["wrongly_declined"]) == (2, 0.5, 0.5)
    assert (factoid["recall_at_1"], factoid["mrr"], factoid["citation_precision"]) == (0.5, 0.5, 0.5)
    assert (number["recall_at_1"], number["recall_at_3"], number["mrr"]) == (0.0, 1.0, 0.3333)
    assert (oos["questions"], oos["declined_correctly"], oos["answer_accuracy"]) == (2, 0.5, None)


def test_score_item_reports_a_long_answer() -> None:
    item = QuestionItem("long", "q?", "factoid", True, ["Aurus"], ["Aurus"])
    answer = Answer("q?", "Aurus " + "x" * 420, True, 0.9)
    scored = score_item(item, answer, ["an Aurus limousine"], 5.0)
    assert not scored.correct and not scored.passed
    assert scored.reasons == ["answer is 426 characters (limit 400)"]
    assert scored.citation_precision == 0.0  # answered without citing anything


# --- reports --------------------------------------------------------------------------------


def test_compare_lists_better_and_worse(tmp_path: Path) -> None:
    now = EvalRun(
        "qabot",
        summarise(HAND_MADE),
        {},
        [*HAND_MADE, result("new", "factoid", correct=True)],
    )
    previous = {
        "summary": {},
        "items": [
            {"id": "a1", "passed": False},  # passes now: better
            {"id": "a2", "passed": True},  # fails now: worse
            {"id": "a3", "passed": False},  # failed before and now: neither
            {"id": "a4", "passed": True},  # passed before and now: neither
            {"id": "u1", "passed": False},  # better
            {"id": "u2", "passed": True},  # worse
            {"id": "gone", "passed": True},  # no longer in the set: neither
        ],
    }
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(previous))
    better, worse = compare(path, now)
    assert better == ["a1", "u1"]
    assert worse == ["a2", "u2"]


def test_compare_with_itself_lists_nothing(tmp_path: Path) -> None:
    run = EvalRun("qabot", summarise(HAND_MADE), {}, HAND_MADE)
    path = tmp_path / "same.json"
    path.write_text(json.dumps(to_json([run])))
    assert compare(path, run) == ([], [])


def test_json_and_markdown_reports() -> None:
    qabot = EvalRun("qabot", summarise(HAND_MADE), {"factoid": summarise(HAND_MADE[:2])}, HAND_MADE)
    baseline = EvalRun("baseline", summarise(HAND_MADE[:2]), {}, HAND_MADE[:2])
    data = json.loads(json.dumps(to_json([qabot, baseline])))
    assert data["pipeline"] == "qabot" and data["summary"]["mrr"] == 0.4444
    assert data["by_kind"]["factoid"]["questions"] == 2
    assert [i["id"] for i in data["items"]] == [r.id for r in HAND_MADE]
    assert [r["pipeline"] for r in data["runs"]] == ["baseline"]

    text = markdown([qabot, baseline])
    assert "| metric | qabot | baseline |" in text
    assert "| mrr | 0.444 | " in text
    assert "## qabot: failing questions (3)" in text
    assert "- **a2** (factoid) question a2? — failed" in text


def test_failures_table_shows_document_text_verbatim() -> None:
    bad = result("x[/]", "factoid", correct=False)
    bad.answer = "See [/docs] and [bold]this[/bold] [1]"
    buffer = io.StringIO()
    Console(file=buffer, width=300).print(failures_table(EvalRun("qabot", {}, {}, [bad])))
    assert "x[/]" in buffer.getvalue()
    assert "See [/docs] and [bold]this[/bold] [1]" in buffer.getvalue()
