"""`manage.py import_subscribers FILE`: moving the old list, one subscriber per JSON Lines line
(pinned format, README "Newsletters"):

    {"email": "sagsbehandler@kommune.dk", "areas": ["social"], "laws": ["aktivloven"],
     "paragraphs": ["SEL § 100"], "kinds": ["decisions", "hotline", "newsletter"],
     "frequency": "daily", "confirmed": true}

`kinds` default all three, `frequency` default `weekly`, `confirmed` default false (then a
confirmation mail is queued, once). The same rules as the other imports: every problem is
reported as `line N: field: what is wrong`, nothing is written if any line is bad unless
--skip-invalid, and importing the same file again changes nothing (idempotent by address). A
confirmed subscription is never downgraded, and an address that unsubscribed or was suspended
here is not signed up again by an old list."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from decisions.citations import Reference, format_citations, get_parser, parse_citations
from decisions.models import Area, Law, Paragraph
from newsletters import subscriptions
from newsletters.models import ALL_KINDS, Frequency, Subscriber
from portal.jsonlines import LineReader, shown

FIELDS = {"email", "areas", "laws", "paragraphs", "kinds", "frequency", "confirmed"}


@dataclass
class Row:
    line: int
    email: str
    areas: list[int]
    laws: list[int]
    references: list[Reference]
    kinds: list[str]
    frequency: str
    confirmed: bool
    citations: str = ""


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    confirmations: int = 0
    lines: list[int] = field(default_factory=list)


class SubscriberReader(LineReader):
    known_fields = FIELDS

    def __init__(self) -> None:
        super().__init__()
        self.areas = dict(Area.objects.values_list("slug", "pk"))
        self.laws = dict(Law.objects.values_list("slug", "pk"))
        self.parser = get_parser()
        self.seen: dict[str, int] = {}

    def slugs(self, line: int, data: dict, name: str, known: dict[str, int]) -> list[int]:
        values = self.strings(line, data, name, max_length=100)
        if values is None:
            return []
        ids = []
        for value in values:
            if value not in known:
                self.problem(
                    line, name, f"unknown {name[:-1]} {shown(value)}; known: {', '.join(sorted(known))}"
                )
                continue
            ids.append(known[value])
        return list(dict.fromkeys(ids))

    def row(self, line: int, text: str) -> Row | None:
        before = len(self.problems)
        data = self.record(line, text)
        if data is None:
            return None
        email = self.text(line, data, "email", required=True, max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.problem(line, "email", f"{shown(email)} is not an e-mail address")
            email = subscriptions.normalise(email)
            if email in self.seen:
                self.problem(line, "email", f"appears again (first on line {self.seen[email]})")
            self.seen.setdefault(email, line)
        areas = self.slugs(line, data, "areas", self.areas)
        laws = self.slugs(line, data, "laws", self.laws)
        references: list[Reference] = []
        citations = self.strings(line, data, "paragraphs", max_length=200)
        if citations:
            parsed = parse_citations(citations, self.parser)
            for error in parsed.errors:
                self.problem(line, f"paragraphs[{error.line - 1}]", error.message)
            references = parsed.references
        kinds = data.get("kinds", list(ALL_KINDS))
        if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
            self.problem(line, "kinds", f"must be a list of strings, not {shown(kinds)}")
            kinds = []
        elif not kinds:
            self.problem(line, "kinds", f"at least one of {', '.join(ALL_KINDS)}")
        else:
            for kind in kinds:
                if kind not in ALL_KINDS:
                    self.problem(line, "kinds", f"unknown kind {shown(kind)}; known: {', '.join(ALL_KINDS)}")
        frequency = data.get("frequency", Frequency.WEEKLY)
        if frequency not in Frequency.values:
            self.problem(
                line, "frequency", f"must be one of {', '.join(Frequency.values)}, not {shown(frequency)}"
            )
        confirmed = data.get("confirmed", False)
        if not isinstance(confirmed, bool):
            self.problem(line, "confirmed", f"must be true or false, not {shown(confirmed)}")
        if not (areas or laws or references) and len(self.problems) == before:
            self.problem(
                line, "areas", "follow at least one area, law or paragraph (areas, laws, paragraphs)"
            )
        if len(self.problems) > before:
            return None
        return Row(
            line,
            email,
            areas,
            laws,
            references,
            [kind for kind in ALL_KINDS if kind in kinds],
            frequency,
            confirmed,
        )


def read_lines(lines: Iterable[str]) -> tuple[list[Row], list]:
    reader = SubscriberReader()
    rows = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if (row := reader.row(number, text)) is not None:
            rows.append(row)
    return rows, reader.problems


def import_rows(rows: list[Row], progress: Callable[[int], None] = lambda n: None) -> Result:
    result = Result()
    names = dict(Law.objects.values_list("slug", "abbreviation"))
    newest = subscriptions.newest_event()
    now = timezone.now()
    with transaction.atomic():
        existing = {s.email: s for s in Subscriber.objects.filter(email__in=[row.email for row in rows])}
        for row in rows:
            row.citations = format_citations(row.references, names)
            paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for ref in row.references)
            subscriber = existing.get(row.email)
            if subscriber is None:
                subscriber = Subscriber.objects.create(
                    email=row.email,
                    frequency=row.frequency,
                    kinds=row.kinds,
                    citations=row.citations,
                    state=Subscriber.State.CONFIRMED if row.confirmed else Subscriber.State.PENDING,
                    confirmed_at=now if row.confirmed else None,
                    last_event=newest,
                )
                _set_topics(subscriber, row, paragraphs)
                if not row.confirmed:
                    _confirm_once(subscriber)
                    result.confirmations += 1
                result.created += 1
            else:
                changed = _update(subscriber, row, paragraphs, newest, now)
                if changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
            progress(1)
    return result


def _set_topics(subscriber: Subscriber, row: Row, paragraphs: dict) -> None:
    subscriber.areas.set(row.areas)
    subscriber.laws.set(row.laws)
    subscriber.paragraphs.set(list(paragraphs.values()))


def _update(subscriber: Subscriber, row: Row, paragraphs: dict, newest: int, now) -> bool:
    before = (
        sorted(subscriber.areas.values_list("pk", flat=True)),
        sorted(subscriber.laws.values_list("pk", flat=True)),
        sorted(subscriber.paragraphs.values_list("pk", flat=True)),
        subscriber.kinds,
        subscriber.frequency,
        subscriber.citations,
        subscriber.state,
    )
    if row.confirmed and subscriber.state == Subscriber.State.PENDING:
        subscriber.state = Subscriber.State.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.last_event = newest
    subscriber.kinds = row.kinds
    subscriber.frequency = row.frequency
    subscriber.citations = row.citations
    after = (
        sorted(row.areas),
        sorted(row.laws),
        sorted(paragraphs.values()),
        subscriber.kinds,
        subscriber.frequency,
        subscriber.citations,
        subscriber.state,
    )
    if before == after:
        return False
    subscriber.save()
    _set_topics(subscriber, row, paragraphs)
    return True


def _confirm_once(subscriber: Subscriber) -> None:
    from newsletters import links
    from portal import emails

    emails.send(
        f"newsletters.confirm:{subscriber.pk}:import",
        subscriber.email,
        "newsletters-confirm",
        {
            "subscriber": subscriber,
            "confirm_url": links.url(subscriber, "confirm"),
            "topics": subscriptions.describe(subscriber),
        },
        headers={"Auto-Submitted": "auto-generated"},
    )
