import feedparser
import pytest

from decisions.models import Area
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db


def parse(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_feed_is_valid_atom_with_the_newest_decisions_first(client):
    DecisionFactory(number="1-20", title="Ældst")
    DecisionFactory(number="2-20", title="Nyest", keywords=["bil"])

    feed = parse(client.get("/feeds/decisions.atom"))

    assert [entry.title for entry in feed.entries] == ["2-20 Nyest", "1-20 Ældst"]
    first = feed.entries[0]
    assert first.link == "http://testserver/principafgoerelser/2-20/"
    assert first.id == first.link
    assert first.summary.startswith("Principmeddelelsen fastslår")
    assert feed.feed.author == "Ankestyrelsen"  # for every entry
    assert {tag.term for tag in first.tags} == {"Socialområdet", "bil"}
    assert first.published_parsed
    assert first.updated_parsed
    assert feed.feed.updated_parsed


@pytest.mark.parametrize(
    ("params", "numbers"),
    [
        ({"area": "employment"}, ["2-20"]),
        ({"law": "serviceloven"}, ["1-20"]),
        ({"paragraph": "LAB § 68"}, ["2-20"]),
        ({"paragraph": "serviceloven-100"}, ["1-20"]),
    ],
)
def test_the_feed_takes_the_api_filters(client, params, numbers):
    DecisionFactory(number="1-20", citations="SEL § 100")
    DecisionFactory(number="2-20", citations="LAB § 68", area=Area.objects.get(slug="employment"))

    feed = parse(client.get("/feeds/decisions.atom", params))

    assert [entry.title.split()[0] for entry in feed.entries] == numbers


def test_each_filtered_feed_has_its_own_id_and_self_link(client):
    DecisionFactory(citations="SEL § 100")

    everything = parse(client.get("/feeds/decisions.atom")).feed
    paragraph = parse(client.get("/feeds/decisions.atom", {"paragraph": "SEL § 100"})).feed

    assert everything.id != paragraph.id
    assert paragraph.id == "http://testserver/principafgoerelser/lov/serviceloven/100/"
    self_link = next(link.href for link in paragraph.links if link.rel == "self")
    assert self_link == "http://testserver/feeds/decisions.atom?paragraph=SEL+%C2%A7+100"


def test_drafts_are_not_in_the_feed(client):
    DecisionFactory(number="1-20", is_published=False)

    assert parse(client.get("/feeds/decisions.atom")).entries == []


@pytest.mark.parametrize(
    ("params", "message"),
    [({"q": "bil"}, "q"), ({"law": "lov-om-alt"}, "law:"), ({"paragraph": "SKL § 3"}, "paragraph:")],
)
def test_a_bad_filter_is_400_in_plain_words(client, params, message):
    response = client.get("/feeds/decisions.atom", params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_feed_answers_304_to_a_reader_that_has_it(client):
    DecisionFactory()
    etag = client.get("/feeds/decisions.atom")["ETag"]

    assert client.get("/feeds/decisions.atom", headers={"if-none-match": etag}).status_code == 304
