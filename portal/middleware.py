import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    """Danish unless the reader picked another language with the switch in the footer.

    The browser's Accept-Language is ignored on purpose: many caseworkers' browsers are set to
    English, and the portal's users expect Danish legal language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


class DatabaseOutageMiddleware:
    """A view that cannot reach the database answers 503 with Retry-After, not 500. (A middleware
    that cannot reach it, such as the session's, is answered the same by the 500 handler.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from portal.views import is_outage, unavailable

        if not is_outage(exception):
            return None
        logging.getLogger("portal.outage").warning("Database unreachable: %s", exception)
        return unavailable(request)
