"""Year arithmetic: the two events of a "how many years between" question, and the years a sentence
dates things to."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import offline_settings

from bot.answer.arithmetic import (
    _ASKS_YEARS,
    _best_dated_sentence,
    _event_parts,
    clause_around,
    dated_clauses,
    head_noun,
)
from bot.answer.pipeline import QAPipeline
from bot.answer.types import Sentence


@pytest.mark.parametrize(
    ("sentence", "years"),
    [
        ("The treaty was signed in 1961.", [1961]),
        (
            "He became leader after his father's death in 2011, but did not meet him until eight years later.",
            [2019, 2011],
        ),
        ("It opened in 1998; 12 years later it closed.", [2010, 1998]),
        ("Three years later the bridge was finished.", []),  # nothing to count from
        ("In 2011, ten years after the 2001 attacks, he resigned.", [2011, 2001]),  # "after" counts back
        ("She served 5 years on the board from 1990.", [1990]),
        ("Nothing here is dated.", []),
        ("It opened on 8 March 2025, two years later than planned.", [2025]),  # a comparison, no event
        ("It opened in 2001 and closed two years later thanks to cuts.", [2003, 2001]),
    ],
)
def test_dated_years(sentence: str, years: list[int]) -> None:
    assert [year for _, year in dated_clauses(sentence)] == years


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How many years passed between Putin backing UN sanctions and his first meeting with Kim?",
            ["Putin backing UN sanctions", "Putin's first meeting with Kim"],
        ),
        (
            "How many years apart were the Soviet-era friendship treaty and the 2000 one?",
            ["Soviet-era friendship treaty", "2000 treaty"],
        ),
        (
            "how many years after the corvina sank was the wreck first picked up on sonar?",
            ["corvina sank", "wreck first picked up on sonar"],
        ),
        ("How many years after the bridge was built did it collapse?", ["bridge built", "it collapse"]),
        (  # a one-word subject joins the rest of its event; "passed away" is an event, not "years passed"
            "how many years were peg and desmond married before he passed away",
            ["peg desmond married", "he passed away"],
        ),
        (  # "the new one" is the new hospital, not the new "going"
            "how many years was the old cottage hospital going before the new one replaced it?",
            ["old cottage hospital going", "new hospital replaced it"],
        ),
    ],
)
def test_event_parts(question: str, parts: list[str]) -> None:
    assert _event_parts(question) == parts


@pytest.mark.parametrize(
    ("sentence", "clauses"),
    [
        (
            "We planted in spring 2017 and had our first proper harvest in the summer of 2019.",
            [("We planted in spring 2017", 2017), ("had our first proper harvest in the summer of 2019.", 2019)],
        ),
        ("The gallery, based in 1911, was robbed.", [("The gallery, based in 1911", 1911)]),  # too short alone
        (  # "eight years later" dates the sentence's main event
            "He did not meet Kim, who took over in 2011, until eight years later.",
            [
                ("He did not meet Kim, who took over in 2011, until eight years later.", 2019),
                ("who took over in 2011", 2011),
            ],
        ),
    ],
)
def test_dated_clauses(sentence: str, clauses: list[tuple[str, int]]) -> None:
    assert dated_clauses(sentence) == clauses


class _Embedder:
    def embed(self, texts: list[str]) -> np.ndarray:
        return np.array([[1.0, 0.0]] * len(texts))


class _Retriever:
    """Three dated sentences whose cosine with any event is their first coordinate."""

    def __init__(self, cosines: list[float], texts: list[str]) -> None:
        self.embedder = _Embedder()
        self.sentence_vectors = np.array([[c, (1 - c * c) ** 0.5] for c in cosines])
        self.sentences = [Sentence(f"s{i}", "doc", i * 100, i * 100 + len(t), t) for i, t in enumerate(texts)]
        self.quotable = [True] * len(texts)


def test_an_event_told_beside_the_other_is_preferred_when_nearly_as_close() -> None:
    retriever = _Retriever(
        [0.52, 0.0, 0.0, 0.60, 0.51],
        [
            "The old treaty was signed in 2000.",
            "Filler.",
            "More filler.",
            "Putin backed UN sanctions in 2006.",
            "He did not meet Kim until 2019.",
        ],
    )
    assert _best_dated_sentence("first meeting", retriever, 2006)[2] == 2000  # on cosine alone
    assert _best_dated_sentence("first meeting", retriever, 2006, near=3)[2] == 2019


CORPUS = {
    "hospital.txt": (
        "New community hospital opens in Hollinsford\n\n"
        "PRESS RELEASE — North Wexmoor Health Trust — 14 May 2025\n\n"
        "The new Lenn Valley Community Hospital welcomed its first patients today, replacing the town's "
        "Victorian cottage hospital. The cottage hospital opened in 1894 with 38 beds and was paid for by "
        "public subscription. The new building has 96 beds and a minor injuries unit.\n"
    ),
    "farm.txt": (
        "Lavender in the valley\n\n"
        "Odile Fenchurch spent fourteen years as a chemist at Brenlow Laboratories before she walked away, "
        "bought a run-down dairy farm outside the village of Lesser Aldwick in 2016 and planted it with "
        "lavender. We planted in spring 2017 and had our first proper harvest in the summer of 2019. "
        "That year we made 31 litres of oil.\n"
    ),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> QAPipeline:
    return QAPipeline.open(offline_settings(tmp_path_factory.mktemp("arithmetic"), CORPUS))


@pytest.mark.parametrize(
    ("question", "computed"),
    [
        # "today" in a press release dated 14 May 2025 is 2025
        ("how many years was the old cottage hospital going before the new one replaced it?", "131 years: 1894"),
        # the long sentence's clause about buying the farm vouches for it; the harvest is 2019, not 2017
        ("how long after buying the farm did she get her first proper harvest?", "3 years: 2016"),
    ],
)
def test_years_between_events_are_computed(pipeline: QAPipeline, question: str, computed: str) -> None:
    answer = pipeline.answer(question)
    assert answer.answered and answer.answer.startswith(computed) and len(answer.citations) == 2


def test_how_long_asks_for_years_only_right_before_after_or_between() -> None:
    assert _ASKS_YEARS.search("how long after buying the farm did she get her first harvest?")
    assert not _ASKS_YEARS.search("how long had kim been leader before putin visited?")  # a duration


def test_how_long_something_lasts_is_not_computed(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("how long does the lavender oil last before it goes off?")
    assert "computed" not in answer.answer


@pytest.mark.parametrize(
    ("phrase", "head"),
    [("old cottage hospital going", "hospital"), ("first meeting", "meeting"), ("the first meeting", "meeting")],
)
def test_the_head_noun_of_an_event(phrase: str, head: str) -> None:
    assert head_noun(phrase) == head


def test_a_sentences_first_clause_reads_on_when_too_short() -> None:
    text = "In 2016, the firm bought a farm and in 2019 it sold it."
    assert clause_around(text, 0) == "In 2016, the firm bought a farm"


def test_a_line_that_introduces_a_list_dates_nothing() -> None:
    """ "Main provisions of the 1961 treaty:" names the treaty by its year; the signing dates it."""
    retriever = _Retriever(
        [0.9, 0.6], ["Main provisions of the 1961 treaty:", "The treaty was signed in Moscow on 6 July 1961."]
    )
    assert _best_dated_sentence("1961 treaty", retriever, None)[1] == 1
