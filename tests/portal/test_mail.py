import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from portal.mail import EmlFileBackend


def _message(to: str = "sagsbehandler@kommune.dk") -> mail.EmailMultiAlternatives:
    message = mail.EmailMultiAlternatives(
        subject="Kvittering: dit spørgsmål til juridisk hotline",
        body="Vi har modtaget dit spørgsmål om SEL § 100.",
        from_email="Principportalen <noreply@localhost>",
        to=[to],
    )
    message.attach_alternative("<p>Vi har modtaget dit spørgsmål om <b>SEL § 100</b>.</p>", "text/html")
    return message


def test_without_smtp_each_message_becomes_one_eml_file_a_mail_program_can_open(tmp_path):
    backend = EmlFileBackend(file_path=tmp_path / "mail", alias="default")

    sent = backend.send_messages([_message("a@kommune.dk"), _message("b@kommune.dk")])

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert sent == 2
    assert len(files) == 2
    parsed = [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]
    assert sorted(message["To"] for message in parsed) == ["a@kommune.dk", "b@kommune.dk"]
    assert parsed[0]["Subject"] == "Kvittering: dit spørgsmål til juridisk hotline"
    assert "SEL § 100" in parsed[0].get_body(("plain",)).get_content()
    assert "<b>SEL § 100</b>" in parsed[0].get_body(("html",)).get_content()
    assert not list((tmp_path / "mail").glob("*.part"))


def test_the_default_mailer_writes_eml_files_when_no_smtp_host_is_configured():
    # The test runner swaps every mailer for the in-memory one; the configured one is checked here.
    from django.conf import settings as configured

    from portal import settings as portal_settings

    assert portal_settings.MAILERS["default"]["BACKEND"] == "portal.mail.EmlFileBackend"
    assert str(portal_settings.MAILERS["default"]["OPTIONS"]["file_path"]).endswith("/mail")
    assert configured.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


class _Inbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(unused_tcp_port):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    yield inbox, unused_tcp_port
    controller.stop()


def test_mail_goes_through_a_real_smtp_server_when_email_url_is_set(settings, smtp_server):
    from portal.env import parse_email_url

    inbox, port = smtp_server
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**parse_email_url(f"smtp://127.0.0.1:{port}"), "timeout": 5},
        }
    }

    _message().send()

    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["sagsbehandler@kommune.dk"]
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == "Kvittering: dit spørgsmål til juridisk hotline"
    assert "SEL § 100" in received.get_body(("plain",)).get_content()
