import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from decisions.models import Decision, Status
from decisions.search import Filters, clean_query, search
from tests.factories import DecisionFactory, replace

pytestmark = pytest.mark.django_db

URL = "/principafgoerelser/soeg/"


def numbers(html_or_results) -> list[str]:
    return [decision.number for decision in html_or_results.page.object_list]


def test_a_decision_number_goes_straight_to_the_decision(client):
    DecisionFactory(number="C-16-99")

    assert client.get(URL, {"q": "c-16-99"})["Location"] == "/principafgoerelser/C-16-99/"


def test_a_citation_alone_offers_the_paragraph_page_first(client):
    DecisionFactory(number="1-20", citations="RSL § 9 c")
    DecisionFactory(number="2-20", citations="SEL § 100")

    html = " ".join(client.get(URL, {"q": "§ 9 c i retssikkerhedsloven"}).content.decode().split())

    assert "Gå til retssikkerhedsloven § 9 c – 1 afgørelse" in html
    assert html.index("go-to-paragraph") < html.index("/principafgoerelser/1-20/")
    assert "/principafgoerelser/2-20/" not in html


def test_a_citation_with_words_limits_to_the_paragraph_and_ranks_by_the_words():
    DecisionFactory(number="1-20", citations="SEL § 100", title="Medicin og kost")
    DecisionFactory(number="2-20", citations="SEL § 100", title="Kørsel til arbejde")
    DecisionFactory(number="3-20", citations="SEL § 41", title="Medicin til børn")

    results = search("SEL § 100 medicin", Filters())

    assert numbers(results) == ["1-20"]


def test_word_forms_are_found_through_the_danish_stemmer():
    DecisionFactory(number="1-20", title="Robotstøvsuger som forbrugsgode", summary="Om robotstøvsugere.")

    assert numbers(search("robotstøvsugere", Filters())) == ["1-20"]


def test_title_weighs_more_than_body_and_in_force_comes_first_at_similar_relevance():
    DecisionFactory(number="1-20", title="Andet emne", body="Her nævnes tandbehandling.")
    DecisionFactory(number="2-20", title="Tandbehandling efter aktivloven")
    DecisionFactory(number="3-20", title="Tandbehandling efter aktivloven", status=Status.PARTLY_CHANGED)

    assert numbers(search("tandbehandling", Filters())) == ["2-20", "3-20", "1-20"]


def test_decisions_no_longer_in_force_are_left_out_unless_asked_for_and_then_marked(client):
    old = DecisionFactory(number="C-16-99", title="Bilstøtte gammel", status=Status.NO_LONGER_IN_FORCE)
    new = DecisionFactory(number="12-19", title="Bilstøtte ny")
    replace(new, old)

    default = client.get(URL, {"q": "bilstøtte"}).content.decode()
    historic = client.get(URL, {"q": "bilstøtte", "include_historic": "1"}).content.decode()

    assert "/principafgoerelser/C-16-99/" not in default
    assert "/principafgoerelser/C-16-99/" in historic
    assert 'Erstattet af <a href="/principafgoerelser/12-19/">12-19</a>' in " ".join(historic.split())


def test_filters_and_facet_counts_live_in_the_url(client):
    DecisionFactory(number="1-20", title="Hjemmehjælp", citations="SEL § 83")
    DecisionFactory(number="2-20", title="Hjemmehjælp", citations="RSL § 9", area=_area("employment"))

    unfiltered = " ".join(client.get(URL, {"q": "hjemmehjælp"}).content.decode().split())
    html = " ".join(client.get(URL, {"q": "hjemmehjælp", "area": "social"}).content.decode().split())

    assert (
        'href="?q=hjemmehj%C3%A6lp&amp;area=employment">Beskæftigelsesområdet</a> '
        '<span class="count">1</span>' in unfiltered
    )
    assert 'Retssikkerhedsloven</a> <span class="count">1</span>' in unfiltered
    assert "/principafgoerelser/1-20/" in html
    assert "/principafgoerelser/2-20/" not in html
    assert '<a aria-current="true" href="?q=hjemmehj%C3%A6lp">✕ Socialområdet</a>' in html


def test_a_query_matching_very_many_decisions_is_bounded_and_says_so(client, monkeypatch):
    from decisions import search as search_module

    monkeypatch.setattr(search_module, "CAP", 5)
    DecisionFactory.create_batch(8, title="Kommunen skal vurdere")

    html = client.get(URL, {"q": "kommunen"}).content.decode()

    assert "Mere end 5 afgørelser matcher: de 5 mest relevante vises." in html
    assert html.count('class="decision-item ') == 5


def _area(slug):
    from decisions.models import Area

    return Area.objects.get(slug=slug)


def test_snippets_mark_the_matches_and_escape_the_text():
    DecisionFactory(
        number="1-20", summary="Udgifter til medicin under 5 < 6 kr. & <b>mere</b>.", body="Intet."
    )

    results = search("medicin", Filters())

    snippet = results.page.object_list[0].snippet
    assert "<mark>medicin</mark>" in snippet
    assert "&lt;" in snippet
    assert "&amp;" in snippet
    assert "<b>" not in snippet


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        '" or -',
        "-",
        "😀 § §",
        "' OR 1=1; DROP TABLE x; --",
        "<script>",
        "a" * 1999,
    ],
)
def test_any_input_gives_a_normal_page(client, query):
    DecisionFactory()

    response = client.get(URL, {"q": query})

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split('id="main"')[1]


def test_clean_query_drops_control_characters_and_limits_length():
    assert clean_query("a\x00b\x07c  d") == "a b c d"
    assert len(clean_query("x" * 2000)) == 500


def test_the_search_uses_the_gin_index():
    from django.contrib.postgres.search import SearchQuery

    DecisionFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned otherwise
    plan = Decision.objects.filter(
        search_vector=SearchQuery("medicin", search_type="websearch", config="danish")
    ).explain()

    assert "decision_search_vector" in plan


def test_the_results_page_makes_the_same_number_of_queries_however_many_match(client):
    DecisionFactory.create_batch(3, title="Merudgifter til medicin")
    client.get(URL, {"q": "medicin"})  # fills the caches of synonyms and vocabulary
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"q": "medicin"})

    DecisionFactory.create_batch(30, title="Merudgifter til medicin", citations="SEL § 100\nAKL § 34")
    client.get(URL, {"q": "medicin"})  # counts the published decisions anew, once, after a change
    with CaptureQueriesContext(connection) as many:
        client.get(URL, {"q": "medicin"})

    assert len(many) == len(few)


def test_as_you_type_suggestions_offer_numbers_paragraphs_and_laws(client):
    DecisionFactory(number="12-19", title="Merudgifter", citations="SEL § 100")
    DecisionFactory(number="12-20", title="Kørsel", citations="SEL § 112")

    numbers = client.get("/principafgoerelser/soeg/forslag/", {"q": "12-"}).json()["suggestions"]
    paragraphs = client.get("/principafgoerelser/soeg/forslag/", {"q": "sel § 1"}).json()["suggestions"]
    laws = client.get("/principafgoerelser/soeg/forslag/", {"q": "service"}).json()["suggestions"]

    assert [item["text"] for item in numbers] == ["12-19", "12-20"]
    assert [item["text"] for item in paragraphs] == ["SEL § 100", "SEL § 112"]
    assert laws == [{"kind": "law", "text": "SEL § ", "label": "Lov om social service"}]
    assert client.get("/principafgoerelser/soeg/forslag/", {"q": "\x00"}).status_code == 400


def test_paragraph_and_year_facets_narrow_the_results(client):
    DecisionFactory(
        number="1-20", title="Hjemmehjælp", citations="SEL § 83", decided_on=datetime.date(2020, 5, 1)
    )
    DecisionFactory(
        number="2-21", title="Hjemmehjælp", citations="RSL § 9 c", decided_on=datetime.date(2021, 5, 1)
    )

    html = " ".join(client.get(URL, {"q": "hjemmehjælp"}).content.decode().split())
    narrowed = client.get(URL, {"q": "hjemmehjælp", "paragraph": "retssikkerhedsloven-9c"}).content.decode()
    by_year = client.get(URL, {"q": "hjemmehjælp", "year_from": "2020", "year_to": "2020"}).content.decode()

    assert (
        'href="?q=hjemmehj%C3%A6lp&amp;paragraph=serviceloven-83">SEL § 83</a> <span class="count">1</span>'
        in html
    )
    assert '2021</a> <span class="count">1</span>' in html
    assert "/principafgoerelser/2-21/" in narrowed
    assert "/principafgoerelser/1-20/" not in narrowed
    assert "/principafgoerelser/1-20/" in by_year
    assert "/principafgoerelser/2-21/" not in by_year
