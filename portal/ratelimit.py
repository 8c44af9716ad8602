"""Rate limits: who a caller is, and one fixed-window counter in Redis for every limit (the API's
throttles, failed API keys, the search page, the feed, and later the public forms).

A caller is the address that connected, unless `BEHIND_PROXY` is on: then it is the address the
trusted proxy appended to X-Forwarded-For (`TRUSTED_PROXIES` counts the proxies in front of us),
so a client cannot choose its own bucket by sending X-Forwarded-For itself. IPv6 callers are
counted by their /64, which one household or server usually holds whole.
"""

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from portal.env import parse_rate

logger = logging.getLogger("portal.ratelimit")


def now() -> float:
    """The clock the windows are counted by (tests set it)."""
    return time.time()


def client_ip(request: HttpRequest) -> str | None:
    """The caller's IP address: the connecting one, or behind the proxy the one it appended.
    None if that is not an IP address. (django-axes records this one.)"""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        # Each trusted proxy appends the address it was connected from; what a client wrote itself
        # stands to the left of those and is never read.
        if len(forwarded) >= settings.TRUSTED_PROXIES:
            address = forwarded[-settings.TRUSTED_PROXIES]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def client_address(request: HttpRequest) -> str:
    """The caller as the limits count it: its IPv4 address, or its IPv6 /64."""
    ip = client_ip(request)
    if ip is None:
        return "unknown"
    if ":" in ip:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return ip


@dataclass(frozen=True)
class Window:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def hit(scope: str, ident: str, rate: str, cost: int = 1) -> Window:
    """Counts `cost` against `ident`'s window in `scope` at `rate` ("60/minute"). One atomic
    increment; if Redis cannot be reached the request is let through (and logged), since a limit
    must not take the site down with it."""
    limit, seconds = parse_rate(rate)
    moment = now()
    window = int(moment // seconds)
    retry_after = max(1, math.ceil((window + 1) * seconds - moment))
    key = f"ratelimit:{scope}:{ident}:{seconds}:{window}"
    try:
        cache.add(key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(key, cost)
        except ValueError:  # expired between the two calls: a new window
            cache.add(key, cost, timeout=seconds + 1)
            count = cost
    except Exception as error:
        logger.warning("Rate limit %s not counted: %s", scope, error)
        return Window(True, 0, retry_after)
    return Window(count <= limit, count, retry_after)


def peek(scope: str, ident: str, rate: str) -> Window:
    """The current window without counting: whether `ident` is already over the limit."""
    limit, seconds = parse_rate(rate)
    moment = now()
    window = int(moment // seconds)
    try:
        count = cache.get(f"ratelimit:{scope}:{ident}:{seconds}:{window}", 0)
    except Exception as error:
        logger.warning("Rate limit %s not read: %s", scope, error)
        count = 0
    return Window(count < limit, count, max(1, math.ceil((window + 1) * seconds - moment)))


def too_many(retry_after: int, as_json: bool = False) -> HttpResponse:
    """429 with Retry-After: the site's page, or JSON for a view that answers JSON."""
    from portal.views import error_page

    if as_json:
        response = JsonResponse(
            {"detail": _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": retry_after}},
            status=429,
        )
    else:
        response = error_page("429.html", 429, {"retry_after": retry_after})
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out admin login (AXES_LOCKOUT_CALLABLE): the Danish page,
    429 with Retry-After."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.shortcuts import render

    seconds = int(get_cool_off(request).total_seconds())
    response = render(
        request,
        "portal/locked_out.html",
        {"failure_limit": get_failure_limit(request, credentials), "minutes": math.ceil(seconds / 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def limited(scope: str, rate_setting: str, as_json: bool = False) -> Callable:
    """A view decorator: each address at most `settings.<rate_setting>` requests; then 429."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            window = hit(scope, client_address(request), getattr(settings, rate_setting))
            if not window.allowed:
                return too_many(window.retry_after, as_json)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
