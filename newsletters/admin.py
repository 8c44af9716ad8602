"""The newsletters in the admin: subscribers (publishers only: they are addresses) by topic with
counts and the suspended ones; issues of "Nyt fra Ankestyrelsen" composed by editors, previewed
per area and sent by publishers; digest runs; and for each issue and run how many messages are
queued, sent and failed in the outbox."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from decisions.citations import clean_citations
from decisions.models import Area, Decision, Law
from hotline.models import Answer, State
from newsletters import editorial
from newsletters.models import DigestRun, Frequency, Issue, Item, Subscriber
from portal.admin import BoundedDateLookupsMixin
from portal.guard import GuardedModelForm
from portal.models import OutgoingMail
from portal.roles import SEND_ISSUES

SHORT_FREQUENCY = {
    Frequency.IMMEDIATELY: _("immediately"),
    Frequency.DAILY: _("daily"),
    Frequency.WEEKLY: _("weekly"),
}


def _count(batch, state: str):
    rows = (
        OutgoingMail.objects.filter(batch=batch, state=state)
        .values("batch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def with_outbox_counts(queryset, batch):
    return queryset.annotate(
        mail_queued=_count(batch, "queued") + _count(batch, "sending"),
        mail_sent=_count(batch, "sent"),
        mail_failed=_count(batch, "failed"),
    )


def outbox_link(batch: str, count: int, state: str) -> str:
    url = reverse("admin:portal_outgoingmail_changelist")
    return format_html('<a href="{}?batch={}&amp;state__exact={}">{}</a>', url, batch, state, count)


class OutboxCountsMixin:
    @admin.display(description=_("mail queued · sent · failed"))
    def mail(self, obj) -> str:
        return format_html(
            "{} · {} · {}",
            outbox_link(obj.batch, obj.mail_queued, "queued"),
            outbox_link(obj.batch, obj.mail_sent, "sent"),
            outbox_link(obj.batch, obj.mail_failed, "failed"),
        )


@admin.register(Subscriber)
class SubscriberAdmin(BoundedDateLookupsMixin, admin.ModelAdmin):
    list_display = ["email", "state", "how_often", "topics", "signed_up"]
    list_filter = ["state", "frequency", "paused", "areas", "laws"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "email",
        "state",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "suspended_at",
        "suspended_reason",
        "last_digest_at",
        "last_event",
        "citations",
        "paragraph_list",
    ]
    fields = [
        "email",
        "state",
        "frequency",
        "kinds",
        "areas",
        "laws",
        "citations",
        "paragraph_list",
        "paused",
        "created_at",
        "confirmed_at",
        "last_digest_at",
        "unsubscribed_at",
        "suspended_at",
        "suspended_reason",
    ]
    formfield_overrides = {}
    actions = ["suspend_selected"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                topic_count=Count("areas", distinct=True)
                + Count("laws", distinct=True)
                + Count("paragraphs", distinct=True)
            )
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # addresses sign up themselves (double opt-in) or come from import_subscribers

    @admin.display(description=_("signed up"), ordering="created_at")
    def signed_up(self, subscriber: Subscriber):
        return timezone.localtime(subscriber.created_at).date()

    @admin.display(description=_("frequency"), ordering="frequency")
    def how_often(self, subscriber: Subscriber) -> str:
        return SHORT_FREQUENCY[subscriber.frequency]

    @admin.display(description=_("topics"), ordering="topic_count")
    def topics(self, subscriber: Subscriber) -> int:
        return subscriber.topic_count

    @admin.display(description=_("paragraphs"))
    def paragraph_list(self, subscriber: Subscriber) -> str:
        return ", ".join(str(p) for p in subscriber.paragraphs.select_related("law")) or "–"

    @admin.action(description=_("Suspend the selected addresses (no more mail until they sign up again)"))
    def suspend_selected(self, request: HttpRequest, queryset) -> None:
        count = queryset.exclude(state=Subscriber.State.SUSPENDED).update(
            state=Subscriber.State.SUSPENDED,
            suspended_at=timezone.now(),
            suspended_reason=gettext("Suspended by %(user)s") % {"user": request.user.get_username()},
        )
        self.message_user(request, gettext("%(count)s address(es) suspended.") % {"count": count})

    def get_urls(self):
        return [
            path("topics/", self.admin_site.admin_view(self.topics_view), name="newsletters_topics"),
            *super().get_urls(),
        ]

    def topics_view(self, request: HttpRequest) -> HttpResponse:
        """Receiving subscribers by area, law, paragraph, kind and frequency, with counts."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        receiving = Subscriber.objects.receiving()
        url = reverse("admin:newsletters_subscriber_changelist")
        areas = Area.objects.annotate(n=Count("subscribers", filter=Q(subscribers__in=receiving))).order_by(
            "order"
        )
        laws = Law.objects.annotate(n=Count("subscribers", filter=Q(subscribers__in=receiving))).filter(
            n__gt=0
        )
        paragraphs = (
            Subscriber.paragraphs.through.objects.filter(subscriber__in=receiving)
            .values("paragraph_id", "paragraph__law__abbreviation", "paragraph__section")
            .annotate(n=Count("subscriber_id"))
            .order_by("-n")[:50]
        )
        kinds = {
            kind: receiving.filter(kinds__contains=[kind]).count()
            for kind, _label in Subscriber._meta.get_field("kinds").base_field.choices
        }
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Subscribers by topic"),
            "opts": self.model._meta,
            "changelist": url,
            "areas": areas,
            "laws": laws.order_by("-n", "short_name"),
            "paragraphs": paragraphs,
            "kinds": [
                (label, kinds[kind]) for kind, label in Subscriber._meta.get_field("kinds").base_field.choices
            ],
            "frequencies": [
                (row["frequency"], Frequency(row["frequency"]).label, row["n"])
                for row in receiving.values("frequency").annotate(n=Count("pk")).order_by("frequency")
            ],
            "states": [
                (row["state"], Subscriber.State(row["state"]).label, row["n"])
                for row in Subscriber.objects.values("state").annotate(n=Count("pk")).order_by("state")
            ],
            "receiving": receiving.count(),
        }
        return render(request, "admin/newsletters/topics.html", context)


class ItemForm(GuardedModelForm):
    decision_number = forms.CharField(
        label=_("Link to a principle decision"),
        required=False,
        max_length=20,
        help_text=_("Its number, e.g. 24-19."),
    )
    answer_reference = forms.CharField(
        label=_("Link to a hotline answer"),
        required=False,
        max_length=20,
        help_text=_("Its reference, e.g. HL-2024-031."),
    )

    class Meta:
        model = Item
        fields = ["position", "heading", "text", "for_everyone", "areas", "laws", "citations", "url"]
        widgets = {
            "areas": forms.CheckboxSelectMultiple,
            "laws": forms.CheckboxSelectMultiple,
            "citations": forms.Textarea(attrs={"rows": 2}),
            "text": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["decision_number"].initial = (
                self.instance.decision.number if self.instance.decision_id else ""
            )
            self.fields["answer_reference"].initial = (
                self.instance.answer.reference if self.instance.answer_id else ""
            )

    def clean_decision_number(self) -> Decision | None:
        number = self.cleaned_data["decision_number"].strip()
        if not number:
            return None
        found = Decision.objects.published().filter(number__iexact=number).first()
        if found is None:
            raise ValidationError(
                gettext("No published principle decision has the number %(number)s.") % {"number": number}
            )
        return found

    def clean_answer_reference(self) -> Answer | None:
        reference = self.cleaned_data["answer_reference"].strip().upper()
        if not reference:
            return None
        found = Answer.objects.filter(state=State.PUBLISHED, reference=reference).first()
        if found is None:
            raise ValidationError(
                gettext("No published hotline answer has the reference %(reference)s.")
                % {"reference": reference}
            )
        return found

    def clean_citations(self) -> str:
        text = self.cleaned_data["citations"]
        if not text.strip():
            self.references = []
            return ""
        canonical, self.references = clean_citations(text, required=False)
        return canonical

    def clean(self) -> dict:
        data = super().clean()
        links = [bool(data.get("decision_number")), bool(data.get("answer_reference")), bool(data.get("url"))]
        if sum(links) > 1:
            raise ValidationError(gettext("Link to one thing: a decision, an answer or an address."))
        if not self.errors and not (
            data.get("for_everyone") or data.get("areas") or data.get("laws") or data.get("citations")
        ):
            raise ValidationError(
                gettext("Say whom the item is for: “for everyone”, or its areas, laws or paragraphs."),
                code="no_audience",
            )
        return data

    def save(self, commit: bool = True) -> Item:
        item = super().save(commit=False)
        item.decision = self.cleaned_data.get("decision_number")
        item.answer = self.cleaned_data.get("answer_reference")
        if commit:
            item.save()
            self.save_m2m()
        return item


class ItemInline(admin.StackedInline):
    model = Item
    form = ItemForm
    extra = 1
    fields = [
        "position",
        "heading",
        "text",
        "for_everyone",
        "areas",
        "laws",
        "citations",
        "decision_number",
        "answer_reference",
        "url",
    ]


class IssueForm(GuardedModelForm):
    class Meta:
        model = Issue
        fields = ["title", "slug", "introduction"]


@admin.register(Issue)
class IssueAdmin(OutboxCountsMixin, admin.ModelAdmin):
    form = IssueForm
    inlines = [ItemInline]
    list_display = ["title", "state", "sent_at", "recipients", "mail"]
    search_fields = ["title", "slug", "items__heading"]
    prepopulated_fields = {}
    change_form_template = "admin/newsletters/issue/change_form.html"
    readonly_fields = ["state", "send_at", "sent_at", "recipients"]

    def get_queryset(self, request: HttpRequest):
        return with_outbox_counts(
            super().get_queryset(request), Concat(Value("newsletter:"), OuterRef("slug"))
        )

    def get_fields(self, request, obj=None):
        return ["title", "slug", "introduction", "state", "send_at", "sent_at", "recipients"]

    def has_change_permission(self, request: HttpRequest, obj: Issue | None = None) -> bool:
        """A sent issue is in the public archive: only publishers change it."""
        if obj is not None and obj.state != Issue.State.DRAFT and not request.user.has_perm(SEND_ISSUES):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Issue | None = None) -> bool:
        if obj is not None and obj.state != Issue.State.DRAFT:
            return False  # the archive keeps what was sent
        return super().has_delete_permission(request, obj)

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Item:
            for item_form in formset.forms:
                item = item_form.instance
                if item.pk is None or not item_form.has_changed() or item_form in formset.deleted_forms:
                    continue
                item.set_references(getattr(item_form, "references", []))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="newsletters_issue_preview"),
            path(
                "<int:pk>/preview/<slug:area>/",
                view(self.preview_mail_view),
                name="newsletters_issue_preview_mail",
            ),
            path("<int:pk>/send/", view(self.send_view), name="newsletters_issue_send"),
            *super().get_urls(),
        ]

    def _issue(self, request: HttpRequest, pk: int) -> Issue:
        issue = get_object_or_404(Issue, pk=pk)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        return issue

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Each area's version, and the version of a reader who follows none of them."""
        issue = self._issue(request, pk)
        versions = []
        for area in [*Area.objects.order_by("order"), None]:
            message, version = editorial.preview(issue, area)
            versions.append(
                {
                    "area": area,
                    "slug": area.slug if area else "alle",
                    "subject": message.subject if message else "",
                    "entries": [entry.item for entry, _why in version.entries] if version else [],
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Preview of %(issue)s") % {"issue": issue.title},
            "opts": self.model._meta,
            "issue": issue,
            "versions": versions,
            "can_send": request.user.has_perm(SEND_ISSUES)
            and issue.state in (Issue.State.DRAFT, Issue.State.SCHEDULED),
        }
        return render(request, "admin/newsletters/issue/preview.html", context)

    def preview_mail_view(self, request: HttpRequest, pk: int, area: str) -> HttpResponse:
        issue = self._issue(request, pk)
        found = None
        if area != "alle":
            found = Area.objects.filter(slug=area).first()
            if found is None:
                raise Http404
        message, _version = editorial.preview(issue, found)
        if message is None:
            return HttpResponse(
                gettext("No item in this version: no mail would be sent."),
                content_type="text/plain; charset=utf-8",
            )
        if request.GET.get("format") == "text":
            return HttpResponse(message.text, content_type="text/plain; charset=utf-8")
        response = HttpResponse(message.html)
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
        return response

    def send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Publishers send now or at a set time, or take a scheduled issue back."""
        issue = self._issue(request, pk)
        if request.method != "POST" or not request.user.has_perm(SEND_ISSUES):
            raise PermissionDenied
        if "unschedule" in request.POST:
            editorial.unschedule(issue)
            self.message_user(request, gettext("The issue is a draft again; nothing was sent."))
            return HttpResponseRedirect(reverse("admin:newsletters_issue_preview", args=[issue.pk]))
        if not issue.items.exists():
            self.message_user(request, gettext("The issue has no items."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:newsletters_issue_preview", args=[issue.pk]))
        send_at = None
        text = request.POST.get("send_at", "").strip()
        if text:
            try:
                send_at = timezone.make_aware(datetime.datetime.fromisoformat(text))
            except ValueError:
                self.message_user(
                    request,
                    gettext("Send at: write a date and time such as 2026-11-24 07:00."),
                    messages.ERROR,
                )
                return HttpResponseRedirect(reverse("admin:newsletters_issue_preview", args=[issue.pk]))
            if send_at < timezone.now():
                self.message_user(request, gettext("Send at: the time has passed."), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:newsletters_issue_preview", args=[issue.pk]))
        editorial.schedule(issue, send_at)
        if send_at is None:
            from django.db import transaction

            from newsletters.tasks import send_due_issues

            transaction.on_commit(send_due_issues.delay)
            self.message_user(request, gettext("The issue is being sent."))
        else:
            self.message_user(
                request,
                gettext("The issue will be sent %(when)s.")
                % {"when": timezone.localtime(send_at).strftime("%d-%m-%Y %H:%M")},
            )
        return HttpResponseRedirect(reverse("admin:newsletters_issue_changelist"))


@admin.register(DigestRun)
class DigestRunAdmin(OutboxCountsMixin, admin.ModelAdmin):
    list_display = ["period", "how_often", "events", "digests", "mail", "finished_at"]
    readonly_fields = [
        "frequency",
        "period",
        "as_of",
        "last_event",
        "events",
        "started_at",
        "finished_at",
        "subscribers",
        "digests",
    ]

    def get_queryset(self, request: HttpRequest):
        batch = Concat(Value("digest:"), OuterRef("frequency"), Value(":"), OuterRef("period"))
        return with_outbox_counts(super().get_queryset(request), batch)

    @admin.display(description=_("frequency"), ordering="frequency")
    def how_often(self, digest_run: DigestRun) -> str:
        return SHORT_FREQUENCY[digest_run.frequency]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
