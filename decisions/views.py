from django.core.paginator import Page
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

from decisions import search
from decisions.citations import CitationError, normalize_section, split_section
from decisions.models import (
    NO_DECISIONS,
    Area,
    Decision,
    Law,
    Paragraph,
    ParagraphReference,
    Relation,
    Status,
    add_list_relations,
    amendments_after,
    cached_count,
    paragraph_counts,
)
from hotline.views import paragraph_section
from portal import pagination
from portal.pagination import requested_page
from portal.ratelimit import limited

PAGE_SIZE = 25
OUTGOING = {
    Relation.Kind.REPLACES: _("Replaces"),
    Relation.Kind.CHANGES: pgettext_lazy("a decision changes another", "Changes"),
    Relation.Kind.SEE_ALSO: _("See also"),
}
INCOMING = {
    Relation.Kind.REPLACES: _("Replaced by"),
    Relation.Kind.CHANGES: _("Changed by"),
    Relation.Kind.SEE_ALSO: _("See also"),
}


def _page(request: HttpRequest, queryset: QuerySet, count: int | None = None) -> Page:
    """A page of a `for_list()` queryset, with what replaced each decision at the end of its chain."""
    page = requested_page(request, queryset, PAGE_SIZE, count)
    add_list_relations(page.object_list)
    return page


def _laws_with_paragraphs(laws: QuerySet) -> list[Law]:
    """The laws, each with its paragraphs that have published decisions and how many are in force."""
    laws = list(laws.select_related("area").order_by("area__order", "short_name"))
    counts = paragraph_counts()
    by_law: dict[int, list[Paragraph]] = {law.pk: [] for law in laws}
    for paragraph in Paragraph.objects.filter(law__in=laws, pk__in=list(counts)).order_by("number", "letter"):
        paragraph.counts = counts[paragraph.pk]
        by_law[paragraph.law_id].append(paragraph)
    for law in laws:
        law.paragraphs_with_decisions = by_law[law.pk]
        for paragraph in law.paragraphs_with_decisions:
            paragraph.law = law  # spares a query per paragraph for its URL
        law.in_force = sum(paragraph.counts.in_force for paragraph in law.paragraphs_with_decisions)
    return laws


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The overview of decisions in force, by law and paragraph."""
    return render(
        request,
        "decisions/index.html",
        {"laws": _laws_with_paragraphs(Law.objects.all()), "areas": Area.objects.all()},
    )


@require_safe
def law(request: HttpRequest, slug: str) -> HttpResponse:
    laws = _laws_with_paragraphs(Law.objects.filter(slug=slug))
    if not laws:
        raise Http404
    return render(request, "decisions/law.html", {"law": laws[0]})


@require_safe
def paragraph(request: HttpRequest, law_slug: str, section: str) -> HttpResponse:
    """A paragraph's decisions, in force first. A paragraph of a known law that no decision cites
    yet has a page too: the reader learns that there is nothing yet, rather than a 404."""
    try:
        number, letter = split_section(normalize_section(section))
    except CitationError:
        raise Http404 from None
    if f"{number}{letter}" != section:  # `9 C`, `09c` → `9c`
        return redirect("decisions:paragraph", law_slug, f"{number}{letter}", permanent=True)
    law = get_object_or_404(Law, slug=law_slug)
    if number == 0:
        raise Http404
    paragraph = Paragraph.objects.filter(law=law, section=section).first()
    if paragraph is not None:
        paragraph.law = law
    counts = paragraph_counts().get(paragraph.pk, NO_DECISIONS) if paragraph else NO_DECISIONS
    hotline = paragraph_section(paragraph)  # the hotline's answers on the paragraph
    if not counts.total:
        return render(
            request,
            "decisions/paragraph_empty.html",
            {
                "paragraph": paragraph or Paragraph(law=law, section=section, number=number, letter=letter),
                "nearby": _nearby_paragraphs(law, number, letter),
                "hotline": hotline,
            },
        )
    paragraph.law = law
    here = Prefetch("references", ParagraphReference.objects.filter(paragraph=paragraph), to_attr="here")
    decisions = Decision.objects.published().citing(paragraph).in_force_first().for_list()
    page = _page(request, decisions.prefetch_related(here), count=counts.total)
    return render(
        request,
        "decisions/paragraph.html",
        {"paragraph": paragraph, "counts": counts, "page": page, "hotline": hotline},
    )


NEARBY = 3


def _nearby_paragraphs(law: Law, number: int, letter: str) -> list[Paragraph]:
    """The paragraphs of the law nearest before and after § number letter that decisions cite."""
    counts = paragraph_counts()
    cited = Paragraph.objects.filter(law=law, pk__in=list(counts))
    earlier = Q(number__lt=number) | Q(number=number, letter__lt=letter)
    before = cited.filter(earlier).order_by("-number", "-letter")
    after = cited.exclude(earlier).exclude(number=number, letter=letter).order_by("number", "letter")
    nearby = [*reversed(before[:NEARBY]), *after[:NEARBY]]
    for paragraph in nearby:
        paragraph.law = law
        paragraph.counts = counts[paragraph.pk]
    return nearby


@require_safe
def detail(request: HttpRequest, number: str) -> HttpResponse:
    visible = Decision.objects.all() if request.user.is_staff else Decision.objects.published()
    decision = visible.select_related("area").defer("search_vector").filter(number=number).first()
    if decision is None:
        # Numbers are cited in any case (c-16-99); the permanent address has Ankestyrelsen's.
        decision = get_object_or_404(visible, number__iexact=number)
        return redirect(decision, permanent=True)
    references = decision.references.select_related("paragraph__law")
    outgoing = decision.relations_from.select_related("target")
    incoming = decision.relations_to.select_related("source")
    if not request.user.is_staff:
        outgoing = outgoing.filter(target__is_published=True)
        incoming = incoming.filter(source__is_published=True)
    outgoing, incoming = list(outgoing), list(incoming)
    relations = [(OUTGOING[relation.kind], relation.target) for relation in outgoing]
    relations += [(INCOMING[relation.kind], relation.source) for relation in incoming]
    # The newest change first: it is the one that says what applies today.
    changed_by = sorted(
        (relation for relation in incoming if relation.kind == Relation.Kind.CHANGES),
        key=lambda relation: (relation.source.decided_on, relation.source.number),
        reverse=True,
    )
    replaced_by = [relation.source for relation in incoming if relation.kind == Relation.Kind.REPLACES]
    in_force_now = []
    if any(other.status == Status.NO_LONGER_IN_FORCE for other in replaced_by):
        in_force_now = [other for other in decision.current_successors() if other not in replaced_by]
    return render(
        request,
        "decisions/detail.html",
        {
            "decision": decision,
            "references": references,
            "relations": sorted(relations, key=lambda pair: (str(pair[0]), pair[1].number)),
            "changed_by": changed_by,
            "changes": [relation for relation in outgoing if relation.kind == Relation.Kind.CHANGES],
            "replaced_by": replaced_by,
            "in_force_now": in_force_now,
            "amendments": amendments_after(decision),
        },
    )


@require_safe
def area(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(Area, slug=slug)
    decisions = Decision.objects.published().filter(area=area)
    count = cached_count(f"area:{area.pk}", decisions)
    page = _page(request, decisions.in_force_first().for_list(), count=count)
    return render(request, "decisions/list.html", {"area": area, "page": page, "title": area.name})


@require_safe
def newest(request: HttpRequest) -> HttpResponse:
    decisions = Decision.objects.published()
    count = cached_count("published", decisions)
    newest_first = decisions.for_list().order_by(
        F("published_on").desc(nulls_last=True), "-decided_on", "-pk"
    )
    return render(
        request, "decisions/list.html", {"page": _page(request, newest_first, count), "newest": True}
    )


@require_safe
@limited("suggest", "SUGGEST_RATE", as_json=True)
def suggest(request: HttpRequest) -> JsonResponse:
    """As-you-type suggestions for the search field; the field works the same without them."""
    return JsonResponse({"suggestions": search.suggestions(request.GET.get("q", ""))})


@require_safe
@limited("search", "SEARCH_RATE")
def search_page(request: HttpRequest) -> HttpResponse:
    """Principle decisions and the hotline's answers, each kind with its count, so that a reader
    sees at once whether the hotline has answered what the decisions do not cover; `type=hotline`
    lists the answers."""
    from hotline import search as hotline_search

    filters = search.Filters.from_params(request.GET)
    raw, page_number = request.GET.get("q", ""), request.GET.get(pagination.PARAMETER)
    kind = "hotline" if request.GET.get("type") == "hotline" else "decisions"
    kept = [(name, request.GET[name]) for name in search.FILTER_PARAMS if request.GET.get(name)]
    if kind == "hotline":
        answers = hotline_search.search_answers(raw, filters, page_number)
        if answers.redirect_to:
            return redirect(answers.redirect_to)
        context = {
            "kind": kind,
            "answers": answers,
            "query": answers.query,
            "results": search.Results(answers.query, filters, answers.page),
            "decision_count": search.count(answers.query, filters) if answers.query else 0,
            "answer_count": answers.page.paginator.count,
            "filter_fields": [*kept, ("type", "hotline")],
        }
        return render(request, "decisions/search.html", context)
    results = search.search(raw, filters, page_number)
    if results.redirect_to:
        return redirect(results.redirect_to)
    answers = hotline_search.search_answers(results.query, filters) if results.query else None
    context = {
        "kind": kind,
        "results": results,
        "query": results.query,
        "answers": answers,
        "answer_count": answers.page.paginator.count if answers else 0,
        "top_answers": list(answers.page.object_list[:3]) if answers else [],
        # The search form keeps the chosen filters; the year form keeps everything but the years.
        "filter_fields": kept,
        "year_fields": [
            (name, value)
            for name, value in [*kept, ("q", results.query), ("sort", results.filters.sort)]
            if name not in ("year_from", "year_to") and value
        ]
        + ([("include_historic", "1")] if results.filters.include_historic else []),
    }
    return render(request, "decisions/search.html", context)
