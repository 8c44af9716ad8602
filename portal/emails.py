"""Every mail the portal sends: three templates per mail, one shared HTML layout, queued in the
outbox (portal/outbox.py) under an idempotency key. Never `send_mail` directly.

A mail named `hotline-receipt` is `templates/emails/hotline-receipt-subject.txt`, `-body.txt` and
`-body.html`; the HTML one extends `emails/layout.html` (simple tables and inline styles, no remote
images or fonts, so it reads well in common mail programs). Links are absolute, from SITE_URL
(`{{ SITE_URL }}` in every template). Danish unless another language is asked for.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from portal.models import OutgoingMail
from portal.outbox import queue_message

LIST_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted")


def render(name: str, context: dict, language: str = "da") -> tuple[str, str, str]:
    """(subject, text, HTML) of the mail `name`, rendered in `language`."""
    context = {**context, "SITE_URL": settings.SITE_URL, "LANGUAGE_CODE": language}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body.txt", context).strip() + "\n"
        html = render_to_string(f"emails/{name}-body.html", context)
    return subject, text, html


def send(
    key: str,
    to: str,
    name: str,
    context: dict | None = None,
    *,
    headers: dict[str, str] | None = None,
    language: str = "da",
) -> OutgoingMail:
    """Queues the mail `name` to `to` under the idempotency `key`, once: asking again for the same
    key returns the message already queued (or sent) and sends nothing more. Extra headers may be
    the list headers a digest needs (`List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id`) and
    `Auto-Submitted`."""
    unknown = set(headers or {}) - set(LIST_HEADERS)
    if unknown:
        raise ValueError(f"headers not allowed: {', '.join(sorted(unknown))}")
    subject, text, html = render(name, context or {}, language)
    return queue_message(key, to, subject, text, html, headers or {})
