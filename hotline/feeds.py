"""The Atom feed of the hotline's answers, newest first, with each answer's validity."""

import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from decisions.feeds import FILTERS, SafeAtom1Feed, _bad_request
from decisions.models import Paragraph
from hotline.api import AnswerFilter, last_change
from hotline.models import Answer, State
from portal.addresses import absolute
from portal.api import conditional
from portal.ratelimit import limited

ENTRIES = 50


@require_safe
@limited("feed", "FEED_RATE")
def hotline_feed(request: HttpRequest) -> HttpResponse:
    return HotlineFeed()(request)


class HotlineFeed(Feed):
    """The 50 most recently answered hotline answers in use, optionally of one area, law or
    paragraph; each entry says whether it is current, needs review or is expired."""

    feed_type = SafeAtom1Feed
    author_name = "Ankestyrelsen"

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        unknown = sorted(set(request.GET) - set(FILTERS))
        if unknown:
            return _bad_request(
                _("Unknown parameter “%(name)s”. The feed takes: %(names)s.")
                % {"name": unknown[0], "names": ", ".join(FILTERS)}
            )
        filters = AnswerFilter(request.GET, Answer.objects.listed())
        if not filters.is_valid():
            return _bad_request(
                "\n".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
            )
        last_modified = last_change()
        self.filters = filters
        self.full_path = request.get_full_path()
        return conditional(request, super().__call__(request, *args, **kwargs), last_modified)

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
            return _("Legal hotline answers – Principportalen")
        return _("Legal hotline answers on %(subject)s – Principportalen") % {"subject": shown}

    def link(self, filters: dict) -> str:
        if "paragraph" in filters:
            paragraph_ids, _subsection = filters["paragraph"]
            paragraph = Paragraph.objects.filter(pk__in=paragraph_ids).select_related("law").first()
            if paragraph is not None:
                return absolute(reverse("hotline:paragraph", args=[paragraph.law.slug, paragraph.section]))
        elif "law" in filters:
            return absolute(reverse("hotline:law", args=[filters["law"].slug]))
        elif "area" in filters:
            return absolute(reverse("hotline:area", args=[filters["area"].slug]))
        return absolute(reverse("hotline:index"))

    def feed_url(self, filters: dict) -> str:
        return absolute(self.full_path)

    def subtitle(self, filters: dict) -> str:
        return _("The legal hotline's published answers, newest first, each with its validity.")

    def items(self, filters: dict):
        return (
            self.filters.qs.filter(state=State.PUBLISHED)
            .select_related("area")
            .defer("search_vector")
            .order_by("-answered_on", "-pk")[:ENTRIES]
        )

    def item_link(self, answer: Answer) -> str:
        return absolute(answer.get_absolute_url())

    def item_title(self, answer: Answer) -> str:
        return f"{answer.reference} {answer.title} ({answer.get_validity_display().lower()})"

    def item_description(self, answer: Answer) -> str:
        return answer.question

    def item_pubdate(self, answer: Answer) -> datetime.datetime:
        return datetime.datetime.combine(
            answer.answered_on, datetime.time(), tzinfo=timezone.get_current_timezone()
        )

    def item_updateddate(self, answer: Answer) -> datetime.datetime:
        return answer.updated_at

    def item_categories(self, answer: Answer) -> list[str]:
        return [answer.area.name, answer.get_validity_display(), *answer.keywords]
