from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal import health


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon, such as the admin's."""
    return HttpResponseRedirect(static("portal/favicon.svg"))


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    result = health.report()
    return JsonResponse(result, status=503 if result["down"] else 200, json_dumps_params={"indent": 2})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404 page; under /api/ a JSON answer, as API clients expect."""
    if request.path.startswith("/api/v"):
        return JsonResponse({"detail": _("There is no such address in the API; see /api/docs/.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/v"):
        return JsonResponse(
            {"detail": _("Server error. It has been logged; please try again later.")}, status=500
        )
    return defaults.server_error(request)
