"""Subscriptions, the news they follow, the digests sent from it, and the editorial newsletter
"Nyt fra Ankestyrelsen" with its archive.

- A Subscriber is an e-mail address (no account) with topics (areas, whole laws, single
  paragraphs), kinds of news and a frequency. Double opt-in: nothing is sent before the address
  is confirmed; its personal links are signed (newsletters/links.py).
- News is an Event: something that happened to a principle decision or a hotline answer, read
  from their change feeds by newsletters/collecting.py and stored once (its `source` is unique).
- A DigestRun is one frequency's period (daily 2026-11-23, …): the events it covers end at a
  fixed event id, so running it again sends nothing more (newsletters/digests.py).
- An Issue of the editorial newsletter has Items, each for some areas, laws and paragraphs or for
  everyone; each subscriber gets their version (newsletters/editorial.py).
"""

import secrets

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from decisions.models import Area, CitedParagraph, Law, Paragraph, citing
from portal.guard import validate_line, validate_text


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately (within 15 minutes)")
    DAILY = "daily", _("Daily (weekdays at 7:00)")
    WEEKLY = "weekly", _("Weekly (Mondays at 7:00)")


class Kind(models.TextChoices):
    DECISIONS = "decisions", _("Principle decisions")
    HOTLINE = "hotline", _("Hotline answers")
    NEWSLETTER = "newsletter", _("The newsletter “Nyt fra Ankestyrelsen”")


ALL_KINDS = [kind.value for kind in Kind]


def new_key() -> str:
    return secrets.token_urlsafe(12)


class SubscriberQuerySet(models.QuerySet):
    def receiving(self) -> "SubscriberQuerySet":
        """Confirmed, not paused, not unsubscribed or suspended: those mail may be sent to."""
        return self.filter(state=Subscriber.State.CONFIRMED, paused=False)


class Subscriber(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        SUSPENDED = "suspended", _("Suspended (mail refused)")

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)  # stored in lower case
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    kinds = ArrayField(
        models.CharField(max_length=12, choices=Kind.choices), verbose_name=_("news"), default=list
    )
    areas = models.ManyToManyField(Area, verbose_name=_("areas"), blank=True, related_name="subscribers")
    laws = models.ManyToManyField(Law, verbose_name=_("laws"), blank=True, related_name="subscribers")
    paragraphs = models.ManyToManyField(
        Paragraph, verbose_name=_("paragraphs"), blank=True, related_name="subscribers"
    )
    citations = models.TextField(_("paragraphs (as typed)"), blank=True)
    paused = models.BooleanField(_("paused"), default=False)
    # Part of every personal link: a new key makes the old links stop working.
    key = models.CharField(max_length=32, default=new_key, editable=False)
    # The last event this subscriber's digests have covered: the next one starts after it.
    last_event = models.BigIntegerField(_("digests sent up to event"), default=0, editable=False)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    suspended_reason = models.CharField(_("why suspended"), max_length=500, blank=True)
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        indexes = [
            models.Index(
                fields=["frequency", "id"], name="subscriber_receiving", condition=models.Q(state="confirmed")
            ),
            models.Index(fields=["state", "created_at"], name="subscriber_state"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_receiving(self) -> bool:
        return self.state == self.State.CONFIRMED and not self.paused


class Event(models.Model):
    """Something a reader may want to know, once: a decision published or changed in status, an
    answer published, superseded, withdrawn or needing review. What a digest shows of it is stored
    with it, as it was when it happened."""

    class Type(models.TextChoices):
        DECISION_NEW = "decision_new", _("new principle decision")
        DECISION_STATUS = "decision_status", _("principle decision changed status")
        ANSWER_NEW = "answer_new", _("new hotline answer")
        ANSWER_SUPERSEDED = "answer_superseded", _("hotline answer superseded")
        ANSWER_WITHDRAWN = "answer_withdrawn", _("hotline answer withdrawn")
        ANSWER_REVIEW = "answer_review", _("hotline answer needs review")

    source = models.CharField(max_length=200, unique=True)  # what happened, once
    type = models.CharField(_("what"), max_length=20, choices=Type.choices)
    document = models.CharField(_("number or reference"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    path = models.CharField(_("address"), max_length=200)
    message = models.TextField(_("what happened"), blank=True)  # Danish, for status changes
    area = models.ForeignKey(Area, verbose_name=_("area"), null=True, on_delete=models.SET_NULL)
    # The cited paragraphs, in the document's order: [paragraph id, law id, "SEL § 100"].
    cited = models.JSONField(default=list)
    happened_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("news event")
        verbose_name_plural = _("news events")

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.document}"

    @property
    def kind(self) -> str:
        """Which kind of news a subscriber takes this as."""
        return Kind.DECISIONS if self.type.startswith("decision") else Kind.HOTLINE


class Seen(models.Model):
    """What the collector last saw of a document ("published:in_force", "draft:current", "gone"):
    a change is news only when this moves."""

    document = models.CharField(max_length=40, unique=True)  # decision:<id> or answer:<id>
    state = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"{self.document}: {self.state}"


class DigestRun(models.Model):
    """One frequency's period: the events after `first_event` up to `last_event` go to its
    subscribers, one message each under the key digest:<frequency>:<period>:<subscriber>."""

    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices)
    period = models.CharField(_("period"), max_length=20)  # 2026-11-23, 2026-W48, 2026-11-23T10:15
    as_of = models.DateTimeField(_("period ends"))
    last_event = models.BigIntegerField(_("up to event"))
    events = models.PositiveIntegerField(_("events"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    subscribers = models.PositiveIntegerField(_("subscribers served"), default=0)
    digests = models.PositiveIntegerField(_("digests"), default=0)

    class Meta:
        ordering = ["-as_of", "frequency"]
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        constraints = [models.UniqueConstraint(fields=["frequency", "period"], name="one_run_per_period")]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} {self.period}"

    @property
    def batch(self) -> str:
        return f"digest:{self.frequency}:{self.period}"


class Issue(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    title = models.CharField(
        _("title"),
        max_length=200,
        validators=[validate_line],
        help_text=_("e.g. “Nyt fra Ankestyrelsen, november 2026”"),
    )
    slug = models.SlugField(_("address"), max_length=100, unique=True, help_text=_("e.g. 2026-11"))
    introduction = models.TextField(_("introduction"), blank=True, validators=[validate_text])
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    recipients = models.PositiveIntegerField(_("versions queued"), default=0)
    # Subscribers are served in order of id; a send a dead worker left half done goes on from here.
    served_up_to = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-created_at"]
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        permissions = [("send_issue", _("Can send a newsletter issue"))]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("newsletters:issue", args=[self.slug])

    @property
    def batch(self) -> str:
        return f"newsletter:{self.slug}"

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_ISSUES


PUBLIC_ISSUES = [Issue.State.SENDING, Issue.State.SENT]


class ItemQuerySet(models.QuerySet):
    def citing(self, paragraphs=None, *, law=None, subsection: int | None = None) -> "ItemQuerySet":
        return citing(
            self, ItemParagraph.objects.filter(news_item=models.OuterRef("pk")), paragraphs, law, subsection
        )

    def archived(self) -> "ItemQuerySet":
        return self.filter(issue__state__in=PUBLIC_ISSUES)


class Item(models.Model):
    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    heading = models.CharField(_("heading"), max_length=200, validators=[validate_line])
    text = models.TextField(_("text"), validators=[validate_text], help_text=_("A few sentences."))
    decision = models.ForeignKey(
        "decisions.Decision",
        verbose_name=_("link to a principle decision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="newsletter_items",
    )
    answer = models.ForeignKey(
        "hotline.Answer",
        verbose_name=_("link to a hotline answer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="newsletter_items",
    )
    url = models.URLField(_("link to an address"), blank=True, max_length=500)
    for_everyone = models.BooleanField(
        _("for everyone"), default=False, help_text=_("Sent to every subscriber of the newsletter (“alle”).")
    )
    areas = models.ManyToManyField(Area, verbose_name=_("areas"), blank=True, related_name="newsletter_items")
    laws = models.ManyToManyField(Law, verbose_name=_("laws"), blank=True, related_name="newsletter_items")
    citations = models.TextField(
        _("paragraphs"),
        blank=True,
        validators=[validate_text],
        help_text=_("One citation per line, e.g. “SEL § 100”."),
    )
    paragraphs = models.ManyToManyField(
        Paragraph, through="ItemParagraph", related_name="newsletter_items", verbose_name=_("paragraphs")
    )
    # Weighted Danish vector (migration 0002): heading and citations, then the text.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        indexes = [GinIndex(fields=["search_vector"], name="newsletter_item_search")]

    def __str__(self) -> str:
        return self.heading

    def set_references(self, references) -> None:
        """Makes the item cite exactly `references` (decisions.citations.Reference), creating
        paragraphs that are new, as answers and decisions do."""
        references = list(dict.fromkeys(references))
        paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for ref in references)
        self.references.all().delete()
        ItemParagraph.objects.bulk_create(
            ItemParagraph(
                news_item=self,
                paragraph_id=paragraphs[ref.law, ref.section],
                subsection=ref.subsection,
                item=ref.item,
                position=position,
            )
            for position, ref in enumerate(references)
        )

    @property
    def link(self) -> str:
        """Where the item points: the decision's or answer's page (a path), or the address."""
        if self.decision_id:
            return self.decision.get_absolute_url()
        if self.answer_id:
            return self.answer.get_absolute_url()
        return self.url


class ItemParagraph(CitedParagraph):
    # Not `item`: CitedParagraph's `item` is the citation's "nr.".
    news_item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="references")
    paragraph = models.ForeignKey(Paragraph, on_delete=models.PROTECT, related_name="newsletter_references")

    class Meta(CitedParagraph.Meta):
        indexes = [models.Index(fields=["paragraph", "news_item"], name="newsletter_reference_paragraph")]
