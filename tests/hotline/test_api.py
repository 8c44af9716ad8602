"""The hotline's API: answers with their validity and why, filters, keyset pages, ETags, and a
change feed that a mirror applies to stay exact (withdrawals and deletions included)."""

import datetime

import pytest
from django.utils import timezone

from decisions.models import Area, Decision, Status
from hotline import flagging
from hotline.models import Answer, State
from tests.factories import AnswerFactory, DecisionFactory, replace

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_an_answer_carries_its_validity_its_reasons_paragraphs_and_decisions(client):
    old = DecisionFactory(number="7-09")
    AnswerFactory(reference="HL-2024-031", decisions=["7-09"], citations="SEL § 100, stk. 1")
    replace(DecisionFactory(number="24-19"), old)
    Decision.objects.filter(pk=old.pk).update(status=Status.NO_LONGER_IN_FORCE)
    flagging.flag_from_feed()

    body = client.get("/api/v1/hotline/answers/HL-2024-031/").json()

    assert body["reference"] == "HL-2024-031"
    assert body["url"] == "http://testserver/hotline/svar/HL-2024-031/"
    assert body["validity"] == "needs_review"
    assert body["review_reasons"][0]["kind"] == "decision"
    assert "erstattet af 24-19" in body["review_reasons"][0]["message"]
    assert body["paragraphs"][0]["citation"] == "serviceloven § 100, stk. 1"
    assert body["decisions"] == [{"number": "7-09", "url": "http://testserver/principafgoerelser/7-09/"}]
    assert body["superseded_by"] is None
    assert client.get("/api/v1/hotline/answers/HL-2024-999/").status_code == 404


def test_the_list_filters_by_area_law_paragraph_and_validity(client):
    AnswerFactory(reference="HL-2024-031", citations="SEL § 100, stk. 1")
    AnswerFactory(reference="HL-2024-032", citations="AKL § 34", area=Area.objects.get(slug="benefits"))
    AnswerFactory(
        reference="HL-2024-033", citations="SEL § 83", verified_on=TODAY - datetime.timedelta(days=400)
    )
    AnswerFactory(reference="HL-2024-034", state=State.WITHDRAWN, withdrawn_reason="Ophævet.")

    def references(**params) -> list[str]:
        response = client.get("/api/v1/hotline/answers/", params)
        assert response.status_code == 200, response.content
        return sorted(answer["reference"] for answer in response.json()["results"])

    assert references() == ["HL-2024-031", "HL-2024-032", "HL-2024-033"]  # withdrawn: in the feed only
    assert references(law="serviceloven") == ["HL-2024-031", "HL-2024-033"]
    assert references(paragraph="servicelovens § 100, stk. 1") == ["HL-2024-031"]
    assert references(paragraph="serviceloven-100") == ["HL-2024-031"]
    assert references(validity="expired") == ["HL-2024-033"]
    assert references(validity="current,expired") == ["HL-2024-031", "HL-2024-032", "HL-2024-033"]
    assert client.get("/api/v1/hotline/answers/", {"validity": "kinda"}).status_code == 400
    assert client.get("/api/v1/hotline/answers/", {"area": "nowhere"}).status_code == 400
    assert client.get("/api/v1/hotline/answers/", {"unknown": "1"}).status_code == 400


def test_pages_follow_their_keys_and_an_unchanged_list_answers_304(client):
    for n in range(5):
        AnswerFactory(reference=f"HL-2024-{n + 1:03d}")
    seen, url = [], "/api/v1/hotline/answers/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [answer["reference"] for answer in body["results"]]
        url = body["next"]
    first = client.get("/api/v1/hotline/answers/")

    assert sorted(seen) == [f"HL-2024-{n:03d}" for n in range(1, 6)]
    assert client.get("/api/v1/hotline/answers/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def sync(client, mirror: dict, cursor: str | None) -> str:
    while True:
        params = {"page_size": 2} | ({"since": cursor} if cursor else {})
        body = client.get("/api/v1/hotline/changes/", params).json()
        for change in body["results"]:
            if change["action"] in ("created", "updated"):
                mirror[change["reference"]] = change["answer"]
            else:
                mirror.pop(change["reference"], None)
        cursor = body["cursor"]
        if not body["has_more"]:
            return cursor


def server(client) -> dict:
    answers, url = {}, "/api/v1/hotline/answers/?page_size=500"
    while url:
        body = client.get(url).json()
        answers.update({answer["reference"]: answer for answer in body["results"]})
        url = body["next"]
    return answers


def test_a_mirror_that_applies_the_feed_equals_the_server_through_every_kind_of_change(client):
    mirror: dict = {}
    first, second, third = (AnswerFactory(reference=f"HL-2024-{n:03d}") for n in (1, 2, 3))
    cursor = sync(client, mirror, None)
    assert mirror == server(client)

    flagging.report(first, "Forældet.")  # validity changes
    Answer.objects.filter(pk=second.pk).update(state=State.WITHDRAWN, withdrawn_reason="Ophævet.")
    third.delete()
    newer = AnswerFactory(reference="HL-2025-001")
    Answer.objects.filter(pk=first.pk).update(superseded_by=newer)
    Answer.objects.refresh_validity()
    cursor = sync(client, mirror, cursor)

    assert mirror == server(client)
    assert mirror["HL-2024-001"]["validity"] == "superseded"
    assert mirror["HL-2024-001"]["superseded_by"] == "HL-2025-001"
    assert set(mirror) == {"HL-2024-001", "HL-2025-001"}
    assert client.get("/api/v1/hotline/changes/", {"since": "nonsense"}).status_code == 400
    assert client.get("/api/v1/hotline/changes/", {"since": "WzEwMDAwMDAwMDAwLDFd"}).status_code == 410


def test_q_ranks_the_answers_as_the_search_page_does(client):
    AnswerFactory(reference="HL-2024-031", title="Handicapbil i weekenden", citations="SEL § 114")
    AnswerFactory(reference="HL-2024-032", title="Medicin og merudgifter", citations="SEL § 100")
    AnswerFactory(reference="HL-2024-033", title="Bil", citations="SEL § 114", decisions=["12-20"])

    def references(**params) -> list[str]:
        return [
            answer["reference"] for answer in client.get("/api/v1/hotline/answers/", params).json()["results"]
        ]

    assert references(q="handicapbil") == ["HL-2024-031"]
    assert sorted(references(q="SEL § 114")) == ["HL-2024-031", "HL-2024-033"]
    assert references(q="12-20") == ["HL-2024-033"]
    assert references(q="medicin", area="social") == ["HL-2024-032"]


@pytest.mark.parametrize("value", [",", "current,", ",expired", " "])
def test_an_empty_validity_in_the_list_is_an_error_not_ignored(client, value):
    response = client.get("/api/v1/hotline/answers/", {"validity": value})

    assert response.status_code == 400
    assert list(response.json()) == ["validity"]
