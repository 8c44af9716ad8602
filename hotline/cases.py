"""What becomes of a question, and the mails that tell the asker: each step is one function, used
by the admin (and the tests), and each mail goes through the outbox under a key of its own, so a
step repeated by a double click never mails twice."""

import datetime
import re

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from decisions.models import Area
from hotline.models import Answer, Question, State, Validity
from portal import emails
from portal.addresses import absolute
from portal.models import OutgoingMail

REVIEW_SOON = datetime.timedelta(days=30)


def _context(question: Question, **extra) -> dict:
    return {
        "question": question,
        "status_url": absolute(question.get_absolute_url()),
        "ask_url": absolute("/hotline/spoerg/"),
        **extra,
    }


def ask(
    *, name: str, email: str, municipality: str, area: Area, question: str, citations: str = ""
) -> Question:
    """A new question, and its receipt mailed to the asker quoting the question word for word."""
    with transaction.atomic():
        asked = Question.objects.create(
            name=name,
            email=email,
            municipality=municipality,
            area=area,
            question=question,
            citations=citations,
        )
        emails.send(f"hotline.receipt:{asked.pk}", asked.email, "hotline-receipt", _context(asked))
    return asked


def assign(question: Question, owner) -> None:
    question.owner = owner
    if question.status == Question.Status.NEW:
        question.status = Question.Status.ASSIGNED
    question.save(update_fields=["owner", "status"])


def _close(question: Question, status: str, by) -> None:
    question.status = status
    question.closed_at = timezone.now()
    question.owner = question.owner or by
    question.save()


def answer(question: Question, reply: str, by) -> None:
    """The asker gets the answer."""
    with transaction.atomic():
        question.reply = reply
        _close(question, Question.Status.ANSWERED, by)
        emails.send(f"hotline.answered:{question.pk}", question.email, "hotline-answered", _context(question))


def decline(question: Question, reason: str, by) -> None:
    """The hotline does not answer this kind of question: the asker is told why and where to go."""
    with transaction.atomic():
        question.reply = reason
        _close(question, Question.Status.DECLINED, by)
        emails.send(f"hotline.declined:{question.pk}", question.email, "hotline-declined", _context(question))


def ask_for_information(question: Question, what: str, by) -> None:
    """The lawyer needs more to answer: the asker is asked (each request is a mail of its own)."""
    with transaction.atomic():
        question.reply = what
        question.status = Question.Status.NEEDS_INFO
        question.owner = question.owner or by
        question.info_requests += 1
        question.save()
        emails.send(
            f"hotline.needs-info:{question.pk}:{question.info_requests}",
            question.email,
            "hotline-needs-info",
            _context(question),
        )


def already_answered(question: Question, published: Answer, by) -> None:
    """A published answer covers the question: the asker gets a link to it."""
    with transaction.atomic():
        question.duplicate_of = published
        _close(question, Question.Status.DUPLICATE, by)
        emails.send(
            f"hotline.duplicate:{question.pk}",
            question.email,
            "hotline-duplicate",
            _context(question, answer_url=absolute(published.get_absolute_url()), published=published),
        )


def next_reference(year: int) -> str:
    """The next free answer reference of `year`: HL-2024-031."""
    taken = Answer.objects.filter(reference__startswith=f"HL-{year}-").aggregate(last=Max("reference"))[
        "last"
    ]
    number = int(taken.rsplit("-", 1)[1]) + 1 if taken else 1
    return f"HL-{year}-{number:03d}"


def draft_answer(question: Question, by) -> Answer:
    """A draft public answer from the question and the reply, for the lawyer to anonymise and a
    publisher to publish. The asker's name and e-mail are never copied."""
    today = timezone.localdate()
    first_line = re.split(r"(?<=[.?!])\s|\n", question.question.strip(), maxsplit=1)[0][:300]
    with transaction.atomic():
        draft = Answer(
            reference=next_reference(today.year),
            title=first_line,
            question=question.question,
            answer=question.reply,
            area=question.area,
            citations=question.citations,
            asked_on=timezone.localtime(question.created_at).date(),
            answered_on=today,
            owner=by,
            verified_on=today,
            state=State.DRAFT,
        )
        draft.save()
        if question.citations:
            from decisions.citations import parse_citations

            draft.set_references(parse_citations(question.citations).references)
        question.published_as = draft
        question.save(update_fields=["published_as"])
    return draft


def reminders(today: datetime.date | None = None) -> int:
    """One mail per owner a day, listing what needs them: answers due for review within 30 days,
    expired, or flagged, and their overdue questions. Nothing to report, no mail. Returns how many
    mails were queued."""
    from django.contrib.auth import get_user_model

    today = today or timezone.localdate()
    answers = Answer.objects.filter(state=State.PUBLISHED, superseded_by__isnull=True, owner__isnull=False)
    due = answers.filter(
        Q(validity__in=[Validity.NEEDS_REVIEW, Validity.EXPIRED]) | Q(review_by__lte=today + REVIEW_SOON)
    )
    overdue = Question.objects.filter(status__in=Question.OPEN, due_on__lt=today, owner__isnull=False)
    owners = set(due.values_list("owner", flat=True)) | set(overdue.values_list("owner", flat=True))
    sent = 0
    for owner in get_user_model().objects.filter(pk__in=owners, is_active=True).exclude(email=""):
        mine = list(due.filter(owner=owner).prefetch_related("flags").order_by("review_by", "reference"))
        context = {
            "owner": owner,
            "flagged": [a for a in mine if a.validity == Validity.NEEDS_REVIEW],
            "expired": [a for a in mine if a.validity == Validity.EXPIRED],
            "soon": [a for a in mine if a.validity == Validity.CURRENT],
            "overdue": list(overdue.filter(owner=owner).order_by("due_on")),
            "admin_url": absolute("/admin/hotline/question/queues/"),
            "today": today,
        }
        context["total"] = sum(len(context[name]) for name in ("flagged", "expired", "soon", "overdue"))
        emails.send(
            f"hotline.reminder:{owner.pk}:{today.isoformat()}", owner.email, "hotline-reminder", context
        )
        sent += 1
    return sent


def erase_personal_data(now: datetime.datetime | None = None) -> int:
    """Erases the name and e-mail of questions closed longer ago than HOTLINE_RETENTION_MONTHS, and
    the mails sent about them (which hold the address and the question). Returns how many
    questions were erased."""
    now = now or timezone.now()
    cutoff = now - relativedelta(months=settings.HOTLINE_RETENTION_MONTHS)
    with transaction.atomic():
        old = list(
            Question.objects.filter(closed_at__lt=cutoff, erased_at__isnull=True).values_list("pk", flat=True)
        )
        if not old:
            return 0
        Question.objects.filter(pk__in=old).update(name="", email="", erased_at=now)
        kinds = ("receipt", "answered", "declined", "duplicate")
        keys = [f"hotline.{kind}:{pk}" for pk in old for kind in kinds]
        OutgoingMail.objects.filter(
            Q(key__in=keys) | Q(key__regex=rf"^hotline\.needs-info:({'|'.join(map(str, old))}):[0-9]+$")
        ).delete()
    return len(old)
