"""Amount arithmetic: "how much more … than …" and "add … to …" are computed from two amounts the
documents give, in one unit, each cited."""

from __future__ import annotations

import pytest
from helpers import offline_settings

from bot.answer.amounts import amounts_in, two_parts
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
    ],
)
def test_amounts_in_a_sentence(text: str, found: list[tuple[str, float, str]]) -> None:
    assert [(a.unit, a.value, a.text) for a in amounts_in(text, 0)] == found


@pytest.mark.parametrize(
    ("question", "parts", "subjects", "subtract"),
    [
        (  # the short second part shares the first's predicate; the names tell them apart
            "How much more is Tarsenia putting into the fund than Merovia?",
            ["Tarsenia putting into fund", "Merovia putting into fund"],
            ["Tarsenia", "Merovia"],
            True,
        ),
        (
            "if you add the grant to the seed money, how much has salterra got altogether?",
            ["grant", "seed money"],
            ["grant", "seed money"],
            False,
        ),
        (  # "the first one" is the first offer
            "how much more is the final offer than the first one?",
            ["final offer", "first offer"],
            ["final offer", "first offer"],
            True,
        ),
    ],
)
def test_two_parts(question: str, parts: list[str], subjects: list[str], subtract: bool) -> None:
    assert two_parts(question) == (parts, subjects, subtract)


def test_a_question_about_one_amount_has_no_two_parts() -> None:
    assert two_parts("how much is the grant from Innovate UK?") is None
    assert two_parts("how much more will fares cost next year?") is None


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
    answer = pipeline.answer("How much more is Tarsenia putting into the conservation fund than the Innovate UK grant?")
    assert "computed" not in answer.answer
