"""Subscribing without an account: double opt-in that never downgrades and never tells who
subscribes, the preferences page by a signed link, one-click unsubscribe (RFC 8058) with undo,
deletion, suspension of refused addresses, and retention."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from decisions.models import Law, Paragraph
from newsletters import links, subscriptions
from newsletters.models import Subscriber
from portal import outbox
from portal.models import OutgoingMail
from tests.factories import ParagraphFactory
from tests.newsletters.helpers import link_in, mails, subscriber

pytestmark = pytest.mark.django_db
FORM = "/nyhedsbreve/"


def sign_up(client, email="sagsbehandler@kommune.dk", **fields):
    data = {"email": email, "kinds": ["decisions", "hotline", "newsletter"], "frequency": "daily", **fields}
    return client.post(FORM, data)


def test_the_form_sends_a_confirmation_link_and_nothing_else_until_it_is_followed(client):
    ParagraphFactory(section="100")
    ParagraphFactory(law=Law.objects.get(slug="aktivloven"), section="11")
    response = sign_up(client, areas=["social"], citations="SEL § 100\n§ 11 i aktivloven")

    assert response.status_code == 302
    assert response["Location"] == "/nyhedsbreve/tilmeldt/"
    found = Subscriber.objects.get(email="sagsbehandler@kommune.dk")
    assert found.state == "pending"
    assert not found.is_receiving
    assert sorted(found.paragraphs.values_list("law__slug", "section")) == [
        ("aktivloven", "11"),
        ("serviceloven", "100"),
    ]
    assert found.citations == "SEL § 100\nAKL § 11"
    (mail,) = mails("newsletters.confirm")
    assert mail.to == "sagsbehandler@kommune.dk"
    assert "Socialområdet" in mail.body_text
    assert "SEL § 100" in mail.body_text
    path = link_in(mail.body_text, "bekraeft")

    assert client.get(path).status_code == 200  # a link scanner's GET confirms nothing
    assert Subscriber.objects.get(pk=found.pk).state == "pending"
    confirmed = client.post(path)

    assert confirmed.status_code == 200
    assert "Dit abonnement er bekræftet" in confirmed.content.decode()
    found.refresh_from_db()
    assert found.state == "confirmed"
    assert found.confirmed_at is not None


def test_the_page_after_sign_up_says_the_same_whether_or_not_the_address_is_known(client):
    subscriber("kendt@kommune.dk", areas=["social"])
    subscriber("ubekraeftet@kommune.dk", areas=["social"], confirmed=False)
    pages = []
    for address in ("kendt@kommune.dk", "ubekraeftet@kommune.dk", "ny@kommune.dk"):
        answer = sign_up(client, address, areas=["employment"])
        assert answer.status_code == 302
        assert answer["Location"] == "/nyhedsbreve/tilmeldt/"
        page = client.get(answer["Location"]).content.decode()
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page))  # masked anew each time

    assert pages[0] == pages[1] == pages[2]


def test_signing_up_again_never_downgrades_a_confirmed_subscription(client):
    found = subscriber("kendt@kommune.dk", areas=["social", "employment"], paragraphs="SEL § 100")

    sign_up(client, "KENDT@kommune.dk", areas=["benefits"], frequency="weekly")

    found.refresh_from_db()
    assert found.state == "confirmed"
    assert sorted(found.areas.values_list("slug", flat=True)) == ["employment", "social"]
    assert found.frequency == "daily"
    assert found.citations == "SEL § 100"
    (mail,) = mails("newsletters.known")  # its own settings link instead of a new confirmation
    assert "/nyhedsbreve/indstillinger/" in mail.body_text
    assert len(mails("newsletters.confirm")) == 1  # the first sign-up's only


def test_the_form_says_what_is_wrong_by_field(client):
    response = client.post(FORM, {"email": "ikke en adresse", "citations": "SEL § 100\nXYZ § 3", "kinds": []})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"email", "citations", "kinds", "frequency"}
    assert "Linje 2" in errors["citations"][0]
    assert not Subscriber.objects.exists()


def test_a_paragraph_nothing_cites_yet_is_followed_through_its_law_and_not_created(client):
    ParagraphFactory(section="100")

    response = sign_up(client, citations="SEL § 100\nSEL § 9999")

    assert response.status_code == 400
    (error,) = response.context["form"].errors["citations"]
    assert error.startswith("Linje 2: ")
    assert "SEL § 9999" in error
    assert "hele loven" in error
    assert not Paragraph.objects.filter(section="9999").exists()
    assert not Subscriber.objects.exists()


def test_a_topic_is_required(client):
    response = sign_up(client)

    assert response.status_code == 400
    assert "mindst ét område" in response.content.decode()


def test_the_form_is_prefilled_by_follow_links(client):
    paragraph = client.get(FORM, {"paragraph": "SEL § 100"})
    area = client.get(FORM, {"area": "employment"})
    nonsense = client.get(FORM, {"paragraph": "XYZ § 9", "area": "nowhere", "law": "nothing"})

    assert paragraph.context["form"].initial["citations"] == "SEL § 100"
    assert area.context["form"].initial["areas"] == ["employment"]
    assert nonsense.status_code == 200
    assert nonsense.context["form"].initial == {}


def test_sign_ups_are_limited_per_address(client, clock, settings):
    settings.NEWSLETTER_SIGNUP_EMAIL_RATE = "2/day"
    for _ in range(2):
        assert sign_up(client, areas=["social"]).status_code == 302

    assert sign_up(client, areas=["social"]).status_code == 429


def test_preferences_change_topics_frequency_and_pause(client):
    ParagraphFactory(section="83")
    found = subscriber(areas=["social"])
    path = links.path(found, "preferences")

    page = client.get(path)
    saved = client.post(
        path,
        {
            "laws": ["aktivloven"],
            "citations": "SEL § 83",
            "kinds": ["decisions"],
            "frequency": "weekly",
            "paused": "on",
        },
    )

    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex"
    assert page["Cache-Control"] == "no-store"
    assert saved.status_code == 200
    assert "Gemt" in saved.content.decode()
    found.refresh_from_db()
    assert list(found.areas.all()) == []
    assert list(found.laws.values_list("slug", flat=True)) == ["aktivloven"]
    assert found.citations == "SEL § 83"
    assert found.kinds == ["decisions"]
    assert found.frequency == "weekly"
    assert found.paused
    assert not found.is_receiving


def test_a_link_with_a_wrong_signature_or_an_old_key_does_not_work(client):
    found = subscriber(areas=["social"])
    path = links.path(found, "preferences")
    Subscriber.objects.filter(pk=found.pk).update(key="nyNoegle12345")

    assert client.get(path).status_code == 404
    assert client.get(path.replace(":", ":x", 1)).status_code in (404,)
    assert client.get(f"/nyhedsbreve/indstillinger/{found.pk}.abcdefgh:{'A' * 27}/").status_code == 404


def test_one_click_unsubscribe_posts_without_csrf_and_is_idempotent():
    found = subscriber(areas=["social"])
    client = Client(enforce_csrf_checks=True)
    path = links.path(found, "unsubscribe")

    shown = client.get(path)
    found.refresh_from_db()
    assert shown.status_code == 200
    assert found.state == "confirmed"

    first = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    again = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert first.status_code == 200
    assert again.status_code == 200
    found.refresh_from_db()
    assert found.state == "unsubscribed"
    assert found.unsubscribed_at is not None
    assert "Fortryd" in again.content.decode()


def test_unsubscribing_can_be_undone_for_30_days(client):
    found = subscriber(areas=["social"])
    subscriptions.unsubscribe(found)

    assert client.post(links.path(found, "unsubscribe") + "fortryd/").status_code == 200
    found.refresh_from_db()
    assert found.state == "confirmed"
    assert found.is_receiving

    subscriptions.unsubscribe(found)
    Subscriber.objects.filter(pk=found.pk).update(
        unsubscribed_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert client.post(links.path(found, "unsubscribe") + "fortryd/").status_code == 409
    found.refresh_from_db()
    assert found.state == "unsubscribed"


def test_delete_everything_removes_the_address_and_its_mail(client):
    found = subscriber(areas=["social"])
    assert OutgoingMail.objects.filter(to=found.email).exists()
    path = links.path(found, "preferences") + "slet/"

    assert client.get(path).status_code == 200
    assert Subscriber.objects.filter(pk=found.pk).exists()  # asking is not deleting
    response = client.post(path)

    assert response.status_code == 200
    assert not Subscriber.objects.filter(email=found.email).exists()
    assert not OutgoingMail.objects.filter(to=found.email).exists()
    assert client.get(links.path(found, "preferences")).status_code == 404


def test_unconfirmed_sign_ups_go_after_7_days_and_unsubscribed_addresses_after_30():
    fresh = subscriber("ny@kommune.dk", areas=["social"], confirmed=False)
    old = subscriber("gammel@kommune.dk", areas=["social"], confirmed=False)
    Subscriber.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    left = subscriber("afmeldt@kommune.dk", areas=["social"])
    subscriptions.unsubscribe(left)
    Subscriber.objects.filter(pk=left.pk).update(unsubscribed_at=timezone.now() - datetime.timedelta(days=31))
    recent = subscriber("fortryder@kommune.dk", areas=["social"])
    subscriptions.unsubscribe(recent)

    counts = subscriptions.clean_up()

    assert counts == {"unconfirmed": 1, "unsubscribed": 1}
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "fortryder@kommune.dk",
        "ny@kommune.dk",
    ]
    assert fresh.pk
    assert not OutgoingMail.objects.filter(to__in=["gammel@kommune.dk", "afmeldt@kommune.dk"]).exists()


def test_the_confirmation_link_expires_with_the_sign_up(client, monkeypatch):
    found = subscriber(areas=["social"], confirmed=False)
    eight_days_ago = timezone.now().timestamp() - 8 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr("django.core.signing.time.time", lambda: eight_days_ago)
        path = links.path(found, "confirm")

    response = client.post(path)

    assert response.status_code == 404
    assert "7 dage" in response.content.decode()


def test_an_address_whose_mail_is_refused_for_good_is_suspended_until_it_signs_up_again(client, smtp):
    found = subscriber("forkert@kommune.dk", areas=["social"])
    smtp.answers["forkert@kommune.dk"] = ["550 5.1.1 No such user"]
    OutgoingMail.objects.filter(to=found.email).update(state="queued", next_attempt_at=timezone.now())

    while outbox.deliver():
        pass

    found.refresh_from_db()
    assert found.state == "suspended"
    assert "550" in found.suspended_reason
    assert not found.is_receiving
    sign_up(client, "forkert@kommune.dk", areas=["social"])
    found.refresh_from_db()
    assert found.state == "pending"  # a new confirmation, then mail again
