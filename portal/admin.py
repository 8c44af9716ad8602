from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import outbox
from portal.guard import GuardedModelForm, parse_int
from portal.models import ApiClient, ApiKey, OutgoingMail

admin.site.site_header = _("Principportalen administration")
admin.site.site_title = _("Principportalen administration")
admin.site.index_title = _("Principle decisions, hotline and newsletters")


DATE_PARTS = {"__year": (1, 9999), "__month": (1, 12), "__day": (1, 31)}


class BoundedDateLookupsMixin:
    """The admin's date drill-down takes `?attempt_time__year=…` as it comes, and a year past 9999
    ends in a server error; such a filter is an invalid lookup (the admin's "?e=1" notice)."""

    def get_changelist_instance(self, request: HttpRequest):
        for name, value in request.GET.items():
            for suffix, (low, high) in DATE_PARTS.items():
                if name.endswith(suffix) and parse_int(value, minimum=low, maximum=high) is None:
                    raise IncorrectLookupParameters(name)
        return super().get_changelist_instance(request)


# django-axes' lists of login attempts and lockouts, with their date filters bounded.
for model, model_admin in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, type(model_admin.__name__, (BoundedDateLookupsMixin, model_admin), {}))


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # keys are issued by the action, which shows the key once


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = GuardedModelForm
    list_display = ["organisation", "contact_email", "is_active", "active_keys", "last_used", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["organisation", "contact_email", "notes"]
    fields = ["organisation", "contact_email", "is_active", "rate", "notes"]
    inlines = [ApiKeyInline]
    actions = ["issue_keys"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_key_count=Count("keys", filter=Q(keys__revoked_at=None)),
                last_key_use=Max("keys__last_used_at"),
            )
        )

    @admin.display(description=_("active keys"), ordering="active_key_count")
    def active_keys(self, client: ApiClient) -> int:
        return client.active_key_count

    @admin.display(description=_("last used"), ordering="last_key_use")
    def last_used(self, client: ApiClient):
        return client.last_key_use

    def response_add(self, request: HttpRequest, obj: ApiClient, post_url_continue=None) -> HttpResponse:
        """A new client gets its first key at once, shown on the next page and never again."""
        return _show_keys(request, self, [(obj, obj.issue_key()[1])])

    @admin.action(description=_("Issue a new key to the selected clients"))
    def issue_keys(self, request: HttpRequest, queryset) -> HttpResponse:
        with transaction.atomic():
            issued = [(client, client.issue_key()[1]) for client in queryset]
        return _show_keys(request, self, issued)


def _show_keys(request: HttpRequest, model_admin: admin.ModelAdmin, issued: list) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("New API keys"),
        "issued": [{"client": client, "key": key} for client, key in issued],
        "changelist_url": reverse("admin:portal_apiclient_changelist"),
    }
    response = TemplateResponse(request, "admin/portal/new_keys.html", context)
    response["Cache-Control"] = "no-store"  # the keys must not stay in any cache
    return response


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "client", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "client"]
    search_fields = ["prefix", "client__organisation"]
    list_select_related = ["client"]
    fields = ["client", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are issued from their client, which shows the key once

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(
            request, ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count}
        )


@admin.register(OutgoingMail)
class OutgoingMailAdmin(BoundedDateLookupsMixin, admin.ModelAdmin):
    """The outbox, for staff: what was sent to whom and when, what failed and why, and sending a
    failed message again. Read-only otherwise: a message is what was queued."""

    list_display = ["created_at", "kind", "to", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "key", "subject"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    readonly_fields = [
        "key",
        "kind",
        "to",
        "from_email",
        "subject",
        "state",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "message_id",
        "last_error",
        "headers",
        "body_text",
        "body_html",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A message is shown, never saved from a form (a save could overwrite the sender's state):
        # "change" is the list's action only, sending a failed message again.
        return obj is None and super().has_change_permission(request)

    @admin.action(description=_("Send the selected failed messages again"), permissions=["change"])
    def send_again(self, request: HttpRequest, queryset) -> None:
        count = outbox.send_again(list(queryset))
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
