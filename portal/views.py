import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from decisions.models import Law
from portal import health
from portal.guard import UnsafeInput

# What the search page's parameters are called on the page, for its 400 page.
PARAMETER_LABELS = {
    "q": gettext_lazy("search words"),
    "area": gettext_lazy("area"),
    "law": gettext_lazy("law"),
    "paragraph": gettext_lazy("paragraph"),
    "status": gettext_lazy("status"),
    "year_from": gettext_lazy("from year"),
    "year_to": gettext_lazy("to year"),
    "include_historic": gettext_lazy("include decisions no longer in force"),
    "sort": gettext_lazy("sort order"),
    "side": gettext_lazy("page"),
}
RETRY_AFTER_OUTAGE = 10  # seconds: about the time the embedded database needs to start again


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Every law one click from the front page: law, paragraph, decision in three.
    laws = Law.objects.only("slug", "short_name", "abbreviation")
    return render(request, "portal/home.html", {"laws": laws})


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon, such as the admin's."""
    return HttpResponseRedirect(static("portal/favicon.svg"))


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    result = health.report()
    return JsonResponse(result, status=503 if result["down"] else 200, json_dumps_params={"indent": 2})


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/v")


def error_page(template: str, status: int, context: dict | None = None) -> HttpResponse:
    """An error page in the site's layout, rendered without the request's context processors: it
    must render when the database is down or before the session is read."""
    return HttpResponse(loader.get_template(template).render(context or {}), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400. The guard's refusals say what is wrong and where; other bad requests say little."""
    if not isinstance(exception, UnsafeInput):
        if _is_api(request):
            return JsonResponse({"detail": _("Bad request.")}, status=400)
        return error_page("400.html", 400)
    parameter, message = exception.parameter, exception.message
    if _is_api(request):  # as the API's other parameter errors: {"name": ["what is wrong"]}
        if parameter is None:
            return JsonResponse({"detail": _("The address %(problem)s.") % {"problem": message}}, status=400)
        return JsonResponse({parameter: [_("The value %(problem)s.") % {"problem": message}]}, status=400)
    label = PARAMETER_LABELS.get(parameter) if parameter else None
    return error_page("400.html", 400, {"parameter": parameter, "label": label, "message": message})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404 page; under /api/ a JSON answer, as API clients expect."""
    if _is_api(request):
        return JsonResponse({"detail": _("There is no such address in the API; see /api/docs/.")}, status=404)
    return defaults.page_not_found(request, exception)


def is_outage(exception: BaseException | None) -> bool:
    """Whether an exception means the database cannot be reached (as opposed to a bug)."""
    return isinstance(exception, OperationalError | InterfaceError)


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After while the database cannot be reached: a Danish page, or JSON in the API."""
    if _is_api(request):
        response = JsonResponse(
            {"detail": _("The service is temporarily unavailable. Try again in a moment.")}, status=503
        )
    else:
        response = error_page("503.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_OUTAGE)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if is_outage(sys.exception()):  # raised in a middleware, e.g. while reading the session
        return unavailable(request)
    if _is_api(request):
        return JsonResponse(
            {"detail": _("Server error. It has been logged; please try again later.")}, status=500
        )
    return defaults.server_error(request)
