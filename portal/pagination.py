"""Pages of a long list on the web pages (the API pages by keys instead: portal/api.py).

Every list pages with `?side=N` (Danish, as the rest of the addresses) and shows
`portal/includes/pagination.html`. A number that is not a page (text, non-ASCII digits, zero)
gives the first page and one past the end gives the last: an old or mistyped link still shows
something, never an error."""

from collections.abc import Sequence

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.guard import parse_int

PARAMETER = "side"


def page_of(items: QuerySet | Sequence, number: str | None, per_page: int, count: int | None = None) -> Page:
    """Page `number` of `items`, its rows fetched. Pass `count` when it is known already: it spares
    a COUNT over every matching row."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(parse_int(number or "", minimum=1, maximum=2**31))
    page.object_list = list(page.object_list)
    return page


def requested_page(
    request: HttpRequest, items: QuerySet | Sequence, per_page: int, count: int | None = None
) -> Page:
    """The page of `items` the request asks for with `?side=N`."""
    return page_of(items, request.GET.get(PARAMETER), per_page, count)
