"""The hotline lawyers' admin: their queues on one page, questions with their steps (each mails
the asker through the outbox), answers with their flags and reports, and law amendments.

Lawyers write drafts, own answers and verify them; publishing, withdrawing and superseding are for
publishers. The admin hides what a role may not do, and Answer.save() refuses it again."""

import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from decisions.citations import clean_citations
from decisions.models import NUMBER_PATTERN, Decision
from hotline import cases, flagging
from hotline.models import Answer, AnswerFlag, AreaPolicy, Question, Report, State, Validity
from portal.guard import GuardedModelForm
from portal.roles import PUBLISH_ANSWERS

REVIEW_SOON = datetime.timedelta(days=30)


class DecisionNumbersField(forms.CharField):
    """Principle decisions by number, separated by commas or spaces; each must exist."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value) -> list[str]:
        value = super().clean(value) or ""
        numbers = list(dict.fromkeys(n for n in re.split(r"[\s,;]+", value) if n))
        bad = [n for n in numbers if not re.fullmatch(NUMBER_PATTERN, n)]
        if bad:
            raise forms.ValidationError(
                gettext("Not a decision number: %(numbers)s. A number looks like 24-19.")
                % {"numbers": ", ".join(bad)}
            )
        known = set(Decision.objects.filter(number__in=numbers).values_list("number", flat=True))
        unknown = [n for n in numbers if n not in known]
        if unknown:
            raise forms.ValidationError(
                gettext("No principle decision has the number %(numbers)s.") % {"numbers": ", ".join(unknown)}
            )
        return numbers


class AnswerForm(GuardedModelForm):
    decisions = DecisionNumbersField(
        label=_("decisions cited"),
        required=False,
        max_length=500,
        help_text=_("Principle decisions by number, e.g. 24-19."),
    )

    class Meta:
        model = Answer
        fields = [
            "reference",
            "title",
            "area",
            "state",
            "owner",
            "question",
            "answer",
            "citations",
            "decisions",
            "keywords",
            "asked_on",
            "answered_on",
            "verified_on",
            "review_by",
            "superseded_by",
            "withdrawn_reason",
        ]
        widgets = {
            "title": forms.TextInput(attrs={"size": 90}),
            "citations": forms.Textarea(attrs={"rows": 3, "cols": 60}),
            "question": forms.Textarea(attrs={"rows": 8, "cols": 90}),
            "answer": forms.Textarea(attrs={"rows": 14, "cols": 90}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "review_by" in self.fields:
            self.fields["review_by"].required = False
            self.fields["review_by"].help_text = gettext(
                "Empty: the last verification plus the area's interval."
            )

    def clean_citations(self) -> str:
        text, self.references = clean_citations(self.cleaned_data["citations"])
        return text

    def clean(self) -> dict:
        data = super().clean()
        if data.get("state") == State.WITHDRAWN and not data.get("withdrawn_reason"):
            self.add_error("withdrawn_reason", gettext("Say why the answer is withdrawn: readers see it."))
        newer = data.get("superseded_by")
        if newer is not None and self.instance.pk and newer.pk == self.instance.pk:
            self.add_error("superseded_by", gettext("An answer cannot supersede itself."))
        if newer is not None and newer.state != State.PUBLISHED:
            self.add_error("superseded_by", gettext("The newer answer must be published."))
        return data


class FlagInline(admin.StackedInline):
    model = AnswerFlag
    extra = 0
    fields = ["kind", "message", "happened_on", "created_at", "resolved_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("flags: why the answer needs review (resolved by verifying it)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReportInline(admin.StackedInline):
    model = Report
    extra = 0
    fields = ["created_at", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("soon", _("due within 30 days")), ("mine", _("mine, needing me"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        needing = Q(validity__in=[Validity.NEEDS_REVIEW, Validity.EXPIRED]) | Q(
            validity=Validity.CURRENT, review_by__lte=today + REVIEW_SOON
        )
        if self.value() == "soon":
            return queryset.filter(
                state=State.PUBLISHED, validity=Validity.CURRENT, review_by__lte=today + REVIEW_SOON
            )
        if self.value() == "mine":
            return queryset.filter(needing, state=State.PUBLISHED, owner=request.user)
        return queryset


@admin.register(Answer)
class AnswerAdmin(SimpleHistoryAdmin):
    form = AnswerForm
    inlines = [FlagInline, ReportInline]
    list_display = ["reference", "title", "validity_shown", "owner", "review_by"]
    list_display_links = ["reference", "title"]
    list_filter = ["validity", ReviewFilter, "state", "area", "owner"]
    list_select_related = ["owner"]
    search_fields = ["reference", "title", "question", "keywords"]
    ordering = ["-answered_on", "-pk"]
    actions = ["verify", "take_ownership"]
    readonly_fields = ["validity", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "area", "state", "validity", "owner"]}),
        (_("Content"), {"fields": ["question", "answer"]}),
        (_("Paragraphs, decisions and keywords"), {"fields": ["citations", "decisions", "keywords"]}),
        (_("Dates"), {"fields": ["asked_on", "answered_on", "verified_on", "review_by"]}),
        (_("Superseded or withdrawn"), {"fields": ["superseded_by", "withdrawn_reason"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("validity"), ordering="validity")
    def validity_shown(self, answer: Answer) -> str:
        return format_html(
            '<span class="validity validity--{}">{}</span>', answer.validity, answer.get_validity_display()
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Answer | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(PUBLISH_ANSWERS):
            readonly += ["state", "superseded_by", "withdrawn_reason"]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Answer | None = None) -> bool:
        if obj is not None and obj.state != State.DRAFT and not request.user.has_perm(PUBLISH_ANSWERS):
            return False  # a public answer is changed by publishers; lawyers verify it (an action)
        return super().has_change_permission(request, obj)

    def save_related(self, request: HttpRequest, form: AnswerForm, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.set_references(form.references)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        if not re.fullmatch(r"[0-9]{1,18}", object_id or ""):
            from django.http import Http404

            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        """Reverting is changing: only drafts, by lawyers; anything public, by publishers."""
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if not (
            re.fullmatch(r"[0-9]{1,18}", object_id or "") and re.fullmatch(r"[0-9]{1,18}", version_id or "")
        ):
            raise Http404
        current = self.get_object(request, object_id)
        if current is None:
            raise Http404
        if request.method == "POST" and not request.user.has_perm(PUBLISH_ANSWERS):
            raise PermissionDenied(gettext("Only publishers may revert an answer."))
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.action(
        description=_("Verify: checked against the law and decisions today"), permissions=["change"]
    )
    def verify(self, request: HttpRequest, queryset) -> None:
        count = 0
        for answer in queryset.exclude(state=State.DRAFT):
            flagging.verify(answer)
            count += 1
        self.message_user(
            request,
            gettext("%(count)d answer(s) verified; their flags are resolved.") % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Take ownership"), permissions=["change"])
    def take_ownership(self, request: HttpRequest, queryset) -> None:
        for answer in queryset:
            answer.owner = request.user
            answer.save()
        self.message_user(request, gettext("You own the selected answers."), messages.SUCCESS)


class QuestionForm(GuardedModelForm):
    """The lawyer's reply and the step taken with it: the button pressed says which step."""

    STEPS = {
        "_answer": "reply",
        "_decline": "reply",
        "_needs_info": "reply",
        "_duplicate": "duplicate_of",
    }

    class Meta:
        model = Question
        fields = ["owner", "reply", "duplicate_of"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 12, "cols": 90})}

    def clean(self) -> dict:
        data = super().clean()
        for button, needed in self.STEPS.items():
            if button in self.data and not data.get(needed):
                message = (
                    gettext("Choose the published answer that answers the question.")
                    if needed == "duplicate_of"
                    else gettext("Write what the asker is to be told.")
                )
                self.add_error(needed, message)
        return data


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("open", _("open")),
            ("new", _("New questions")),
            ("mine", _("My open questions")),
            ("overdue", _("Overdue questions")),
        ]

    def queryset(self, request, queryset):
        open_questions = queryset.filter(status__in=Question.OPEN)
        return {
            "open": open_questions,
            "new": queryset.filter(status=Question.Status.NEW),
            "mine": open_questions.filter(owner=request.user),
            "overdue": open_questions.filter(due_on__lt=timezone.localdate()),
        }.get(self.value(), queryset)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    change_form_template = "admin/hotline/question/change_form.html"
    list_display = ["reference", "status", "area", "municipality", "owner", "due_on", "created_at"]
    list_filter = [QueueFilter, "status", "area", "owner"]
    list_select_related = ["area", "owner"]
    search_fields = ["reference", "question", "municipality"]
    ordering = ["due_on", "pk"]
    readonly_fields = [
        "reference",
        "status",
        "asker",
        "municipality",
        "area",
        "question",
        "citations",
        "created_at",
        "due_on",
        "closed_at",
        "published_as",
        "erased_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "status", "asker", "municipality", "area", "created_at", "due_on"]}),
        (_("The question"), {"fields": ["question", "citations"]}),
        (
            _("Handling"),
            {"fields": ["owner", "reply", "duplicate_of", "closed_at", "published_as", "erased_at"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # questions come from the public form

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("asked by"))
    def asker(self, question: Question) -> str:
        if question.erased_at:
            return gettext("erased %(day)s") % {"day": question.erased_at.date().isoformat()}
        return f"{question.name} <{question.email}>"

    def get_urls(self):
        return [
            path("queues/", self.admin_site.admin_view(self.queues_view), name="hotline_queues"),
            *super().get_urls(),
        ]

    def queues_view(self, request: HttpRequest) -> HttpResponse:
        """Everything that waits for the hotline, with counts, on one page."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        today = timezone.localdate()
        questions = Question.objects.filter(status__in=Question.OPEN)
        answers = Answer.objects.filter(state=State.PUBLISHED)
        question_url = reverse("admin:hotline_question_changelist")
        answer_url = reverse("admin:hotline_answer_changelist")
        flagged = answers.filter(validity=Validity.NEEDS_REVIEW)
        queues = [
            (
                gettext("New questions"),
                questions.filter(status=Question.Status.NEW).count(),
                f"{question_url}?queue=new",
            ),
            (
                gettext("My open questions"),
                questions.filter(owner=request.user).count(),
                f"{question_url}?queue=mine",
            ),
            (
                gettext("Overdue questions"),
                questions.filter(due_on__lt=today).count(),
                f"{question_url}?queue=overdue",
            ),
            (
                gettext("Answers due for review within 30 days"),
                answers.filter(validity=Validity.CURRENT, review_by__lte=today + REVIEW_SOON).count(),
                f"{answer_url}?review=soon",
            ),
            (
                gettext("Expired answers"),
                answers.filter(validity=Validity.EXPIRED).count(),
                f"{answer_url}?validity__exact=expired",
            ),
            (
                gettext("Answers that need review"),
                flagged.count(),
                f"{answer_url}?validity__exact=needs_review",
            ),
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Hotline queues"),
            "queues": queues,
            "overdue": list(
                questions.filter(due_on__lt=today).select_related("area", "owner").order_by("due_on")[:20]
            ),
            "flagged": list(
                flagged.prefetch_related("flags").select_related("owner").order_by("review_by")[:20]
            ),
            "opts": self.model._meta,
        }
        return render(request, "admin/hotline/queues.html", context)

    def response_change(self, request: HttpRequest, question: Question) -> HttpResponse:
        steps = {
            "_assign": lambda: cases.assign(question, request.user),
            "_answer": lambda: cases.answer(question, question.reply, request.user),
            "_decline": lambda: cases.decline(question, question.reply, request.user),
            "_needs_info": lambda: cases.ask_for_information(question, question.reply, request.user),
            "_duplicate": lambda: cases.already_answered(question, question.duplicate_of, request.user),
        }
        for button, step in steps.items():
            if button in request.POST:
                step()
                self.message_user(
                    request,
                    gettext("Done: %(reference)s is %(status)s.")
                    % {"reference": question.reference, "status": question.get_status_display().lower()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(request.path)
        if "_draft_answer" in request.POST:
            draft = cases.draft_answer(question, request.user)
            self.message_user(
                request,
                gettext("Draft answer %(reference)s created: anonymise it before it is published.")
                % {"reference": draft.reference},
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:hotline_answer_change", args=[draft.pk]))
        return super().response_change(request, question)


@admin.register(AreaPolicy)
class AreaPolicyAdmin(admin.ModelAdmin):
    list_display = ["area", "review_months", "answer_days"]
