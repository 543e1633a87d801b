"""Which sentence the extractive answerer quotes when several look alike: near-ties between sentences
carrying the answer type go to the one more about the question."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import offline_settings

from bot.answer import extractive
from bot.answer.extractive import Scored, decades_asked, period_prefix, short_year_in
from bot.answer.pipeline import QAPipeline
from bot.answer.question import asks_for_several, question_type, role_words_in
from bot.answer.retriever import is_quotable
from bot.answer.text import stem

CORPUS = {
    "library.md": (
        "# The Ashford Library Fire and Restoration\n\n"
        "In the early hours of 3 November 2019, a fire destroyed the roof of the Ashford Library, the oldest "
        "library in the town. Around 23,000 books were lost to water and smoke. The building had no sprinklers "
        "at the time. Firefighters from three stations fought the blaze for six hours. The town council "
        "launched an appeal that raised £2 million from 4,100 donors. Craftspeople rebuilt the gallery from "
        "old photographs. The library reopened on 4 September 2023, four years after the fire. "
        "The rebuilding, led by the architect Marta Quell of Oxford, used oak from local woods.\n\n"
        "The new building has the following safety measures:\n\n"
        "1. a water-mist system in the roof;\n"
        "2. smoke detection in every void;\n"
        "3. remote monitoring by the fire service.\n\n"
        "The library now has 12 reading desks and 40 computers.\n\n"
        "| Year | Visitors to the library |\n|---|---|\n| 2022 | 18,000 visitors in total |\n\n"
        "The library first opened in 1891 with a gift of 4,000 books.\n"
    ),
    "ferry.txt": (
        "The harbour ferry was launched in 1998 by the island council after a long campaign. "
        "In 2019 the ferry carried 41,000 passengers across the strait. "
        "Greta Lund, chief executive of the ferry company, said fares would rise in the spring. "
        "Captain Roy Hale of the harbour ferry was born in 1951 on the island.\n"
    ),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> QAPipeline:
    return QAPipeline.open(offline_settings(tmp_path_factory.mktemp("answer-choice"), CORPUS))


def _candidate(pipeline: QAPipeline, fragment: str, score: float, dense: float, topical: float) -> Scored:
    sentence = next(i for i, s in enumerate(pipeline.retriever.sentences) if fragment in s.text)
    features = {"dense": dense, "context": 0.0, "lexical": topical, "typed": 1.0, "rank": 1.0, "novelty": 0.5}
    return Scored(sentence, score, True, features, topical)


def test_a_near_tie_goes_to_the_sentence_more_about_the_question(pipeline: QAPipeline) -> None:
    question = "when did the ashford library reopen?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    lead = _candidate(pipeline, "3 November 2019", 0.55, dense=0.4, topical=0.4)
    reopening = _candidate(pipeline, "reopened on 4 September", 0.55 - extractive.TIE_MARGIN + 0.005, 0.5, 0.5)
    chosen, _ = pipeline.extractive.choose(question, [lead, reopening], kind, retrieval)
    assert chosen is not None and chosen[0] is reopening
    further = replace(reopening, score=0.55 - extractive.TIE_MARGIN - 0.01)
    chosen, _ = pipeline.extractive.choose(question, [lead, further], kind, retrieval)
    assert chosen is not None and chosen[0] is lead  # beyond the margin the score decides


def test_a_name_of_several_words_weighs_as_one_word(pipeline: QAPipeline) -> None:
    """ "Ashford Library" is one name in the documents: in the question it weighs as its rarer word, so
    the sentences that merely name the topic do not outweigh the one with the word asked about."""
    idf = {"ashford": 2.0, "library": 1.0, "reopen": 2.0}
    assert pipeline.extractive.name_weights("when did the ashford library reopen?", idf) == {
        "ashford": 1.0,
        "library": 1.0,
    }
    assert pipeline.extractive.name_weights("which library did ashford build?", idf) == {}  # not as a name


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("why is the airline flying there?", "reason"),
        ("what actually caused the fire?", "reason"),
        ("how come the ferry stopped?", "reason"),
        ("who first noticed the fire?", "person"),
    ],
)
def test_why_questions_ask_for_a_reason(question: str, kind: str) -> None:
    assert question_type(question).name == kind


@pytest.mark.parametrize(
    ("sentence", "gives_a_reason"),
    [
        ("The most likely cause was an electrical fault.", True),
        ("The route was driven mainly by the energy industry.", True),
        ("It closed because of the storm.", True),
        ("The fire began at two in the morning.", False),
    ],
)
def test_a_reason_is_said_in_so_many_words(sentence: str, gives_a_reason: bool) -> None:
    assert question_type("why did it happen?").matches(sentence) is gives_a_reason


def test_a_table_header_is_not_quoted_but_its_rows_are(pipeline: QAPipeline) -> None:
    r = pipeline.retriever
    quotable = {s.text.strip(): r.quotable[i] for i, s in enumerate(r.sentences) if s.text.lstrip().startswith("|")}
    assert quotable == {
        "| Year | Visitors to the library |": False,
        "|---|---|": False,
        "| 2022 | 18,000 visitors in total |": True,
    }


@pytest.mark.parametrize(
    ("sentence", "quotable"),
    [
        ("| Public appeal (9,400 donors) | £2.3 million |", True),
        ("| Source | Amount |", False),  # a header
        ("|---|---|", False),
        ("| Insurance | Yes |", False),  # too little to stand as an answer
        ("## Funding and costs of the work", False),
        ("The library reopened in 2023.", True),
        ("Funding was agreed.", False),  # a fragment
        ("The ship and its loss", False),  # a plain-text heading: short, no closing punctuation
        ("Evidence from the Mill Lane pilot", False),
        ("- a water-mist system in the roof void", True),  # a list item
        ("a) a water-mist system in the roof", True),
        ("- Graham Tolley (Treasurer)", True),  # a list item of three words names one thing
        ("- Kwame Hollis-Brant", False),  # two are a label
        ("The hospital has 96 beds and 12 wards", True),  # a fact, though short and unpunctuated
        ("Opening hours: 10am to 8pm every day", True),
        ("SKELVIK, 15 March 2025 (Coastal Wire Service)", False),  # a dateline on its own line
        ("PRESS RELEASE — For immediate release, 2 June 2025", False),
        ("Obituary | Published Wednesday 12 March 2025", False),  # a web page's section and date line
        ("Last updated: 4 June 2025, 10:42", False),
        ("Updated guidance was issued in March 2024.", True),  # sentences, though they open like one
        ("Published accounts show a surplus of £1,250 for 2023.", True),
        ("By Harriet Coles, Environment Correspondent | Tavisford, Thursday 14 March 2024", False),
        ("NATO, the alliance, said in 2024 it would respond.", True),  # a sentence, though it opens like one
    ],
)
def test_what_can_stand_as_an_answer(sentence: str, quotable: bool) -> None:
    assert is_quotable(sentence) is quotable


def test_a_role_acronym_finds_the_title_written_out(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("who's the CEO of the ferry company?")
    assert answer.answered and "Greta Lund" in answer.answer


@pytest.mark.parametrize(
    ("question", "decades"),
    [
        ("how much did it cost back in the 50s?", ["1950s"]),
        ("what happened in the 1990s?", ["1990s"]),
        ("anything in the late '80s?", ["1980s"]),
        ("how many people in their 50s took part?", []),  # an age
        ("how many sold 50 units?", []),
        ("how many people lived there in the 1800s?", ["1800s"]),
    ],
)
def test_the_decades_a_question_names(question: str, decades: list[str]) -> None:
    assert decades_asked(question) == decades


def test_an_amount_for_another_decade_is_declined(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("how much did the appeal raise back in the 80s?")
    assert not answer.answered and "1980s" in answer.answer
    assert pipeline.answer("how much did the appeal raise?").answered


@pytest.mark.parametrize(
    ("question", "sentence", "bound"),
    [
        ("who led the rebuilding?", "The rebuilding, led by the architect Marta Quell of Oxford, used oak.", True),
        ("who founded the airline?", "It was founded in 2014 by former RAF pilot Owen Brantwell.", True),
        ("who founded the airline?", "Owen Brantwell, a former pilot, founded it in 2014.", True),
        ("who led the rebuilding?", "The rebuilding was led by the council.", False),  # no name
        ("who led the rebuilding?", "Marta Quell said the rebuilding took years.", False),  # not the verb
        ("who led the survey?", "The survey was led by the Ministry of Health.", False),  # no person
        ("who led the survey?", "The decision led to protests by Greenpeace.", False),
        ("who led the survey?", "LED lamps made by Philips lit the room.", False),
        ("who led the survey?", "Lauren Hall led the survey.", True),  # Hall is a surname too
    ],
)
def test_a_name_bound_to_the_verb_asked_about(question: str, sentence: str, bound: bool) -> None:
    assert question_type(question).binds(sentence) is bound


def test_a_bound_name_leads_from_further_down(pipeline: QAPipeline) -> None:
    question = "who led the rebuilding of the library?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    lead = _candidate(pipeline, "3 November 2019", 0.55, dense=0.4, topical=0.4)
    rebuilding = _candidate(pipeline, "Marta Quell", 0.55 - extractive.BOUND_MARGIN + 0.01, dense=0.3, topical=0.4)
    chosen, _ = pipeline.extractive.choose(question, [lead, rebuilding], kind, retrieval)
    assert chosen is not None and chosen[0] is rebuilding
    too_far = replace(rebuilding, score=0.55 - extractive.BOUND_MARGIN - 0.01)
    chosen, _ = pipeline.extractive.choose(question, [lead, too_far], kind, retrieval)
    assert chosen is not None and chosen[0] is not too_far


def test_a_sentence_announcing_a_list_is_quoted_with_its_items(pipeline: QAPipeline) -> None:
    r = pipeline.retriever
    intro = next(i for i, s in enumerate(r.sentences) if s.text.endswith("safety measures:"))
    retrieval = r.run("what safety measures does the library have?", 5)
    first, last = pipeline.extractive.window(intro, retrieval)
    quoted = pipeline.extractive.span_text((first, last))
    assert first == intro and "water-mist" in quoted and "remote monitoring" in quoted


def test_a_number_of_the_thing_counted_leads_from_further_down(pipeline: QAPipeline) -> None:
    question = "how many reading desks does the library have?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    lead = replace(_candidate(pipeline, "23,000 books", 0.55, dense=0.4, topical=0.4), typed=False)  # no desks
    desks = _candidate(pipeline, "12 reading desks", 0.55 - extractive.BOUND_MARGIN + 0.01, dense=0.3, topical=0.4)
    assert kind.matches(pipeline.retriever.sentences[desks.sentence].text)
    chosen, _ = pipeline.extractive.choose(question, [lead, desks], kind, retrieval)
    assert chosen is not None and chosen[0] is desks


@pytest.mark.parametrize(
    ("question", "sentence", "bound"),
    [
        ("how much did the creamery get fined?", "A dairy firm has been fined £1.2 million.", True),
        ("how much did they raise in the seed round?", "It has raised a total of £8.5m in seed funding.", True),
        ("how much were the prosecution costs?", "It must also pay costs of £86,000.", True),
        ("how much did the creamery get fined?", "The creamery paid £140,000 to a charity.", False),  # not the verb
        ("how much did the creamery get fined?", "It was fined after 14,000 fish died.", False),  # not an amount
        ("how much did the creamery get fined?", "The fined firm made £64m in sales.", False),  # too far
        ("how much was the fine?", "It has been fined £1.2 million.", True),  # another form of the word
        ("how much were the costs?", "Costs of £86,000 were awarded.", True),
        ("how much money did the creamery make?", "It made 1.2 million cheeses.", False),  # no money
        ("how much do they pay the cleaners?", "They pay the cleaners at 7.50 p.m. daily.", False),  # a time
        ("how much did the final cost?", "The firm was fined £5m.", False),  # "final" is not "fine"
    ],
)
def test_an_amount_bound_to_a_word_of_the_question(question: str, sentence: str, bound: bool) -> None:
    assert question_type(question).binds_amount(sentence) is bound


def test_an_amount_bound_to_the_verb_leads_from_further_down(pipeline: QAPipeline) -> None:
    """Further behind the best than a typed candidate may be when the type is required (a decline is the
    alternative), but the amount comes right after the question's verb."""
    question = "how much did the ashford library appeal raise?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    assert extractive.REQUIRED_MARGIN < extractive.BOUND_MARGIN - 0.02
    lead = replace(_candidate(pipeline, "3 November 2019", 0.55, dense=0.4, topical=0.4), typed=False)
    raised = _candidate(pipeline, "raised £2 million", 0.55 - extractive.BOUND_MARGIN + 0.01, dense=0.3, topical=0.4)
    chosen, _ = pipeline.extractive.choose(question, [lead, raised], kind, retrieval)
    assert chosen is not None and chosen[0] is raised


def test_a_question_naming_the_documents_needs_less_to_be_about_them(pipeline: QAPipeline) -> None:
    """Out-of-scope chat never uses a name of the documents: with one, a sentence between the named floor
    and the ordinary one is close enough; without, the same sentence is not."""
    assert pipeline.extractive.names_a_documented_name("what did the ashford library lose?")
    assert not pipeline.extractive.names_a_documented_name("is the library in ashford?")  # not word for word
    between = (extractive.NAMED_RELEVANCE_FLOOR + extractive.RELEVANCE_FLOOR) / 2
    books = replace(_candidate(pipeline, "23,000 books", 0.5, dense=between - 0.05, topical=0.05), typed=False)
    for question, answered in (("what did the ashford library lose?", True), ("what got lost?", False)):
        kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
        chosen, reason = pipeline.extractive.choose(question, [books], kind, retrieval)
        assert (chosen is not None) is answered, reason


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ("The most likely cause was an electrical fault in a dehumidifier.", True),
        ("The main reason for the proposal is cost.", True),
        ("The collapse of the roof caused most of the damage.", False),  # a cause, not the one asked
        ("There are many reasons to visit the library.", False),
    ],
)
def test_a_reason_stated_as_such_is_strong_evidence(pipeline: QAPipeline, sentence: str, stated: bool) -> None:
    kind = question_type("what actually caused the fire?")
    fake = replace(_candidate(pipeline, "3 November 2019", 0.5, dense=0.4, topical=0.4), typed=False)
    r = pipeline.retriever
    original = r.sentences[fake.sentence]
    r.sentences[fake.sentence] = replace(original, text=sentence)
    try:
        assert pipeline.extractive.strong_evidence(kind, fake) is stated
    finally:
        r.sentences[fake.sentence] = original


def test_a_century_is_checked_by_its_first_two_digits() -> None:
    assert [period_prefix(p) for p in decades_asked("in the 1800s or the 1950s?")] == ["18", "195"]


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("who is the boss?", ["boss"]),
        ("what do the bosses earn?", ["boss"]),
        ("how many CEOs were there?", ["ceo"]),
        ("what did the PM say?", ["pm"]),
        ("the ferry left at 5 pm", []),  # a time, not a prime minister
        ("who's the md of the bus company", ["md"]),  # lower case, after "the"
        ("it got to 5 md", []),
    ],
)
def test_role_words_in_a_question(text: str, roles: list[str]) -> None:
    assert role_words_in(text) == roles


def test_a_heading_beside_a_sentence_is_no_context_for_it(pipeline: QAPipeline) -> None:
    """The document's opening sentence sits under its title heading, which resembles every question
    about the document; only the quotable sentence after it counts as its context."""
    question = "when did the ashford library fire happen?"
    retrieval = pipeline.retriever.run(question, 5)
    ranked = pipeline.extractive.score_sentences(question, retrieval, question_type(question))
    sentences = pipeline.retriever.sentences
    opening = next(x for x in ranked if "3 November 2019" in sentences[x.sentence].text)
    heading, after = opening.sentence - 1, opening.sentence + 1
    assert sentences[heading].text.startswith("# ") and "23,000 books" in sentences[after].text
    assert opening.features["context"] == pytest.approx(float(retrieval.sentence_scores[after]))
    assert retrieval.sentence_scores[heading] > retrieval.sentence_scores[after]  # it would have counted


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("how old was the ashford library when the fire destroyed its roof?", "128 years"),  # 1891 to 2019
        ("how old was the harbour ferry when it carried 41,000 passengers?", "21 years"),  # 1998 to 2019
    ],
)
def test_how_old_something_was_is_computed_from_when_it_began(pipeline: QAPipeline, question: str, years: str) -> None:
    answer = pipeline.answer(question)
    assert answer.answered and answer.answer.startswith(years) and len(answer.citations) == 2


def test_how_old_without_a_beginning_in_the_documents_is_not_computed(pipeline: QAPipeline) -> None:
    assert "computed" not in pipeline.answer("how old was Greta Lund when she became chief executive?").answer


def test_a_number_with_thousands_separators_is_one_number(pipeline: QAPipeline) -> None:
    """ "41,000" in a question is the passages' 41,000, not an unknown "41" and "000"."""
    answer = pipeline.answer("which year did the ferry carry 41,000 passengers?")
    assert answer.answered and "2019" in answer.answer


def test_a_two_digit_year_is_the_passages_year() -> None:
    assert short_year_in("98", {"1998", "ferry"}) and short_year_in("19", {"2019"})
    assert not short_year_in("98", {"ferry"}) and not short_year_in("198", {"1198"})


def test_back_in_98_is_not_a_number_the_documents_never_mention(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("what happened with the harbour ferry back in 98?")
    assert answer.answered and "1998" in answer.answer
    assert "never mention" in pipeline.answer("what happened with the harbour ferry back in 87?").answer


def test_how_much_older_one_thing_is_than_another_is_computed(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("how many years older is the ashford library than the harbour ferry?")
    assert answer.answered and answer.answer.startswith("107 years")  # 1891 to 1998


@pytest.mark.parametrize(
    ("forms"),
    [
        ("stop", "stopped", "stopping"),
        ("plan", "planned", "planning"),
        ("run", "running"),
        ("fall", "falling"),
        ("add", "added", "adding"),  # "add" is no doubled "ad"
        ("egg", "egged"),
    ],
)
def test_word_forms_share_a_stem(forms: tuple[str, ...]) -> None:
    """ "planning" meets "plan": the consonant doubled before -ed/-ing is undone."""
    assert len({stem(f) for f in forms}) == 1


def test_a_beginning_belongs_to_the_subject_that_opens_its_clause(pipeline: QAPipeline) -> None:
    """ "Captain Roy Hale of the harbour ferry was born in 1951" is the captain's birth, not the ferry's."""
    answer = pipeline.answer("how old was the harbour ferry when it carried 41,000 passengers?")
    assert answer.answer.startswith("21 years")  # launched 1998, not 1951


def test_an_age_comparison_the_documents_contradict_is_not_computed(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("how many years younger is the ashford library than the harbour ferry?")
    assert "computed" not in answer.answer  # the library (1891) is the older one


def test_a_typed_candidate_about_the_question_is_preferred_to_one_that_is_not(pipeline: QAPipeline) -> None:
    question = "when did the ashford library reopen?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    best = replace(_candidate(pipeline, "Firefighters from three", 0.55, dense=0.4, topical=0.4), typed=False)
    off_topic = _candidate(pipeline, "launched in 1998", 0.54, dense=0.05, topical=0.0)
    reopening = _candidate(pipeline, "reopened on 4 September", 0.50, dense=0.3, topical=0.3)
    chosen, _ = pipeline.extractive.choose(question, [best, off_topic, reopening], kind, retrieval)
    assert chosen is not None and chosen[0] is reopening


def test_an_off_topic_typed_best_gives_way_to_a_relevant_typed_one_close_behind(pipeline: QAPipeline) -> None:
    question = "when did the ashford library reopen?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    off_topic = _candidate(pipeline, "launched in 1998", 0.55, dense=0.05, topical=0.0)
    reopening = _candidate(pipeline, "reopened on 4 September", 0.50, dense=0.3, topical=0.3)
    far_behind = replace(reopening, score=0.55 - extractive.REQUIRED_MARGIN - 0.01)
    chosen, _ = pipeline.extractive.choose(question, [off_topic, reopening], kind, retrieval)
    assert chosen is not None and chosen[0] is reopening
    assert pipeline.extractive.lead([off_topic, far_behind], kind, retrieval) is off_topic


def test_how_many_people_is_answered_by_the_documents_own_noun(tmp_path) -> None:
    """ "people" is too general to be the counted noun: "12,600 adults" answers, not "Three people…"."""
    corpus = {
        "trial.txt": (
            "Norovirus Tablet Approved\n\nThe regulator has approved a norovirus vaccine taken as two tablets. "
            "The Phase 3 trial enrolled 12,600 adults aged 18 to 80 at 94 sites. It showed 71% efficacy over two "
            "winters. Three people in the vaccine group withdrew from the trial because of nausea. The company "
            "has agreed a price of £42 a course with the NHS.\n"
        )
    }
    pipeline = QAPipeline.open(offline_settings(tmp_path, corpus))
    for question in ("how many people were in the phase 3 trial?", "how many ppl were in the phase 3 trial?"):
        answer = pipeline.answer(question)
        assert answer.answered and "12,600 adults" in answer.answer


def test_a_neighbour_giving_what_is_asked_keeps_the_best_sentence(pipeline: QAPipeline) -> None:
    """The best sentence names no number, the one after it does: the quote is the two together, not an
    off-topic numbered sentence from elsewhere."""
    question = "how long did the fire crews fight the blaze?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    best = replace(_candidate(pipeline, "no sprinklers at the time", 0.55, dense=0.4, topical=0.4), typed=False)
    elsewhere = _candidate(pipeline, "41,000 passengers", 0.54, dense=0.3, topical=0.2)
    chosen, _ = pipeline.extractive.choose(question, [best, elsewhere], kind, retrieval)
    assert chosen is not None and chosen[0] is best
    assert "six hours" in pipeline.extractive.span_text(chosen[1])


DETAIL_CORPUS = {
    "hospital.txt": (
        "Lenn Valley Hospital Opens\n\n"
        "The new Lenn Valley Hospital in Hollinsford welcomed its first patients today, replacing the town's "
        "old cottage hospital and bringing services that local people had to travel for. "
        "The hospital has 96 beds, including a rehabilitation ward for older people. "
        "Construction, by Halden Build, began in January 2023 and took 27 months. "
        "The hospital's chief executive said the staff were delighted with the new hospital. "
        "Patients from the old cottage hospital moved in by ambulance on Monday. "
        "Visiting hours at the new hospital run from 10am to 8pm every day.\n"
    ),
}


LIST_CORPUS = {
    "allotments.md": (
        "# Kettleby Road Allotment Society: Annual Report 2024\n\n"
        "## The year\n\n"
        "It was a wet spring and many of our members lost their early potatoes to blight. "
        "A dry August then gave the best onion harvest in years. "
        "Our waiting list now stands at 47 people, the longest it has ever been.\n\n"
        "## Plans for 2025\n\n"
        "- Install a composting toilet near the main gate.\n"
        "- Build two more raised beds for members who use wheelchairs.\n"
        "- Replace the rotten fence along the railway side.\n\n"
        "## Money\n\n"
        "Subscriptions brought in £2,350 and the plant sale raised £610.\n"
    ),
}


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("what are the allotment society's plans for next year?", True),
        ("what teams does the club actually run?", True),
        ("which cheeses were in the recall", True),
        ("what kinds of objections did people raise?", True),
        ("what new fire safety measures did they add?", True),
        ("priorities list pls", True),
        ("what was the teacher turnover rate?", False),
        ("what year did she finish her studies?", False),
        ("what does it say on the bell?", False),
        ("what's the address?", False),
        ("which bus goes to the station?", False),  # a verb in "s"
        ("what makes it special?", False),
        ("what happens if one country is attacked?", False),
        ("which company bought the shops?", False),  # the plural is the verb's object
        ("what species was found?", False),
        ("is there a waiting list?", False),  # "list" not as a request
        ("what are some good recipes for dinner?", True),
        ("can u list them", True),
    ],
)
def test_a_question_for_several_things(question: str, several: bool) -> None:
    assert asks_for_several(question) is several


def test_a_question_for_several_things_is_answered_by_the_list_under_its_heading(tmp_path) -> None:
    """Each item alone says little; under their heading they answer "what are the plans?"."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, LIST_CORPUS))
    answer = pipeline.answer("what are the allotment society's plans for next year?")
    assert answer.answered and answer.answer.startswith("- Install a composting toilet")
    assert "raised beds" in answer.answer and "fence" in answer.answer
    single = pipeline.answer("how many people are on the allotment waiting list?")  # one thing: a sentence
    assert single.answered and "47 people" in single.answer and "composting" not in single.answer
    assert not pipeline.answer("what are the best restaurants in paris?").answered


LONG_ITEMS = {
    "plans.md": (
        "# Club plans\n\n## Plans for next year\n\n"
        "- Rebuild the clubhouse roof, which has leaked since the storm of 2019, with new slates from the quarry "
        "at Pellow, new lead flashing around both chimneys, insulation to modern standards throughout the loft, "
        "and a gutter system that can cope with the heavier rain of recent winters, at a cost of £48,000.\n"
        "- Resurface the car park and the path to the pitches, which floods every winter and has become "
        "dangerous for older members and visitors after dark, adding drainage channels, edging and four new "
        "lights along the path so that members can walk safely to the pitches after evening training.\n"
    ),
}


def test_a_list_is_only_quoted_when_two_items_fit(tmp_path) -> None:
    """Two long items do not fit in one answer together: a single item is no list, so the ordinary
    sentence choice answers."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, LONG_ITEMS))
    question = "what are the club's plans for next year?"
    retrieval = pipeline.retriever.run(question, 5)
    kind = pipeline.extractive.question_kind(question, retrieval)
    runs = pipeline.extractive.list_runs(retrieval)
    assert [len(run) for run in runs] == [2] and pipeline.extractive.fitting_items(runs[0]) is None
    ranked = pipeline.extractive.score_sentences(question, retrieval, kind)
    assert pipeline.extractive.best_list(question, retrieval, kind, ranked) is None


OBITUARY = {
    "elsworth.txt": (
        "Marian Elsworth obituary\n\n"
        "Marian Elsworth, who has died aged 92, spent more than a decade walking every lane and sheep track "
        "of the Greyfell hills. She was born in Kelsholme in 1931 and joined the Northern Survey Office in "
        "1949. Her atlas of the hills was published in 1979. She died at home in Carsford on 19 January, "
        "with her family beside her.\n"
    ),
}


def test_a_cause_of_death_the_documents_never_give_is_declined(tmp_path) -> None:
    pipeline = QAPipeline.open(offline_settings(tmp_path, OBITUARY))
    answer = pipeline.answer("what did marian elsworth die of?")
    assert not answer.answered and "cause of death" in answer.answer
    assert pipeline.answer("when was marian elsworth's atlas published?").answered


def test_the_detail_asked_about_outweighs_the_topic(tmp_path) -> None:
    """Without the words every sentence of its document shares ("lenn valley hospital"), the question
    is its detail ("which firm built"): weighing the detail more ranks the sentence that gives it higher."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, DETAIL_CORPUS))
    question = "which firm built lenn valley hospital"
    retrieval = pipeline.retriever.run(question, 5)
    kind = question_type(question)

    def rank_of_builder(weights: dict[str, float]) -> int:
        ranked = pipeline.extractive.score_sentences(question, retrieval, kind, weights=weights)
        return next(i for i, x in enumerate(ranked) if "Halden Build" in pipeline.retriever.sentences[x.sentence].text)

    without = dict(extractive.WEIGHTS, detail=0.0)
    assert rank_of_builder(dict(without, detail=0.5)) < rank_of_builder(without)
    assert pipeline.extractive.detail_vector("who built it", retrieval) is None  # no topic word to drop


def test_coverage_counts_the_question_words_of_the_whole_quoted_span(tmp_path) -> None:
    """A sentence whose quoted neighbour holds the rest of the question's words covers more of it than
    its own words do."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, DETAIL_CORPUS))
    question = "how many beds does the rehabilitation ward at lenn valley have"
    retrieval = pipeline.retriever.run(question, 5)
    ranked = pipeline.extractive.score_sentences(question, retrieval, question_type(question))
    beds = next(x for x in ranked if "96 beds" in pipeline.retriever.sentences[x.sentence].text)
    assert beds.features["coverage"] >= beds.features["lexical"]
    neighbour = next(x for x in ranked if "Construction, by Halden" in pipeline.retriever.sentences[x.sentence].text)
    assert neighbour.features["coverage"] > neighbour.features["lexical"]


def test_the_quote_adds_the_other_neighbour_when_it_fits(pipeline: QAPipeline) -> None:
    """The chosen span (a sentence and its closer neighbour) is widened by the best sentence's other
    neighbour when the three fit in an answer: the sentence chosen stays in the middle."""
    answerer, sentences = pipeline.extractive, pipeline.retriever.sentences
    best = next(i for i, s in enumerate(sentences) if "carried 41,000 passengers" in s.text)
    assert answerer.widened(best, (best - 1, best)) == (best - 1, best + 1)
    assert answerer.widened(best, (best, best + 1)) == (best - 1, best + 1)


def test_the_quote_is_not_widened_onto_a_list_from_its_end_nor_onto_a_heading(pipeline: QAPipeline) -> None:
    """Before the best sentence is the last item of a list, after it a table header: neither is added,
    since the quote would start in the middle of the list or hold a header."""
    answerer, sentences = pipeline.extractive, pipeline.retriever.sentences
    best = next(i for i, s in enumerate(sentences) if s.text.startswith("The library now has 12 reading desks"))
    assert sentences[best - 1].text.startswith("3. remote monitoring")
    assert not pipeline.retriever.quotable[best + 1]
    assert answerer.widened(best, (best, best)) == (best, best)


def test_the_quote_is_not_widened_past_the_answer_limit(pipeline: QAPipeline) -> None:
    answerer, sentences = pipeline.extractive, pipeline.retriever.sentences
    first = next(i for i, s in enumerate(sentences) if s.text.startswith("Around 23,000 books"))
    last = next(i for i, s in enumerate(sentences) if s.text.startswith("The library reopened"))
    for wider in ((first - 1, last), (first, last + 1)):  # either neighbour makes the quote too long
        assert sentences[wider[1]].end - sentences[wider[0]].start > extractive.MAX_ANSWER_CHARS - 5
    assert answerer.widened(last, (first, last)) == (first, last)


REPORT_CORPUS = {
    "libraries.md": (
        "# Harrowdale Libraries: Annual Report 2023–24\n\n"
        "This report covers the library service run by Harrowdale District Council for the whole year.\n\n"
        "## Visits\n\n"
        "Total visits across the network rose by 8.4% to 412,380.\n\n"
        "Three branches acted as Warm Spaces over the winter, welcoming 2,870 visits from local people.\n"
    ),
    "branches.md": (
        "# Harrowdale branch histories, 1950-2024\n\n"
        "The county archive in Hollin Street keeps the records these accounts draw on.\n\n"
        "Volunteers from the local history society wrote most of them over two winters.\n\n"
        "The Mill Lane branch opened with 4,000 books and twelve members of staff in a former chapel.\n"
    ),
}


def test_a_year_in_the_documents_title_holds_for_all_of_it(tmp_path) -> None:
    """ "in 2023-24" is answered from an annual report titled "…2023–24" whose sentence names no year; it
    had been declined as giving no number for 2023."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, REPORT_CORPUS))
    answer = pipeline.answer("how many visits did the library network get overall in 2023-24")
    assert answer.answered and "412,380" in answer.answer
    # a title spanning years says nothing of which one a sentence is about
    answer = pipeline.answer("how many books did the mill lane branch open with in 1950?")
    assert not answer.answered and "1950" in answer.answer


def test_an_off_topic_typed_candidate_does_not_lead_a_required_type_to_a_decline(pipeline: QAPipeline) -> None:
    """The best sentence is about the question and its window gives a number; a number-carrying sentence
    about something else must not take its place only to be declined as off-topic."""
    question = "how many firefighters fought the blaze?"
    kind, retrieval = question_type(question), pipeline.retriever.run(question, 5)
    best = replace(_candidate(pipeline, "Firefighters from three", 0.55, dense=0.5, topical=0.4), typed=False)
    off_topic = _candidate(pipeline, "41,000 passengers", 0.54, dense=0.05, topical=0.0)
    chosen, reason = pipeline.extractive.choose(question, [best, off_topic], kind, retrieval)
    assert chosen is not None and chosen[0] is best, reason
    assert "three stations" in pipeline.extractive.span_text(chosen[1])


INTERVIEW_CORPUS = {
    "interview.txt": (
        "Lavender and stills: an interview with Odile Fenchurch\n\n"
        "Odile Fenchurch runs a lavender distillery on a former dairy farm outside Lesser Aldwick.\n\n"
        "Q: Let's start at the beginning. Why leave a secure job in a lab?\n\n"
        "A: Honestly, I was burnt out. I spent more time in budget meetings than at a bench.\n\n"
        "Q: Where does the oil end up?\n\n"
        "A: About 60 per cent goes to perfumers, mostly small independent houses. The rest we sell ourselves. "
        "Who would have thought it?\n"
    ),
}


def test_an_interview_question_heads_its_answer_and_is_never_quoted(tmp_path) -> None:
    """A question on a line of its own ("Q: Where does the oil end up?") is what the answer after it is
    about, like a heading: context for the answer's sentences, never quoted itself; a question inside an
    answer ("Who would have thought it?") is not one."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, INTERVIEW_CORPUS))
    r = pipeline.retriever
    index = {s.text: i for i, s in enumerate(r.sentences)}
    asked = (
        index["Where does the oil end up?"]
        if "Where does the oil end up?" in index
        else index["Q: Where does the oil end up?"]
    )
    answer = index["A: About 60 per cent goes to perfumers, mostly small independent houses."]
    assert r.asked_by[asked] == asked and not r.quotable[asked]
    assert r.asked_by[answer] == asked and r.asked_by[index["Who would have thought it?"]] == asked
    assert r.quotable[index["Who would have thought it?"]]
    assert not r.quotable[index["Q: Let's start at the beginning."]]  # the interviewer's words
    reply = pipeline.answer("where does the oil end up?")
    assert reply.answered and "perfumers" in reply.answer and "Where does the oil end up" not in reply.answer
    reply = pipeline.answer("why did she leave her lab job?")
    assert reply.answered and "burnt out" in reply.answer and "Why leave" not in reply.answer


DEPOT = {
    "depot.txt": (
        "The new Harling bus depot opened on Monday after two years of building work. "
        "Its forty electric buses are charged overnight from a substation beside the yard. "
        "Norvale Transit, which runs the depot, said the first routes would start in May.\n\n"
        "The mayor arrived at the opening in a vintage Routemaster bus. "
        "The night routes are run by Stagecoach Group under a five-year contract.\n"
    ),
}


def test_a_quote_that_never_speaks_of_the_thing_asked_for_is_declined(tmp_path) -> None:
    """ "what <noun>" asks for one of a kind: a quote with neither the noun nor a word for a kind of it
    ("bus" for "vehicle") does not answer it, unless a new name is bound to what the question says of it."""
    pipeline = QAPipeline.open(offline_settings(tmp_path, DEPOT))
    engine = pipeline.answer("what engine do the buses at the harling depot have?")
    assert not engine.answered and "which engine" in engine.answer
    vehicle = pipeline.answer("what vehicle did the mayor arrive at the opening in?")  # a bus: a kind of it
    assert vehicle.answered and "Routemaster" in vehicle.answer
    operator = pipeline.answer("which company runs the harling depot?")  # a name doing it, no "company"
    assert operator.answered and "Norvale Transit" in operator.answer
    night = pipeline.answer("which firm are the night routes run by?")  # "run by <name>"
    assert night.answered and "Stagecoach" in night.answer
