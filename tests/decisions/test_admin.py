import pytest
from django.contrib.auth.models import Group, User

from decisions.models import Decision, Relation, Status
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "number": "4-24",
        "title": "Hjemmehjælp – rengøring hver anden uge",
        "area": "1",
        "status": "in_force",
        "is_published": "on",
        "decided_on": "2024-02-01",
        "published_on": "2024-02-15",
        "summary": "Principmeddelelsen fastslår, at …",
        "practice_note": "",
        "body": "Sagen …",
        "citations": "servicelovens § 83, stk. 1, nr. 2\n§ 9 c i retssikkerhedsloven",
        "keywords": "hjemmehjælp,rengøring",
        "relations_from-TOTAL_FORMS": "0",
        "relations_from-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def staff(group: str) -> User:
    user = User.objects.create_user(f"{group}-user", password="a-long-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_paragraph_references_typed_as_citations_are_parsed_on_save(admin_client):
    from decisions.models import Area

    response = admin_client.post(
        "/admin/decisions/decision/add/", form_data(area=str(Area.objects.get(slug="social").pk))
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    decision = Decision.objects.get(number="4-24")
    assert decision.citations == "SEL § 83, stk. 1, nr. 2\nRSL § 9 c"
    assert [reference.citation for reference in decision.references.all()] == [
        "serviceloven § 83, stk. 1, nr. 2",
        "retssikkerhedsloven § 9 c",
    ]
    assert decision.keywords == ["hjemmehjælp", "rengøring"]
    assert decision.history.first().history_user.username == "admin"


def test_an_unknown_law_is_a_clear_error_naming_the_line_and_nothing_is_saved(admin_client):
    from decisions.models import Area

    response = admin_client.post(
        "/admin/decisions/decision/add/",
        form_data(area=str(Area.objects.get(slug="social").pk), citations="SEL § 83\nSKL § 3"),
    )

    assert response.status_code == 200
    assert "Linje 2: Ukendt lov »SKL« i »SKL § 3«." in response.content.decode()
    assert not Decision.objects.exists()


def test_editing_a_decision_replaces_its_references_and_records_history(admin_client):
    decision = DecisionFactory(citations="SEL § 100")
    data = form_data(
        number=decision.number, area=str(decision.area_id), citations="AKL § 34", title="Ny titel"
    )

    response = admin_client.post(f"/admin/decisions/decision/{decision.pk}/change/", data)

    assert response.status_code == 302
    assert [r.citation for r in decision.references.all()] == ["aktivloven § 34"]
    history = " ".join(
        admin_client.get(f"/admin/decisions/decision/{decision.pk}/history/").content.decode().split()
    )
    assert decision.history.count() == 2
    assert (
        "<strong>Paragraffer:</strong> SEL § 100 &nbsp;&rarr;&nbsp;&nbsp;AKL § 34" in history
    )  # what changed
    assert "Ny titel" in history
    assert ">admin<" in history


def test_editors_write_drafts_but_cannot_publish_or_change_published_decisions(client):
    from decisions.models import Area

    client.force_login(staff("Redaktører"))
    area = str(Area.objects.get(slug="social").pk)

    response = client.post(
        "/admin/decisions/decision/add/", form_data(area=area, status="no_longer_in_force")
    )

    assert response.status_code == 302
    draft = Decision.objects.get(number="4-24")
    assert draft.is_published is False  # the publish field is read-only for editors
    assert draft.status == Status.IN_FORCE
    published = DecisionFactory()
    page = client.get(f"/admin/decisions/decision/{published.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # view only


def test_publishers_can_publish(client):
    from decisions.models import Area

    client.force_login(staff("Udgivere"))

    client.post("/admin/decisions/decision/add/", form_data(area=str(Area.objects.get(slug="social").pk)))

    assert Decision.objects.get(number="4-24").is_published


def test_marking_decisions_no_longer_in_force_asks_for_and_links_the_replacement(admin_client):
    old = DecisionFactory(number="C-16-99")
    new = DecisionFactory(number="12-19")
    selection = {"action": "mark_no_longer_in_force", "_selected_action": [str(old.pk)]}

    confirm_page = admin_client.post("/admin/decisions/decision/", selection)
    assert "Erstattet af afgørelse nr." in confirm_page.content.decode()
    wrong = admin_client.post(
        "/admin/decisions/decision/", {**selection, "confirm": "1", "replacement": "C-16-99"}
    )
    assert "En afgørelse kan ikke erstatte sig selv." in wrong.content.decode()
    done = admin_client.post(
        "/admin/decisions/decision/", {**selection, "confirm": "1", "replacement": "12-19"}
    )

    assert done.status_code == 302
    old.refresh_from_db()
    assert old.status == Status.NO_LONGER_IN_FORCE
    assert Relation.objects.filter(source=new, target=old, kind=Relation.Kind.REPLACES).exists()
    assert old.history.first().history_change_reason == "Markeret som ikke længere gældende"


def test_the_changelist_filters_by_law_and_year_and_searches_numbers(admin_client):
    DecisionFactory(number="1-19", citations="RSL § 9 c")
    DecisionFactory(number="2-19", citations="SEL § 100")

    by_law = admin_client.get("/admin/decisions/decision/?law=retssikkerhedsloven").content.decode()
    by_number = admin_client.get("/admin/decisions/decision/?q=2-19").content.decode()

    assert ">1-19<" in by_law
    assert ">2-19<" not in by_law
    assert ">2-19<" in by_number
    assert ">1-19<" not in by_number
    assert admin_client.get("/admin/decisions/decision/?year=2020").status_code == 200


def test_a_decision_cannot_be_related_to_itself(admin_client):
    decision = DecisionFactory()
    data = form_data(
        number=decision.number,
        area=str(decision.area_id),
        **{
            "relations_from-TOTAL_FORMS": "1",
            "relations_from-0-target": str(decision.pk),
            "relations_from-0-kind": "see_also",
        },
    )

    response = admin_client.post(f"/admin/decisions/decision/{decision.pk}/change/", data)

    assert response.status_code == 200
    assert "En afgørelse kan ikke relateres til sig selv." in response.content.decode()
    assert not Relation.objects.exists()


def test_the_history_page_is_danish_and_carries_no_inline_style(admin_client):
    decision = DecisionFactory()

    html = admin_client.get(f"/admin/decisions/decision/{decision.pk}/history/").content.decode()

    assert "Vælg et tidspunkt i listen herunder" in html
    assert "style=" not in html


def test_staff_add_synonyms_and_law_aliases_as_comma_separated_lists(admin_client):
    from decisions.models import Law, Synonym

    response = admin_client.post(
        "/admin/decisions/synonym/add/",
        {"term": "Kørestolsbil", "alternatives": "bilstøtte, Støtte til køb af bil"},
    )
    law = Law.objects.get(slug="serviceloven")
    admin_client.post(
        f"/admin/decisions/law/{law.pk}/change/",
        {
            "slug": law.slug,
            "title": law.title,
            "short_name": law.short_name,
            "abbreviation": law.abbreviation,
            "aliases": "servicelov, socialserviceloven, SL",
            "area": str(law.area_id),
            "url": "",
        },
    )

    assert response.status_code == 302
    assert Synonym.objects.get(term="kørestolsbil").alternatives == ["bilstøtte", "støtte til køb af bil"]
    duplicate = admin_client.post(
        "/admin/decisions/synonym/add/", {"term": "Handicapbil", "alternatives": "bil"}
    )
    assert duplicate.status_code == 200  # "handicapbil" is seeded: a clear form error, not a crash
    assert Synonym.objects.filter(term="handicapbil").count() == 1
    law.refresh_from_db()
    assert law.aliases == ["servicelov", "socialserviceloven", "SL"]


def test_staff_write_what_changed_with_the_changes_relation(admin_client):
    older = DecisionFactory(number="22-15", status=Status.PARTLY_CHANGED)
    newer = DecisionFactory(number="11-21")
    data = form_data(
        number=newer.number,
        area=str(newer.area_id),
        **{
            "relations_from-TOTAL_FORMS": "1",
            "relations_from-0-target": str(older.pk),
            "relations_from-0-kind": "changes",
            "relations_from-0-note": "Delen om almene boliger gælder ikke længere.",
        },
    )

    response = admin_client.post(f"/admin/decisions/decision/{newer.pk}/change/", data)

    assert response.status_code == 302
    relation = Relation.objects.get(kind=Relation.Kind.CHANGES)
    assert (relation.source, relation.target, relation.note) == (
        newer,
        older,
        "Delen om almene boliger gælder ikke længere.",
    )

    data["relations_from-0-note"] = "Del\u0000en"
    response = admin_client.post(f"/admin/decisions/decision/{newer.pk}/change/", data)
    assert response.status_code == 200
    assert "U+0000" in response.content.decode()


def test_a_partly_changed_decision_with_no_changes_relation_is_flagged_to_staff(admin_client):
    unexplained = DecisionFactory(number="28-14", status=Status.PARTLY_CHANGED)
    explained = DecisionFactory(number="22-15", status=Status.PARTLY_CHANGED)
    Relation.objects.create(
        source=DecisionFactory(number="11-21"), target=explained, kind=Relation.Kind.CHANGES
    )

    listing = " ".join(admin_client.get("/admin/decisions/decision/").content.decode().split())
    assert "Delvist ændret, men ingen afgørelse er registreret som den, der ændrer den: 1." in listing
    assert 'href="?attention=unexplained"' in listing

    flagged = admin_client.get("/admin/decisions/decision/", {"attention": "unexplained"}).content.decode()
    assert "28-14" in flagged
    assert "22-15" not in flagged

    form = admin_client.get(f"/admin/decisions/decision/{unexplained.pk}/change/").content.decode()
    assert "ingen afgørelse er registreret som den, der ændrer den" in form
    form = admin_client.get(f"/admin/decisions/decision/{explained.pk}/change/").content.decode()
    assert "ingen afgørelse er registreret som den, der ændrer den" not in form


def test_an_editor_cannot_change_what_a_published_decision_says_it_changes(client):
    older = DecisionFactory(number="22-15", status=Status.PARTLY_CHANGED)
    relation = Relation.objects.create(
        source=DecisionFactory(number="11-21"), target=older, kind=Relation.Kind.CHANGES, note="Gammel note."
    )
    client.force_login(staff("Redaktører"))

    response = client.post(
        f"/admin/decisions/decision/{relation.source_id}/change/",
        form_data(
            number="11-21",
            **{
                "relations_from-TOTAL_FORMS": "1",
                "relations_from-INITIAL_FORMS": "1",
                "relations_from-0-id": str(relation.pk),
                "relations_from-0-source": str(relation.source_id),
                "relations_from-0-target": str(older.pk),
                "relations_from-0-kind": "changes",
                "relations_from-0-note": "Ny note.",
            },
        ),
    )

    assert response.status_code == 403
    relation.refresh_from_db()
    assert relation.note == "Gammel note."
