"""The editorial newsletter "Nyt fra Ankestyrelsen": each subscriber who takes it gets their
version, the items for their topics plus the items for everyone, and no mail when nothing is for
them. The mail starts with its list of items and their areas, so a reader sees in seconds whether
it concerns them (the evaluation's chapter 6).

Sending is for publishers: at once, or at a set time (a beat task every minute sends what is
due). Subscribers are served in chunks in order of id, each chunk queued in one transaction with
the issue's progress, under the key newsletter:<issue>:<subscriber>: a send interrupted by a dead
worker goes on where it stopped and never sends a version twice."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from decisions.citations import display_section
from newsletters import links
from newsletters.mailing import Following, Names, following, joined, list_headers, render_parts, safe, why
from newsletters.models import Issue, Item, Kind, Subscriber
from portal.outbox import Message, queue_many
from portal.roles import SEND_ISSUES, require_publisher

CHUNK = 500


@dataclass
class Prepared:
    """An item as the versions need it, loaded once."""

    item: Item
    areas: list[int] = field(default_factory=list)
    laws: list[int] = field(default_factory=list)
    cited: list[list] = field(default_factory=list)  # [paragraph id, law id, "SEL § 100"]
    html: str = ""
    text: str = ""

    def tags(self, names: Names) -> list[str]:
        if self.item.for_everyone:
            return [_("everyone")]
        return (
            [names.area(pk) for pk in self.areas]
            + [names.law(pk) for pk in self.laws]
            + [c[2] for c in self.cited]
        )


def prepare(issue: Issue, names: Names | None = None) -> list[Prepared]:
    names = names or Names()
    items = list(
        issue.items.select_related("decision", "answer")
        .prefetch_related("areas", "laws", "references__paragraph__law")
        .order_by("position", "pk")
    )
    prepared = []
    html = get_template("emails/includes/newsletter-item.html")
    text = get_template("emails/includes/newsletter-item.txt")
    with translation.override("da"):
        for item in items:
            cited: dict[int, list] = {}
            for reference in item.references.all():
                paragraph = reference.paragraph
                cited.setdefault(
                    paragraph.pk,
                    [
                        paragraph.pk,
                        paragraph.law_id,
                        f"{paragraph.law.abbreviation} {display_section(paragraph.section)}",
                    ],
                )
            entry = Prepared(
                item,
                sorted((area.pk for area in item.areas.all()), key=lambda pk: names.area_order(pk)),
                [law.pk for law in item.laws.all()],
                list(cited.values()),
            )
            context = {
                "item": item,
                "tags": entry.tags(names),
                "SITE_URL": settings.SITE_URL,
                "link": _link(item),
            }
            entry.html = html.render(context)
            entry.text = text.render(context).strip()
            prepared.append(entry)
    return prepared


def _link(item: Item) -> str:
    link = item.link
    return settings.SITE_URL + link if link.startswith("/") else link


def item_reasons(reader: Following, entry: Prepared, names: Names) -> list[str]:
    """Why the reader gets the item: their paragraphs, laws and areas it concerns, or "for everyone"."""
    found = [text for pk, _law, text in entry.cited if pk in reader.paragraphs]
    laws = dict.fromkeys([*entry.laws, *(law for _pk, law, _text in entry.cited)])
    found += [names.law(law) for law in laws if law in reader.laws]
    found += [names.area(area) for area in entry.areas if area in reader.areas]
    return list(dict.fromkeys(found))


@dataclass
class Version:
    entries: list[tuple[Prepared, str]]  # the item and why the reader gets it

    @property
    def count(self) -> int:
        return len(self.entries)


def version(reader: Following, prepared: list[Prepared], names: Names) -> Version | None:
    entries = []
    for entry in prepared:
        found = item_reasons(reader, entry, names)
        if found:
            entries.append((entry, why(found)))
        elif entry.item.for_everyone:
            entries.append((entry, _("For everyone who takes the newsletter")))
    return Version(entries) if entries else None


def subject(issue: Issue, version: Version, names: Names) -> str:
    with translation.override("da"):
        areas = []
        for entry, _why in version.entries:
            areas += [names.area(pk) for pk in entry.areas] if not entry.item.for_everyone else []
        shown = list(dict.fromkeys(areas))[:2]
        count = version.count
        text = ngettext("%(title)s: %(count)s item for you", "%(title)s: %(count)s items for you", count) % {
            "title": issue.title,
            "count": count,
        }
        if shown:
            text += f" ({joined(shown)})"
        return text


def render(issue: Issue, subscriber: Subscriber, version: Version, names: Names) -> Message:
    with translation.override("da"):
        entries = [
            {
                "html": safe(entry.html),
                "text": entry.text,
                "why": reason,
                "heading": entry.item.heading,
                "tags": entry.tags(names),
                "anchor": f"punkt-{number}",
            }
            for number, (entry, reason) in enumerate(version.entries, start=1)
        ]
    text, html = render_parts(
        "newsletter",
        {
            "issue": issue,
            "entries": entries,
            "archive_url": settings.SITE_URL + issue.get_absolute_url(),
            "preferences_url": links.url(subscriber, "preferences") if subscriber.pk else "",
            "unsubscribe_url": links.url(subscriber, "unsubscribe") if subscriber.pk else "",
        },
    )
    return Message(
        key=f"{issue.batch}:{subscriber.pk}",
        to=subscriber.email,
        subject=subject(issue, version, names),
        text=text,
        html=html,
        headers=list_headers(subscriber) if subscriber.pk else {},
    )


def preview(issue: Issue, area=None) -> tuple[Message | None, Version | None]:
    """The version a subscriber following only `area` gets (None: following nothing but the
    items for everyone), as staff preview it before sending."""
    names = Names()
    reader = Following(Subscriber(email="forhaandsvisning@example.invalid"))
    if area is not None:
        reader.areas.add(area.pk)
    found = version(reader, prepare(issue, names), names)
    if found is None:
        return None, None
    return render(issue, reader.subscriber, found, names), found


def schedule(issue: Issue, send_at=None) -> None:
    """Publishers send an issue now (send_at None) or at a set time; editors may not."""
    require_publisher(_("Only publishers may send a newsletter."), permission=SEND_ISSUES)
    if issue.state not in (Issue.State.DRAFT, Issue.State.SCHEDULED):
        return
    Issue.objects.filter(pk=issue.pk).update(state=Issue.State.SCHEDULED, send_at=send_at or timezone.now())
    issue.refresh_from_db()


def unschedule(issue: Issue) -> None:
    require_publisher(_("Only publishers may send a newsletter."), permission=SEND_ISSUES)
    Issue.objects.filter(pk=issue.pk, state=Issue.State.SCHEDULED).update(
        state=Issue.State.DRAFT, send_at=None
    )
    issue.refresh_from_db()


def send_due(now=None) -> int:
    """Sends every scheduled issue whose time has come, and goes on with any left half sent."""
    now = now or timezone.now()
    due = Issue.objects.filter(state=Issue.State.SCHEDULED, send_at__lte=now)
    for issue in due:
        Issue.objects.filter(pk=issue.pk, state=Issue.State.SCHEDULED).update(
            state=Issue.State.SENDING, sent_at=now
        )
    sending = list(Issue.objects.filter(state=Issue.State.SENDING))
    for issue in sending:
        send(issue)
    return len(sending)


def send(issue: Issue) -> None:
    names = Names()
    prepared = prepare(issue, names)
    readers = Subscriber.objects.receiving().filter(kinds__contains=[Kind.NEWSLETTER])
    while True:
        with transaction.atomic():
            current = Issue.objects.select_for_update().get(pk=issue.pk)
            if current.state != Issue.State.SENDING:
                return
            chunk = list(readers.filter(pk__gt=current.served_up_to).order_by("pk")[:CHUNK])
            if not chunk:
                Issue.objects.filter(pk=issue.pk).update(state=Issue.State.SENT)
                return
            messages = []
            for reader in following(chunk):
                found = version(reader, prepared, names)
                if found is not None:
                    messages.append(render(current, reader.subscriber, found, names))
            queue_many(messages)
            Issue.objects.filter(pk=issue.pk).update(
                served_up_to=chunk[-1].pk, recipients=F("recipients") + len(messages)
            )
