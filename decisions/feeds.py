"""Atom feeds of new and changed principle decisions, for feed readers and law systems."""

import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


class FilteredFeed(Feed):
    """An Atom feed of one app's newest documents, optionally of one area, law or paragraph (as its
    API filters them): unknown or invalid parameters are a 400 that says why, and an unchanged feed
    answers 304. Subclasses name the filter set, the documents, the titles and the pages."""

    feed_type = SafeAtom1Feed
    author_name = "Ankestyrelsen"
    filterset_class: type
    all_title: str  # translated lazily by the subclass
    subject_title: str  # with %(subject)s

    def documents(self):
        raise NotImplementedError

    def last_change(self):
        raise NotImplementedError

    def page(self, kind: str, value=None) -> str:
        """The address of the page showing the same documents: kind is paragraph (a Paragraph),
        law, area or all."""
        raise NotImplementedError

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        unknown = sorted(set(request.GET) - set(FILTERS))
        if unknown:
            return _bad_request(
                _("Unknown parameter “%(name)s”. The feed takes: %(names)s.")
                % {"name": unknown[0], "names": ", ".join(FILTERS)}
            )
        filters = self.filterset_class(request.GET, self.documents())
        if not filters.is_valid():
            return _bad_request(
                "\n".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
            )
        last_modified = self.last_change()
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
            return str(self.all_title)
        return str(self.subject_title) % {"subject": shown}

    def link(self, filters: dict) -> str:
        """The page with the same documents; it is also the feed's id, so each filter has its own."""
        if "paragraph" in filters:
            paragraph_ids, _subsection = filters["paragraph"]
            paragraph = Paragraph.objects.filter(pk__in=paragraph_ids).select_related("law").first()
            if paragraph is not None:
                return absolute(self.page("paragraph", paragraph))
        elif "law" in filters:
            return absolute(self.page("law", filters["law"]))
        elif "area" in filters:
            return absolute(self.page("area", filters["area"]))
        return absolute(self.page("all"))

    def feed_url(self, filters: dict) -> str:
        return absolute(self.full_path)


class DecisionsFeed(FilteredFeed):
    """The 50 most recently published decisions, optionally of one area, law or paragraph."""

    filterset_class = DecisionFilter
    all_title = gettext_lazy("Principle decisions – Principportalen")
    subject_title = gettext_lazy("Principle decisions on %(subject)s – Principportalen")

    def documents(self):
        return Decision.objects.published()

    def last_change(self):
        return last_change()

    def page(self, kind: str, value=None) -> str:
        return value.get_absolute_url() if value is not None else reverse("decisions:newest")

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
