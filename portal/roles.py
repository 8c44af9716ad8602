"""Staff roles and what each may do, for every app. The hotline and the newsletters add their
permissions here; `sync_roles` makes the groups match after every `migrate`.

Editors (Redaktører) write drafts and propose changes; only publishers (Udgivere) publish,
unpublish, change status, or change what the public sees. The admin hides what a role may not do,
and the models check it again on every save, so a route added later (a form, an action, the
history's revert form) cannot publish for an editor either: `require_publisher` raises
PermissionDenied when the acting user lacks the publish permission. Bulk writes that bypass
`save()` (`queryset.update`, COPY) must call `require_publisher` themselves.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse

EDITORS = "Redaktører"
PUBLISHERS = "Udgivere"
HOTLINE_LAWYERS = "Hotline-jurister"
PUBLISH_DECISIONS = "decisions.publish_decision"
PUBLISH_ANSWERS = "hotline.publish_answer"
SEND_ISSUES = "newsletters.send_issue"

_EDITOR_DECISIONS = [
    "add_decision",
    "change_decision",
    "view_decision",
    "add_relation",
    "change_relation",
    "delete_relation",
    "view_relation",
    "view_area",
    "view_law",
    "view_paragraph",
    "add_paragraph",
    "change_paragraph",  # a paragraph no published decision cites; see ParagraphAdmin
    "view_synonym",
]
_PUBLISHER_DECISIONS = [
    *_EDITOR_DECISIONS,
    "publish_decision",
    "delete_decision",
    "add_law",
    "change_law",
    "add_synonym",
    "change_synonym",
    "delete_synonym",
]

# The outbox holds addresses and what was written to them (hotline askers, subscribers): only
# publishers see it, and "change" is only the right to send a failed message again (the messages
# themselves are never edited, see OutgoingMailAdmin).
_PUBLISHER_PORTAL = ["view_outgoingmail", "change_outgoingmail"]

# Hotline lawyers triage and answer questions, write answers (drafts), own them and verify them;
# they record law amendments. Publishing, withdrawing and superseding an answer is for publishers
# (a lawyer who may publish has both roles).
_LAWYER_HOTLINE = [
    "view_question",
    "change_question",
    "add_answer",
    "change_answer",
    "view_answer",
    "view_answerflag",
    "view_report",
    "view_areapolicy",
]
_LAWYER_DECISIONS = [
    "view_decision",
    "view_area",
    "view_law",
    "view_paragraph",
    "add_paragraph",
    "view_amendment",
    "add_amendment",
    "change_amendment",
]
_PUBLISHER_HOTLINE = [
    *_LAWYER_HOTLINE,
    "publish_answer",
    "delete_answer",
    "change_areapolicy",
]

# Newsletters: editors compose issues (drafts, previews); only publishers send them. Subscribers
# are addresses, so only publishers see them (and suspend, correct or delete them).
_EDITOR_NEWSLETTERS = [
    "add_issue",
    "change_issue",
    "view_issue",
    "delete_issue",
    "add_item",
    "change_item",
    "delete_item",
    "view_item",
    "view_digestrun",
]
_PUBLISHER_NEWSLETTERS = [
    *_EDITOR_NEWSLETTERS,
    "send_issue",
    "view_subscriber",
    "change_subscriber",
    "delete_subscriber",
]

# Role → app label → permission codenames. Each app's permissions have their place here.
ROLES: dict[str, dict[str, list[str]]] = {
    EDITORS: {"decisions": _EDITOR_DECISIONS, "newsletters": _EDITOR_NEWSLETTERS},
    PUBLISHERS: {
        "decisions": [*_PUBLISHER_DECISIONS, "view_amendment", "add_amendment", "change_amendment"],
        "portal": _PUBLISHER_PORTAL,
        "hotline": _PUBLISHER_HOTLINE,
        "newsletters": _PUBLISHER_NEWSLETTERS,
    },
    HOTLINE_LAWYERS: {"decisions": _LAWYER_DECISIONS, "hotline": _LAWYER_HOTLINE},
}


def sync_roles(**_kwargs) -> None:
    """Creates the role groups and gives each exactly the permissions ROLES lists."""
    from django.contrib.auth.models import Group, Permission

    for role, by_app in ROLES.items():
        wanted = {(app, codename) for app, codenames in by_app.items() for codename in codenames}
        found = list(
            Permission.objects.filter(
                content_type__app_label__in=list(by_app), codename__in=[c for _a, c in wanted]
            ).select_related("content_type")
        )
        permissions = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            names = ", ".join(f"{app}.{codename}" for app, codename in sorted(missing))
            raise ImproperlyConfigured(f"portal/roles.py gives {role} permissions that do not exist: {names}")
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    """post_migrate is sent once per app; the permissions of every app exist after the last one."""
    from django.apps import apps

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label == last.label:
        sync_roles()


# Who is acting: the user of the request being served, or None outside a request (management
# commands, Celery tasks, which operators run and answer for). The request is kept, not its user,
# so that a request that writes nothing never has to look its user up.
_acting_request: ContextVar = ContextVar("acting_request", default=None)


class ActingUserMiddleware:
    """Makes the request's user the acting user while the request is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _acting_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _acting_request.reset(token)


def acting_user():
    request = _acting_request.get()
    if request is None:
        return None
    return getattr(request, "user", None) or AnonymousUser()


def require_publisher(what: str, permission: str = PUBLISH_DECISIONS) -> None:
    """Refuses (PermissionDenied, saying `what`) unless the acting user may publish."""
    user = acting_user()
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(what)
