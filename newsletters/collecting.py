"""News, read from the change feeds: what happened to principle decisions and hotline answers,
stored once as Events for the digests.

The collector reads the decisions' and the answers' change feeds from its stored positions
(decisions/changes.py `read_on`), so a change made any way at all (admin, import, bulk update) is
seen, and one committed late is never skipped: the feed only hands out settled transactions.
Each change is compared with what the collector last saw of the document (`Seen`); an event is
written only when that moved in a way a reader cares about. Events are written in the same
transaction as the reader's new position, and their ids therefore grow in the order they commit
(one collector at a time holds the reader's lock): a digest that covers "every event up to id N"
never misses one that commits later with a smaller id.

A document the collector meets for the first time is news only when it was published recently
(NEWS_WINDOW): loading an archive of old decisions, or starting the collector on an existing
collection, sends nobody a digest of history."""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from decisions import changes
from decisions.citations import display_section
from decisions.models import Decision, DecisionChange, Relation, Status
from hotline.models import Answer, AnswerChange, State, Validity
from newsletters.models import Event, Seen

NEWS_WINDOW = datetime.timedelta(days=30)
DECISIONS_READER = "newsletters.decisions"
ANSWERS_READER = "newsletters.answers"
Type = Event.Type


def collect() -> int:
    """Reads both feeds on from where they stopped; returns how many events were recorded."""
    recorded = 0

    def on_decisions(batch: list) -> None:
        nonlocal recorded
        recorded += decision_events(batch)

    def on_answers(batch: list) -> None:
        nonlocal recorded
        recorded += answer_events(batch)

    changes.read_on(DECISIONS_READER, on_decisions, feed=DecisionChange)
    changes.read_on(ANSWERS_READER, on_answers, feed=AnswerChange)
    return recorded


def _cited(references: Iterable) -> list[list]:
    """[paragraph id, law id, "SEL § 100"] per paragraph cited, in the document's order, once each."""
    cited: dict[int, list] = {}
    for reference in references:
        paragraph = reference.paragraph
        if paragraph.pk not in cited:
            text = f"{paragraph.law.abbreviation} {display_section(paragraph.section)}"
            cited[paragraph.pk] = [paragraph.pk, paragraph.law_id, text]
    return list(cited.values())


def _is_recent(day: datetime.date | None, now: datetime.datetime) -> bool:
    return day is None or day >= timezone.localtime(now).date() - NEWS_WINDOW


def _store(events: list[Event], seen: dict[str, str], known: dict[str, str]) -> int:
    changed = [Seen(document=key, state=state) for key, state in seen.items() if known.get(key) != state]
    Seen.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["document"], update_fields=["state"]
    )
    before = Event.objects.count() if events else 0
    Event.objects.bulk_create(events, ignore_conflicts=True)  # the same source twice: one event
    return Event.objects.count() - before if events else 0


def decision_events(batch: list) -> int:
    ids = [change.decision_id for change in batch if change.decision_id is not None]
    decisions = {
        decision.pk: decision
        for decision in Decision.objects.filter(pk__in=ids)
        .select_related("area")
        .defer("body", "practice_note", "search_vector")
        .prefetch_related("references__paragraph__law")
    }
    later: dict[int, list[Relation]] = {}
    for relation in (
        Relation.objects.filter(
            target_id__in=list(decisions),
            kind__in=[Relation.Kind.REPLACES, Relation.Kind.CHANGES],
            source__is_published=True,
        )
        .select_related("source")
        .order_by("source__decided_on", "source__number")
    ):
        later.setdefault(relation.target_id, []).append(relation)
    keys = [f"decision:{change.decision_id}" for change in batch]
    known = dict(Seen.objects.filter(document__in=keys).values_list("document", "state"))
    now = timezone.now()
    seen: dict[str, str] = {}
    events: list[Event] = []
    with translation.override("da"):
        for change in batch:
            key = f"decision:{change.decision_id}"
            decision = decisions.get(change.decision_id)
            if decision is None:
                seen[key] = "gone"
                continue
            state = f"{'published' if decision.is_published else 'hidden'}:{decision.status}"
            seen[key] = state
            before = known.get(key)
            if not decision.is_published or before == state:
                continue
            was_published = before is not None and before.startswith("published:")
            common = {
                "document": decision.number,
                "title": decision.title[:300],
                "path": decision.get_absolute_url(),
                "area": decision.area,
                "cited": _cited(decision.references.all()),
                "happened_at": change.at,
                "recorded_at": now,
            }
            if not was_published:
                if before is not None or _is_recent(decision.published_on, now):
                    events.append(
                        Event(
                            source=f"decision:{decision.number}:published", type=Type.DECISION_NEW, **common
                        )
                    )
                continue
            message = _status_message(decision, later.get(decision.pk, []))
            events.append(
                Event(
                    source=f"decision:{decision.number}:{decision.status}:{change.xid}",
                    type=Type.DECISION_STATUS,
                    message=message,
                    **common,
                )
            )
    return _store(events, seen, known)


def _status_message(decision: Decision, relations: list[Relation]) -> str:
    replaced = [relation.source.number for relation in relations if relation.kind == Relation.Kind.REPLACES]
    changed = [relation for relation in relations if relation.kind == Relation.Kind.CHANGES]
    if decision.status == Status.NO_LONGER_IN_FORCE and replaced:
        return _("Replaced by %(numbers)s.") % {"numbers": ", ".join(replaced)}
    if decision.status == Status.NO_LONGER_IN_FORCE:
        return _("No longer in force.")
    if decision.status == Status.PARTLY_CHANGED and changed:
        parts = [
            f"{relation.source.number}: {relation.note}" if relation.note else relation.source.number
            for relation in changed
        ]
        return _("Changed in part by %(changes)s.") % {"changes": "; ".join(parts)}
    if decision.status == Status.PARTLY_CHANGED:
        return _("Changed in part.")
    return _("In force again.")


def answer_events(batch: list) -> int:
    ids = [change.answer_id for change in batch if change.answer_id is not None]
    answers = {
        answer.pk: answer
        for answer in Answer.objects.filter(pk__in=ids)
        .select_related("area", "superseded_by")
        .defer("search_vector")
        .prefetch_related("references__paragraph__law", "flags")
    }
    keys = [f"answer:{change.answer_id}" for change in batch]
    known = dict(Seen.objects.filter(document__in=keys).values_list("document", "state"))
    now = timezone.now()
    seen: dict[str, str] = {}
    events: list[Event] = []
    with translation.override("da"):
        for change in batch:
            key = f"answer:{change.answer_id}"
            answer = answers.get(change.answer_id)
            if answer is None:
                seen[key] = "gone"
                continue
            state = f"{answer.state}:{answer.validity}"
            seen[key] = state
            before = known.get(key)
            if answer.state == State.DRAFT or before == state:
                continue
            was_public = before is not None and not before.startswith(("draft:", "gone"))
            common = {
                "document": answer.reference,
                "title": answer.title[:300],
                "path": answer.get_absolute_url(),
                "area": answer.area,
                "cited": _cited(answer.references.all()),
                "happened_at": change.at,
                "recorded_at": now,
            }
            if not was_public:
                if answer.state == State.PUBLISHED and (
                    before is not None or _is_recent(answer.answered_on, now)
                ):
                    events.append(
                        Event(source=f"answer:{answer.reference}:published", type=Type.ANSWER_NEW, **common)
                    )
                continue
            old_validity = before.partition(":")[2]
            if answer.validity == Validity.SUPERSEDED and old_validity != Validity.SUPERSEDED:
                newer = answer.superseded_by.reference if answer.superseded_by else ""
                message = _("Superseded by %(reference)s.") % {"reference": newer}
                events.append(
                    Event(
                        source=f"answer:{answer.reference}:superseded:{newer}",
                        type=Type.ANSWER_SUPERSEDED,
                        message=message,
                        **common,
                    )
                )
            elif answer.validity == Validity.WITHDRAWN and old_validity != Validity.WITHDRAWN:
                message = (
                    _("Withdrawn: %(reason)s") % {"reason": answer.withdrawn_reason}
                    if answer.withdrawn_reason
                    else _("Withdrawn.")
                )
                events.append(
                    Event(
                        source=f"answer:{answer.reference}:withdrawn:{change.xid}",
                        type=Type.ANSWER_WITHDRAWN,
                        message=message,
                        **common,
                    )
                )
            elif answer.validity == Validity.NEEDS_REVIEW and old_validity != Validity.NEEDS_REVIEW:
                flags = [flag.message for flag in answer.flags.all() if flag.resolved_at is None]
                events.append(
                    Event(
                        source=f"answer:{answer.reference}:review:{change.xid}",
                        type=Type.ANSWER_REVIEW,
                        message=" ".join(flags) or _("Needs review."),
                        **common,
                    )
                )
    return _store(events, seen, known)


def collect_now() -> int:
    """Collect in a transaction of its own, committed before a digest reads the events."""
    with transaction.atomic():
        return collect()
