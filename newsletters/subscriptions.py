"""Signing up, confirming, changing, pausing, unsubscribing and deleting; suspending an address
whose mail is refused; and forgetting what is no longer needed.

Double opt-in (REFERENCES.md, listmonk's lessons): a sign-up sends a confirmation link and nothing
else is sent until it is followed. Sending the form again never downgrades a confirmed
subscription: the subscriber gets their preferences link instead, and the page says the same
thing whatever the address's state, so nobody can find out who subscribes."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from decisions.citations import Reference
from decisions.models import Area, Law, Paragraph
from newsletters import links
from newsletters.models import ALL_KINDS, Event, Frequency, Subscriber
from portal import emails
from portal.models import OutgoingMail

UNCONFIRMED_FOR = datetime.timedelta(days=7)
UNDO_FOR = datetime.timedelta(days=30)
# The mail kinds (the first part of their outbox keys) that go to subscribers.
MAIL_KINDS = ["digest", "newsletter", "newsletters.confirm", "newsletters.known"]


@dataclass
class Topics:
    areas: list[Area] = field(default_factory=list)
    laws: list[Law] = field(default_factory=list)
    citations: str = ""
    references: list[Reference] = field(default_factory=list)
    kinds: list[str] = field(default_factory=lambda: list(ALL_KINDS))
    frequency: str = Frequency.WEEKLY

    @classmethod
    def from_form(cls, form) -> "Topics":
        data = form.cleaned_data
        return cls(
            areas=list(data["areas"]),
            laws=list(data["laws"]),
            citations=data["citations"],
            references=form.references,
            kinds=[kind for kind in ALL_KINDS if kind in data["kinds"]],
            frequency=data["frequency"],
        )

    @classmethod
    def of(cls, subscriber: Subscriber) -> dict:
        """The subscriber's topics as a form's initial data."""
        return {
            "areas": [area.slug for area in subscriber.areas.all()],
            "laws": [law.slug for law in subscriber.laws.all()],
            "citations": subscriber.citations,
            "kinds": subscriber.kinds,
            "frequency": subscriber.frequency,
            "paused": subscriber.paused,
        }

    def apply(self, subscriber: Subscriber) -> None:
        """Makes the (saved) subscriber follow exactly these topics."""
        paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for ref in self.references)
        subscriber.kinds = self.kinds
        subscriber.frequency = self.frequency
        subscriber.citations = self.citations
        subscriber.save(update_fields=["kinds", "frequency", "citations"])
        subscriber.areas.set(self.areas)
        subscriber.laws.set(self.laws)
        subscriber.paragraphs.set(list(paragraphs.values()))


def normalise(email: str) -> str:
    return email.strip().lower()


def newest_event() -> int:
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


def sign_up(email: str, topics: Topics) -> Subscriber:
    """A sign-up from the form or an import: a new or unconfirmed address gets the topics and a
    confirmation link; a confirmed one keeps what it has and gets its preferences link."""
    email = normalise(email)
    now = timezone.now()
    with transaction.atomic():
        Subscriber.objects.bulk_create([Subscriber(email=email, created_at=now)], ignore_conflicts=True)
        subscriber = Subscriber.objects.select_for_update().get(email=email)
        if subscriber.state == Subscriber.State.CONFIRMED:
            send_known(subscriber)
            return subscriber
        if subscriber.state != Subscriber.State.PENDING:  # unsubscribed or suspended: start again
            subscriber.state = Subscriber.State.PENDING
            subscriber.created_at = now
            subscriber.unsubscribed_at = None
            subscriber.save(update_fields=["state", "created_at", "unsubscribed_at"])
        topics.apply(subscriber)
        send_confirmation(subscriber)
    return subscriber


def send_confirmation(subscriber: Subscriber) -> None:
    moment = timezone.now()
    emails.send(
        f"newsletters.confirm:{subscriber.pk}:{moment:%Y%m%d%H%M%S}",
        subscriber.email,
        "newsletters-confirm",
        {
            "subscriber": subscriber,
            "confirm_url": links.url(subscriber, "confirm"),
            "topics": describe(subscriber),
        },
        headers={"Auto-Submitted": "auto-replied"},
    )


def send_known(subscriber: Subscriber) -> None:
    """To a confirmed address that signs up again: its preferences link, at most once a day."""
    emails.send(
        f"newsletters.known:{subscriber.pk}:{timezone.localdate():%Y%m%d}",
        subscriber.email,
        "newsletters-known",
        {
            "subscriber": subscriber,
            "preferences_url": links.url(subscriber, "preferences"),
            "topics": describe(subscriber),
        },
        headers={"Auto-Submitted": "auto-replied"},
    )


def describe(subscriber: Subscriber) -> list[str]:
    """What the subscriber follows, as a reader says it: areas, laws, then paragraphs."""
    topics = [area.name for area in subscriber.areas.order_by("order")]
    topics += [law.short_name for law in subscriber.laws.order_by("short_name")]
    topics += [line for line in subscriber.citations.splitlines() if line.strip()]
    return topics


def confirm(subscriber: Subscriber) -> bool:
    """Confirms the address (again: nothing changes). Digests start with what happens from now."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.state == Subscriber.State.CONFIRMED:
            return False
        subscriber.state = Subscriber.State.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.suspended_at = None
        subscriber.suspended_reason = ""
        subscriber.last_event = newest_event()
        subscriber.save()
    return True


def save_preferences(subscriber: Subscriber, topics: Topics, paused: bool) -> None:
    with transaction.atomic():
        topics.apply(subscriber)
        if subscriber.paused and not paused:  # what happened while paused is not sent later
            subscriber.last_event = max(subscriber.last_event, newest_event())
        subscriber.paused = paused
        subscriber.save(update_fields=["paused", "last_event"])


def unsubscribe(subscriber: Subscriber) -> None:
    """At once and idempotent; undone within UNDO_FOR, then the address is deleted."""
    Subscriber.objects.filter(pk=subscriber.pk).exclude(state=Subscriber.State.UNSUBSCRIBED).update(
        state=Subscriber.State.UNSUBSCRIBED, unsubscribed_at=timezone.now()
    )
    subscriber.refresh_from_db()


def can_undo(subscriber: Subscriber) -> bool:
    return (
        subscriber.state == Subscriber.State.UNSUBSCRIBED
        and subscriber.unsubscribed_at is not None
        and subscriber.unsubscribed_at > timezone.now() - UNDO_FOR
        and subscriber.confirmed_at is not None
    )


def undo_unsubscribe(subscriber: Subscriber) -> bool:
    if not can_undo(subscriber):
        return False
    Subscriber.objects.filter(pk=subscriber.pk).update(state=Subscriber.State.CONFIRMED, unsubscribed_at=None)
    subscriber.refresh_from_db()
    return True


def delete_everything(subscriber: Subscriber) -> None:
    """The address, its topics and the mail sent to it (the outbox's copies), at once."""
    with transaction.atomic():
        OutgoingMail.objects.filter(to=subscriber.email, kind__in=MAIL_KINDS).exclude(
            state=OutgoingMail.State.SENDING
        ).delete()
        subscriber.delete()


def suspend(sender=None, *, mail: OutgoingMail, answer: str, **_kwargs) -> None:
    """`portal.outbox.refused` receiver: an address whose mail the server refused for good gets
    nothing more until it signs up again."""
    Subscriber.objects.filter(email=normalise(mail.to)).exclude(state=Subscriber.State.SUSPENDED).update(
        state=Subscriber.State.SUSPENDED, suspended_at=timezone.now(), suspended_reason=answer[:500]
    )


def clean_up(now: datetime.datetime | None = None) -> dict[str, int]:
    """Daily: unconfirmed sign-ups older than 7 days and addresses unsubscribed more than 30 days
    ago are deleted, with their mail."""
    now = now or timezone.now()
    unconfirmed = Subscriber.objects.filter(
        state=Subscriber.State.PENDING, created_at__lt=now - UNCONFIRMED_FOR
    )
    unsubscribed = Subscriber.objects.filter(
        state=Subscriber.State.UNSUBSCRIBED, unsubscribed_at__lt=now - UNDO_FOR
    )
    counts = {}
    for name, gone in (("unconfirmed", unconfirmed), ("unsubscribed", unsubscribed)):
        with transaction.atomic():
            addresses = list(gone.values_list("email", flat=True))
            OutgoingMail.objects.filter(to__in=addresses, kind__in=MAIL_KINDS).exclude(
                state=OutgoingMail.State.SENDING
            ).delete()
            counts[name] = (
                Subscriber.objects.filter(email__in=addresses).delete()[1].get("newsletters.Subscriber", 0)
            )
    return counts
