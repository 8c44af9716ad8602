"""Hotline answers searched by the decisions' engine (decisions/search.py): the same weighted Danish
vector, groups of synonyms and compounds, typo correction and citations that limit to the
paragraph, with the validity rule "current first at similar relevance"."""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline
from django.core.paginator import Page
from django.db.models import Case, FloatField, Prefetch, TextField, Value, When
from django.db.models.functions import Concat

from decisions import search
from decisions.models import NUMBER_PATTERN
from decisions.search import CAP, PAGE_SIZE, Corpus, Filters, clean_query, highlight
from hotline.models import REFERENCE_PATTERN, SHOWN, Answer, AnswerFlag, State, Validity
from portal.pagination import page_of

VALIDITY_WEIGHT = Case(
    When(validity=Validity.CURRENT, then=Value(1.0)),
    When(validity=Validity.NEEDS_REVIEW, then=Value(0.9)),
    When(validity=Validity.EXPIRED, then=Value(0.85)),
    default=Value(0.75),
    output_field=FloatField(),
)
ANSWERS = Corpus(Answer, "validity_rank", "answered_on", VALIDITY_WEIGHT)


@dataclass
class AnswerResults:
    query: str
    page: Page
    capped: bool = False
    corrected_from: str = ""
    redirect_to: str = ""


def base(filters: Filters):
    """The answers a search may show: those in use, or with `include_historic` also superseded and
    withdrawn ones; narrowed by area, law and paragraph as the decisions are."""
    answers = Answer.objects.exclude(state=State.DRAFT)
    if not filters.include_historic:
        answers = answers.filter(state=State.PUBLISHED, validity__in=SHOWN)
    if filters.area:
        answers = answers.filter(area__slug=filters.area)
    if filters.law:
        answers = answers.citing(law=filters.law)
    if filters.paragraph:
        law, _, section = filters.paragraph.rpartition("-")
        answers = answers.citing(
            search.Paragraph.objects.filter(law__slug=law, section=section.lower()).values("pk")
        )
    return answers


def ranked(query: str, filters: Filters) -> list[int]:
    return ranked_in(query, base(filters))[: CAP + 1]


def ranked_in(query: str, answers) -> list[int]:
    """The ids of `answers` that match, most relevant first; a decision number finds the answers
    that rely on that decision."""
    if re.fullmatch(NUMBER_PATTERN, query):
        cited = answers.filter(decisions__contains=[query.upper()])
        return list(ANSWERS.in_use_first(cited).values_list("pk", flat=True)[: CAP + 1])
    return search.ranked_ids(query, answers, ANSWERS)


def search_answers(raw_query: str, filters: Filters, page_number: str | None = None) -> AnswerResults:
    """One search of the answers: a reference goes to its answer; otherwise the ranked page, with
    the typo correction the decisions' search makes when nothing matched as typed."""
    query = clean_query(raw_query)
    if re.fullmatch(REFERENCE_PATTERN, query.upper()):
        found = Answer.objects.exclude(state=State.DRAFT).filter(reference=query.upper()).first()
        if found:
            return AnswerResults(query, page_of([], None, PAGE_SIZE), redirect_to=found.get_absolute_url())
    ids = ranked(query, filters) if query or search._any_filter(filters) else []
    corrected_from = ""
    if query and not ids and (corrected := search._corrected(query)):
        ids, corrected_from, query = ranked(corrected, filters), query, corrected
    if not query and not ids:
        ids = list(base(filters).current_first().values_list("pk", flat=True)[: CAP + 1])
    capped = len(ids) > CAP
    page = page_of(ids[:CAP], page_number, PAGE_SIZE)
    answers = {
        answer.pk: answer
        for answer in Answer.objects.filter(pk__in=page.object_list)
        .select_related("area")
        .defer("search_vector")
        .prefetch_related(
            Prefetch("flags", AnswerFlag.objects.filter(resolved_at__isnull=True), to_attr="open")
        )
    }
    page.object_list = [answers[pk] for pk in page.object_list if pk in answers]
    _add_snippets(page, query)
    return AnswerResults(query, page, capped=capped, corrected_from=corrected_from)


def _add_snippets(page: Page, query: str) -> None:
    text_query = search.build_text_query(search.split_citations(query)[1]) if query else None
    if text_query is None or not page.object_list:
        return
    snippets = dict(
        Answer.objects.filter(pk__in=[answer.pk for answer in page.object_list])
        .annotate(
            snippet=SearchHeadline(
                Concat("question", Value(" "), "answer", output_field=TextField()),
                text_query.widened,
                config="danish",
                start_sel=search._START,
                stop_sel=search._STOP,
                max_words=30,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("pk", "snippet")
    )
    for answer in page.object_list:
        answer.snippet = highlight(snippets.get(answer.pk, ""))


def count(raw_query: str, filters: Filters) -> int:
    """How many answers in use match, as the search page's tab shows it (at most CAP + 1)."""
    query = clean_query(raw_query)
    if not query:
        return 0
    ids = ranked(query, filters)
    if not ids and (corrected := search._corrected(query)):
        ids = ranked(corrected, filters)
    return len(ids)
