"""How the search understands the way caseworkers type: compounds, everyday words, inflections,
questions, words a decision says differently, and citations typed loosely."""

import pytest

from decisions import danish
from decisions.models import Synonym
from decisions.search import Filters, search
from decisions.vocabulary import VOCABULARY_FILE, correction, read_vocabulary
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db

URL = "/principafgoerelser/soeg/"
SUMMARY = "Principmeddelelsen fastslår, at kommunen skal foretage en konkret vurdering af {}."


def found(query: str) -> list[str]:
    results = search(query, Filters())
    return [decision.number for decision in results.page.object_list]


def decision(number: str, about: str, **fields):
    return DecisionFactory(number=number, title=about.capitalize(), summary=SUMMARY.format(about), **fields)


def test_a_word_the_text_has_only_inside_a_compound_is_found_and_never_corrected():
    decision("1-20", "merudgifter ved lungekræft")
    decision("2-20", "kraft af en afgørelse")  # a real word one letter away
    decision("3-20", "påhængsmotor til båd")

    assert found("kræft") == ["1-20"]
    assert correction("kræft") is None
    assert found("motor") == ["3-20"]


def test_a_compound_the_text_does_not_have_is_found_by_its_parts_or_its_known_part():
    decision("1-20", "robotstøvsuger som forbrugsgode")
    decision("2-20", "klagefrist og klagevejledning")

    assert found("støvsugerrobot")[0] == "1-20"
    assert found("ankefrist")[0] == "2-20"


def test_everyday_words_find_the_legal_term_in_any_inflection():
    Synonym.objects.update_or_create(term="ordblind", defaults={"alternatives": ["dysleksi"]})
    decision("1-20", "it-hjælpemidler ved dysleksi")
    decision("2-20", "kørsel til behandling")

    assert found("ordblinde") == ["1-20"]  # the plural finds the synonym of the singular
    assert found("ordblind") == ["1-20"]


def test_the_vocabulary_in_the_repository_is_loaded_and_links_everyday_words_to_legal_terms():
    entries = dict(read_vocabulary(VOCABULARY_FILE.read_text(encoding="utf-8")))
    assert len(entries) >= 400
    assert Synonym.objects.count() >= 400  # loaded by migration 0013
    decision("1-20", "borgerstyret personlig assistance og arbejdslederevne")

    assert found("bpa") == ["1-20"]


def test_a_bad_vocabulary_line_is_named_by_its_number():
    with pytest.raises(ValueError, match="line 3: not “term = word, word”") as error:
        read_vocabulary("# comment\nordblind = dysleksi\nOrdblind: dysleksi\nbpa = bpa\n")
    assert "line 4: 'bpa' lists itself" in str(error.value)


def test_a_decision_that_lacks_one_of_the_words_is_still_found_and_ranked_by_what_it_matches():
    decision("1-20", "kørestol til udendørs brug")
    decision("2-20", "kørestol og el-scooter til udendørs brug ved gigt")
    decision("3-20", "tandbehandling")

    # No decision says "barnebarn"; the one that matches the most (and the rarest) words comes first.
    assert found("el-scooter kørestol barnebarn")[:2] == ["2-20", "1-20"]
    assert "3-20" not in found("el-scooter kørestol barnebarn")


def test_question_words_and_filler_do_not_dilute_the_ranking():
    decision("1-20", "rollator som hjælpemiddel")
    for number in range(2, 8):
        decision(f"{number}-21", f"kommunen skal betale hvornår det gælder nr {number}")

    assert found("hvornår skal kommunen betale for en rollator?")[0] == "1-20"


def test_an_unknown_law_in_a_citation_says_so_on_the_search_page(client):
    DecisionFactory(number="1-20")

    html = " ".join(client.get(URL, {"q": "SKL § 3"}).content.decode().split())

    assert "Ukendt lov »SKL« i »SKL § 3«." in html


def test_a_citation_typed_without_i_is_understood_and_the_exact_subsection_comes_first():
    DecisionFactory(number="1-20", citations="AKL § 82 a")
    DecisionFactory(number="2-20", citations="AKL § 82")
    DecisionFactory(number="3-20", citations="RSL § 9, stk. 1")
    DecisionFactory(number="4-20", citations="RSL § 9, stk. 7")

    assert found("§ 82 a aktivloven") == ["1-20"]
    assert found("§ 9, stk. 7 i retssikkerhedsloven")[0] == "4-20"


def test_the_danish_lexicon_knows_base_forms_and_words():
    assert danish.lemma("kørestole") == "kørestol"
    assert danish.lemma("nedsat") == "nedsætte"
    assert danish.is_word("lunge")
    assert not danish.is_word("hjemmehjælpp")
