"""The Atom feed of the hotline's answers, newest first, with each answer's validity."""

import datetime

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from decisions.feeds import FilteredFeed
from hotline.api import AnswerFilter, last_change
from hotline.models import Answer, State
from portal.addresses import absolute
from portal.ratelimit import limited

ENTRIES = 50


@require_safe
@limited("feed", "FEED_RATE")
def hotline_feed(request: HttpRequest) -> HttpResponse:
    return HotlineFeed()(request)


class HotlineFeed(FilteredFeed):
    """The 50 most recently answered hotline answers in use, optionally of one area, law or
    paragraph; each entry says whether it is current, needs review or is expired."""

    filterset_class = AnswerFilter
    all_title = gettext_lazy("Legal hotline answers – Principportalen")
    subject_title = gettext_lazy("Legal hotline answers on %(subject)s – Principportalen")

    def documents(self):
        return Answer.objects.listed()

    def last_change(self):
        return last_change()

    def page(self, kind: str, value=None) -> str:
        if kind == "paragraph":
            return reverse("hotline:paragraph", args=[value.law.slug, value.section])
        if kind in ("law", "area"):
            return reverse(f"hotline:{kind}", args=[value.slug])
        return reverse("hotline:index")

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
