"""The one guard for untrusted text. Every page, API parameter, path, cursor, form and import field
goes through it: no NUL or other control characters (tab and newline only in text that may span
lines), no bidi overrides, nothing XML forbids; numbers are ASCII digits, and bounded.

`GuardMiddleware` applies it to every request's method, path and query string before any view
runs; forms add `validate_line` / `validate_text` to their fields (`GuardedFormMixin`); the
import, the API's cursors and the feed call the functions here directly.
"""

import logging
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _

# C0 and C1 control characters and DEL; the bidi embeddings, overrides and isolates (they can make
# text read differently from what it is); surrogates and the non-characters U+FFFE and U+FFFF,
# which neither UTF-8 nor XML allow.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_FORBIDDEN_IN_TEXT = re.compile(f"[{_CONTROLS}]")  # tab, newline and carriage return allowed
_FORBIDDEN_IN_LINE = re.compile(f"[\t\n\r{_CONTROLS}]")
# What XML 1.0 cannot carry at all; the feed drops these from whatever it writes.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REFUSED_METHODS = ("TRACE", "CONNECT")
logger = logging.getLogger("portal.guard")
MAX_PARAMETER_LENGTH = 2000


class UnsafeInput(BadRequest):
    """Input the guard refuses. `parameter` names the query parameter (None for the address as a
    whole); `message` says what is wrong, as the end of a sentence that begins with its name."""

    def __init__(self, parameter: str | None, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter[:100] if parameter else None
        self.message = message


# Unicode gives control characters no names, only aliases; these are the ones people meet.
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}


def describe(character: str) -> str:
    """`U+000B (LINE TABULATION)`: what a person needs to find the character."""
    name = unicodedata.name(character, "") or _CONTROL_NAMES.get(character) or _("a control character")
    return f"U+{ord(character):04X} ({name})"


def find_forbidden(text: str, *, multiline: bool = False) -> str | None:
    """The first character the guard refuses in `text`, or None."""
    match = (_FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE).search(text)
    return match.group(0) if match else None


def problem(text: str, *, multiline: bool = False, max_length: int | None = None) -> str | None:
    """What is wrong with `text` as untrusted input, in a sentence; None if nothing is."""
    character = find_forbidden(text, multiline=multiline)
    if character is not None:
        return _("contains the character %(character)s, which is not allowed") % {
            "character": describe(character)
        }
    if max_length is not None and len(text) > max_length:
        return _("is %(length)s characters long; at most %(max)s are allowed") % {
            "length": len(text),
            "max": max_length,
        }
    return None


def check(parameter: str | None, text: str, *, multiline: bool = False, max_length: int | None = None) -> str:
    """Returns `text` if the guard accepts it; raises UnsafeInput naming `parameter` if not."""
    if (message := problem(text, multiline=multiline, max_length=max_length)) is not None:
        raise UnsafeInput(parameter, message)
    return text


def parse_int(text: str, *, minimum: int, maximum: int) -> int | None:
    """A whole number written in ASCII digits (a leading minus only when `minimum` < 0) between
    `minimum` and `maximum`; None for anything else. `str.isdigit` accepts "²" and "٣"; this does not."""
    pattern = r"-?[0-9]{1,19}" if minimum < 0 else r"[0-9]{1,19}"
    if not isinstance(text, str) or not re.fullmatch(pattern, text.strip()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def contains_forbidden(value: object) -> bool:
    """Whether any string inside a decoded JSON value (a cursor) carries a refused character."""
    if isinstance(value, str):
        return find_forbidden(value) is not None
    if isinstance(value, list):
        return any(contains_forbidden(item) for item in value)
    if isinstance(value, dict):
        return any(contains_forbidden(key) or contains_forbidden(item) for key, item in value.items())
    return False


# Forms


def validate_line(value: str) -> None:
    """A one-line field: no tab, newline or other control characters."""
    if isinstance(value, str) and (message := problem(value)):
        raise ValidationError(_("The text %(problem)s.") % {"problem": message}, code="unsafe")


def validate_text(value: str) -> None:
    """A text that may span lines: tab and newline allowed, other control characters not."""
    if isinstance(value, str) and (message := problem(value, multiline=True)):
        raise ValidationError(_("The text %(problem)s.") % {"problem": message}, code="unsafe")


class GuardedFormMixin:
    """Puts the guard on every text field of a form: multi-line fields (a textarea) may hold tabs
    and newlines, others may not. Use it for every form, public or admin."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not getattr(field, "guarded", False):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(validate_text if multiline else validate_line)
                field.guarded = True


class GuardedModelForm(GuardedFormMixin, forms.ModelForm):
    pass


# Requests


class GuardMiddleware:
    """Refuses, before any view runs, a request whose method is TRACE or CONNECT (405), or whose
    path or query string is not valid UTF-8 or carries a character the guard refuses (400, naming
    the parameter). Form bodies are checked by the forms themselves, field by field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in REFUSED_METHODS:
            return refused_method(request)
        try:
            check_request(request)
        except UnsafeInput as refusal:
            from portal.views import bad_request

            logger.info("Refused %s: %s %s", request.path[:200], refusal.parameter, refusal.message)
            return bad_request(request, refusal)
        return self.get_response(request)


def refused_method(request: HttpRequest) -> HttpResponse:
    """405 for TRACE and CONNECT, which nothing here answers: JSON in the API, as DRF answers."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("Method “%(method)s” not allowed.") % {"method": request.method}}, status=405
        )
        response["Allow"] = "GET, HEAD, OPTIONS"
        return response
    return HttpResponseNotAllowed(
        ["GET", "HEAD", "POST", "OPTIONS"], _("Method not allowed."), content_type="text/plain; charset=utf-8"
    )


def check_request(request: HttpRequest) -> None:
    path = request.path
    if "%" in request.path_info and _undecodable(request.path_info):
        # Django re-escapes bytes that are not UTF-8 rather than decoding them.
        raise UnsafeInput(None, _("is not valid UTF-8"))
    if (message := problem(path)) is not None:
        raise UnsafeInput(None, message)
    query = request.META.get("QUERY_STRING", "")
    if query:
        try:
            unquote_to_bytes(query.replace("+", " ")).decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeInput(None, _("has a query string that is not valid UTF-8")) from None
    for name, values in request.GET.lists():
        if (message := problem(name[:100])) is not None:
            raise UnsafeInput(None, _("has a parameter name that %(problem)s") % {"problem": message})
        for value in values:
            check(name, value, multiline=True, max_length=MAX_PARAMETER_LENGTH)


def _undecodable(path: str) -> bool:
    try:
        unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
