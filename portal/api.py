"""What every API endpoint shares: keys, rate limits, strict parameters, keyset pages and
conditional GET. The resources themselves live in their apps (decisions/api.py)."""

import base64
import binascii
import datetime
import hashlib
import json
import math
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.utils.urls import replace_query_param

from portal import ratelimit
from portal.addresses import this_request
from portal.guard import contains_forbidden, parse_int
from portal.models import ApiKey, hash_key

# Keys

KEY_FAILURES = "api-key-failures"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` (or `Token <key>`) for a registered API client. Without the
    header the request is anonymous; a key that is wrong, revoked or whose client is inactive is
    refused, never quietly treated as anonymous."""

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        # An address that has sent too many wrong keys is not heard until its window ends, right
        # or wrong key: otherwise the limit would tell a guesser when it guessed right.
        address = ratelimit.client_address(request)
        failures = ratelimit.peek(KEY_FAILURES, address, settings.API_KEY_FAILURE_RATE)
        if not failures.allowed:
            raise exceptions.Throttled(
                wait=failures.retry_after, detail=_("Too many wrong API keys from your address.")
            )
        try:
            return self._authenticate(header)
        except exceptions.AuthenticationFailed:
            ratelimit.hit(KEY_FAILURES, address, settings.API_KEY_FAILURE_RATE)
            raise

    def _authenticate(self, header: list[bytes]) -> tuple[AnonymousUser, ApiKey]:
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as “Authorization: Bearer <key>”, with no spaces in the key.")
            )
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The API key is not valid.")) from None
        api_key = ApiKey.objects.select_related("client").filter(hashed=hash_key(key)).first()
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid."))
        if api_key.is_revoked:
            raise exceptions.AuthenticationFailed(
                _("The API key was revoked on %(date)s. Ask for a new one.")
                % {"date": timezone.localtime(api_key.revoked_at).strftime("%Y-%m-%d")}
            )
        if not api_key.client.is_active:
            raise exceptions.AuthenticationFailed(_("The API client is deactivated."))
        api_key.record_use()
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the portal's staff. `Token <key>` is accepted too.",
        }


# Rate limits


class WindowThrottle(BaseThrottle):
    """N requests per fixed window, counted by portal/ratelimit.py (DRF's own throttles keep every
    request's time, which grows with the rate). A refused request gets 429 with `Retry-After`."""

    scope = ""

    def rate(self, request: Request) -> str | None:
        raise NotImplementedError

    def ident(self, request: Request) -> str:
        raise NotImplementedError

    def allow_request(self, request: Request, view) -> bool:
        rate = self.rate(request)
        if rate is None:
            return True
        window = ratelimit.hit(self.scope, self.ident(request), rate)
        self.retry_after = window.retry_after
        return window.allowed

    def wait(self) -> float:
        return self.retry_after


class AnonymousThrottle(WindowThrottle):
    scope = "anonymous"

    def rate(self, request: Request) -> str | None:
        return None if request.auth is not None else settings.API_ANONYMOUS_RATE

    def ident(self, request: Request) -> str:
        return ratelimit.client_address(request)


class ClientThrottle(WindowThrottle):
    """Per API client, across its keys, at the client's own rate or the default."""

    scope = "client"

    def rate(self, request: Request) -> str | None:
        if request.auth is None:
            return None
        return request.auth.client.rate or settings.API_CLIENT_RATE

    def ident(self, request: Request) -> str:
        return str(request.auth.client_id)


# Parameters


class ContentNegotiation(DefaultContentNegotiation):
    """`?format=` names one of the endpoint's formats (JSON for the resources); any other is 406
    Not Acceptable with the formats there are, not DRF's 404."""

    def filter_renderers(self, renderers, format):
        found = [renderer for renderer in renderers if renderer.format == format]
        if not found:
            raise exceptions.NotAcceptable(
                _("Unknown format “%(format)s”. This endpoint answers in: %(formats)s.")
                % {"format": format[:50], "formats": ", ".join(sorted({r.format for r in renderers}))}
            )
        return found


class StrictParametersMixin:
    """A parameter the endpoint does not know, one given twice, or an empty one is an error, for
    every API view: a misspelt filter must not silently return everything. Known are the view's
    `query_parameters`, its filters (for lists), when it pages `cursor` and `page_size`, and
    `format` (checked by ContentNegotiation)."""

    query_parameters: tuple[str, ...] = ()

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        allowed = {*self.query_parameters, "format"}
        if getattr(self, "action", None) == "list":
            allowed |= set(getattr(getattr(self, "filterset_class", None), "base_filters", ()))
            if self.paginator is not None:
                allowed |= {"cursor", "page_size"}
        check_parameters(request, allowed)


def check_parameters(request: Request, allowed: set[str]) -> None:
    errors = {}
    for name in request.query_params:
        if name not in allowed:
            errors[name] = [
                _("Unknown parameter. This endpoint takes: %(names)s.")
                % {"names": ", ".join(sorted(allowed)) or _("no parameters")}
            ]
        elif len(request.query_params.getlist(name)) > 1:
            errors[name] = [_("Given more than once; give it once.")]
        elif not request.query_params[name].strip():
            errors[name] = [_("Empty. Give a value, or leave the parameter out.")]
    if errors:
        raise exceptions.ValidationError(errors)


# Pages


def encode_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parameter: str = "cursor") -> object:
    """The position a cursor holds. A cursor that does not decode, or that carries text the guard
    refuses (a NUL, say), is a 400 naming the parameter."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        invalid_cursor(parameter)
    if contains_forbidden(value):
        invalid_cursor(parameter)
    return value


def invalid_cursor(parameter: str = "cursor") -> None:
    raise exceptions.ValidationError(
        {parameter: [_("Not a cursor this API gave out. Use the “next” link of the previous response.")]}
    )


def after(model: type[models.Model], columns: Sequence[str], values: Sequence[object]) -> RawSQL:
    """`(a, b) > (x, y)`: a row comparison PostgreSQL answers from an index on (a, b)."""
    table = model._meta.db_table
    left = ", ".join(f'"{table}"."{model._meta.get_field(name).column}"' for name in columns)
    placeholders = ", ".join(["%s"] * len(values))
    return RawSQL(f"({left}) > ({placeholders})", list(values), output_field=models.BooleanField())  # noqa: S611


class KeysetPagination(BasePagination):
    """Pages that stay correct while the data changes: each page starts after the last row of the
    previous one in the view's `keyset` order, which must be unique. A row that changes while a
    client pages moves to the end (when the order is by update time) and is met again there; no
    row is skipped. A ranked list (a search) is paged by position instead."""

    page_size = 100
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        size = parse_int(raw, minimum=1, maximum=self.max_page_size)
        if size is None:
            raise exceptions.ValidationError(
                {"page_size": [_("A whole number from 1 to %(max)s.") % {"max": self.max_page_size}]}
            )
        return size

    def paginate_queryset(self, queryset, request: Request, view=None) -> list:
        self.request = request
        size = self.get_page_size(request)
        keyset = view.keyset
        model = queryset.model
        cursor = request.query_params.get("cursor")
        if cursor:
            values = decode_cursor(cursor)
            if not isinstance(values, list) or len(values) != len(keyset):
                invalid_cursor()
            try:
                values = [
                    _column_value(model._meta.get_field(name), value)
                    for name, value in zip(keyset, values, strict=True)
                ]
            except Exception:  # any value that does not fit the column
                invalid_cursor()
            queryset = queryset.filter(after(model, keyset, values))
        rows = list(queryset.order_by(*keyset)[: size + 1])
        self.next_cursor = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            values = [last[name] if isinstance(last, dict) else getattr(last, name) for name in keyset]
            self.next_cursor = encode_cursor([_plain(value) for value in values])
        return rows

    def paginate_ranked(self, ids: list[int], request: Request) -> list[int]:
        """A slice of an ordered list of ids (a search, at most a few hundred long)."""
        self.request = request
        size = self.get_page_size(request)
        start = 0
        if cursor := request.query_params.get("cursor"):
            value = decode_cursor(cursor)
            position = value.get("position") if isinstance(value, dict) else None
            if type(position) is not int or not 0 <= position <= MAX_POSITION:
                invalid_cursor()
            start = value["position"]
        self.next_cursor = encode_cursor({"position": start + size}) if start + size < len(ids) else None
        return ids[start : start + size]

    def get_next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        return replace_query_param(this_request(self.request), "cursor", self.next_cursor)

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page; null on the last page.",
                    "example": "https://principportalen.dk/api/v1/decisions/?cursor=WyIyMDI2LTExLTIwVDA5OjE1IiwxMDJd",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where the page starts: take it from the previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1–{self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": 100},
                "example": self.max_page_size,
            },
        ]


MAX_POSITION = 100_000  # a ranked list is a few hundred long
BIGINT = 2**63


def _column_value(field: models.Field, value: object) -> object:
    """A cursor's value for one keyset column: present, of the column's type and within its range;
    ValueError if not."""
    if value is None or isinstance(value, bool | list | dict | float):
        raise ValueError("not a position")
    value = field.to_python(value)
    if value is None or (isinstance(value, int) and not -BIGINT <= value < BIGINT):
        raise ValueError("out of range")
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        raise ValueError("a moment without its time zone")
    return value


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else value


# Conditional GET


class ConditionalGetMixin:
    """`ETag` (a hash of the body) and `Last-Modified` on every successful GET; a client that sends
    `If-None-Match` or `If-Modified-Since` for what it has gets 304 Not Modified."""

    def get_last_modified(self) -> datetime.datetime | None:
        """When the data behind the response last changed, read before the data itself."""
        return None

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.last_modified = self.get_last_modified() if request.method in ("GET", "HEAD") else None

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        return conditional(request, response, self.last_modified)


def conditional(request: HttpRequest, response: HttpResponse, last_modified: datetime.datetime | None):
    """Adds `ETag` and `Last-Modified` to a rendered 200 response; 304 if the client has it already."""
    etag = f'"{hashlib.blake2b(response.content, digest_size=16).hexdigest()}"'
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # may be stored, but must be revalidated
    seconds = _seconds(last_modified)
    if seconds is not None:
        response["Last-Modified"] = http_date(seconds)
    return get_conditional_response(request, etag=etag, last_modified=seconds, response=response)


def _seconds(moment: datetime.datetime | None) -> int | None:
    """Whole seconds, as HTTP dates have them. A change in the current second could be followed by
    another in the same second, which the same date would hide: such a date is a second earlier."""
    if moment is None:
        return None
    seconds = math.floor(moment.timestamp())
    return seconds - 1 if seconds >= math.floor(timezone.now().timestamp()) else seconds
