"""The archive's search: the items of sent issues, found by the decisions' Danish engine
(decisions/search.py): groups of synonyms and compounds, citations that limit to the paragraph,
and the typo correction when nothing matched as typed."""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page
from django.db.models import FloatField, Value

from decisions import search, vocabulary
from decisions.search import CAP, Corpus, highlight
from newsletters.models import Item
from portal.pagination import page_of

# At similar relevance an issue's lead item first, then the newest issue.
ITEMS = Corpus(Item, "position", "issue__sent_at", Value(1.0, output_field=FloatField()))
PAGE_SIZE = 20


@dataclass
class ArchiveResults:
    query: str
    page: Page
    capped: bool = False
    corrected_from: str = ""


def base(area=None, year: int | None = None):
    items = Item.objects.archived()
    if area is not None:
        items = items.filter(areas=area)
    if year is not None:
        items = items.filter(issue__sent_at__year=year)
    return items


def search_archive(
    raw_query: str, area=None, year: int | None = None, page_number: str | None = None
) -> ArchiveResults:
    query = search.clean_query(raw_query)
    ids = search.ranked_ids(query, base(area, year), ITEMS)
    if not ids:
        ids = _as_compound_parts(query, base(area, year))
    corrected_from = ""
    if not ids and (corrected := search._corrected(query)):
        ids, corrected_from, query = search.ranked_ids(corrected, base(area, year), ITEMS), query, corrected
    capped = len(ids) > CAP
    page = page_of(ids[:CAP], page_number, PAGE_SIZE)
    items = {
        item.pk: item
        for item in Item.objects.filter(pk__in=page.object_list)
        .select_related("issue", "decision", "answer")
        .prefetch_related("areas")
        .defer("search_vector")
    }
    page.object_list = [items[pk] for pk in page.object_list if pk in items]
    _add_snippets(page, query)
    return ArchiveResults(query, page, capped, corrected_from)


def _as_compound_parts(query: str, items) -> list[int]:
    """The engine splits compounds by the decisions' words; the archive has words of its own
    ("sygedagpengesager"). When nothing matched, each word (of six letters or more) is also looked
    for as the first part of a longer word: sygedagpenge → sygedagpengesager."""
    _citations, words = search.split_citations(query)
    terms = [vocabulary.stem(word) for word in re.findall(r"[^\W\d_]+", words.lower()) if len(word) >= 6]
    if not terms or len(terms) > 8:
        return []
    text_query = SearchQuery(" & ".join(f"{term}:*" for term in terms), search_type="raw", config="danish")
    ranked = items.filter(search_vector=text_query).annotate(rank=SearchRank("search_vector", text_query))
    return list(
        ranked.order_by("-rank", "position", "-issue__sent_at", "-pk").values_list("pk", flat=True)[:CAP]
    )


def _add_snippets(page: Page, query: str) -> None:
    text_query = search.build_text_query(search.split_citations(query)[1]) if query else None
    if text_query is None or not page.object_list:
        return
    snippets = dict(
        Item.objects.filter(pk__in=[item.pk for item in page.object_list])
        .annotate(
            snippet=SearchHeadline(
                "text",
                text_query.widened,
                config="danish",
                start_sel=search._START,
                stop_sel=search._STOP,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("pk", "snippet")
    )
    for item in page.object_list:
        item.snippet = highlight(snippets.get(item.pk, ""))
