"""The Atom feed of the editorial newsletter's archive: every sent issue, newest first, each
entry with its items and their areas."""

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from decisions.feeds import SafeAtom1Feed
from newsletters.models import PUBLIC_ISSUES, Issue, Item
from portal.addresses import absolute
from portal.api import conditional
from portal.ratelimit import limited

ENTRIES = 30


@require_safe
@limited("feed", "FEED_RATE")
def newsletters_feed(request: HttpRequest) -> HttpResponse:
    if request.GET:
        return HttpResponseBadRequest(
            _("The newsletters' feed takes no parameters."), content_type="text/plain; charset=utf-8"
        )
    issues = Issue.objects.filter(state__in=PUBLIC_ISSUES)
    newest = issues.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return conditional(request, NewslettersFeed()(request), newest)


class NewslettersFeed(Feed):
    feed_type = SafeAtom1Feed
    author_name = "Ankestyrelsen"

    def title(self) -> str:
        return _("Nyt fra Ankestyrelsen – Principportalen")

    def link(self) -> str:
        return absolute(reverse("newsletters:archive"))

    def subtitle(self) -> str:
        return _("Every issue of the newsletter, with all areas' items.")

    def items(self):
        from django.db.models import Prefetch

        return (
            Issue.objects.filter(state__in=PUBLIC_ISSUES)
            .order_by("-sent_at", "-pk")
            .prefetch_related(
                Prefetch("items", Item.objects.prefetch_related("areas").order_by("position", "pk"))
            )[:ENTRIES]
        )

    def item_title(self, issue: Issue) -> str:
        return issue.title

    def item_link(self, issue: Issue) -> str:
        return absolute(issue.get_absolute_url())

    def item_description(self, issue: Issue) -> str:
        lines = []
        for item in issue.items.all():
            areas = ", ".join(area.name for area in item.areas.all()) or (
                _("everyone") if item.for_everyone else ""
            )
            lines.append(
                f"{item.heading} [{areas}]: {item.text}" if areas else f"{item.heading}: {item.text}"
            )
        return "\n\n".join(lines)

    def item_pubdate(self, issue: Issue):
        return issue.sent_at

    def item_updateddate(self, issue: Issue):
        return issue.updated_at

    def item_categories(self, issue: Issue) -> list[str]:
        names = []
        for item in issue.items.all():
            names += [area.name for area in item.areas.all()]
        return list(dict.fromkeys(names))
