"""The legal hotline: questions from caseworkers, and the anonymised answers published from them,
each hung on paragraphs and decisions and never silently out of date.

An answer's validity is stored (so that lists, the API and its change feed show it and filter by
it) and recomputed whenever something it depends on moves: a flag raised or resolved
(hotline/flagging.py, which reads the decisions' change feed), a verification, a supersession,
a withdrawal, and the day its review date passes (a daily task)."""

import datetime
import secrets

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from decisions.citations import Reference
from decisions.models import Area, CitedParagraph, DecisionChangeQuerySet, Paragraph, citing
from portal.guard import validate_text
from portal.roles import PUBLISH_ANSWERS, require_publisher

REFERENCE_PATTERN = r"HL-[0-9]{4}-[0-9]{3,5}"
reference_validator = RegexValidator(
    rf"^{REFERENCE_PATTERN}$", _("An answer's reference looks like HL-2024-031: HL, the year, a number.")
)
CASE_PATTERN = r"SP-[0-9]{4}-[0-9]{4,6}"
DEFAULT_REVIEW_MONTHS = 12
DEFAULT_ANSWER_DAYS = 10  # working days


class AreaPolicy(models.Model):
    """How the hotline works for one area: how often its answers are re-verified, and how soon a
    question should be answered. An area without a policy uses the defaults."""

    area = models.OneToOneField(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="hotline"
    )
    review_months = models.PositiveSmallIntegerField(
        _("review interval (months)"), default=DEFAULT_REVIEW_MONTHS
    )
    answer_days = models.PositiveSmallIntegerField(
        _("target answer time (working days)"), default=DEFAULT_ANSWER_DAYS
    )

    class Meta:
        verbose_name = _("area policy")
        verbose_name_plural = _("area policies")

    def __str__(self) -> str:
        return str(self.area)


def review_months(area_id: int) -> int:
    policy = AreaPolicy.objects.filter(area_id=area_id).first()
    return policy.review_months if policy else DEFAULT_REVIEW_MONTHS


def answer_days(area_id: int) -> int:
    policy = AreaPolicy.objects.filter(area_id=area_id).first()
    return policy.answer_days if policy else DEFAULT_ANSWER_DAYS


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """`days` working days (Monday to Friday) after `start`."""
    day = start
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


class Validity(models.TextChoices):
    CURRENT = "current", _("Current")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The order lists and search use at similar relevance: current first.
VALIDITY_RANK = Case(
    When(validity=Validity.CURRENT, then=Value(0)),
    When(validity=Validity.NEEDS_REVIEW, then=Value(1)),
    When(validity=Validity.EXPIRED, then=Value(2)),
    default=Value(3),
)
SHOWN = [Validity.CURRENT, Validity.NEEDS_REVIEW, Validity.EXPIRED]  # lists and search, unless asked


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AnswerQuerySet(models.QuerySet):
    def public(self) -> "AnswerQuerySet":
        """Every answer with a public page: published, superseded and withdrawn (its old address
        keeps working and says so); never drafts."""
        return self.exclude(state=State.DRAFT)

    def listed(self) -> "AnswerQuerySet":
        """What lists and search show unless asked for more: not superseded, not withdrawn."""
        return self.filter(state=State.PUBLISHED, validity__in=SHOWN)

    def citing(self, paragraphs=None, *, law=None, subsection: int | None = None) -> "AnswerQuerySet":
        """Answers citing any of `paragraphs` (rows, ids or a queryset), or any paragraph of `law`."""
        return citing(
            self, AnswerParagraph.objects.filter(answer=OuterRef("pk")), paragraphs, law, subsection
        )

    def current_first(self) -> "AnswerQuerySet":
        return self.order_by("validity_rank", "-answered_on", "-pk")

    def refresh_validity(self, today: datetime.date | None = None) -> int:
        """Stores each answer's validity as of `today` where it changed; returns how many changed.
        One UPDATE, so that the change feed sees each change once."""
        today = today or timezone.localdate()
        open_flags = AnswerFlag.objects.filter(answer=OuterRef("pk"), resolved_at__isnull=True)
        computed = Case(
            When(state=State.WITHDRAWN, then=Value(Validity.WITHDRAWN)),
            When(superseded_by__isnull=False, then=Value(Validity.SUPERSEDED)),
            When(Exists(open_flags), then=Value(Validity.NEEDS_REVIEW)),
            When(review_by__lt=today, then=Value(Validity.EXPIRED)),
            default=Value(Validity.CURRENT),
            output_field=models.CharField(),
        )
        stale = self.alias(computed=computed).exclude(validity=models.F("computed"))
        return Answer.objects.filter(pk__in=stale.values("pk")).update(validity=computed)


class Answer(models.Model):
    """A published, anonymised answer of the hotline: its own permanent address, its paragraphs
    and decisions, its owner, and the day it must be verified again."""

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, validators=[reference_validator], help_text="HL-2024-031"
    )
    title = models.CharField(
        _("title"), max_length=300, validators=[validate_text], help_text=_("The question in one line.")
    )
    question = models.TextField(
        _("question"),
        validators=[validate_text],
        help_text=_("Anonymised: no names, addresses or case numbers."),
    )
    answer = models.TextField(_("answer"), validators=[validate_text])
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="answers")
    citations = models.TextField(
        _("paragraphs"),
        validators=[validate_text],
        help_text=_("One citation per line, e.g. “SEL § 100, stk. 1” or “§ 9 c i retssikkerhedsloven”."),
    )
    paragraphs = models.ManyToManyField(
        Paragraph, through="AnswerParagraph", related_name="answers", verbose_name=_("paragraphs")
    )
    decisions = ArrayField(
        models.CharField(max_length=20),
        verbose_name=_("decisions cited"),
        blank=True,
        default=list,
        help_text=_("Principle decisions by number, e.g. 24-19."),
    )
    keywords = ArrayField(
        models.CharField(max_length=100), verbose_name=_("keywords"), blank=True, default=list
    )
    asked_on = models.DateField(_("asked on"))
    answered_on = models.DateField(_("answered on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hotline_answers",
        help_text=_("The lawyer who keeps the answer true and verifies it on time."),
    )
    verified_on = models.DateField(_("last verified on"))
    review_by = models.DateField(_("review by"), db_index=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supersedes",
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    withdrawn_reason = models.CharField(
        _("why it was withdrawn"), max_length=300, blank=True, validators=[validate_text]
    )
    validity = models.CharField(
        _("validity"), max_length=16, choices=Validity.choices, default=Validity.CURRENT, editable=False
    )
    # Current first, then needs review, expired, the rest: stored so that lists and search sort by it.
    validity_rank = models.GeneratedField(
        expression=VALIDITY_RANK, output_field=models.PositiveSmallIntegerField(), db_persist=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    # Kept by a database trigger (migration 0002), weighted as the decisions' vector.
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "search_vector", "validity", "validity_rank"])
    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_on", "-pk"]
        verbose_name = _("hotline answer")
        verbose_name_plural = _("hotline answers")
        permissions = [("publish_answer", _("Can publish, withdraw and supersede hotline answers"))]
        indexes = [
            GinIndex(fields=["search_vector"], name="answer_search"),
            GinIndex(fields=["decisions"], name="answer_decisions"),
            models.Index(fields=["state", "validity"], name="answer_listed"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if problem := self.publishing_problem():
            require_publisher(problem, permission=PUBLISH_ANSWERS)
        if not self.review_by:
            self.review_by = self.verified_on + relativedelta(months=review_months(self.area_id))
        super().save(*args, **kwargs)
        Answer.objects.filter(pk=self.pk).refresh_validity()
        self.refresh_from_db(fields=["validity"])

    def get_absolute_url(self) -> str:
        return reverse("hotline:answer", args=[self.reference])

    def publishing_problem(self) -> str | None:
        """Why saving needs the publish permission, or None. Publishing, withdrawing, superseding
        and changing what a public answer says are for publishers, as for decisions; its owner,
        verification and review date are the hotline lawyers' daily work."""
        stored = Answer.objects.filter(pk=self.pk).values(*PUBLIC_FIELDS).first() if self.pk else None
        if stored is None:
            return _("Only publishers may publish an answer.") if self.state != State.DRAFT else None
        if stored["state"] != self.state:
            return _("Only publishers may publish, unpublish or withdraw an answer.")
        if self.state == State.DRAFT:
            return None
        if stored["superseded_by_id"] != self.superseded_by_id:
            return _("Only publishers may mark an answer as superseded.")
        if any(stored[name] != getattr(self, name) for name in PUBLIC_FIELDS):
            return _("Only publishers may change a published answer.")
        return None

    def set_references(self, references: list[Reference]) -> None:
        """Makes the answer cite exactly `references`, creating paragraphs that are new."""
        references = list(dict.fromkeys(references))
        paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for ref in references)
        self.references.all().delete()
        AnswerParagraph.objects.bulk_create(
            AnswerParagraph(
                answer=self,
                paragraph_id=paragraphs[ref.law, ref.section],
                subsection=ref.subsection,
                item=ref.item,
                position=position,
            )
            for position, ref in enumerate(references)
        )

    def open_flags(self) -> list["AnswerFlag"]:
        return [flag for flag in self.flags.all() if flag.resolved_at is None]


# What the public reads of an answer, besides its dates of verification: only publishers change
# these once the answer is public.
PUBLIC_FIELDS = [
    "reference",
    "title",
    "question",
    "answer",
    "area_id",
    "citations",
    "decisions",
    "keywords",
    "asked_on",
    "answered_on",
    "state",
    "superseded_by_id",
    "withdrawn_reason",
]


class AnswerParagraph(CitedParagraph):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="references")
    paragraph = models.ForeignKey(Paragraph, on_delete=models.PROTECT, related_name="answer_references")

    class Meta(CitedParagraph.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "paragraph", "subsection", "item"],
                name="unique_answer_reference",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["paragraph", "answer"], name="answer_reference_paragraph")]


class AnswerFlag(models.Model):
    """Why an answer needs review: something it relies on changed. Raised once per cause (`source`),
    resolved when the owner verifies the answer again."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("A cited decision changed")
        AMENDMENT = "amendment", _("The law was amended")
        REPORT = "report", _("A reader reported it")

    answer = models.ForeignKey(
        Answer, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="flags"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    source = models.CharField(_("cause"), max_length=100)  # "decision:7-09:replaced:24-19", "amendment:4"
    message = models.CharField(_("what changed"), max_length=600)
    happened_on = models.DateField(_("changed on"))
    created_at = models.DateTimeField(_("flagged at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["happened_on", "pk"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [models.UniqueConstraint(fields=["answer", "source"], name="one_flag_per_cause")]
        indexes = [
            models.Index(fields=["answer"], condition=Q(resolved_at__isnull=True), name="open_flags"),
        ]

    def __str__(self) -> str:
        return self.message


class Report(models.Model):
    """A reader's report that an answer is out of date."""

    answer = models.ForeignKey(
        Answer, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(_("reason"), max_length=500, validators=[validate_text])
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.reason


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Question(models.Model):
    """A question from a caseworker: who asked (kept only as long as HOTLINE_RETENTION_MONTHS after
    it is closed), what, and what became of it. Never shown to the public as it is."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSIGNED = "assigned", _("Assigned")
        NEEDS_INFO = "needs_info", _("Needs more information")
        ANSWERED = "answered", _("Answered")
        DECLINED = "declined", _("Declined")
        DUPLICATE = "duplicate", _("Already answered")

    OPEN = [Status.NEW, Status.ASSIGNED, Status.NEEDS_INFO]

    reference = models.CharField(_("case reference"), max_length=20, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    name = models.CharField(_("name"), max_length=200, validators=[validate_text])
    email = models.EmailField(_("work e-mail"), max_length=254)
    municipality = models.CharField(_("municipality"), max_length=40)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="questions")
    question = models.TextField(_("question"), validators=[validate_text])
    citations = models.TextField(_("paragraphs"), blank=True, validators=[validate_text])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hotline_questions",
    )
    reply = models.TextField(_("reply to the asker"), blank=True, validators=[validate_text])
    duplicate_of = models.ForeignKey(
        Answer,
        verbose_name=_("already answered in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    published_as = models.ForeignKey(
        Answer,
        verbose_name=_("published as"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
    )
    info_requests = models.PositiveSmallIntegerField(_("requests for more information"), default=0)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)
    due_on = models.DateField(_("answer due"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["status", "due_on"], name="question_queue")]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        if not self.reference:
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval('hotline_question_number')")
                (number,) = cursor.fetchone()
            self.reference = f"SP-{timezone.localtime(self.created_at).year}-{number:04d}"
        if not self.due_on:
            self.due_on = add_working_days(
                timezone.localtime(self.created_at).date(), answer_days(self.area_id)
            )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("hotline:case", args=[self.token])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class AnswerChange(models.Model):
    """The latest change to each answer the public has seen, written by database triggers
    (migration 0002) on every write that changes what the API shows of an answer, however it is
    made: the API's `hotline/changes/` mirrors from it, with the decisions' feed semantics."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        WITHDRAWN = "withdrawn", _("withdrawn")
        UNPUBLISHED = "unpublished", _("unpublished")
        DELETED = "deleted", _("deleted")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    answer_id = models.BigIntegerField(null=True)  # no foreign key: the row outlives its answer
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    at = models.DateTimeField(_("changed at"))
    xid = models.BigIntegerField()  # as DecisionChange: the writing transaction, shifted
    seq = models.BigIntegerField()

    objects = DecisionChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer change")
        verbose_name_plural = _("answer changes")
        indexes = [models.Index(fields=["xid", "seq"], name="answer_change_position")]

    def __str__(self) -> str:
        return f"{self.reference} {self.action}"
