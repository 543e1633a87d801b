"""Typos in questions are corrected against the documents' own words, and only typos."""

from __future__ import annotations

import pytest
from helpers import offline_settings

from bot.answer.pipeline import QAPipeline
from bot.answer.query import prepare_query
from bot.answer.spelling import Speller, written_out

DOCUMENT_WORDS = {"library", "network", "ambulance", "bones", "expiry", "means", "men", "worries", "putin"}
DOCUMENT_WORDS |= {"when", "where", "whereas", "kowalski", "bogota"}


@pytest.mark.parametrize(
    ("question", "corrected"),
    [
        ("which libary branch closed?", "which library branch closed?"),  # a letter dropped
        ("how big is the netwrok", "how big is the network"),  # two letters swapped
        ("who drove the ambulence?", "who drove the ambulance?"),  # a letter changed in a long word
        ("Libary hours?", "Library hours?"),  # the capital stays
        ("how big was the bonus?", "how big was the bonus?"),  # an English word, though one slip from "bones"
        ("when does the treaty expire?", "when does the treaty expire?"),  # short: no changed letter
        ("what do the mens say?", "what do the mens say?"),  # two candidates ("means", "men"): left alone
        ("who sold the lorries?", "who sold the lorries?"),  # the first letter is never a slip
        ("wheres the library?", "wheres the library?"),  # a contraction, not "whereas"
        ("what did Kowalska say?", "what did Kowalska say?"),  # a name one letter from another is another name
        ("LIBARY HOURS", "LIBRARY HOURS"),
        ("flights to Bogotá?", "flights to Bogotá?"),  # accents are the documents' own spelling
    ],
)
def test_speller_corrects_typos_only(question: str, corrected: str) -> None:
    english = {"bonus", "expire", "the", "which", "branch"}
    assert Speller(DOCUMENT_WORDS, english).correct(question) == corrected


@pytest.mark.parametrize(
    ("question", "corrected"),
    [
        ("who fixed the goverment website?", "who fixed the government website?"),  # common English
        ("any compo for the shops?", "any compo for the shops?"),  # short: not "como"
        ("whens the flight", "whens the flight"),  # not turned into "when", which reads differently
    ],
)
def test_longer_typos_of_common_english_words_are_corrected(question: str, corrected: str) -> None:
    english = {"government", "como", "when", "the", "for", "any", "shops", "fixed", "who", "website"}
    assert Speller(DOCUMENT_WORDS, english).correct(question) == corrected


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("how many ppl r going", "how many people are going"),
        ("wat did they say abt the fire", "what did they say about the fire"),
        ("R sure? U-boats?", "R sure? U-boats?"),  # typed in capitals: a letter, a name, a boat
        ("can u list them", "can u list them"),  # read well as it is
        ("open 24hrs? 3 hrs ago", "open 24hrs? 3 hours ago"),  # stuck to a number: left as typed
        ("the govt grant", "the govt grant"),  # a word of the (spun) documents stays
    ],
)
def test_chat_shorthand_is_read_as_the_words_it_stands_for(question: str, read_as: str) -> None:
    speller = Speller(DOCUMENT_WORDS | {"govt"}, {"the", "fire"})
    assert speller.correct(question) == read_as


def test_shorthand_is_read_silently_beside_a_typo_that_is_shown(tmp_path) -> None:
    corpus = {"town.txt": "The Harrowdale library opened a new reading room in March.\n"}
    pipeline = QAPipeline.open(offline_settings(tmp_path, corpus))
    answer = pipeline.answer("wanna know wat the libary opened")
    assert answer.answered and "reading room" in answer.answer
    assert answer.notice == "(Read “libary” as “library”.)"


def test_a_misspelt_name_is_answered_not_declined_as_unknown(tmp_path) -> None:
    corpus = {
        "town.txt": (
            "The Harrowdale library opened a new reading room in March. "
            "The bakery on Mill Street sells sourdough bread every morning. "
            "The harbour ferry carried 41,000 passengers in 2019.\n"
        )
    }
    pipeline = QAPipeline.open(offline_settings(tmp_path, corpus))
    answer = pipeline.answer("what did the Harowdale libary open?")
    assert answer.answered and "reading room" in answer.answer  # "Harowdale" alone would be an unknown name
    assert answer.question == "what did the Harowdale libary open?"  # the question as asked is kept
    assert answer.notice == "(Read “Harowdale” as “Harrowdale”, “libary” as “library”.)"
    assert pipeline.answer("what did the Harrowdale library open?").notice is None


def test_acronyms_the_documents_spell_out() -> None:
    texts = [
        "Presented to the Annual General Meeting at St Aldhelm's Church Hall.",
        "The rent rise is put to a vote at this AGM.",
        "The Royal National Lifeboat Institution launched its boat.",
        "The Care Quality Commission and the Crown Court Quarter met.",  # "ccq"/"cqc": each once
        "Anjali Mistry spoke.",  # fewer than three initials
    ]
    acronyms = written_out(texts)
    assert acronyms["agm"] == "annual general meeting"
    assert acronyms["rnli"] == "royal national lifeboat institution"  # a leading "The" is no initial
    assert "dam" not in acronyms and "am" not in acronyms
    speller = Speller(DOCUMENT_WORDS, {"was", "the", "rnli"}, texts)
    assert speller.expansions("where's the agm being held? ask the RNLI") == [
        "annual general meeting",
        "royal national lifeboat institution",  # a vocabulary word, but in capitals
    ]
    assert speller.expansions("when are the AGMs?") == ["annual general meeting"]
    assert speller.expansions("ask the rnli") == []  # in lower case, and the texts never write "RNLI"
    assert Speller(DOCUMENT_WORDS, set(), texts[:1]).expansions("the agm") == []  # the texts never write "AGM"
    assert Speller(DOCUMENT_WORDS, set(), ["Health Minister Mikhail Murashko"]).expansions("hmmm who?") == []
    assert speller.expansions("WHERE IS THE RNLI?") == []  # nor are capitals a sign in a shouted question
    assert "ink" not in written_out(["In North Korea the talks went on."])  # a sentence's first word
    assert written_out(["Visit the Annual Garden Market."]) == {"agm": "annual garden market"}
    both = written_out(["The Annual General Meeting", "the Annual Garden Market"])
    assert "agm" not in both  # two phrases share it: which one is meant is not known


def test_an_acronym_finds_the_passage_that_spells_it_out(tmp_path) -> None:
    corpus = {
        "report.md": (
            "# Kettleby Road Allotment Society: Annual Report 2024\n\n"
            "*Presented to the Annual General Meeting at St Aldhelm's Church Hall, Saturday 8 February 2025*\n\n"
            "The waiting list stood at 47 on 31 December 2024. Rents rose to £45 a year for a full plot.\n\n"
            "## Plans\n\n- Install a composting toilet near the main gate.\n- Build two more raised beds.\n"
            "- Put the rent rise to a vote at this AGM.\n"
        )
    }
    pipeline = QAPipeline.open(offline_settings(tmp_path, corpus))
    question = "where's the kettleby road allotment agm being held?"
    _, read, retrieval = pipeline._retrieve(prepare_query(question))
    assert read.expanded == "annual general meeting" and read.question == question  # the question is kept
    r = pipeline.retriever
    quotable = [i for i in range(len(r.sentences)) if r.quotable[i]]
    best = max(quotable, key=lambda i: retrieval.sentence_scores[i])
    assert "Annual General Meeting" in r.sentences[best].text
    plain = r.run(question, 5)
    assert retrieval.sentence_scores[best] > plain.sentence_scores[best] + 0.05  # the acronym alone finds less
    assert pipeline.answer(question).question == question


def test_a_typo_is_never_read_into_an_acronym_of_the_documents() -> None:
    speller = Speller({"sides", "charity"}, set(), ["The Sudden Infant Death Syndrome charity said"])
    assert speller.correct("what did the SIDS charity say") == "what did the SIDS charity say"  # not "SIDES"
    assert speller.expansions("what did the SIDS charity say") == ["sudden infant death syndrome"]
