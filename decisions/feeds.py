"""Atom feeds of new and changed principle decisions, for feed readers and law systems."""

import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from decisions.api import DecisionFilter
from decisions.models import Decision, Paragraph, last_change
from portal.addresses import absolute
from portal.api import conditional
from portal.guard import xml_safe
from portal.ratelimit import limited

FILTERS = ("area", "law", "paragraph")
ENTRIES = 50


@require_safe
@limited("feed", "FEED_RATE")
def decisions_feed(request: HttpRequest) -> HttpResponse:
    return DecisionsFeed()(request)  # an instance per request: it holds the request's filters


def _safe(value):
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        return [_safe(item) for item in value]
    return value


class SafeAtom1Feed(Atom1Feed):
    """Atom that never writes a character XML forbids, whatever a decision's text holds: Django's
    XML writer refuses control characters with an exception."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*[_safe(arg) for arg in args], **{name: _safe(v) for name, v in kwargs.items()})

    def add_item(self, *args, **kwargs) -> None:
        super().add_item(*[_safe(arg) for arg in args], **{name: _safe(v) for name, v in kwargs.items()})


class DecisionsFeed(Feed):
    """The 50 most recently published decisions, optionally of one area, law or paragraph."""

    feed_type = SafeAtom1Feed
    author_name = "Ankestyrelsen"

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        unknown = sorted(set(request.GET) - set(FILTERS))
        if unknown:
            return _bad_request(
                _("Unknown parameter “%(name)s”. The feed takes: %(names)s.")
                % {"name": unknown[0], "names": ", ".join(FILTERS)}
            )
        filters = DecisionFilter(request.GET, Decision.objects.published())
        if not filters.is_valid():
            return _bad_request(
                "\n".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
            )
        last_modified = last_change()
        self.filters = filters
        self.full_path = request.get_full_path()
        response = super().__call__(request, *args, **kwargs)
        return conditional(request, response, last_modified)

    def get_object(self, request: HttpRequest) -> dict:
        return {name: value for name, value in self.filters.form.cleaned_data.items() if value}

    def title(self, filters: dict) -> str:
        if "paragraph" in filters:
            shown = self.filters.form.data["paragraph"]
        elif "law" in filters:
            shown = filters["law"].short_name
        elif "area" in filters:
            shown = filters["area"].name
        else:
            return _("Principle decisions – Principportalen")
        return _("Principle decisions on %(subject)s – Principportalen") % {"subject": shown}

    def link(self, filters: dict) -> str:
        """The page with the same decisions; it is also the feed's id, so each filter has its own."""
        if "paragraph" in filters:
            paragraph_ids, _subsection = filters["paragraph"]
            paragraph = Paragraph.objects.filter(pk__in=paragraph_ids).select_related("law").first()
            if paragraph is not None:
                return absolute(paragraph.get_absolute_url())
        elif "law" in filters:
            return absolute(filters["law"].get_absolute_url())
        elif "area" in filters:
            return absolute(filters["area"].get_absolute_url())
        return absolute(reverse("decisions:newest"))

    def feed_url(self, filters: dict) -> str:
        return absolute(self.full_path)

    def item_link(self, decision: Decision) -> str:
        return absolute(decision.get_absolute_url())

    def subtitle(self, filters: dict) -> str:
        return _("Ankestyrelsen's principle decisions, newest first.")

    def items(self, filters: dict):
        return (
            self.filters.qs.select_related("area")
            .defer("body", "citations", "search_vector")
            .order_by("-published_on", "-decided_on", "-pk")[:ENTRIES]
        )

    def item_title(self, decision: Decision) -> str:
        return f"{decision.number} {decision.title}"

    def item_description(self, decision: Decision) -> str:
        return decision.summary

    def item_pubdate(self, decision: Decision) -> datetime.datetime:
        day = decision.published_on or decision.decided_on
        return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())

    def item_updateddate(self, decision: Decision) -> datetime.datetime:
        return decision.updated_at

    def item_categories(self, decision: Decision) -> list[str]:
        return [decision.area.name, *decision.keywords]


def _bad_request(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
