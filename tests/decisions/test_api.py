import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from decisions.models import Area, Decision, DecisionChange, Law, Paragraph, Relation, Status
from tests.factories import DecisionFactory, replace

pytestmark = pytest.mark.django_db


def get(client, path: str, **params):
    return client.get(path, params)


def test_decision_shows_paragraph_references_as_structured_objects(client):
    DecisionFactory(
        number="24-19", citations="servicelovens § 100, stk. 1\n§ 9 c, stk. 2, nr. 3 i retssikkerhedsloven"
    )

    body = get(client, "/api/v1/decisions/24-19/").json()

    assert body["paragraphs"] == [
        {
            "law": "serviceloven",
            "section": "100",
            "subsection": 1,
            "item": None,
            "citation": "serviceloven § 100, stk. 1",
            "url": "http://testserver/principafgoerelser/lov/serviceloven/100/",
        },
        {
            "law": "retssikkerhedsloven",
            "section": "9c",
            "subsection": 2,
            "item": 3,
            "citation": "retssikkerhedsloven § 9 c, stk. 2, nr. 3",
            "url": "http://testserver/principafgoerelser/lov/retssikkerhedsloven/9c/",
        },
    ]
    assert body["url"] == "http://testserver/principafgoerelser/24-19/"
    assert body["api_url"] == "http://testserver/api/v1/decisions/24-19/"
    assert body["status"] == "in_force"
    assert body["area"] == "social"
    assert body["keywords"] == ["merudgifter", "kørsel"]
    assert body["updated_at"].endswith("Z")


def test_decision_lists_its_relations_both_ways_but_not_to_unpublished_decisions(client):
    old = DecisionFactory(number="7-09", status=Status.NO_LONGER_IN_FORCE)
    new = DecisionFactory(number="24-19")
    draft = DecisionFactory(number="3-25", is_published=False)
    replace(new, old)
    Relation.objects.create(source=new, target=draft, kind=Relation.Kind.SEE_ALSO)

    assert get(client, "/api/v1/decisions/24-19/").json()["relations"] == [
        {"kind": "replaces", "number": "7-09", "note": ""}
    ]
    assert get(client, "/api/v1/decisions/7-09/").json()["relations"] == [
        {"kind": "replaced_by", "number": "24-19", "note": ""}
    ]


def test_unpublished_or_unknown_decision_is_404_with_a_message(client):
    DecisionFactory(number="3-25", is_published=False)

    response = get(client, "/api/v1/decisions/3-25/")

    assert response.status_code == 404
    assert "3-25" in response.json()["detail"]


def test_decision_number_is_found_in_any_case(client):
    DecisionFactory(number="C-16-99")

    assert get(client, "/api/v1/decisions/c-16-99/").json()["number"] == "C-16-99"


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [decision["number"] for decision in response.json()["results"]]


def test_filters_by_area_law_status_dates_and_number(client):
    employment = Area.objects.get(slug="employment")
    DecisionFactory(number="1-20", decided_on=datetime.date(2020, 3, 1))
    DecisionFactory(
        number="2-21", area=employment, citations="LAB § 68", decided_on=datetime.date(2021, 3, 1)
    )
    DecisionFactory(number="3-22", status=Status.NO_LONGER_IN_FORCE, decided_on=datetime.date(2022, 3, 1))

    assert sorted(numbers(get(client, "/api/v1/decisions/", area="employment"))) == ["2-21"]
    assert sorted(numbers(get(client, "/api/v1/decisions/", law="serviceloven"))) == ["1-20", "3-22"]
    assert numbers(get(client, "/api/v1/decisions/", status="no_longer_in_force")) == ["3-22"]
    assert sorted(numbers(get(client, "/api/v1/decisions/", decided_after="2021-03-01"))) == ["2-21", "3-22"]
    assert numbers(get(client, "/api/v1/decisions/", decided_before="2020-12-31")) == ["1-20"]
    assert numbers(get(client, "/api/v1/decisions/", number="2-21")) == ["2-21"]


@pytest.mark.parametrize(
    "paragraph",
    ["serviceloven-100", "SEL § 100", "servicelovens § 100, stk. 1", "§ 100 i serviceloven", "PARAGRAPH_ID"],
)
def test_paragraph_filter_takes_an_id_a_slug_or_a_citation(client, paragraph):
    DecisionFactory(number="1-20", citations="SEL § 100, stk. 1")
    DecisionFactory(number="2-20", citations="SEL § 41")
    if paragraph == "PARAGRAPH_ID":
        paragraph = str(Paragraph.objects.get(law__slug="serviceloven", section="100").pk)

    assert numbers(get(client, "/api/v1/decisions/", paragraph=paragraph)) == ["1-20"]


def test_paragraph_filter_with_a_subsection_keeps_whole_paragraph_citations(client):
    DecisionFactory(number="1-20", citations="SEL § 100, stk. 1")
    DecisionFactory(number="2-20", citations="SEL § 100, stk. 2")
    DecisionFactory(number="3-20", citations="SEL § 100")

    assert sorted(numbers(get(client, "/api/v1/decisions/", paragraph="SEL § 100, stk. 2"))) == [
        "2-20",
        "3-20",
    ]


def test_updated_since_returns_decisions_changed_at_or_after_the_moment(client):
    old = DecisionFactory(number="1-20")
    DecisionFactory(number="2-20")
    Decision.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    assert numbers(get(client, "/api/v1/decisions/", updated_since=since)) == ["2-20"]


def test_q_ranks_like_the_search_page(client):
    DecisionFactory(number="1-20", title="Hjemmehjælp og rengøring", summary="Om rengøring.")
    DecisionFactory(number="2-20", title="Handicapbil", summary="Bil.", body="Kort om rengøring.")
    DecisionFactory(number="3-20", title="Tandpleje", summary="Tand.")

    assert numbers(get(client, "/api/v1/decisions/", q="rengøring")) == ["1-20", "2-20"]


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"are": "social"}, "are", "Unknown parameter"),
        ({"decided_after": "2020-13-01"}, "decided_after", ""),
        ({"updated_since": "yesterday"}, "updated_since", ""),
        ({"status": "valid"}, "status", ""),
        ({"area": "nowhere"}, "area", ""),
        ({"law": "lov-om-alt"}, "law", ""),
        ({"paragraph": "§ 100"}, "paragraph", "names no law"),
        ({"paragraph": "SKL § 3"}, "paragraph", "Unknown law"),
        ({"paragraph": "ukendt-100"}, "paragraph", "ukendt"),
        ({"paragraph": "999999"}, "paragraph", "999999"),
        ({"page_size": "501"}, "page_size", "500"),
        ({"page_size": "0"}, "page_size", "500"),
        ({"cursor": "not-ours"}, "cursor", "cursor"),
        ({"cursor": "WzFd"}, "cursor", "cursor"),  # base64 of [1]: too short for the key
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(client, settings, params, parameter, message):
    settings.LANGUAGE_CODE = "en"
    client.cookies["django_language"] = "en"

    response = client.get("/api/v1/decisions/", params)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    assert message in " ".join(response.json()[parameter])


def test_a_parameter_given_twice_is_an_error(client):
    response = client.get("/api/v1/decisions/?area=social&area=employment")

    assert response.status_code == 400
    assert list(response.json()) == ["area"]


def test_cursor_pages_visit_every_decision_once_while_decisions_change(client):
    decisions = [DecisionFactory() for _ in range(7)]
    seen = []
    url = "/api/v1/decisions/?page_size=3"
    first = True
    while url:
        response = client.get(url)
        seen += numbers(response)
        url = response.json()["next"]
        if first:  # a decision on the first page changes: it is met again at the end, nothing is skipped
            decisions[0].title = "Ændret"
            decisions[0].save()
            first = False

    assert sorted(set(seen)) == sorted(decision.number for decision in decisions)
    assert seen[-1] == decisions[0].number
    assert len(seen) == 8


def test_page_size_is_honoured_up_to_500(client):
    for _ in range(3):
        DecisionFactory()

    response = client.get("/api/v1/decisions/?page_size=2")

    assert len(response.json()["results"]) == 2
    assert response.json()["next"].startswith("http://testserver/api/v1/decisions/?cursor=")


def test_etag_answers_304_until_the_data_changes(client):
    decision = DecisionFactory(number="1-20")
    first = client.get("/api/v1/decisions/1-20/")
    etag = first["ETag"]

    assert client.get("/api/v1/decisions/1-20/", headers={"if-none-match": etag}).status_code == 304
    assert (
        client.get(
            "/api/v1/decisions/", headers={"if-none-match": client.get("/api/v1/decisions/")["ETag"]}
        ).status_code
        == 304
    )

    decision.title = "Ny titel"
    decision.save()
    again = client.get("/api/v1/decisions/1-20/", headers={"if-none-match": etag})
    assert again.status_code == 200
    assert again["ETag"] != etag


def test_last_modified_answers_304_and_200_after_a_change(client):
    decision = DecisionFactory(number="1-20")
    Decision.objects.filter(pk=decision.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    response = client.get("/api/v1/decisions/1-20/")
    last_modified = response["Last-Modified"]

    assert (
        client.get("/api/v1/decisions/1-20/", headers={"if-modified-since": last_modified}).status_code == 304
    )

    decision.title = "Ny titel"
    decision.save()
    assert (
        client.get("/api/v1/decisions/1-20/", headers={"if-modified-since": last_modified}).status_code == 200
    )


def test_last_modified_of_a_list_moves_when_a_decision_is_deleted(client):
    decision = DecisionFactory(number="1-20")
    DecisionFactory(number="2-20")
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    DecisionChange.objects.update(at=hour_ago)
    for model in (Law, Paragraph, Area):
        model.objects.update(updated_at=hour_ago - datetime.timedelta(days=1))
    last_modified = client.get("/api/v1/decisions/")["Last-Modified"]
    assert last_modified == http_date(int(hour_ago.timestamp()))
    assert client.get("/api/v1/decisions/", headers={"if-modified-since": last_modified}).status_code == 304

    decision.delete()

    assert client.get("/api/v1/decisions/", headers={"if-modified-since": last_modified}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/laws/", "/api/v1/areas/", "/api/v1/paragraphs/", "/api/v1/changes/"]
)
def test_every_list_has_etag_and_last_modified(client, path):
    DecisionFactory()

    response = client.get(path)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert client.get(path, headers={"if-none-match": response["ETag"]}).status_code == 304


def test_laws_paragraphs_and_areas_count_decisions_by_status(client):
    DecisionFactory(citations="SEL § 100")
    DecisionFactory(citations="SEL § 100\nSEL § 41", status=Status.NO_LONGER_IN_FORCE)
    DecisionFactory(citations="SEL § 41", status=Status.PARTLY_CHANGED)
    DecisionFactory(citations="SEL § 41", is_published=False)

    laws = {law["slug"]: law for law in client.get("/api/v1/laws/").json()["results"]}
    assert laws["serviceloven"]["decisions"] == {
        "in_force": 1,
        "partly_changed": 1,
        "no_longer_in_force": 1,
        "applying": 2,
        "total": 3,
    }
    assert laws["aktivloven"]["decisions"]["total"] == 0

    law = client.get("/api/v1/laws/serviceloven/").json()
    assert [(p["section"], p["decisions"]["total"]) for p in law["paragraphs"]] == [("41", 2), ("100", 2)]

    paragraphs = client.get("/api/v1/paragraphs/", {"law": "serviceloven"}).json()["results"]
    by_section = {paragraph["section"]: paragraph for paragraph in paragraphs}
    assert by_section["100"]["decisions"] == {
        "in_force": 1,
        "partly_changed": 0,
        "no_longer_in_force": 1,
        "applying": 1,
        "total": 2,
    }
    assert by_section["100"]["citation"] == "serviceloven § 100"
    assert (
        by_section["100"]["decisions_url"] == "http://testserver/api/v1/decisions/?paragraph=serviceloven-100"
    )

    areas = {area["slug"]: area for area in client.get("/api/v1/areas/").json()["results"]}
    assert areas["social"]["decisions"]["total"] == 3


def test_unknown_law_is_404(client):
    assert client.get("/api/v1/laws/lov-om-alt/").status_code == 404


def test_resolve_reads_a_free_form_citation(client):
    DecisionFactory(citations="SEL § 100, stk. 1")

    response = client.get("/api/v1/paragraphs/resolve/", {"citation": "servicelovens § 100, stk. 1"})

    assert response.status_code == 200
    assert response.json() == {
        "law": {"slug": "serviceloven", "abbreviation": "SEL", "title": "Lov om social service"},
        "section": "100",
        "subsection": 1,
        "item": None,
        "citation": "serviceloven § 100, stk. 1",
        "url": "http://testserver/principafgoerelser/lov/serviceloven/100/",
        "decisions_url": "http://testserver/api/v1/decisions/?paragraph=serviceloven-100",
        "decisions": {"in_force": 1, "partly_changed": 0, "no_longer_in_force": 0, "applying": 1, "total": 1},
    }


def test_resolve_a_paragraph_no_decision_cites_links_its_page_that_says_so(client):
    body = client.get("/api/v1/paragraphs/resolve/", {"citation": "SEL § 999"}).json()

    assert body["url"] == "http://testserver/principafgoerelser/lov/serviceloven/999/"
    assert body["decisions"]["total"] == 0
    page = client.get("/principafgoerelser/lov/serviceloven/999/")
    assert page.status_code == 200
    assert "Der er endnu ingen principafgørelser om serviceloven § 999." in page.content.decode()


def test_resolve_says_what_was_not_understood(client):
    client.cookies["django_language"] = "en"

    response = client.get("/api/v1/paragraphs/resolve/", {"citation": "SKL § 3"})

    assert response.status_code == 404
    assert "SKL" in response.json()["detail"]


def test_resolve_refuses_several_paragraphs(client):
    response = client.get("/api/v1/paragraphs/resolve/", {"citation": "SEL §§ 41-43"})

    assert response.status_code == 400
    assert list(response.json()) == ["citation"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/decisions/?page_size=50",
        "/api/v1/decisions/?page_size=50&q=merudgifter",
        "/api/v1/decisions/?page_size=50&paragraph=SEL+%C2%A7+100&law=serviceloven&area=social",
        "/api/v1/changes/?page_size=50",
        "/api/v1/laws/",
        "/api/v1/laws/serviceloven/",
        "/api/v1/paragraphs/?page_size=50",
        "/api/v1/areas/",
        "/api/v1/search/?q=merudgifter",
        "/api/v1/search/?q=SEL+%C2%A7+100&include_historic=true",
    ],
)
def test_list_endpoints_use_a_constant_number_of_queries(client, django_assert_max_num_queries, path):
    def add(count: int) -> None:
        for _ in range(count):
            decision = DecisionFactory(citations="SEL § 100, stk. 1\nSEL § 41\nAKL § 34")
            replace(decision, DecisionFactory(status=Status.NO_LONGER_IN_FORCE))

    add(2)
    client.get(path)  # warms the caches the counts come from, as in production
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    few = len(queries.captured_queries)  # now: the next request clears the log
    add(8)
    client.get(path)
    with django_assert_max_num_queries(few):
        assert client.get(path).status_code == 200


def test_paths_with_quoted_sections_round_trip(client):
    DecisionFactory(citations="§ 9 c i retssikkerhedsloven")

    url = client.get("/api/v1/paragraphs/resolve/", {"citation": "RSL § 9 c"}).json()["decisions_url"]

    assert url.endswith(quote("retssikkerhedsloven-9c"))
    assert len(client.get(url.removeprefix("http://testserver")).json()["results"]) == 1


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/decisions/1-20/?status=in_force", "status"),  # a filter of the list, not of one decision
        ("/api/v1/areas/social/?page_size=5", "page_size"),
        ("/api/v1/laws/?law=serviceloven", "law"),
        ("/api/v1/paragraphs/resolve/?citation=SEL+%C2%A7+41&law=x", "law"),
        ("/api/v1/changes/?cursor=x", "cursor"),
        ("/api/v1/search/?q=bil&limit=5", "limit"),
    ],
)
def test_every_endpoint_refuses_parameters_it_does_not_take(client, path, parameter):
    DecisionFactory(number="1-20")

    response = client.get(path)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_a_changes_relation_carries_its_note_both_ways_and_a_new_note_moves_the_feed(client):
    older = DecisionFactory(number="22-15", status=Status.PARTLY_CHANGED)
    newer = DecisionFactory(number="11-21")
    relation = Relation.objects.create(
        source=newer, target=older, kind=Relation.Kind.CHANGES, note="Delen om almene boliger."
    )
    assert get(client, "/api/v1/decisions/11-21/").json()["relations"] == [
        {"kind": "changes", "number": "22-15", "note": "Delen om almene boliger."}
    ]
    assert get(client, "/api/v1/decisions/22-15/").json()["relations"] == [
        {"kind": "changed_by", "number": "11-21", "note": "Delen om almene boliger."}
    ]
    cursor = client.get("/api/v1/changes/").json()["cursor"]

    relation.note = "Kun delen om almene boliger med støtte efter § 85."
    relation.save()

    changes = client.get("/api/v1/changes/", {"since": cursor}).json()["results"]
    assert sorted(change["number"] for change in changes) == ["11-21", "22-15"]
    moved = {change["number"]: change["decision"]["relations"][0]["note"] for change in changes}
    assert moved == {"11-21": relation.note, "22-15": relation.note}
