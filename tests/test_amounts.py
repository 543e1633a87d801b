"""Amount arithmetic: "how much more … than …" and "add … to …" are computed from two amounts the
documents give, in one unit, each cited."""

from __future__ import annotations

import time

import pytest
from helpers import offline_settings

from bot.answer.amounts import (
    _ADD,
    _DIFFERENCE,
    _MORE,
    _PLUS,
    _STATED_CHANGE,
    _TOGETHER,
    Amount,
    Parts,
    _best_amount,
    _counts_from_to,
    _from_to,
    _planned_actual,
    _reduced_by,
    amounts_in,
    render,
    two_parts,
)
from bot.answer.pipeline import QAPipeline


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("with Tarsenia contributing €132m and Merovia €108m.", [("€", 132e6, "€132m"), ("€", 108e6, "€108m")]),
        ("It has raised £8.5 million in seed funding.", [("£", 8.5e6, "£8.5 million")]),
        ("an offer of 238p a share", [("p", 238, "238p")]),
        ("The trust holds 18 p.c. of the shares.", [("%", 18, "18 p.c.")]),  # spun per cent, not pence
        ("| Grants | £64,500 | £71,000 |", [("£", 64500, "£64,500"), ("£", 71000, "£71,000")]),
        ("In 2019 the agency employed 640 people.", []),  # a year and a count are no amounts
        ("The fair opens at 3 p.m. and entry costs 80p.", [("p", 80, "80p")]),  # a clock time is no pence
        ("They paid £5, then £10 more.", [("£", 5, "£5"), ("£", 10, "£10")]),  # a comma after a number
        ("It raised £1.2bn.", [("£", 1.2e9, "£1.2bn")]),
    ],
)
def test_amounts_in_a_sentence(text: str, found: list[tuple[str, float, str]]) -> None:
    assert [(a.unit, a.value, a.text) for a in amounts_in(text, 0)] == found


@pytest.mark.parametrize(
    ("question", "parts", "subjects", "subtract", "smaller_first"),
    [
        (  # the short second part shares the first's predicate; the names tell them apart
            "How much more is Tarsenia putting into the fund than Merovia?",
            ["Tarsenia putting into fund", "Merovia putting into fund"],
            ["Tarsenia", "Merovia"],
            True,
            False,
        ),
        (  # a name of two words is the subject, whatever the length of the other
            "How much more did Manchester United pay than Chelsea?",
            ["Manchester United pay", "Chelsea pay"],
            ["Manchester United", "Chelsea"],
            True,
            False,
        ),
        (
            "if you add the grant to the seed money, how much has salterra got altogether?",
            ["grant", "seed money"],
            ["grant", "seed money"],
            False,
            None,
        ),
        (  # "the first one" is the first offer; "less" asserts the first is the smaller
            "how much less is the final offer than the first one?",
            ["final offer", "first offer"],
            ["final offer", "first offer"],
            True,
            True,
        ),
    ],
)
def test_two_parts(question: str, parts: list[str], subjects: list[str], subtract: bool, smaller_first) -> None:
    assert two_parts(question) == Parts(parts, subjects, subtract, smaller_first)


def test_a_question_about_one_amount_or_no_quantity_has_no_two_parts() -> None:
    assert two_parts("how much is the grant from Innovate UK?") is None
    assert two_parts("how much more will fares cost next year?") is None
    assert two_parts("What is the difference between a grant and a loan?") is None  # asks for no amount


def test_a_long_question_is_read_in_linear_time() -> None:
    """The parts are bounded: an unbounded lazy pair of groups took minutes on 5,000 characters."""
    long = "how much more " + "x and " * 1000
    started = time.perf_counter()
    for pattern in (_MORE, _DIFFERENCE, _ADD, _PLUS, _TOGETHER):
        pattern.search(long + " combined?")
    assert time.perf_counter() - started < 1.0  # unbounded: about 30 s for these 6,000 characters
    assert two_parts("how much more " + "x and " * 3000 + "?") is None


def _amount(value: float, scale: str, text: str, decimals: int = 0, unit: str = "£") -> Amount:
    return Amount(0, 0, unit, value, scale, text, decimals)


@pytest.mark.parametrize(
    ("value", "first", "second", "shown"),
    [
        (24e6, _amount(132e6, "m", "€132m", unit="€"), _amount(108e6, "m", "€108m", unit="€"), "€24m"),
        (9.7e6, _amount(8.5e6, "million", "£8.5 million", 1), _amount(1.2e6, "million", "£1.2 million", 1), None),
        (1.7e9, _amount(1.2e9, "bn", "£1.2bn", 1), _amount(5e8, "m", "£500m"), "£1.7bn"),  # the larger scale
        (10e6, _amount(5e6, "m", "£5m"), _amount(5e6, "million", "£5 million"), "£10m"),
        (4_000, _amount(1.234e6, "m", "£1.234m", 3), _amount(1.23e6, "m", "£1.23m", 2), "£4,000"),  # under 1m
        (3e8, _amount(1.5e9, "bn", "£1.5bn", 1), _amount(1.2e9, "bn", "£1.2bn", 1), "£300m"),  # a scale down
        (2.234e6, _amount(1.234e6, "m", "£1.234m", 3), _amount(1e6, "m", "£1m"), "£2.234m"),  # every decimal
        (48, _amount(238, "", "238p", unit="p"), _amount(190, "", "190p", unit="p"), "48p"),
        (6, _amount(18, "", "18 p.c.", unit="%"), _amount(12, "", "12%", unit="%"), "6 percentage points"),
    ],
)
def test_a_result_is_shown_in_the_unit_and_scale_of_its_amounts(value, first, second, shown) -> None:
    assert render(value, first, second) == (shown or "£9.7 million")


CORPUS = {
    "fisheries.txt": (
        "Fisheries deal signed\n\n"
        "Tarsenia and Merovia have signed a six-year fisheries agreement. Both governments pay into a joint "
        "conservation fund worth €240m over six years, with Tarsenia contributing €132m and Merovia €108m. "
        "The money pays for scientific surveys and patrol boats.\n"
    ),
    "salterra.txt": (
        "Battery start-up raises seed money\n\n"
        "Salterra, a sodium battery start-up, has raised £8.5 million in seed funding to build a pilot line. "
        "The round was led by Northlight Ventures. Separately, Salterra has won a £1.2 million grant from "
        "Innovate UK to develop battery packs for energy storage. The firm employs 14 people.\n"
    ),
    "harbour.txt": (
        "Harbour gets a pontoon\n\nThe harbour board spent £2.5 million on a new pontoon for ferries. "
        "Annual mooring fees at the harbour went from £1,200 in 2022 to £1,500 this year. "
        "Ferry fares rose by 20p, from £2.20 to £2.40 a crossing.\n"
    ),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> QAPipeline:
    return QAPipeline.open(offline_settings(tmp_path_factory.mktemp("amounts"), CORPUS))


def test_how_much_more_one_pays_than_another_is_computed(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("How much more is Tarsenia putting into the conservation fund than Merovia?")
    assert answer.answered and answer.answer.startswith("€24m: €132m [1] minus €108m [1]")
    assert len(answer.citations) == 1 and "Tarsenia contributing €132m" in answer.citations[0].quote


def test_two_amounts_added_are_computed(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("if you add the innovate uk grant to the seed money, how much has salterra got in all?")
    assert answer.answered and answer.answer.startswith("£9.7 million")
    assert {c.quote.count("£") for c in answer.citations} == {1} and len(answer.citations) == 2


def test_the_second_amount_is_looked_for_in_the_unit_of_the_first(pipeline: QAPipeline) -> None:
    """The £1.2 million grant is the closest amount to "the Innovate UK grant", but Tarsenia pays euros."""
    r = pipeline.retriever
    grant = _best_amount("Innovate UK grant", "Innovate UK grant", r, None, 0.45)
    assert grant is not None and grant.text == "£1.2 million"
    tarsenia = _best_amount("Tarsenia putting into fund", "Tarsenia", r, None, 0.45)
    assert tarsenia is not None and tarsenia.text == "€132m"
    other = _best_amount("Innovate UK grant", "Innovate UK grant", r, tarsenia, 0.45)
    assert other is None or other.unit == "€"
    answer = pipeline.answer("How much more is Tarsenia putting into the conservation fund than the Innovate UK grant?")
    assert "computed" not in answer.answer


def test_a_comparison_the_documents_contradict_is_not_computed(pipeline: QAPipeline) -> None:
    """Merovia pays less than Tarsenia: the extractive answer shows what the documents say instead."""
    answer = pipeline.answer("How much more is Merovia putting into the conservation fund than Tarsenia?")
    assert "computed" not in answer.answer and "€108m" in answer.answer


def test_amounts_from_two_documents_are_not_combined(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("how much more is salterra's seed money than the harbour board spent on the pontoon?")
    assert "computed" not in answer.answer


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("Its power bill went from £1.1 million in 2021 to £3.6 million last year.", ("£1.1 million", "£3.6 million")),
        ("Support fell from 62% in May to 48% in June.", ("62%", "48%")),
        ("The fare went from £2 to 80p.", None),  # two units
        ("It raised £5m from investors and spent it on up to £2m of kit.", None),  # no "from … to …"
    ],
)
def test_an_amount_going_from_one_value_to_another(text: str, pair) -> None:
    found = _from_to(text, 0)
    assert (found and (found[0].text, found[1].text)) == pair if pair else found is None


def test_how_much_something_rose_is_computed_from_where_it_went_from_and_to(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("by how much did the harbour mooring fees go up since 2022?")
    assert answer.answered and answer.answer.startswith("Up £300: from £1,200 [1] to £1,500 [1]")
    assert len(answer.citations) == 1 and "mooring fees" in answer.citations[0].quote


@pytest.mark.parametrize(
    "sentence",
    [
        "Fares rose by 20p, from £2.20 to £2.40.",
        "Shares fell 31 p.c. from 412p to 284p.",
        "up 9% on 2022",
        "It was expected to cost £3.6m but came in £1.2m over budget.",
    ],
)
def test_a_change_stated_outright(sentence: str) -> None:
    assert _STATED_CHANGE.search(sentence)


def test_a_change_the_documents_state_is_quoted_not_computed(pipeline: QAPipeline) -> None:
    answer = pipeline.answer("how much did the ferry fares rise?")
    assert answer.answered and "computed" not in answer.answer and "20p" in answer.answer


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("The roof was meant to cost £3.6 million, but the final bill came to £4.8 million.", ("£3.6m", "£4.8m")),
        ("A budget of £400,000 was set, although in the end it spent £520,000.", ("£400,000", "£520,000")),
        ("It is expected to cost £2m and to employ 40 people at £30,000 each.", None),  # no "but"
        ("The hall was meant to cost £2m, but the grant was $1m.", None),  # two units
        ("It was meant to cost £3.6m, but a £1.2m lottery grant covered part of it.", None),  # no final amount
    ],
)
def test_an_amount_planned_and_the_amount_it_came_to(text: str, pair) -> None:
    found = _planned_actual(text, 0)
    numbers = found and tuple(f"{a.unit}{a.value / 1e6:g}m" if a.value >= 1e6 else a.text for a in found)
    assert numbers == pair if pair else found is None


@pytest.mark.parametrize(
    ("document", "asked", "computed", "plain"),
    [
        (
            "Lido Reopens\n\nThe town's open-air pool reopened on Saturday after a two-year restoration. "
            "The restoration was meant to cost £3.6 million, but the final bill came to £4.8 million after "
            "asbestos was found in the changing rooms. A season ticket costs £95.\n",
            "how much over budget did the pool restoration go?",
            "£1.2 million over budget: planned £3.6 million [1], came to £4.8 million [1]",
            "how much did the pool restoration cost?",
        ),
        (
            "Water Firm Fined\n\nA water company has been fined £14.2 million for pumping sewage into the river. "
            "The judge said the fine would have been £21.3m but had been reduced by a third to reflect the "
            "firm's early guilty pleas. The firm must also pay £387,000 in costs.\n",
            "how much did the water firm save on the fine by pleading guilty?",
            "£7.1m: a third of £21.3m [1] (computed from the cited passage)",
            "how much was the water firm fined?",
        ),
    ],
    ids=["overrun", "reduction"],
)
def test_an_overrun_or_a_reduction_is_computed_only_when_asked(
    tmp_path, document: str, asked: str, computed: str, plain: str
) -> None:
    pipeline = QAPipeline.open(offline_settings(tmp_path, {"news.txt": document}))
    assert pipeline.answer(asked).answer.startswith(computed)
    assert "computed" not in pipeline.answer(plain).answer


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("The fine would have been £21.3m but was reduced by a third for the early plea.", "£7.1m: a third of £21.3m"),
        ("a starting point of £1.8 million, which she decreased by a 3rd.", "£600,000: a third of £1.8 million"),
        ("The fee was £400, but the council cut it by 25% for pensioners.", "£100: 25% of £400"),
        ("The fine was £2m, and costs of £90,000 were reduced by a half.", "£45,000: a half of £90,000"),
        ("The fine was £2m. Costs were reduced by a half.", None),  # the share is said of no amount
        ("The budget is £2m and was cut by councillors.", None),  # no share
    ],
)
def test_the_share_an_amount_was_reduced_by(text: str, described: str | None) -> None:
    found = _reduced_by(text, 0)
    assert (found and found.describe(["[1]"]).split(" [1]")[0]) == described if described else found is None


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("The junior section grew from 61 registered players in 2023 to 96 this year.", ("61", "96")),
        ("Weekly passengers went from 1,150 to 610.", ("1,150", "610")),
        ("It ran from 2019 to 2023.", None),  # years
        ("The shop opens from 9am to 5pm.", None),  # clock times
        ("Support rose from 40% to 55%.", None),  # percentages are amounts, not counts
    ],
)
def test_counts_going_from_one_to_another(text: str, pair) -> None:
    found = _counts_from_to(text, 0)
    assert (found and (found[0].text, found[1].text)) == pair if pair else found is None


def test_how_many_more_and_how_much_was_knocked_off_are_computed_from_from_and_to(tmp_path) -> None:
    corpus = {
        "club.txt": (
            "Club Review\n\nThe junior section grew from 61 registered players in 2023 to 96 this year. "
            "The county cut its grant to the club from £1.9 million to £650,000 in April. "
            "The bar was closed for three weeks in July.\n"
        )
    }
    pipeline = QAPipeline.open(offline_settings(tmp_path, corpus))
    answer = pipeline.answer("how many more junior players have they got compared to 2023")
    assert answer.answer.startswith("Up 35: from 61 [1] to 96 [1]")
    answer = pipeline.answer("how much money did the county knock off the grant altogether")
    assert answer.answer.startswith("Down £1.25 million: from £1.9 million [1] to £650,000 [1]")
