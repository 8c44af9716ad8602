"""The outbox against a real SMTP server on loopback (aiosmtpd, started by the test)."""

import email
from email import policy

import pytest
from django.contrib.auth.models import Group, User

from portal import emails, outbox, roles
from portal.env import parse_email_url
from portal.models import OutgoingMail

pytestmark = pytest.mark.django_db


def test_a_message_is_delivered_once_rendered_from_its_templates(smtp):
    queued = emails.send(
        "test:1", "sagsbehandler@kommune.dk", "test-message", {"to": "sagsbehandler@kommune.dk"}
    )

    assert outbox.deliver() == 1
    assert outbox.deliver() == 0  # nothing more is due

    (envelope,) = smtp.delivered
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert envelope.rcpt_tos == ["sagsbehandler@kommune.dk"]
    assert received["Subject"] == "Testbesked fra Principportalen"
    assert "http://testserver/" in received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert '<html lang="da">' in html
    assert "http://testserver/" in html
    assert "<img" not in html  # no remote images
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("sent", 1)
    assert received["Message-ID"] == queued.message_id
    assert queued.sent_at is not None


def test_the_same_key_queued_twice_gives_one_delivery(smtp):
    first = emails.send("test:twice", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})
    again = emails.send("test:twice", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})
    outbox.deliver()
    emails.send("test:twice", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})  # after sending too
    outbox.deliver()

    assert first.pk == again.pk
    assert OutgoingMail.objects.count() == 1
    assert len(smtp.delivered) == 1


def test_a_temporary_refusal_is_retried_with_backoff_and_delivered_once(smtp, later):
    smtp.answers["a@kommune.dk"] = ["421 Try again later"]
    emails.send("test:421", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})

    outbox.deliver()
    message = OutgoingMail.objects.get()
    assert (message.state, message.attempts) == ("queued", 1)
    assert message.last_error.startswith("421")
    assert not smtp.delivered

    assert outbox.deliver() == 0  # not due before the backoff is over
    later(minutes=1, seconds=1)
    assert outbox.deliver() == 1

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert len(smtp.delivered) == 1


def test_a_permanent_refusal_fails_with_the_server_s_answer_and_is_never_retried(smtp, later):
    smtp.answers["nobody@kommune.dk"] = ["550 No such user here"]
    emails.send("test:550", "nobody@kommune.dk", "test-message", {"to": "nobody@kommune.dk"})
    emails.send("test:ok", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})  # in the same batch

    outbox.deliver()
    later(days=1)
    assert outbox.deliver() == 0

    failed = OutgoingMail.objects.get(key="test:550")
    assert failed.state == "failed"
    assert failed.last_error == "550 No such user here"
    assert OutgoingMail.objects.get(key="test:ok").state == "sent"
    assert [envelope.rcpt_tos for envelope in smtp.delivered] == [["a@kommune.dk"]]

    # Staff send it again, once the address is fixed at the other end.
    assert outbox.send_again([failed]) == 1
    outbox.deliver()
    assert OutgoingMail.objects.get(key="test:550").state == "sent"


def test_an_unreachable_server_is_a_temporary_failure(settings, unused_tcp_port, later):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**parse_email_url(f"smtp://127.0.0.1:{unused_tcp_port}"), "timeout": 2},
        }
    }
    emails.send("test:down", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})

    assert outbox.deliver() == 1

    message = OutgoingMail.objects.get()
    assert (message.state, message.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > outbox.now()


def test_a_batch_whose_worker_died_is_queued_again_when_its_lease_is_over(smtp, later):
    emails.send("test:dead", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})
    assert len(outbox.claim()) == 1  # a worker claims it, then dies before sending

    assert outbox.sweep() == 0  # still leased: nobody else sends it
    assert outbox.deliver() == 0
    later(minutes=11)
    assert outbox.sweep() == 1
    assert outbox.deliver() == 1
    assert len(smtp.delivered) == 1
    assert OutgoingMail.objects.get().attempts == 2


def test_only_list_and_auto_headers_may_be_added(smtp):
    with pytest.raises(ValueError, match="Bcc"):
        emails.send("test:h", "a@kommune.dk", "test-message", {"to": "a"}, headers={"Bcc": "x@y.dk"})

    emails.send(
        "digest:1:2026-11",
        "a@kommune.dk",
        "test-message",
        {"to": "a@kommune.dk"},
        headers={
            "List-Unsubscribe": "<http://testserver/nyhedsbreve/afmeld/abc/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": "Principportalen <nyhedsbrev.principportalen.dk>",
        },
    )
    outbox.deliver()

    received = email.message_from_bytes(smtp.delivered[0].content, policy=policy.default)
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert OutgoingMail.objects.get().kind == "digest"


def test_staff_see_the_outbox_and_send_a_failed_message_again(admin_client, smtp):
    smtp.answers["nobody@kommune.dk"] = ["550 No such user here"]
    emails.send("test:admin", "nobody@kommune.dk", "test-message", {"to": "nobody@kommune.dk"})
    outbox.deliver()
    failed = OutgoingMail.objects.get()

    listing = admin_client.get(
        "/admin/portal/outgoingmail/", {"state": "failed", "q": "nobody"}
    ).content.decode()
    assert "nobody@kommune.dk" in listing
    page = admin_client.get(f"/admin/portal/outgoingmail/{failed.pk}/change/").content.decode()
    assert "550 No such user here" in page

    response = admin_client.post(
        "/admin/portal/outgoingmail/", {"action": "send_again", "_selected_action": [failed.pk]}
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == ("queued", 0, "")


def test_a_message_is_shown_but_never_saved_from_its_page(admin_client, smtp):
    emails.send("test:shown", "a@kommune.dk", "test-message", {"to": "a@kommune.dk"})
    queued = OutgoingMail.objects.get()

    page = admin_client.get(f"/admin/portal/outgoingmail/{queued.pk}/change/")
    response = admin_client.post(f"/admin/portal/outgoingmail/{queued.pk}/change/", {"subject": "Ændret"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    assert OutgoingMail.objects.get().subject == queued.subject


@pytest.mark.parametrize(("role", "sees"), [(roles.PUBLISHERS, True), (roles.EDITORS, False)])
def test_publishers_see_the_outbox_and_send_again_and_editors_do_not(client, smtp, role, sees):
    roles.sync_roles()
    user = User.objects.create_user(f"{role}-mail", password="a-long-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    smtp.answers["nobody@kommune.dk"] = ["550 No such user here"]
    emails.send("test:role", "nobody@kommune.dk", "test-message", {"to": "nobody@kommune.dk"})
    outbox.deliver()
    failed = OutgoingMail.objects.get()

    listing = client.get("/admin/portal/outgoingmail/")
    detail = client.get(f"/admin/portal/outgoingmail/{failed.pk}/change/")
    client.post("/admin/portal/outgoingmail/", {"action": "send_again", "_selected_action": [failed.pk]})

    failed.refresh_from_db()
    if sees:
        assert listing.status_code == 200
        assert "nobody@kommune.dk" in listing.content.decode()
        assert "550 No such user here" in detail.content.decode()
        assert failed.state == "queued"
    else:
        assert (listing.status_code, detail.status_code) == (403, 403)
        assert failed.state == "failed"
