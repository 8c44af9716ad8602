"""The shared queries other apps reuse: paragraphs resolved in bulk, and "decisions citing X"."""

import threading

import psycopg
import pytest
from django.db import connection

from decisions.citations import Reference, parse_citations
from decisions.models import Decision, Law, Paragraph
from tests.conftest import database_url
from tests.factories import DecisionFactory, ParagraphFactory


@pytest.mark.django_db
def test_paragraphs_are_resolved_and_created_in_one_query_and_one_insert(django_assert_num_queries):
    existing = ParagraphFactory(law=Law.objects.get(slug="serviceloven"), section="100")
    keys = [("serviceloven", "100"), ("serviceloven", "9q"), ("aktivloven", "934"), ("serviceloven", "983")]

    with django_assert_num_queries(2):
        ids = Paragraph.objects.ensure(keys)

    assert set(ids) == set(keys)
    assert ids["serviceloven", "100"] == existing.pk
    created = Paragraph.objects.get(pk=ids["serviceloven", "9q"])
    assert (created.law.slug, created.number, created.letter) == ("serviceloven", 9, "q")
    with django_assert_num_queries(1):  # all there now: nothing to create
        assert Paragraph.objects.ensure(keys) == ids


def test_a_paragraph_another_process_creates_meanwhile_is_reused_not_duplicated(committed_db):
    """Another process inserts the paragraph after our lookup missed it: our insert waits on the
    unique index until they commit, and the conflict hands back their paragraph's id."""
    law = Law.objects.get(slug="serviceloven")
    with psycopg.connect(database_url(connection.settings_dict)) as other:
        theirs = other.execute(
            "INSERT INTO decisions_paragraph (law_id, section, heading, number, letter, updated_at) "
            "VALUES (%s, '777', '', 777, '', now()) RETURNING id",
            [law.pk],
        ).fetchone()[0]
        commit = threading.Timer(0.5, other.commit)  # not seen by our lookup: not committed yet
        commit.start()
        try:
            ids = Paragraph.objects.ensure([("serviceloven", "777")])
        finally:
            commit.join()
    try:
        assert ids == {("serviceloven", "777"): theirs}
        assert Paragraph.objects.filter(law=law, section="777").count() == 1
    finally:
        Paragraph.objects.filter(law=law, section="777").delete()


@pytest.mark.django_db
def test_set_references_costs_the_same_however_many_paragraphs_are_cited(django_assert_max_num_queries):
    decision = DecisionFactory(citations="SEL § 100")
    many = parse_citations("SEL §§ 1-20\nAKL §§ 30-40\nRSL § 9 c").references

    with django_assert_max_num_queries(4):  # paragraphs looked up, created, old references gone, new in
        decision.set_references(many)

    cited = list(
        decision.references.order_by("position").values_list("paragraph__law__slug", "paragraph__section")
    )
    assert list(cited) == [(ref.law, ref.section) for ref in many]


@pytest.mark.django_db
def test_paragraphs_matching_references_are_only_those_that_exist():
    paragraph = ParagraphFactory(law=Law.objects.get(slug="serviceloven"), section="100")

    found = Paragraph.objects.matching(
        [Reference("serviceloven", "100", 1), Reference("serviceloven", "999")]
    )

    assert list(found) == [paragraph]
    assert list(Paragraph.objects.matching([])) == []


@pytest.mark.django_db
def test_decisions_citing_a_paragraph_a_law_or_a_subsection_each_appear_once():
    whole = DecisionFactory(citations="SEL § 100\nSEL § 100, stk. 2")  # cites § 100 twice
    first = DecisionFactory(citations="SEL § 100, stk. 1")
    other_law = DecisionFactory(citations="AKL § 34")
    other_paragraph = DecisionFactory(citations="SEL § 83")
    sel_100 = Paragraph.objects.get(law__slug="serviceloven", section="100")
    sel = Law.objects.get(slug="serviceloven")

    def numbers(queryset):
        return sorted(queryset.values_list("number", flat=True))

    assert numbers(Decision.objects.citing(sel_100)) == sorted([whole.number, first.number])
    assert numbers(Decision.objects.citing([sel_100.pk])) == sorted([whole.number, first.number])
    assert numbers(Decision.objects.citing(Paragraph.objects.filter(section="34"))) == [other_law.number]
    assert numbers(Decision.objects.citing(law="serviceloven")) == sorted(
        [whole.number, first.number, other_paragraph.number]
    )
    assert numbers(Decision.objects.citing(law=sel)) == numbers(Decision.objects.citing(law="serviceloven"))
    # Subsection 1: those citing stk. 1, and those citing the paragraph as a whole.
    assert numbers(Decision.objects.citing(sel_100, subsection=1)) == sorted([whole.number, first.number])
    assert numbers(Decision.objects.citing(sel_100, subsection=3)) == [whole.number]
    assert numbers(Decision.objects.citing([])) == []
