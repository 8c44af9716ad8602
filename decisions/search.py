"""Search over principle decisions: PostgreSQL full text with the `danish` configuration.

A query may hold a law citation (it limits the results to that paragraph), be a decision number
(it goes straight to the decision), and otherwise uses websearch syntax ("quoted phrase", or,
-word). Results rank by relevance, with decisions in force ahead of partly changed and of
historic ones at similar relevance; snippets are computed only for the rows on the page shown.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat, ExtractYear
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from decisions import vocabulary
from decisions.citations import Reference, get_parser
from decisions.models import (
    NUMBER_PATTERN,
    Area,
    Counts,
    Decision,
    Law,
    Paragraph,
    ParagraphReference,
    Status,
    add_list_relations,
    paragraph_counts,
)
from portal.guard import parse_int

PAGE_SIZE = 20
CAP = 200
PARAGRAPH_FACETS = 10
MAX_QUERY = 500
SORTS = ("relevance", "newest", "oldest")
FILTER_PARAMS = ("area", "law", "paragraph", "status", "year_from", "year_to")
# Multiplies relevance, so that at similar relevance a decision in force comes first.
FEW_RESULTS = 3  # fewer results than this, and a query with typos gets a suggestion
RARE = 3  # a word in fewer decisions than this is also tried as a prefix and as parts
STATUS_WEIGHT = Case(
    When(status=Status.IN_FORCE, then=Value(1.0)),
    When(status=Status.PARTLY_CHANGED, then=Value(0.9)),
    default=Value(0.75),
    output_field=FloatField(),
)
_START, _STOP = "\x02", "\x03"  # stand-ins for <mark>, so the snippet can be escaped safely


def clean_query(raw: str) -> str:
    """What we search for: no NUL bytes or control characters, single spaces, at most 500 characters."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", raw or "")
    return " ".join(text.split())[:MAX_QUERY]


@dataclass
class Filters:
    area: str = ""
    law: str = ""
    paragraph: str = ""  # "serviceloven-100"
    status: str = ""
    year_from: int | None = None
    year_to: int | None = None
    include_historic: bool = False
    sort: str = "relevance"

    @classmethod
    def from_params(cls, params) -> "Filters":
        def year(name: str) -> int | None:  # a year that is not one is no filter
            return parse_int(params.get(name, ""), minimum=1900, maximum=2100)

        sort = params.get("sort", "relevance")
        status = params.get("status", "")
        return cls(
            area=params.get("area", "").strip()[:50],
            law=params.get("law", "").strip()[:50],
            paragraph=params.get("paragraph", "").strip()[:60],
            status=status if status in Status.values else "",
            year_from=year("year_from"),
            year_to=year("year_to"),
            include_historic=params.get("include_historic", "") in ("1", "true", "on")
            or status == Status.NO_LONGER_IN_FORCE,
            sort=sort if sort in SORTS else "relevance",
        )


@dataclass
class Facet:
    value: str
    label: str
    count: int | None  # None when the results were too many to count
    selected: bool


@dataclass
class Results:
    query: str
    filters: Filters
    page: Page
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    paragraphs: list[tuple[Paragraph, int]] = field(default_factory=list)  # "Go to serviceloven § 100"
    redirect_to: str = ""
    suggestion: str = ""  # "Did you mean …?"
    corrected_from: str = ""  # nothing matched the query as typed; these are the results for `query`
    any_word: bool = False  # no decision had all the words; these have some of them
    capped: bool = False  # more than CAP decisions matched; the CAP newest in force are shown


OPERATORS = re.compile(r'"|(^|\s)-\S|(^|\s)or(\s|$)', re.IGNORECASE)


@dataclass
class TextQuery:
    """The words of a query as two full-text queries: the literal words, and the literal words
    widened by synonyms, hyphen variants, prefixes and compound parts. The widened one selects,
    the literal one ranks whole-word matches first."""

    literal: SearchQuery
    widened: SearchQuery


def _plain(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="phrase" if " " in text else "plain", config="danish")


def build_text_query(words: str, any_word: bool = False) -> TextQuery | None:
    if not words:
        return None
    if OPERATORS.search(words):  # the user writes websearch syntax: take it as written
        query = SearchQuery(words, search_type="websearch", config="danish")
        return TextQuery(query, query)
    tokens = vocabulary.WORD.findall(words.lower())
    if not tokens:
        query = SearchQuery(words, search_type="websearch", config="danish")
        return TextQuery(query, query)
    known_synonyms = vocabulary.synonyms()
    literal = widened = None
    index = 0
    while index < len(tokens):
        for size in (3, 2, 1):  # the longest synonym phrase first: "tabt arbejdsfortjeneste"
            phrase = " ".join(tokens[index : index + size])
            if size == 1 or phrase in known_synonyms:
                break
        index += size
        alternatives = [_plain(phrase)]
        alternatives += [_plain(other) for other in sorted(known_synonyms.get(phrase, ()))]
        if size == 1:
            alternatives += _word_variants(phrase)
        group = alternatives[0]
        for alternative in alternatives[1:]:
            group |= alternative
        if literal is None:
            literal, widened = _plain(phrase), group
        elif any_word:
            literal, widened = literal | _plain(phrase), widened | group
        else:
            literal, widened = literal & _plain(phrase), widened & group
    return TextQuery(literal, widened)


def _word_variants(word: str) -> list[SearchQuery]:
    """Other spellings of one word: without its hyphen, and, when the corpus barely knows the
    word whole, as a prefix (merudgift → merudgiftsydelse) and split into its known parts."""
    variants = []
    if "-" in word:
        variants.append(_plain(word.replace("-", "")))
    elif len(word) >= 6 and vocabulary.lexemes().get(vocabulary.stem(word), 0) < RARE:
        variants.append(SearchQuery(f"{vocabulary.stem(word)}:*", search_type="raw", config="danish"))
        parts = vocabulary.compound_parts(word)
        if parts:
            variants.append(SearchQuery(" ".join(parts), search_type="plain", config="danish"))
    return variants


def _paragraph_ids(references: list[Reference]) -> list[int]:
    wanted = Q()
    for reference in references:
        wanted |= Q(law__slug=reference.law, section=reference.section)
    return list(Paragraph.objects.filter(wanted).values_list("pk", flat=True)) if references else []


def _on_paragraphs(queryset: QuerySet, paragraph_ids: list[int]) -> QuerySet:
    return queryset.filter(
        Exists(ParagraphReference.objects.filter(decision=OuterRef("pk"), paragraph_id__in=paragraph_ids))
    )


def _filtered(queryset: QuerySet, filters: Filters) -> QuerySet:
    if filters.area:
        queryset = queryset.filter(area__slug=filters.area)
    if filters.law:
        queryset = queryset.filter(
            Exists(
                ParagraphReference.objects.filter(decision=OuterRef("pk"), paragraph__law__slug=filters.law)
            )
        )
    if filters.paragraph:
        law, _, section = filters.paragraph.rpartition("-")
        paragraph_ids = list(
            Paragraph.objects.filter(law__slug=law, section=section.lower()).values_list("pk", flat=True)
        )
        queryset = _on_paragraphs(queryset, paragraph_ids)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    elif not filters.include_historic:
        queryset = queryset.exclude(status=Status.NO_LONGER_IN_FORCE)
    if filters.year_from:
        queryset = queryset.filter(decided_on__year__gte=filters.year_from)
    if filters.year_to:
        queryset = queryset.filter(decided_on__year__lte=filters.year_to)
    return queryset


def search(raw_query: str, filters: Filters, page_number: str | None = None) -> Results:
    """Runs one search: the page of results, facet counts and, for a citation, the paragraph.
    When nothing matches and the words look mistyped, searches for the corrected words instead."""
    results = _search(clean_query(raw_query), filters, page_number)
    if results.page.paginator.count >= FEW_RESULTS or results.redirect_to:
        return results
    suggestion = _corrected(results.query)
    if suggestion and results.page.paginator.count == 0:
        corrected = _search(suggestion, filters, page_number)
        if corrected.page.paginator.count:
            corrected.corrected_from = results.query
            return corrected
    elif suggestion:
        results.suggestion = suggestion
    if results.page.paginator.count == 0 and len(results.query.split()) > 1:
        # No decision has every word: show those with some of them, the most matching first.
        some = _search(suggestion or results.query, filters, page_number, any_word=True)
        if some.page.paginator.count:
            some.any_word = True
            return some
    return results


def _corrected(query: str) -> str:
    """The query with each word the corpus does not know replaced by the nearest word it does."""
    changed = False

    def fix(match: re.Match) -> str:
        nonlocal changed
        better = vocabulary.correction(match.group(0).lower())
        changed = changed or better is not None
        return better or match.group(0)

    corrected = vocabulary.WORD.sub(fix, query.lower()) if not OPERATORS.search(query) else query
    return corrected if changed else ""


def _search(query: str, filters: Filters, page_number: str | None, any_word: bool = False) -> Results:
    if re.fullmatch(NUMBER_PATTERN, query):
        # Numbers are stored with upper-case letters (C-16-99): the unique index finds either form.
        decision = Decision.objects.published().filter(number__in={query, query.upper()}).first()
        if decision:
            return Results(
                query, filters, Paginator([], PAGE_SIZE).get_page(1), redirect_to=decision.get_absolute_url()
            )

    matched = _matching(query, Decision.objects.published(), any_word)
    text_query = matched.text_query
    matching = _filtered(matched.queryset, filters)
    # The full-text condition is evaluated once, for at most CAP + 1 decisions; ranking, counting
    # and facets then work on those ids. A query that matches most of the collection ("kommune")
    # thereby ranks the CAP newest decisions in force, says "more than", and facets name their
    # values without counts.
    ids = list(matching.in_force_first().values_list("pk", flat=True)[: CAP + 1])
    capped = len(ids) > CAP
    ids = ids[:CAP]
    total = len(ids)
    ordered = _ordered(Decision.objects.filter(pk__in=ids), text_query, filters.sort)
    paginator = Paginator(ordered.for_list(), PAGE_SIZE)
    paginator.count = total  # counted above, at most CAP
    page = paginator.get_page(page_number)
    _add_snippets(page, text_query.widened if text_query else None)

    results = Results(query, filters, page, capped=capped)
    found, paragraph_ids = matched.found, matched.paragraph_ids
    if found and not matched.words:
        counts = paragraph_counts()  # cached; the same figures as the paragraph page
        results.paragraphs = [
            (paragraph, _shown(counts.get(paragraph.pk)))
            for paragraph in Paragraph.objects.filter(pk__in=paragraph_ids).select_related("law")
        ]
    if query or _any_filter(filters):
        results.facets = _facet_values(filters) if capped else _facets(ids, filters)
    return results


@dataclass
class Matched:
    queryset: QuerySet
    text_query: TextQuery | None
    found: list  # the citations in the query
    paragraph_ids: list[int]
    words: str  # the query without its citations


def _matching(query: str, base: QuerySet, any_word: bool = False) -> Matched:
    """`base` narrowed to the decisions that match: the paragraphs the query cites, then its words."""
    parser = get_parser()
    found = parser.find(_with_paragraph_signs(query, parser))
    references = [reference for citation in found for reference in citation.references]
    words = query
    for citation in reversed(found):
        words = words[: citation.start] + " " + words[citation.end :]
    words = " ".join(words.split()).strip(" ,.")

    paragraph_ids = _paragraph_ids(references)
    if found:
        base = _on_paragraphs(base, paragraph_ids)
    text_query = build_text_query(words, any_word)
    if text_query is not None:
        base = base.filter(search_vector=text_query.widened)
    return Matched(base, text_query, found, paragraph_ids, words)


def _ordered(matching: QuerySet, text_query: TextQuery | None, sort: str) -> QuerySet:
    if sort == "newest":
        return matching.order_by("-decided_on", "-pk")
    if sort == "oldest":
        return matching.order_by("decided_on", "pk")
    if text_query is not None:
        relevance = SearchRank(F("search_vector"), text_query.literal, normalization=Value(1)) + Value(
            0.5
        ) * SearchRank(F("search_vector"), text_query.widened, normalization=Value(1))
        return matching.annotate(score=relevance * STATUS_WEIGHT).order_by(
            "-score", "status_rank", "-decided_on", "-pk"
        )
    return matching.in_force_first()


def ranked_ids(raw_query: str, base: QuerySet) -> list[int]:
    """The ids of the decisions in `base` that match `raw_query`, most relevant first, at most CAP
    of them: the search page's matching and ranking, without its corrections of typos."""
    query = clean_query(raw_query)
    number = re.fullmatch(NUMBER_PATTERN, query)
    if number and (ids := list(base.filter(number__in={query, query.upper()}).values_list("pk", flat=True))):
        return ids
    matched = _matching(query, base)
    ids = list(matched.queryset.in_force_first().values_list("pk", flat=True)[:CAP])
    ordered = _ordered(Decision.objects.filter(pk__in=ids), matched.text_query, "relevance")
    return list(ordered.values_list("pk", flat=True))


def _with_paragraph_signs(query: str, parser) -> str:
    """“SEL 100” → “SEL § 100”: in a search box a law's abbreviation and a number cite a paragraph.
    The text keeps its length, so the positions of what is found still fit the query."""
    abbreviations = "|".join(re.escape(law.abbreviation) for law in parser.laws.values())
    if not abbreviations:
        return query
    return re.sub(rf"\b({abbreviations}) (?=[0-9])", lambda m: m.group(1) + "§", query, flags=re.IGNORECASE)


def _any_filter(filters: Filters) -> bool:
    return bool(filters.area or filters.law or filters.paragraph or filters.status or filters.year_from)


def _shown(counts: Counts | None) -> int:
    """Decisions a default search shows: in force and partly changed."""
    return counts.in_force + counts.partly_changed if counts else 0


def _add_snippets(page: Page, text_query: SearchQuery | None) -> None:
    """The best-matching passage of each decision on the page, with the matches in <mark>."""
    decisions = list(page.object_list)
    page.object_list = decisions
    add_list_relations(decisions)
    if text_query is None or not decisions:
        return
    snippets = dict(
        Decision.objects.filter(pk__in=[decision.pk for decision in decisions])
        .annotate(
            snippet=SearchHeadline(
                Concat("summary", Value(" "), "practice_note", Value(" "), "body", output_field=TextField()),
                text_query,
                config="danish",
                start_sel=_START,
                stop_sel=_STOP,
                max_words=30,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("pk", "snippet")
    )
    for decision in decisions:
        decision.snippet = highlight(snippets.get(decision.pk, ""))


def highlight(text: str) -> SafeString:
    """Escapes the text, then turns the headline markers into <mark>."""
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


def _facet_values(filters: Filters) -> dict[str, list[Facet]]:
    """The facets without counts, for results too many to count."""
    return {
        "area": [Facet(a.slug, a.name, None, a.slug == filters.area) for a in Area.objects.all()],
        "law": [
            Facet(law.slug, law.short_name, None, law.slug == filters.law)
            for law in Law.objects.order_by("short_name")
        ],
        "status": [Facet(value, label, None, value == filters.status) for value, label in Status.choices],
        "paragraph": [],
        "year": [],
    }


def _facets(ids: list[int], filters: Filters) -> dict[str, list[Facet]]:
    """Counts beside each filter value, over the results shown (at most CAP decisions)."""
    decisions = Decision.objects.filter(pk__in=ids)

    def counts(column: str) -> dict:
        return dict(decisions.order_by().values(column).annotate(n=Count("pk")).values_list(column, "n"))

    areas, statuses = counts("area_id"), counts("status")
    law_counts = dict(
        ParagraphReference.objects.filter(decision_id__in=ids)
        .values("paragraph__law_id")
        .annotate(n=Count("decision_id", distinct=True))
        .values_list("paragraph__law_id", "n")
    )
    paragraph_rows = (
        ParagraphReference.objects.filter(decision_id__in=ids)
        .values("paragraph_id")
        .annotate(n=Count("decision_id", distinct=True))
        .order_by("-n")
        .values_list("paragraph_id", "n")[:PARAGRAPH_FACETS]
    )
    paragraph_counts_here = dict(paragraph_rows)
    paragraphs = Paragraph.objects.filter(pk__in=list(paragraph_counts_here)).select_related("law")
    years = (
        decisions.annotate(year=ExtractYear("decided_on"))
        .order_by()
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("-year")
        .values_list("year", "n")
    )
    return {
        "area": [
            Facet(area.slug, area.name, areas[area.pk], area.slug == filters.area)
            for area in Area.objects.all()
            if area.pk in areas
        ],
        "law": [
            Facet(law.slug, law.short_name, law_counts[law.pk], law.slug == filters.law)
            for law in Law.objects.order_by("short_name")
            if law.pk in law_counts
        ],
        "status": [
            Facet(value, label, statuses[value], value == filters.status)
            for value, label in Status.choices
            if value in statuses
        ],
        "paragraph": sorted(
            (
                Facet(
                    f"{paragraph.law.slug}-{paragraph.section}",
                    f"{paragraph.law.abbreviation} {paragraph.display}",
                    paragraph_counts_here[paragraph.pk],
                    filters.paragraph == f"{paragraph.law.slug}-{paragraph.section}",
                )
                for paragraph in paragraphs
            ),
            key=lambda facet: -facet.count,
        ),
        "year": [Facet(str(year), str(year), count, False) for year, count in years],
    }


SUGGESTIONS = 8


def suggestions(raw_query: str) -> list[dict[str, str]]:
    """As-you-type suggestions: laws, paragraphs and decision numbers that begin like the query."""
    query = clean_query(raw_query)[:60]
    if len(query) < 2:
        return []
    found: list[dict[str, str]] = []
    numbers = Decision.objects.published().filter(number__istartswith=query).order_by("number")
    for number, title in numbers.values_list("number", "title")[:SUGGESTIONS]:
        found.append({"kind": "decision", "text": number, "label": f"{number} {title}"})
    cited = re.match(r"^(?P<law>.+?)\s*§\s*(?P<section>[0-9]+\s?[a-zæøå]?)?$", query, re.IGNORECASE)
    laws = list(Law.objects.all())
    by_name = {name.lower(): law for law in laws for name in (law.abbreviation, law.short_name, *law.aliases)}
    if cited and cited.group("law").lower() in by_name:
        law = by_name[cited.group("law").lower()]
        section = (cited.group("section") or "").replace(" ", "").lower()
        paragraphs = Paragraph.objects.filter(law=law, section__startswith=section, references__isnull=False)
        for paragraph in paragraphs.distinct().order_by("number", "letter")[:SUGGESTIONS]:
            text = f"{law.abbreviation} {paragraph.display}"
            found.append(
                {"kind": "paragraph", "text": text, "label": f"{law.short_name} {paragraph.display}"}
            )
    else:
        lowered = query.lower()
        for law in laws:
            names = (law.abbreviation, law.short_name, law.title, *law.aliases)
            if any(name.lower().startswith(lowered) for name in names):
                found.append({"kind": "law", "text": f"{law.abbreviation} § ", "label": law.title})
    return found[:SUGGESTIONS]
