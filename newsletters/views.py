"""The newsletters' public pages: what you can follow and the sign-up form, the confirmation,
preferences and unsubscribe pages reached by personal signed links, and the archive of the
editorial newsletter with its search."""

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.db.models.functions import ExtractYear
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from decisions import search
from decisions.citations import CitationError, get_parser
from decisions.models import Area, Law
from newsletters import links, subscriptions
from newsletters.archive import search_archive
from newsletters.forms import PreferencesForm, SubscribeForm
from newsletters.models import PUBLIC_ISSUES, Issue, Item, Subscriber
from newsletters.subscriptions import Topics
from portal.guard import parse_int
from portal.pagination import requested_page
from portal.ratelimit import client_address, hit, too_many

NEWEST_ISSUES = 5
ISSUES_PER_PAGE = 20


def _private(response: HttpResponse) -> HttpResponse:
    """Pages reached by a personal link: never indexed, cached or leaked through Referer."""
    response["X-Robots-Tag"] = "noindex"
    # Not "no-referrer": browsers then send "Origin: null" with the page's forms, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _initial(request: HttpRequest) -> dict:
    """The form prefilled from "Følg denne paragraf" (?paragraph=SEL § 100), "Følg dette område"
    (?area=social) and a law's page (?law=serviceloven); anything unknown is left out."""
    initial: dict = {}
    area = request.GET.get("area", "")
    if area and Area.objects.filter(slug=area).exists():
        initial["areas"] = [area]
    law = request.GET.get("law", "")
    if law and Law.objects.filter(slug=law).exists():
        initial["laws"] = [law]
    paragraph = request.GET.get("paragraph", "")[:100]
    if paragraph:
        try:
            if get_parser().parse(paragraph):
                initial["citations"] = paragraph
        except CitationError:
            pass
    return initial


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        email = subscriptions.normalise(form.cleaned_data["email"])
        for scope, ident, rate in (
            ("newsletters-signup", client_address(request), settings.NEWSLETTER_SIGNUP_RATE),
            ("newsletters-signup-email", email, settings.NEWSLETTER_SIGNUP_EMAIL_RATE),
        ):
            window = hit(scope, ident, rate)
            if not window.allowed:
                return too_many(window.retry_after)
        subscriptions.sign_up(email, Topics.from_form(form))
        return redirect("newsletters:check")
    status = 400 if request.method == "POST" else 200
    issues = Issue.objects.filter(state__in=PUBLIC_ISSUES).order_by("-sent_at")[:NEWEST_ISSUES]
    return render(request, "newsletters/index.html", {"form": form, "issues": issues}, status=status)


@require_safe
def check(request: HttpRequest) -> HttpResponse:
    """The same page whether the address is new, unconfirmed or already subscribed."""
    return render(request, "newsletters/check.html")


def _invalid(request: HttpRequest, purpose: str) -> HttpResponse:
    return _private(render(request, "newsletters/invalid.html", {"purpose": purpose}, status=404))


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A GET shows one button, so that a link scanner cannot confirm anyone; the POST confirms."""
    subscriber = links.subscriber_for(token, "confirm")
    if subscriber is None:
        return _invalid(request, "confirm")
    if request.method == "POST":
        subscriptions.confirm(subscriber)
        subscriber.refresh_from_db()
    context = {
        "subscriber": subscriber,
        "topics": subscriptions.describe(subscriber),
        "preferences_url": links.path(subscriber, "preferences"),
        "confirmed": subscriber.state == Subscriber.State.CONFIRMED,
    }
    return _private(render(request, "newsletters/confirm.html", context))


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = links.subscriber_for(token, "preferences")
    if subscriber is None:
        return _invalid(request, "preferences")
    form = PreferencesForm(request.POST or None, initial=Topics.of(subscriber))
    saved = False
    if request.method == "POST" and form.is_valid():
        subscriptions.save_preferences(subscriber, Topics.from_form(form), form.cleaned_data["paused"])
        subscriber.refresh_from_db()
        form = PreferencesForm(initial=Topics.of(subscriber))
        saved = True
    context = {
        "subscriber": subscriber,
        "form": form,
        "saved": saved,
        "token": token,
        "unsubscribe_url": links.path(subscriber, "unsubscribe"),
        "can_undo": subscriptions.can_undo(subscriber),
    }
    status = 400 if request.method == "POST" and not saved else 200
    return _private(render(request, "newsletters/preferences.html", context, status=status))


@csrf_exempt  # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click" with no token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe: a POST unsubscribes at once, idempotently, and answers 200; a GET
    only shows the button, since link scanners follow links."""
    subscriber = links.subscriber_for(token, "unsubscribe")
    if subscriber is None:
        return _invalid(request, "unsubscribe")
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber)
    context = {
        "subscriber": subscriber,
        "unsubscribed": subscriber.state == Subscriber.State.UNSUBSCRIBED,
        "can_undo": subscriptions.can_undo(subscriber),
        "token": token,
        "preferences_url": links.path(subscriber, "preferences"),
    }
    return _private(render(request, "newsletters/unsubscribe.html", context))


@require_POST
def undo(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = links.subscriber_for(token, "unsubscribe")
    if subscriber is None:
        return _invalid(request, "unsubscribe")
    undone = subscriptions.undo_unsubscribe(subscriber)
    context = {
        "subscriber": subscriber,
        "undone": undone,
        "preferences_url": links.path(subscriber, "preferences"),
    }
    return _private(render(request, "newsletters/undone.html", context, status=200 if undone else 409))


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, token: str) -> HttpResponse:
    """Everything about the address, at once: a GET asks, a POST deletes."""
    subscriber = links.subscriber_for(token, "preferences")
    if subscriber is None:
        return _invalid(request, "preferences")
    if request.method == "POST":
        email = subscriber.email
        subscriptions.delete_everything(subscriber)
        return _private(render(request, "newsletters/deleted.html", {"email": email}))
    context = {"subscriber": subscriber, "preferences_url": links.path(subscriber, "preferences")}
    return _private(render(request, "newsletters/delete.html", context))


# The archive


def archived_issues():
    return Issue.objects.filter(state__in=PUBLIC_ISSUES)


@require_safe
def archive(request: HttpRequest) -> HttpResponse:
    """Every sent issue, newest first, by area and year; or with ?q= the items that match, found
    by the same Danish engine as the decisions (synonyms, compounds, typos, citations)."""
    issues = archived_issues()
    area_slug = request.GET.get("area", "")
    area = Area.objects.filter(slug=area_slug).first() if area_slug else None
    if area_slug and area is None:
        raise Http404(_("No such area."))
    year_text = request.GET.get("year", "")
    year = parse_int(year_text, minimum=1900, maximum=2100) if year_text else None
    if year_text and year is None:
        return render(
            request,
            "newsletters/archive.html",
            {
                "error": _("The year must be written as four digits, e.g. 2026."),
                "areas": _areas(),
                "years": [],
            },
            status=400,
        )
    query = search.clean_query(request.GET.get("q", ""))
    context = {"area": area, "year": year, "q": query, "areas": _areas(), "years": _years(area)}
    if query:
        results = search_archive(query, area, year, request.GET.get("side"))
        context.update({"results": results, "page": results.page})
        return render(request, "newsletters/archive.html", context)
    if area is not None:
        issues = issues.filter(Exists(Item.objects.filter(issue=OuterRef("pk"), areas=area)))
    if year is not None:
        issues = issues.filter(sent_at__year=year)
    issues = issues.order_by("-sent_at", "-pk").prefetch_related(
        Prefetch("items", Item.objects.prefetch_related("areas").order_by("position", "pk"))
    )
    context["page"] = requested_page(request, issues, ISSUES_PER_PAGE)
    return render(request, "newsletters/archive.html", context)


def _areas() -> list[Area]:
    counts = dict(Item.objects.archived().values_list("areas").annotate(issues=Count("issue", distinct=True)))
    areas = list(Area.objects.order_by("order"))
    for area in areas:
        area.issue_count = counts.get(area.pk, 0)
    return areas


def _years(area: Area | None) -> list[tuple[int, int]]:
    issues = archived_issues()
    if area is not None:
        issues = issues.filter(Exists(Item.objects.filter(issue=OuterRef("pk"), areas=area)))
    rows = issues.annotate(year=ExtractYear("sent_at", tzinfo=None)).values("year").annotate(n=Count("pk"))
    return sorted(((row["year"], row["n"]) for row in rows if row["year"]), reverse=True)


@require_safe
def issue(request: HttpRequest, slug: str) -> HttpResponse:
    visible = Issue.objects.all() if request.user.is_staff else archived_issues()
    found = get_object_or_404(visible, slug=slug)
    items = found.items.select_related("decision", "answer").prefetch_related(
        "areas", "laws", "references__paragraph__law"
    )
    return render(request, "newsletters/issue.html", {"issue": found, "items": items})
