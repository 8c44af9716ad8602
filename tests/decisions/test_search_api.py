import pytest

from decisions.models import Status
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db


def test_the_search_api_returns_the_page_s_results_in_the_same_order(client):
    DecisionFactory(number="1-20", title="Tandbehandling", status=Status.PARTLY_CHANGED)
    DecisionFactory(number="2-20", title="Tandbehandling", summary="Om tandbehandling efter aktivloven.")
    DecisionFactory(number="3-20", title="Kørsel")

    body = client.get("/api/v1/search/", {"q": "tandbehandling"}).json()

    assert body["count"] == 2
    assert body["next"] is None
    assert [result["number"] for result in body["results"]] == ["2-20", "1-20"]
    first = body["results"][0]
    assert first["type"] == "decision"
    assert first["status"] == "in_force"
    assert (
        first["decided_on"] == DecisionFactory._meta.model.objects.get(number="2-20").decided_on.isoformat()
    )
    assert first["url"] == "http://testserver/principafgoerelser/2-20/"
    assert "<mark>tandbehandling</mark>" in first["snippet"]


def test_the_search_api_pages_with_absolute_next_links_and_keeps_the_filters(client):
    DecisionFactory.create_batch(25, title="Hjemmehjælp")

    body = client.get("/api/v1/search/", {"q": "hjemmehjælp", "area": "social"}).json()

    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["next"] == "http://testserver/api/v1/search/?q=hjemmehj%C3%A6lp&area=social&page=2"
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 5
    assert second["previous"].endswith("page=1")


def test_a_decision_number_is_the_one_result(client):
    DecisionFactory(number="C-16-99")

    body = client.get("/api/v1/search/", {"q": "c-16-99"}).json()

    assert body["count"] == 1
    assert body["results"][0]["number"] == "C-16-99"
