"""The editorial newsletter "Nyt fra Ankestyrelsen": each reader's version (their topics plus the
items for everyone, no mail without an item), the list of items first, sending now or at a set
time by publishers only, and the archive with its search and feed."""

import datetime

import feedparser
import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from decisions.citations import parse_citations
from decisions.models import Area, Law
from newsletters import editorial
from newsletters.models import Issue, Item
from portal.models import OutgoingMail
from portal.roles import EDITORS, PUBLISHERS
from tests.factories import DecisionFactory
from tests.newsletters.helpers import subscriber

pytestmark = pytest.mark.django_db


def issue(slug: str = "2026-11", title: str = "Nyt fra Ankestyrelsen, november 2026", **fields) -> Issue:
    return Issue.objects.create(slug=slug, title=title, **fields)


def item(
    of: Issue, heading: str, text: str = "En kort tekst.", *, areas=(), laws=(), citations="", **fields
) -> Item:
    made = Item.objects.create(issue=of, heading=heading, text=text, citations=citations, **fields)
    made.areas.set(Area.objects.filter(slug__in=areas))
    made.laws.set(Law.objects.filter(slug__in=laws))
    made.set_references(parse_citations(citations).references if citations else [])
    return made


@pytest.fixture
def november() -> Issue:
    made = issue()
    item(made, "Ny vejledning om sygedagpenge", areas=["employment"], position=1)
    item(
        made,
        "Merudgifter: ny praksis",
        "Om merudgifter til kørsel.",
        areas=["social"],
        citations="SEL § 100",
        position=2,
    )
    item(made, "Ankestyrelsen flytter", "Ny adresse fra 1. januar.", for_everyone=True, position=3)
    item(made, "Anbringelser uden for hjemmet", areas=["children-family"], position=4)
    return made


def send_now(made: Issue) -> None:
    editorial.schedule(made)
    editorial.send_due()


def versions() -> dict[str, OutgoingMail]:
    return {mail.to: mail for mail in OutgoingMail.objects.filter(kind="newsletter")}


def test_each_reader_gets_their_version_the_items_for_everyone_and_only_those(november):
    employment = subscriber("job@kommune.dk", areas=["employment"])
    paragraph = subscriber("sel100@kommune.dk", paragraphs="SEL § 100")
    decisions_only = subscriber("kun-afgoerelser@kommune.dk", areas=["social"], kinds=("decisions",))

    send_now(november)

    mails = versions()
    assert set(mails) == {"job@kommune.dk", "sel100@kommune.dk"}
    job = mails["job@kommune.dk"].body_text
    assert "Ny vejledning om sygedagpenge" in job
    assert "Ankestyrelsen flytter" in job
    assert "Merudgifter" not in job
    assert "Anbringelser" not in job
    sel = mails["sel100@kommune.dk"].body_text
    assert "Merudgifter: ny praksis" in sel
    assert "Du følger SEL § 100" in sel
    assert "sygedagpenge" not in sel
    assert "Til alle, der får nyhedsbrevet" in sel
    assert mails["job@kommune.dk"].subject == (
        "Nyt fra Ankestyrelsen, november 2026: 2 punkter til dig (Beskæftigelsesområdet)"
    )
    november.refresh_from_db()
    assert november.state == "sent"
    assert november.recipients == 2
    assert november.sent_at is not None
    assert employment.pk
    assert paragraph.pk
    assert decisions_only.pk


def test_the_mail_starts_with_its_items_and_their_areas(november):
    subscriber("job@kommune.dk", areas=["employment"])

    send_now(november)

    text = versions()["job@kommune.dk"].body_text
    toc = text[: text.index("Ny vejledning om sygedagpenge\n[")]
    assert "I dette nummer til dig:" in toc
    assert "- Ny vejledning om sygedagpenge [Beskæftigelsesområdet]" in toc
    assert "- Ankestyrelsen flytter [alle]" in toc


def test_no_item_for_the_reader_and_none_for_everyone_means_no_mail():
    made = issue()
    item(made, "Kun for børn og familie", areas=["children-family"])
    subscriber("job@kommune.dk", areas=["employment"])

    send_now(made)

    assert versions() == {}
    made.refresh_from_db()
    assert made.state == "sent"
    assert made.recipients == 0


def test_sending_twice_or_after_a_crash_sends_each_version_once(november):
    subscriber("job@kommune.dk", areas=["employment"])
    subscriber("social@kommune.dk", areas=["social"])
    editorial.schedule(november)
    editorial.send_due()
    Issue.objects.filter(pk=november.pk).update(state="sending", served_up_to=0)  # as if it died

    editorial.send_due()

    assert OutgoingMail.objects.filter(kind="newsletter").count() == 2


def test_an_issue_set_for_later_waits_for_its_time(november):
    subscriber("job@kommune.dk", areas=["employment"])
    editorial.schedule(november, timezone.now() + datetime.timedelta(hours=2))

    editorial.send_due()
    assert versions() == {}

    editorial.send_due(now=timezone.now() + datetime.timedelta(hours=3))
    assert set(versions()) == {"job@kommune.dk"}


def _staff(role: str) -> User:
    user = User.objects.create_user(f"{role.lower()}-bruger", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_editors_compose_and_preview_but_only_publishers_send(client, november):
    editor = _staff(EDITORS)
    client.force_login(editor)

    assert client.get(f"/admin/newsletters/issue/{november.pk}/change/").status_code == 200
    preview = client.get(f"/admin/newsletters/issue/{november.pk}/preview/")
    assert preview.status_code == 200
    assert "Beskæftigelsesområdet" in preview.content.decode()
    assert client.get(f"/admin/newsletters/issue/{november.pk}/preview/employment/").status_code == 200
    assert client.post(f"/admin/newsletters/issue/{november.pk}/send/").status_code == 403
    assert client.get("/admin/newsletters/subscriber/").status_code == 403  # addresses
    november.refresh_from_db()
    assert november.state == "draft"

    client.force_login(_staff(PUBLISHERS))
    response = client.post(f"/admin/newsletters/issue/{november.pk}/send/")

    assert response.status_code == 302
    november.refresh_from_db()
    assert november.state in ("scheduled", "sending", "sent")


def test_each_areas_version_is_previewed(client, november):
    client.force_login(_staff(EDITORS))

    employment = client.get(f"/admin/newsletters/issue/{november.pk}/preview/employment/?format=text")
    nobody = client.get(f"/admin/newsletters/issue/{november.pk}/preview/alle/?format=text")

    assert "Ny vejledning om sygedagpenge" in employment.content.decode()
    assert "Merudgifter" not in employment.content.decode()
    assert "Ankestyrelsen flytter" in nobody.content.decode()
    assert "sygedagpenge" not in nobody.content.decode()
    assert client.get(f"/admin/newsletters/issue/{november.pk}/preview/nowhere/").status_code == 404


def test_the_admin_item_form_checks_citations_links_and_audience(client):
    client.force_login(_staff(EDITORS))
    DecisionFactory(number="24-19")
    data = {
        "title": "Nyt fra Ankestyrelsen, december 2026",
        "slug": "2026-12",
        "introduction": "",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-position": "1",
        "items-0-heading": "Ny praksis om kørsel",
        "items-0-text": "Se afgørelsen.",
        "items-0-citations": "SEL § 100",
        "items-0-decision_number": "24-19",
        "items-0-areas": [str(Area.objects.get(slug="social").pk)],
        "items-1-position": "2",
        "items-1-heading": "Uden modtager",
        "items-1-text": "Tekst.",
        "items-1-citations": "XYZ § 1",
        "items-1-decision_number": "99-99",
    }

    refused = client.post("/admin/newsletters/issue/add/", data)

    assert refused.status_code == 200
    errors = str(refused.context["inline_admin_formsets"][0].formset.errors)
    assert "Linje 1" in errors
    assert "99-99" in errors
    assert not Issue.objects.exists()

    data["items-TOTAL_FORMS"] = "1"
    saved = client.post("/admin/newsletters/issue/add/", data)

    assert saved.status_code == 302
    made = Item.objects.get()
    assert made.decision.number == "24-19"
    assert made.citations == "SEL § 100"
    assert list(made.references.values_list("paragraph__section", flat=True)) == ["100"]


def test_the_archive_lists_sent_issues_by_area_and_year_not_drafts(client, november):
    draft = issue("2026-12", "Nyt fra Ankestyrelsen, december 2026")
    item(draft, "Hemmelig kladde", areas=["social"])
    send_now(november)

    page = client.get("/nyhedsbreve/arkiv/").content.decode()
    employment = client.get("/nyhedsbreve/arkiv/", {"area": "employment"}).content.decode()
    benefits = client.get("/nyhedsbreve/arkiv/", {"area": "benefits"}).content.decode()
    year = timezone.localdate().year

    assert "november 2026" in page
    assert "december 2026" not in page
    assert "november 2026" in employment
    assert "november 2026" not in benefits
    assert "november 2026" in client.get("/nyhedsbreve/arkiv/", {"year": str(year)}).content.decode()
    assert "november 2026" not in client.get("/nyhedsbreve/arkiv/", {"year": "1999"}).content.decode()
    assert client.get("/nyhedsbreve/arkiv/", {"year": "２０２６"}).status_code == 400
    assert client.get("/nyhedsbreve/arkiv/", {"area": "nowhere"}).status_code == 404
    assert client.get("/nyhedsbreve/arkiv/2026-11/").status_code == 200
    assert client.get("/nyhedsbreve/arkiv/2026-12/").status_code == 404  # a draft is not public


def test_the_full_issue_shows_every_item_with_its_area_tags(client, november):
    send_now(november)

    page = client.get("/nyhedsbreve/arkiv/2026-11/").content.decode()

    for heading in ("Ny vejledning om sygedagpenge", "Merudgifter: ny praksis", "Ankestyrelsen flytter"):
        assert heading in page
    assert "<li>Beskæftigelsesområdet</li>" in page
    assert "<li>alle</li>" in page
    assert "<li>SEL § 100</li>" in page


def test_the_archive_is_searched_by_the_danish_engine(client, november):
    send_now(november)

    def headings(query: str) -> list[str]:
        response = client.get("/nyhedsbreve/arkiv/", {"q": query})
        assert response.status_code == 200
        return [found.heading for found in response.context["page"].object_list]

    assert headings("merudgift") == ["Merudgifter: ny praksis"]  # word forms
    assert headings("SEL § 100") == ["Merudgifter: ny praksis"]  # citations
    assert headings("sygedagpengene") == ["Ny vejledning om sygedagpenge"]
    assert headings("ingenting her") == []


def test_the_archive_finds_a_word_inside_its_own_compounds(client):
    made = issue()
    item(
        made,
        "Opfølgning i sygedagpengesager",
        "Mange sygedagpengesager mangler en plan.",
        areas=["employment"],
    )
    send_now(made)

    response = client.get("/nyhedsbreve/arkiv/", {"q": "sygedagpenge"})

    assert [found.heading for found in response.context["page"].object_list] == [
        "Opfølgning i sygedagpengesager"
    ]


def test_the_archive_feed_carries_every_sent_issue(client, november):
    send_now(november)

    response = client.get("/feeds/nyhedsbreve.atom")
    feed = feedparser.parse(response.content)

    assert response.status_code == 200
    assert not feed.bozo
    assert [entry.title for entry in feed.entries] == ["Nyt fra Ankestyrelsen, november 2026"]
    assert "Beskæftigelsesområdet" in feed.entries[0].summary
    assert client.get("/feeds/nyhedsbreve.atom", {"area": "social"}).status_code == 400
    assert (
        client.get("/feeds/nyhedsbreve.atom", headers={"if-none-match": response["ETag"]}).status_code == 304
    )


def test_a_sent_issue_is_read_only_to_editors_and_cannot_be_deleted(client, november):
    send_now(november)
    client.force_login(_staff(EDITORS))
    page = f"/admin/newsletters/issue/{november.pk}/change/"

    shown = client.get(page)
    changed = client.post(page, {"title": "Ændret", "slug": "2026-11", "introduction": ""})

    assert shown.status_code == 200
    assert 'name="title"' not in shown.content.decode()  # shown, not editable
    assert changed.status_code == 403
    assert client.post(f"/admin/newsletters/issue/{november.pk}/delete/", {"post": "yes"}).status_code == 403
    november.refresh_from_db()
    assert november.title == "Nyt fra Ankestyrelsen, november 2026"
