import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from decisions.models import Area, Decision, Paragraph, Relation, Status
from tests.factories import DecisionFactory, replace

pytestmark = pytest.mark.django_db


def paragraph_url(law: str = "serviceloven", section: str = "100") -> str:
    return Paragraph.objects.get(law__slug=law, section=section).get_absolute_url()


def test_the_overview_lists_each_law_with_its_paragraphs_and_decisions_in_force(client):
    DecisionFactory.create_batch(2, citations="SEL § 100")
    DecisionFactory(citations="SEL § 100", status=Status.NO_LONGER_IN_FORCE)
    DecisionFactory(citations="RSL § 9 c\nSEL § 83, stk. 1")
    DecisionFactory(citations="SEL § 41", is_published=False)  # a draft counts nowhere

    response = client.get("/principafgoerelser/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/principafgoerelser/lov/serviceloven/100/"' in html
    assert "2 gældende" in html
    assert "(3 i alt)" in html
    assert 'href="/principafgoerelser/lov/retssikkerhedsloven/9c/"' in html
    assert "§ 9 c" in html
    assert "/serviceloven/41/" not in html
    assert "Forvaltningsloven" in html  # every law is listed, with or without decisions


def test_a_paragraph_page_shows_decisions_in_force_first_and_the_historic_ones_collapsed(client):
    old = DecisionFactory(
        number="C-16-99", title="Gammel praksis om kørsel", status=Status.NO_LONGER_IN_FORCE
    )
    partly = DecisionFactory(number="5-15", title="Delvist ændret praksis", status=Status.PARTLY_CHANGED)
    current = DecisionFactory(
        number="12-19", title="Gældende praksis om kørsel", citations="SEL § 100, stk. 2"
    )
    replace(current, old)
    Relation.objects.create(source=current, target=partly, kind=Relation.Kind.CHANGES)

    response = client.get(paragraph_url())

    html = response.content.decode()
    assert html.index("Gældende praksis om kørsel") < html.index("Delvist ændret praksis")
    assert html.index("Delvist ændret praksis") < html.index("Gammel praksis om kørsel")
    details = html[html.index("<details") :]
    assert "Gammel praksis om kørsel" in details
    assert "Gældende praksis om kørsel" not in details
    assert "1 gældende principafgørelse, 1 delvist ændret, 1 ikke længere gældende." in " ".join(html.split())
    text = " ".join(html.split())
    assert 'Erstattet af <a href="/principafgoerelser/12-19/">12-19</a>' in text
    assert 'Delvist ændret ved <a href="/principafgoerelser/12-19/">12-19</a>' in text
    assert "stk. 2" in html


def test_a_paragraph_address_with_a_spaced_section_redirects_to_the_canonical_one(client):
    DecisionFactory(citations="RSL § 9 c")

    response = client.get("/principafgoerelser/lov/retssikkerhedsloven/9%20c/")

    assert response.status_code == 301
    assert response["Location"] == "/principafgoerelser/lov/retssikkerhedsloven/9c/"


def test_a_decision_no_longer_in_force_says_so_first_and_links_its_replacement(client):
    old = DecisionFactory(number="C-16-99", status=Status.NO_LONGER_IN_FORCE)
    new = DecisionFactory(number="12-19", title="Ny praksis")
    replace(new, old)

    html = client.get("/principafgoerelser/C-16-99/").content.decode()

    main = html[html.index('<main id="main"') :]
    banner = main.index("Denne afgørelse er ikke længere gældende.")
    assert banner < main.index("<h1>")
    assert '<a href="/principafgoerelser/12-19/">12-19 Ny praksis</a>' in main[banner:]


def test_a_decision_page_shows_summary_practice_note_paragraphs_relations_both_ways_and_cite_line(client):
    old = DecisionFactory(number="C-16-99", status=Status.NO_LONGER_IN_FORCE)
    decision = DecisionFactory(
        number="12-19",
        practice_note="Spørg ind til kørslens omfang.",
        citations="SEL § 100, stk. 1\nRSL § 9 c",
        keywords=["merudgifter", "bil"],
    )
    later = DecisionFactory(number="3-22")
    replace(decision, old)
    Relation.objects.create(source=later, target=decision, kind=Relation.Kind.SEE_ALSO)

    html = " ".join(client.get("/principafgoerelser/12-19/").content.decode().split())

    assert (
        html.index("Resumé") < html.index("Sådan bruges afgørelsen i praksis") < html.index("Afgørelsen</h2>")
    )
    assert '<a href="/principafgoerelser/lov/serviceloven/100/">serviceloven § 100, stk. 1</a>' in html
    assert '<a href="/principafgoerelser/lov/retssikkerhedsloven/9c/">retssikkerhedsloven § 9 c</a>' in html
    assert '<span class="relation-label">Erstatter</span> <a href="/principafgoerelser/C-16-99/">' in html
    assert '<span class="relation-label">Se også</span> <a href="/principafgoerelser/3-22/">' in html
    assert 'value="Ankestyrelsens principafgørelse 12-19"' in html
    assert 'value="http://testserver/principafgoerelser/12-19/"' in html  # SITE_URL
    assert "<li>merudgifter</li>" in html
    assert "ikke længere gældende" not in html.split("<h1>")[0]


def test_a_decision_number_in_another_case_redirects_to_the_permanent_address(client):
    DecisionFactory(number="C-16-99")

    response = client.get("/principafgoerelser/c-16-99/")

    assert response.status_code == 301
    assert response["Location"] == "/principafgoerelser/C-16-99/"


def test_drafts_are_hidden_from_the_public_but_shown_to_staff(client, admin_user):
    DecisionFactory(number="7-24", is_published=False)

    assert client.get("/principafgoerelser/7-24/").status_code == 404
    client.force_login(admin_user)
    response = client.get("/principafgoerelser/7-24/")
    assert response.status_code == 200
    assert "Kladde" in response.content.decode()


def test_area_and_newest_pages_are_paginated(client):
    DecisionFactory.create_batch(30)

    first = client.get("/principafgoerelser/omraade/social/").content.decode()
    second = client.get("/principafgoerelser/omraade/social/?side=2").content.decode()
    newest = client.get("/principafgoerelser/nyeste/").content.decode()

    assert "Side 1 af 2" in first
    assert first.count('class="decision-item ') == 25
    assert second.count('class="decision-item ') == 5
    assert "30 afgørelser" in newest
    assert client.get("/principafgoerelser/omraade/findes-ikke/").status_code == 404


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def _grow(extra: int) -> None:
    """More decisions on the same paragraph, each replacing an older one and in another area."""
    for index in range(extra):
        old = DecisionFactory(status=Status.NO_LONGER_IN_FORCE, citations="SEL § 100\nRSL § 9 c")
        new = DecisionFactory(
            area=Area.objects.order_by("?").first(), citations="SEL § 100, stk. 1\nAKL § 34"
        )
        replace(new, old)
        if index % 2:
            Relation.objects.create(source=new, target=old, kind=Relation.Kind.SEE_ALSO)


@pytest.mark.parametrize(
    "url",
    [
        "/principafgoerelser/",
        "/principafgoerelser/lov/serviceloven/",
        "/principafgoerelser/lov/serviceloven/100/",
        "/principafgoerelser/omraade/social/",
        "/principafgoerelser/nyeste/",
        "/principafgoerelser/1-21/",
    ],
)
def test_every_page_makes_the_same_number_of_queries_however_many_decisions_there_are(client, url):
    _grow(2)
    DecisionFactory(number="1-21", citations="SEL § 100")
    few = _queries(client, url)

    _grow(12)

    assert _queries(client, url) == few


def test_a_chain_of_replacements_leads_to_the_decision_in_force_today(client):
    first = DecisionFactory(number="C-16-99", status=Status.NO_LONGER_IN_FORCE)
    second = DecisionFactory(number="7-09", status=Status.NO_LONGER_IN_FORCE)
    third = DecisionFactory(number="24-19", title="Gældende praksis")
    replace(second, first)
    replace(third, second)

    html = " ".join(client.get("/principafgoerelser/C-16-99/").content.decode().split())

    banner = html[html.index("status-banner") : html.index("<h1>")]
    assert "7-09" in banner
    assert "(selv ikke længere gældende)" in banner
    assert 'Gældende i dag: <a href="/principafgoerelser/24-19/">24-19 Gældende praksis</a>' in banner


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_partly_changed_decision_says_which_decision_changed_it_when_and_what(client):
    older = DecisionFactory(number="22-15", status=Status.PARTLY_CHANGED, citations="RSL § 9, stk. 7")
    newer = DecisionFactory(
        number="11-21", decided_on=datetime.date(2021, 3, 18), citations="RSL § 9, stk. 7"
    )
    Relation.objects.create(
        source=newer,
        target=older,
        kind=Relation.Kind.CHANGES,
        note="Delen om almene boliger gælder ikke længere.",
    )

    html = _text(client.get("/principafgoerelser/22-15/"))
    banner = html[html.index("status-banner") : html.index("<h1>")]
    assert "Denne afgørelse er delvist ændret." in banner
    assert (
        'Delvist ændret ved <a href="/principafgoerelser/11-21/">11-21</a> (18. marts 2021): '
        "Delen om almene boliger gælder ikke længere." in banner
    )

    html = _text(client.get("/principafgoerelser/11-21/"))
    box = html[html.index("status-banner--changes") : html.index("<h1>")]
    note = "Delen om almene boliger gælder ikke længere."
    assert f'Ændrer <a href="/principafgoerelser/22-15/">22-15</a> delvist: {note}' in box

    # Lists and the paragraph page say the same, in one line each.
    html = _text(client.get("/principafgoerelser/lov/retssikkerhedsloven/9/"))
    assert (
        'Delvist ændret ved <a href="/principafgoerelser/11-21/">11-21</a> (18. marts 2021): Delen om' in html
    )
    assert 'Ændrer <a href="/principafgoerelser/22-15/">22-15</a> delvist: Delen om' in html


def test_a_partly_changed_decision_with_no_change_recorded_says_so_honestly(client):
    DecisionFactory(number="28-14", status=Status.PARTLY_CHANGED)

    html = _text(client.get("/principafgoerelser/28-14/"))

    assert "Det er endnu ikke registreret her, hvad der er ændret" in html


def test_lists_show_the_decision_to_use_at_the_end_of_a_chain_of_replacements(client):
    first = DecisionFactory(number="C-16-99", status=Status.NO_LONGER_IN_FORCE, citations="SEL § 100")
    second = DecisionFactory(number="7-09", status=Status.NO_LONGER_IN_FORCE, citations="SEL § 41")
    DecisionFactory(number="24-19", citations="SEL § 41")
    replace(second, first)
    replace(Decision.objects.get(number="24-19"), second)

    html = _text(client.get("/principafgoerelser/lov/serviceloven/100/"))

    assert (
        'Erstattet af <a href="/principafgoerelser/7-09/">7-09</a>. '
        'Brug i stedet: <a href="/principafgoerelser/24-19/">24-19</a>' in html
    )


def test_counts_show_a_partly_changed_decision_as_applying_in_part_not_as_nothing(client):
    DecisionFactory(citations="SEL § 108", status=Status.PARTLY_CHANGED)
    DecisionFactory.create_batch(2, citations="SEL § 100")
    DecisionFactory(citations="SEL § 100", status=Status.PARTLY_CHANGED)
    DecisionFactory(citations="SEL § 100", status=Status.NO_LONGER_IN_FORCE)

    for url in ("/principafgoerelser/", "/principafgoerelser/lov/serviceloven/"):
        html = _text(client.get(url))
        sel_108 = html[html.index("/serviceloven/108/") :][:400]
        assert "1 delvist ændret" in sel_108
        assert "0 gældende" not in sel_108
        assert "i alt" not in sel_108  # nothing hidden: the one decision applies in part
        sel_100 = html[html.index("/serviceloven/100/") :][:400]
        assert "2 gældende, " in sel_100
        assert "1 delvist ændret" in sel_100
        assert "(4 i alt)" in sel_100

    html = _text(client.get("/principafgoerelser/lov/serviceloven/108/"))
    assert "1 principafgørelse, delvist ændret: den gælder delvist." in html


def test_a_paragraph_without_decisions_has_a_page_that_says_so_and_links_the_law(client):
    DecisionFactory(citations="SEL § 9")
    DecisionFactory(citations="SEL § 11")

    response = client.get("/principafgoerelser/lov/serviceloven/10/")

    assert response.status_code == 200
    html = _text(response)
    assert "<h1>Serviceloven § 10</h1>" in html
    assert "Der er endnu ingen principafgørelser om serviceloven § 10." in html
    assert 'href="https://www.retsinformation.dk/' in html
    assert '<meta name="robots" content="noindex">' in html
    nearby = html[html.index("nearby-heading") :]
    assert nearby.index("/serviceloven/9/") < nearby.index("/serviceloven/11/")
    assert not Paragraph.objects.filter(
        law__slug="serviceloven", section="10"
    ).exists()  # a GET writes nothing


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/principafgoerelser/lov/serviceloven/010/", 301),
        ("/principafgoerelser/lov/serviceloven/0/", 404),
        ("/principafgoerelser/lov/lov-om-alt/10/", 404),
    ],
)
def test_an_empty_paragraph_page_only_for_real_sections_of_known_laws(client, url, status):
    assert client.get(url).status_code == status


def test_a_new_law_with_a_paragraph_from_the_factories_has_its_pages(client):
    from decisions.models import ParagraphReference
    from tests.factories import LawFactory, ParagraphFactory

    paragraph = ParagraphFactory(law=LawFactory(slug="testloven", short_name="testloven"), section="7")
    decision = DecisionFactory(number="1-20")
    ParagraphReference.objects.create(decision=decision, paragraph=paragraph, position=1)

    html = _text(client.get("/principafgoerelser/lov/testloven/7/"))
    assert "<h1>Testloven § 7</h1>" in html
    assert "/principafgoerelser/1-20/" in html
