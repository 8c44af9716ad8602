"""What the newsletters' tests share: subscribers made the way the public makes them, links
taken out of the mails, and news made by real changes to decisions and answers."""

import email
import re
from email import policy

from django.utils import timezone

from decisions.models import Area, Law
from newsletters import collecting, links, subscriptions
from newsletters.models import Subscriber
from newsletters.subscriptions import Topics
from portal.models import OutgoingMail
from tests.factories import AnswerFactory, DecisionFactory


def subscriber(
    email_address: str = "sagsbehandler@kommune.dk",
    *,
    areas: tuple[str, ...] = (),
    laws: tuple[str, ...] = (),
    paragraphs: str = "",
    kinds: tuple[str, ...] = ("decisions", "hotline", "newsletter"),
    frequency: str = "daily",
    confirmed: bool = True,
) -> Subscriber:
    from decisions.citations import clean_citations

    citations, references = clean_citations(paragraphs, required=False) if paragraphs else ("", [])
    topics = Topics(
        areas=list(Area.objects.filter(slug__in=areas)),
        laws=list(Law.objects.filter(slug__in=laws)),
        citations=citations,
        references=references,
        kinds=list(kinds),
        frequency=frequency,
    )
    found = subscriptions.sign_up(email_address, topics)
    if confirmed:
        subscriptions.confirm(found)
    found.refresh_from_db()
    return found


def new_decision(**fields):
    """A decision published today: news."""
    fields.setdefault("published_on", timezone.localdate())
    fields.setdefault("decided_on", timezone.localdate())
    return DecisionFactory(**fields)


def new_answer(**fields):
    fields.setdefault("answered_on", timezone.localdate())
    return AnswerFactory(**fields)


def collect() -> int:
    return collecting.collect()


def link_in(text: str, name: str) -> str:
    """The path of the first link to /nyhedsbreve/<name>/… in a mail's text."""
    match = re.search(rf"https?://[^/\s]+(/nyhedsbreve/{name}/[^\s>]+/)", text)
    assert match, f"no {name} link in:\n{text}"
    return match.group(1)


def mails(kind: str) -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(kind=kind).order_by("pk"))


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=policy.default)


def token(found: Subscriber, purpose: str) -> str:
    return links.token(found, purpose)
