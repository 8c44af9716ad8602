"""Hotline answers found by the decisions' engine, current first; the search page showing both
kinds with their counts; /api/v1/search/?type=hotline."""

import datetime

import pytest
from django.utils import timezone

from decisions.search import Filters
from hotline.search import search_answers
from tests.factories import AnswerFactory, DecisionFactory

pytestmark = pytest.mark.django_db
URL = "/principafgoerelser/soeg/"
LONG_AGO = timezone.localdate() - datetime.timedelta(days=400)


def references(results) -> list[str]:
    return [answer.reference for answer in results.page.object_list]


@pytest.fixture
def answers():
    car = AnswerFactory(
        reference="HL-2024-031",
        title="Handicapbil og kørsel i weekenden",
        question="Kan kommunen give støtte til en bil, som kun bruges i weekenden?",
        citations="SEL § 114",
        decisions=["12-20"],
    )
    old_car = AnswerFactory(
        reference="HL-2023-010",
        title="Handicapbil og kørsel i weekenden",
        question="Kan kommunen give støtte til en bil, som kun bruges i weekenden?",
        citations="SEL § 114",
        verified_on=LONG_AGO,
    )
    medicine = AnswerFactory(
        reference="HL-2024-040",
        title="Merudgifter til medicin",
        question="Dækker kommunen medicin, som ikke får tilskud?",
        citations="SEL § 100",
    )
    replaced = AnswerFactory(
        reference="HL-2022-001", title="Handicapbil – gammel vejledning", citations="SEL § 114"
    )
    replaced.superseded_by = car
    replaced.save()
    return car, old_car, medicine, replaced


def test_words_find_answers_current_first_and_superseded_only_when_asked(answers):
    assert references(search_answers("handicapbil weekend", Filters())) == ["HL-2024-031", "HL-2023-010"]
    with_old = references(search_answers("handicapbil", Filters(include_historic=True)))
    assert "HL-2022-001" in with_old


def test_a_citation_limits_to_the_paragraph_and_a_decision_number_finds_answers_relying_on_it(answers):
    DecisionFactory(number="12-20")

    assert sorted(references(search_answers("SEL § 114", Filters()))) == ["HL-2023-010", "HL-2024-031"]
    assert references(search_answers("sel 100 medicin", Filters())) == ["HL-2024-040"]
    assert references(search_answers("12-20", Filters())) == ["HL-2024-031"]
    assert search_answers("hl-2024-040", Filters()).redirect_to == "/hotline/svar/HL-2024-040/"


def test_a_typo_is_corrected_when_nothing_matches_as_typed(answers):
    results = search_answers("handicapbiil", Filters())

    assert results.corrected_from == "handicapbiil"
    assert "HL-2024-031" in references(results)


def test_the_search_page_shows_both_kinds_with_their_counts(client, answers):
    DecisionFactory(number="12-20", citations="SEL § 114", title="Bilstøtte – handicapkørsel")

    page = client.get(URL, {"q": "SEL § 114"}).content.decode()
    hotline = client.get(URL, {"q": "SEL § 114", "type": "hotline"}).content.decode()

    assert 'Principafgørelser <span class="count">1</span>' in page
    assert 'Hotline-svar <span class="count">2</span>' in page
    assert "Den juridiske hotline har 2 svar om dette" in page
    assert "HL-2024-031" in page
    assert 'Principafgørelser <span class="count">1</span>' in hotline
    assert "2 hotline-svar" in hotline
    assert hotline.index("HL-2024-031") < hotline.index("HL-2023-010")  # current first
    assert "12-20 Bilstøtte" not in hotline
    redirect = client.get(URL, {"q": "HL-2024-031", "type": "hotline"})
    assert redirect["Location"] == "/hotline/svar/HL-2024-031/"


def test_the_api_returns_answers_with_type_hotline_and_decisions_without(client, answers):
    DecisionFactory(number="12-20", citations="SEL § 114")

    hotline = client.get("/api/v1/search/", {"q": "handicapbil", "type": "hotline"}).json()
    decisions = client.get("/api/v1/search/", {"q": "SEL § 114"}).json()

    assert hotline["count"] == 2
    first = hotline["results"][0]
    assert set(first) == {"type", "reference", "title", "url", "area", "validity", "snippet"}
    assert (first["type"], first["reference"], first["validity"]) == ("hotline", "HL-2024-031", "current")
    assert first["url"] == "http://testserver/hotline/svar/HL-2024-031/"
    assert [result["number"] for result in decisions["results"]] == ["12-20"]
    assert decisions["results"][0]["type"] == "decision"
    assert client.get("/api/v1/search/", {"q": "x", "type": "both"}).status_code == 400


def test_a_word_only_the_answers_say_is_known_and_a_typo_of_it_is_corrected_to_it():
    AnswerFactory(reference="HL-2025-033", title="Førtidspension ved skizofreni", keywords=["skizofreni"])
    DecisionFactory(title="Førtidspension ved skilsmisse")  # a decision word close to it

    exact = search_answers("skizofreni", Filters())
    typo = search_answers("skizofrenni", Filters())

    assert (references(exact), exact.corrected_from) == (["HL-2025-033"], "")
    assert (references(typo), typo.corrected_from) == (["HL-2025-033"], "skizofrenni")
