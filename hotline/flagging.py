"""Keeping answers honest: an answer whose ground moved is flagged "needs review" within minutes,
and says exactly what changed and when.

- Decisions: `flag_from_feed()` reads the decisions' change feed (decisions/changes.py) from its
  stored position, so a change made any way at all (the admin, the import, a bulk update, raw
  SQL) is seen, once, and none committed late is skipped. A published answer citing a decision
  that is now replaced, changed in part, no longer in force, unpublished or deleted gets a flag.
- Law amendments: from the day one takes effect, answers citing a paragraph it changes and last
  verified before that day get a flag (`flag_amendments()`).
- Readers: a report is a flag too (`report()`).
- Time: an answer not verified by its review date is expired (`Answer.objects.refresh_validity`).

A flag is raised once per cause (its `source`), so reading a change again never raises it twice
and a cause the owner has verified against stays resolved. Messages are stored in Danish, as
staff and readers see them."""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from decisions import changes
from decisions.models import Amendment, Decision, Relation, Status
from hotline.models import Answer, AnswerFlag, Report, State, review_months

READER = "hotline.flagging"


@dataclass(frozen=True)
class Event:
    number: str  # the decision's
    source: str
    message: str
    happened_on: datetime.date


def danish_date(day: datetime.date) -> str:
    with translation.override("da"):
        return formats.date_format(day, "j. F Y")


def flaggable() -> "Answer.objects":
    """Answers a change can put in doubt: published and not superseded."""
    return Answer.objects.filter(state=State.PUBLISHED, superseded_by__isnull=True)


def flag_from_feed() -> int:
    """Reads the decisions' feed on from where it stopped and flags what the changes put in doubt;
    returns how many flags were raised. Run every minute by Celery beat."""
    raised = 0

    def act(batch: list) -> None:
        nonlocal raised
        raised += flag_decisions({change.number: change for change in batch})

    changes.read_on(READER, act)
    return raised


def flag_decisions(changed: dict) -> int:
    """Flags the answers citing the decisions in `changed` (number → its latest DecisionChange)."""
    cited = set()
    for numbers in flaggable().filter(decisions__overlap=list(changed)).values_list("decisions", flat=True):
        cited.update(number for number in numbers if number in changed)
    if not cited:
        return 0
    events = decision_events({number: changed[number] for number in cited})
    return raise_flags(events)


# What answers citing a decision say of it, by what happened; "%(number)s, which the answer
# relies on" is said in every one, so that the banner needs no other context.
MESSAGES = {
    "deleted": gettext_noop(
        "Principle decision %(number)s, which the answer relies on, was removed from the portal on %(date)s."
    ),
    "unpublished": gettext_noop(
        "Principle decision %(number)s, which the answer relies on, was unpublished on %(date)s."
    ),
    "replaced": gettext_noop(
        "Principle decision %(number)s, which the answer relies on, was replaced by %(newer)s on %(date)s."
    ),
    "changed": gettext_noop(
        "Principle decision %(number)s, which the answer relies on, was changed in part by %(newer)s on "
        "%(date)s."
    ),
    "no_longer_in_force": gettext_noop(
        "Principle decision %(number)s, which the answer relies on, is no longer in force (registered on "
        "%(date)s)."
    ),
    "amended": gettext_noop(
        "The law was amended after the answer was verified: %(title)s changes %(paragraphs)s, in force "
        "from %(date)s."
    ),
    "partly_changed": gettext_noop(
        "Principle decision %(number)s, which the answer relies on, is changed in part (registered on "
        "%(date)s)."
    ),
}


def _event(number: str, kind: str, day: datetime.date, newer: str = "") -> Event:
    message = _(MESSAGES[kind]) % {"number": number, "newer": newer, "date": danish_date(day)}
    return Event(number, ":".join(filter(None, ["decision", number, kind, newer])), message, day)


def decision_events(changed: dict) -> list[Event]:
    """What happened to each decision, as answers citing it must say: one event per cause."""
    events: list[Event] = []
    decisions = {d.number: d for d in Decision.objects.filter(number__in=list(changed), is_published=True)}
    later = Relation.objects.filter(
        target__in=decisions.values(),
        kind__in=[Relation.Kind.REPLACES, Relation.Kind.CHANGES],
        source__is_published=True,
    ).select_related("source", "target")
    by_target: dict[str, list[Relation]] = {}
    for relation in later.order_by("source__decided_on", "source__number"):
        by_target.setdefault(relation.target.number, []).append(relation)
    with translation.override("da"):
        for number, change in changed.items():
            when = timezone.localtime(change.at).date()
            decision = decisions.get(number)
            if decision is None:
                events.append(
                    _event(number, "deleted" if change.action == "deleted" else "unpublished", when)
                )
                continue
            relations = by_target.get(number, [])
            for relation in relations:
                newer = relation.source
                kind = "replaced" if relation.kind == Relation.Kind.REPLACES else "changed"
                events.append(_event(number, kind, newer.published_on or newer.decided_on, newer.number))
            kinds = {relation.kind for relation in relations}
            if decision.status == Status.NO_LONGER_IN_FORCE and Relation.Kind.REPLACES not in kinds:
                events.append(_event(number, "no_longer_in_force", when))
            elif decision.status == Status.PARTLY_CHANGED and not kinds:
                events.append(_event(number, "partly_changed", when))
    return events


def raise_flags(events: list[Event]) -> int:
    """One flag per answer citing each event's decision, per cause; returns how many were new."""
    if not events:
        return 0
    numbers = {event.number for event in events}
    answers = list(flaggable().filter(decisions__overlap=list(numbers)).values_list("pk", "decisions"))
    flags = [
        AnswerFlag(
            answer_id=pk,
            kind=AnswerFlag.Kind.DECISION,
            source=event.source,
            message=event.message,
            happened_on=event.happened_on,
        )
        for pk, cited in answers
        for event in events
        if event.number in cited
    ]
    return _insert(flags)


def _insert(flags: list[AnswerFlag]) -> int:
    """Inserts the flags that are new and brings the answers' validity up to date; returns how
    many were new."""
    if not flags:
        return 0
    answers = {flag.answer_id for flag in flags}
    with transaction.atomic():
        known = set(
            AnswerFlag.objects.filter(
                answer_id__in=answers, source__in={flag.source for flag in flags}
            ).values_list("answer_id", "source")
        )
        new = [flag for flag in flags if (flag.answer_id, flag.source) not in known]
        # A flag raised meanwhile by another run is a conflict, skipped: never raised twice.
        AnswerFlag.objects.bulk_create(new, ignore_conflicts=True)
        Answer.objects.filter(pk__in=answers).refresh_validity()
    return len(new)


def flag_amendments(today: datetime.date | None = None) -> int:
    """Flags the answers that cite a paragraph an amendment in effect by `today` changes and were
    last verified before it took effect; returns how many flags were new."""
    today = today or timezone.localdate()
    flags = []
    with translation.override("da"):
        for amendment in Amendment.objects.filter(takes_effect_on__lte=today).select_related("law"):
            paragraphs = list(amendment.paragraphs.all())
            answers = flaggable().citing(paragraphs).filter(verified_on__lt=amendment.takes_effect_on)
            shown = ", ".join(f"{amendment.law.abbreviation} {p.display}" for p in paragraphs)
            message = _(MESSAGES["amended"]) % {
                "title": amendment.title,
                "paragraphs": shown,
                "date": danish_date(amendment.takes_effect_on),
            }
            flags += [
                AnswerFlag(
                    answer_id=pk,
                    kind=AnswerFlag.Kind.AMENDMENT,
                    source=f"amendment:{amendment.pk}",
                    message=message,
                    happened_on=amendment.takes_effect_on,
                )
                for pk in answers.values_list("pk", flat=True)
            ]
    return _insert(flags)


def report(answer: Answer, reason: str) -> Report:
    """A reader says the answer is out of date: the owner sees it, and the answer needs review."""
    with transaction.atomic():
        report = Report.objects.create(answer=answer, reason=reason)
        day = timezone.localdate(report.created_at)
        with translation.override("da"):
            message = _("A reader reported the answer as out of date on %(date)s: “%(reason)s”") % {
                "date": danish_date(day),
                "reason": reason,
            }
        _insert(
            [
                AnswerFlag(
                    answer=answer,
                    kind=AnswerFlag.Kind.REPORT,
                    source=f"report:{report.pk}",
                    message=message[:600],
                    happened_on=day,
                )
            ]
        )
    return report


def verify(answer: Answer, today: datetime.date | None = None) -> None:
    """The owner has checked the answer against the law and the decisions as they are today: a new
    review date, and every open flag resolved."""
    today = today or timezone.localdate()
    with transaction.atomic():
        answer.verified_on = today
        answer.review_by = today + relativedelta(months=review_months(answer.area_id))
        answer.save()
        answer.flags.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        Answer.objects.filter(pk=answer.pk).refresh_validity(today)
        answer.refresh_from_db(fields=["validity"])


def keep_current(today: datetime.date | None = None) -> dict[str, int]:
    """Everything that keeps answers honest, in one run: the decisions' feed, amendments that took
    effect, and review dates that passed."""
    raised = flag_from_feed()
    amended = flag_amendments(today)
    changed = Answer.objects.filter(~Q(state=State.DRAFT)).refresh_validity(today)
    return {"decisions": raised, "amendments": amended, "validity": changed}
