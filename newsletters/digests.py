"""Digests: for each subscriber, everything new since their last digest that matches any of their
topics, each item once, with why they get it, grouped by area and then by law and paragraph.

A run is one frequency's period (`period_of`): daily 2026-11-23, weekly 2026-W48, immediately a
five-minute slot. It first collects the news (newsletters/collecting.py), then fixes the last
event it covers; running it again for the same period covers the same events. Subscribers are
served in chunks, each in one transaction that queues their messages in the outbox (key
digest:<frequency>:<period>:<subscriber>) and moves their `last_event` on: a worker killed
mid-run leaves every subscriber either served (their message queued, sent by the outbox) or
untouched, and the run is finished by the next call (the sweep, or the command again). The
queries per run grow with chunks, not subscribers; memory holds one chunk."""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Min
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from decisions.models import Decision
from hotline.models import Answer, State
from newsletters import links
from newsletters.collecting import collect_now
from newsletters.mailing import (
    Following,
    Names,
    following,
    joined,
    list_headers,
    reasons,
    render_parts,
    why,
)
from newsletters.models import DigestRun, Event, Frequency, Subscriber
from portal.outbox import Message, queue_many

SLOT_MINUTES = 5  # "immediately": the news of five minutes in one mail, sent within 15
Type = Event.Type
NEW = (Type.DECISION_NEW, Type.ANSWER_NEW)


def period_of(frequency: str, as_of: datetime.datetime) -> str:
    local = timezone.localtime(as_of)
    if frequency == Frequency.DAILY:
        return local.date().isoformat()
    if frequency == Frequency.WEEKLY:
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    slot = local.replace(minute=local.minute - local.minute % SLOT_MINUTES, second=0, microsecond=0)
    return slot.strftime("%Y-%m-%dT%H:%M")


def run(frequency: str, as_of: datetime.datetime | None = None) -> DigestRun:
    """Sends the frequency's digests for the period that `as_of` (default now) falls in."""
    collect_now()
    as_of = as_of or timezone.now()
    period = period_of(frequency, as_of)
    with transaction.atomic():
        # Every event up to the newest one that happened by then; one that happened later but was
        # recorded earlier comes along (early, never twice), none is left behind.
        last = Event.objects.filter(happened_at__lte=as_of).aggregate(last=Max("id"))["last"] or 0
        digest_run, _created = DigestRun.objects.get_or_create(
            frequency=frequency, period=period, defaults={"as_of": as_of, "last_event": last}
        )
    waiting = Subscriber.objects.receiving().filter(frequency=frequency, last_event__lt=digest_run.last_event)
    start = waiting.aggregate(first=Min("last_event"))["first"]
    if start is not None:
        events = public_events(Event.objects.filter(id__gt=start, id__lte=digest_run.last_event))
        digest_run.events = len(events)
        DigestRun.objects.filter(pk=digest_run.pk).update(events=len(events))
        names = Names()
        fragments = Fragments(events)
        index = EventIndex(events)
        # Chunks no other run holds; then, waiting for them, any a concurrent transaction held.
        wrapper = Wrapper()
        while _serve_chunk(digest_run, waiting, index, names, fragments, wrapper, skip_locked=True):
            pass
        while _serve_chunk(digest_run, waiting, index, names, fragments, wrapper, skip_locked=False):
            pass
    DigestRun.objects.filter(pk=digest_run.pk, finished_at__isnull=True).update(finished_at=timezone.now())
    digest_run.refresh_from_db()
    return digest_run


def public_events(events) -> list[Event]:
    """The events whose document the public can still read: one that was unpublished or deleted
    since is left out."""
    events = list(events.select_related("area"))
    numbers = {event.document for event in events if event.type.startswith("decision")}
    references = {event.document for event in events if event.type.startswith("answer")}
    public = set(Decision.objects.published().filter(number__in=numbers).values_list("number", flat=True))
    public |= set(
        Answer.objects.exclude(state=State.DRAFT)
        .filter(reference__in=references)
        .values_list("reference", flat=True)
    )
    return [event for event in events if event.document in public]


def _serve_chunk(
    digest_run: DigestRun,
    waiting,
    index: "EventIndex",
    names: Names,
    fragments: "Fragments",
    wrapper: "Wrapper",
    skip_locked: bool,
) -> bool:
    with transaction.atomic():
        subscribers = list(
            waiting.order_by("pk").select_for_update(skip_locked=skip_locked)[: settings.DIGEST_CHUNK]
        )
        if not subscribers:
            return False
        messages = []
        mailed = []
        for reader in following(subscribers):
            digest = compose(reader, index.candidates(reader), names)
            if digest is not None:
                messages.append(render(digest_run, digest, fragments, wrapper))
                mailed.append(reader.subscriber.pk)
        queue_many(messages)
        Subscriber.objects.filter(pk__in=[s.pk for s in subscribers]).update(last_event=digest_run.last_event)
        Subscriber.objects.filter(pk__in=mailed).update(last_digest_at=timezone.now())
        DigestRun.objects.filter(pk=digest_run.pk).update(
            subscribers=F("subscribers") + len(subscribers), digests=F("digests") + len(messages)
        )
    return True


class EventIndex:
    """The run's events by area, law and paragraph, so that a reader's candidates are found from
    their topics rather than by testing every event against every reader."""

    def __init__(self, events: list[Event]) -> None:
        self.by_area: dict[int, list[Event]] = {}
        self.by_law: dict[int, list[Event]] = {}
        self.by_paragraph: dict[int, list[Event]] = {}
        for event in events:
            self.by_area.setdefault(event.area_id, []).append(event)
            for paragraph, law, _text in event.cited:
                self.by_paragraph.setdefault(paragraph, []).append(event)
                if event not in self.by_law.setdefault(law, []):
                    self.by_law[law].append(event)

    def candidates(self, reader: Following) -> list[Event]:
        """The events after the reader's last digest that touch any of their topics, in order."""
        found: dict[int, Event] = {}
        after = reader.subscriber.last_event
        for table, keys in (
            (self.by_area, reader.areas),
            (self.by_law, reader.laws),
            (self.by_paragraph, reader.paragraphs),
        ):
            for key in keys:
                for event in table.get(key, ()):
                    if event.pk > after:
                        found[event.pk] = event
        return [found[pk] for pk in sorted(found)]


@dataclass
class Entry:
    event: Event
    reasons: list[str]


@dataclass
class Group:
    title: str  # "SEL § 100", "Serviceloven", or "" for the area's other items
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Section:
    area: str
    groups: list[Group] = field(default_factory=list)


@dataclass
class Digest:
    reader: Following
    sections: list[Section]
    covered: list[tuple[str, int]]  # the reader's topics this digest covers, with how many items
    subject: str

    @property
    def count(self) -> int:
        return sum(len(group.entries) for section in self.sections for group in section.groups)


def compose(reader: Following, events: list[Event], names: Names) -> Digest | None:
    """The reader's digest of `events`: each event once, if it matches any of their topics and
    kinds; None when nothing does."""
    entries: list[tuple[tuple, str, str, Entry]] = []
    for event in events:
        if event.kind not in reader.subscriber.kinds:
            continue
        found = reasons(reader, event.area_id, event.cited, names)
        if not found:
            continue
        group_key, group_title = _group_of(reader, event, names)
        entries.append((names.area_order(event.area_id), group_key, group_title, Entry(event, found)))
    if not entries:
        return None
    order = {kind: rank for rank, kind in enumerate(Type.values)}
    entries.sort(key=lambda e: (e[0], e[1], order[e[3].event.type], -e[3].event.pk))
    sections: list[Section] = []
    for _area_order, _key, title, entry in entries:
        area_name = names.area(entry.event.area_id)
        if not sections or sections[-1].area != area_name:
            sections.append(Section(area_name))
        groups = sections[-1].groups
        if not groups or groups[-1].title != title:
            groups.append(Group(title))
        groups[-1].entries.append(entry)
    covered = Counter(reason for *_rest, entry in entries for reason in entry.reasons)
    all_entries = [entry for *_rest, entry in entries]
    return Digest(reader, sections, covered.most_common(), subject(all_entries, reader, names))


def _group_of(reader: Following, event: Event, names: Names) -> tuple[tuple, str]:
    """The heading an event stands under within its area: the first paragraph it cites that the
    reader follows, else the first law the reader follows, else its first paragraph."""
    cited = event.cited
    for pk, _law, text in cited:
        if pk in reader.paragraphs:
            return (0, text), text
    for _pk, law, _text in cited:
        if law in reader.laws:
            return (0, names.law(law)), names.law(law).capitalize()
    if cited:
        return (0, cited[0][2]), cited[0][2]
    return (1, ""), ""


def _paragraphs_said(texts: list[str]) -> str:
    """ "SEL § 100 og § 83": paragraphs of the same law share its abbreviation."""
    said, previous = [], None
    for text in texts:
        law, _space, rest = text.partition(" ")
        said.append(rest if law == previous else text)
        previous = law
    return joined(said)


def subject(entries: list[Entry], reader: Following, names: Names) -> str:
    """What is inside, counted: "3 nye principafgørelser om SEL § 100 og § 83 · 1 hotline-svar"."""
    with translation.override("da"):
        kinds = Counter(entry.event.type for entry in entries)
        parts = []
        new_decisions = [entry for entry in entries if entry.event.type == Type.DECISION_NEW]
        if new_decisions:
            topics = Counter(_group_of(reader, entry.event, names)[1] for entry in new_decisions)
            shown = [topic for topic, _count in topics.most_common(3) if topic]
            count = len(new_decisions)
            text = ngettext(
                "%(count)s new principle decision", "%(count)s new principle decisions", count
            ) % {"count": count}
            if shown:
                text += " " + _("on %(topics)s") % {
                    "topics": _paragraphs_said(sorted(shown, key=_paragraph_order))
                }
                if len(topics) > len(shown):
                    text += " " + _("and more")
            parts.append(text)
        if count := kinds[Type.DECISION_STATUS]:
            parts.append(
                ngettext("%(count)s decision changed status", "%(count)s decisions changed status", count)
                % {"count": count}
            )
        if count := kinds[Type.ANSWER_NEW]:
            parts.append(
                ngettext("%(count)s hotline answer", "%(count)s hotline answers", count) % {"count": count}
            )
        if count := kinds[Type.ANSWER_SUPERSEDED] + kinds[Type.ANSWER_WITHDRAWN]:
            parts.append(
                ngettext(
                    "%(count)s answer superseded or withdrawn",
                    "%(count)s answers superseded or withdrawn",
                    count,
                )
                % {"count": count}
            )
        if count := kinds[Type.ANSWER_REVIEW]:
            parts.append(
                ngettext("%(count)s answer needs review", "%(count)s answers need review", count)
                % {"count": count}
            )
        return " · ".join(parts)


def _paragraph_order(text: str) -> tuple:
    law, _space, rest = text.partition(" ")
    digits = "".join(re.findall(r"[0-9]", rest))  # ASCII digits only: int("²") fails
    return (law, int(digits) if digits else 0, rest)


class Fragments:
    """Each event's part of a message, rendered once per run (HTML and text), in Danish."""

    def __init__(self, events: list[Event]) -> None:
        html = get_template("emails/includes/digest-item.html")
        text = get_template("emails/includes/digest-item.txt")
        self.html: dict[int, str] = {}
        self.text: dict[int, str] = {}
        with translation.override("da"):
            for event in events:
                context = {"event": event, "SITE_URL": settings.SITE_URL}
                self.html[event.pk] = html.render(context)
                self.text[event.pk] = text.render(context).strip()


# Placeholders in the wrapper rendered once per run (letters only: no escaping changes them).
SLOTS = ("HEADING", "COVERED", "BODY", "FREQUENCY", "PREFERENCES", "UNSUBSCRIBE", "SUBJECT")
H2 = '<h2 style="margin:24px 0 4px;font-size:19px;color:#0b3a5c;border-bottom:2px solid #0b3a5c;">{}</h2>\n'
H3 = '<h3 style="margin:12px 0 0;font-size:16px;">{}</h3>\n'
TABLE = '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">\n'
ENTRY = (
    '<tr><td style="padding:8px 0;border-bottom:1px solid #e5e8eb;">{}\n'
    '<p style="margin:4px 0 0;font-size:13px;color:#4a4f55;font-style:italic;">{}</p></td></tr>\n'
)


class Wrapper:
    """The digest's templates (emails/digest-body.*) rendered once per run around placeholders;
    each subscriber's message is then the wrapper with their parts put in, and their sections
    joined from the events' fragments (Fragments): ten thousand digests render in seconds."""

    def __init__(self) -> None:
        context = {name.lower(): f"SLOT{name}SLOT" for name in SLOTS}
        self.text, self.html = render_parts("digest", context)
        self.reasons_said: dict[tuple, str] = {}  # "Du følger …", said once per run

    @staticmethod
    def fill(template: str, values: dict[str, str]) -> str:
        for name, value in values.items():
            template = template.replace(f"SLOT{name}SLOT", value)
        return template


def render(digest_run: DigestRun, digest: Digest, fragments: Fragments, wrapper: Wrapper) -> Message:
    subscriber = digest.reader.subscriber
    reasons_said = wrapper.reasons_said
    with translation.override("da"):
        html_parts: list[str] = []
        text_parts: list[str] = []
        for section in digest.sections:
            area = section.area or _("Other")
            html_parts.append(H2.format(escape(area)))
            text_parts.append(f"\n\n== {area} ==")
            for group in section.groups:
                if group.title:
                    html_parts.append(H3.format(escape(group.title)))
                    text_parts.append(f"\n-- {group.title} --")
                html_parts.append(TABLE)
                for entry in group.entries:
                    key = tuple(entry.reasons)
                    reason = reasons_said.get(key) or reasons_said.setdefault(key, why(entry.reasons))
                    html_parts.append(ENTRY.format(fragments.html[entry.event.pk], escape(reason)))
                    text_parts.append(f"\n{fragments.text[entry.event.pk]}\n  ({reason})")
                html_parts.append("</table>\n")
        count = digest.count
        heading = ngettext("%(count)s item for you", "%(count)s items for you", count) % {"count": count}
        covered = joined([f"{topic} ({number})" for topic, number in digest.covered])
        frequency = str(subscriber.get_frequency_display())
    preferences = links.url(subscriber, "preferences")
    unsubscribe = links.url(subscriber, "unsubscribe")
    plain = {
        "HEADING": heading,
        "COVERED": covered,
        "FREQUENCY": frequency,
        "PREFERENCES": preferences,
        "UNSUBSCRIBE": unsubscribe,
        "SUBJECT": digest.subject,
    }
    text = wrapper.fill(wrapper.text, {**plain, "BODY": "".join(text_parts)})
    html = wrapper.fill(
        wrapper.html,
        {**{name: escape(value) for name, value in plain.items()}, "BODY": "".join(html_parts)},
    )
    return Message(
        key=f"{digest_run.batch}:{subscriber.pk}",
        to=subscriber.email,
        subject=digest.subject,
        text=text,
        html=html,
        headers=list_headers(subscriber, unsubscribe),
    )


SCHEDULE = {
    Frequency.IMMEDIATELY: "every 5 minutes",
    Frequency.DAILY: "weekdays at 07:00",
    Frequency.WEEKLY: "Mondays at 07:00",
}


def finish_unfinished(older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Runs that a dead worker left half done are run again (idempotent); returns how many."""
    stale = DigestRun.objects.filter(finished_at__isnull=True, started_at__lt=timezone.now() - older_than)
    count = 0
    for digest_run in stale:
        run(digest_run.frequency, digest_run.as_of)
        count += 1
    return count
