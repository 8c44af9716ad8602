"""/feeds/hotline.atom: the newest answers in use, by area, law or paragraph, with their validity."""

import datetime

import feedparser
import pytest
from django.utils import timezone

from tests.factories import AnswerFactory

pytestmark = pytest.mark.django_db
URL = "/feeds/hotline.atom"


def titles(response) -> list[str]:
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return sorted(entry.title for entry in feed.entries)


def test_the_feed_lists_answers_in_use_with_their_validity_and_filters_by_paragraph(client):
    old = timezone.localdate() - datetime.timedelta(days=400)
    AnswerFactory(reference="HL-2024-031", title="Handicapbil", citations="SEL § 114")
    AnswerFactory(reference="HL-2024-032", title="Medicin", citations="SEL § 100", verified_on=old)
    AnswerFactory(reference="HL-2024-033", title="Ophævet", state="withdrawn", withdrawn_reason="Ophævet.")

    everything = client.get(URL)
    on_114 = client.get(URL, {"paragraph": "SEL § 114"})

    assert everything["Content-Type"].startswith("application/atom+xml")
    assert titles(everything) == ["HL-2024-031 Handicapbil (gældende)", "HL-2024-032 Medicin (udløbet)"]
    assert titles(on_114) == ["HL-2024-031 Handicapbil (gældende)"]
    assert client.get(URL, {"law": "nowhere"}).status_code == 400
    assert client.get(URL, {"other": "1"}).status_code == 400
    # The ETag, not Last-Modified: a change in the current second gives a date a second earlier,
    # which moves when the clock passes into the next second (portal.api._seconds).
    assert client.get(URL, headers={"if-none-match": everything["ETag"]}).status_code == 304
