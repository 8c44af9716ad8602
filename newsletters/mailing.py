"""What digests and newsletter versions share: a subscriber's topics loaded for many subscribers
at once, the reasons an item reaches them ("Du følger SEL § 100 og Børn og familie"), the list
headers of RFC 2369/2919/8058, and the message itself, assembled from fragments rendered once per
item so that ten thousand messages cost little more than ten thousand joins."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from decisions.models import Area, Law
from newsletters import links
from newsletters.models import Subscriber


@dataclass
class Following:
    """One subscriber's topics, as ids."""

    subscriber: Subscriber
    areas: set[int] = field(default_factory=set)
    laws: set[int] = field(default_factory=set)
    paragraphs: set[int] = field(default_factory=set)


def following(subscribers: list[Subscriber]) -> list[Following]:
    """The topics of many subscribers: three queries however many."""
    by_id = {subscriber.pk: Following(subscriber) for subscriber in subscribers}
    through = Subscriber.areas.through.objects.filter(subscriber_id__in=list(by_id))
    for subscriber_id, area_id in through.values_list("subscriber_id", "area_id"):
        by_id[subscriber_id].areas.add(area_id)
    through = Subscriber.laws.through.objects.filter(subscriber_id__in=list(by_id))
    for subscriber_id, law_id in through.values_list("subscriber_id", "law_id"):
        by_id[subscriber_id].laws.add(law_id)
    through = Subscriber.paragraphs.through.objects.filter(subscriber_id__in=list(by_id))
    for subscriber_id, paragraph_id in through.values_list("subscriber_id", "paragraph_id"):
        by_id[subscriber_id].paragraphs.add(paragraph_id)
    return list(by_id.values())


class Names:
    """Areas and laws by id, loaded once per run."""

    def __init__(self) -> None:
        self.areas = {area.pk: area for area in Area.objects.all()}
        self.laws = {law.pk: law for law in Law.objects.all()}

    def area(self, pk: int | None) -> str:
        return self.areas[pk].name if pk in self.areas else ""

    def area_order(self, pk: int | None) -> tuple:
        area = self.areas.get(pk)
        return (area.order, area.name) if area else (999, "")

    def law(self, pk: int) -> str:
        return self.laws[pk].short_name if pk in self.laws else ""


def reasons(
    reader: Following, area_id: int | None, cited: list[list], names: Names, laws: Iterable[int] = ()
) -> list[str]:
    """Which of the reader's topics an item matches, most precise first: paragraphs, laws, area."""
    found = [text for pk, _law, text in cited if pk in reader.paragraphs]
    law_ids = dict.fromkeys([*(law for _pk, law, _text in cited), *laws])
    found += [names.law(law) for law in law_ids if law in reader.laws]
    if area_id in reader.areas:
        found.append(names.area(area_id))
    return list(dict.fromkeys(found))


def joined(parts: list[str]) -> str:
    """ "a", "a og b", "a, b og c" (Danish lists)."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


def why(found: list[str]) -> str:
    return _("You follow %(topics)s") % {"topics": joined(found)}


def list_id() -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"Principportalen nyheder <nyheder.{host}>"


def list_headers(subscriber: Subscriber, unsubscribe_url: str = "") -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, the list's id, and no auto-replies."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url or links.url(subscriber, 'unsubscribe')}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(),
        "Auto-Submitted": "auto-generated",
    }


def render_parts(name: str, context: dict) -> tuple[str, str]:
    """(text, HTML) of `emails/<name>-body.*`, in Danish, with absolute links."""
    context = {**context, "SITE_URL": settings.SITE_URL, "LANGUAGE_CODE": "da"}
    with translation.override("da"):
        text = get_template(f"emails/{name}-body.txt").render(context).strip() + "\n"
        html = get_template(f"emails/{name}-body.html").render(context)
    return text, html


def safe(html: str):
    return mark_safe(html)  # noqa: S308 - fragments rendered by our own templates, escaped there


def why_html(found: list[str]):
    return format_html('<p style="margin:4px 0 0;color:#555;font-size:13px">{}</p>', why(found))
