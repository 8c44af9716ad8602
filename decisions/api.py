"""The API for municipal systems: decisions, laws, paragraphs and areas, the change feed that keeps
a local copy exact, and search. Shared machinery (keys, limits, pages, ETags, the viewset base,
slug and date filters) is in portal/api.py and portal/api_resources.py; the serializers are in
serializers.py."""

import re

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from decisions import changes, search
from decisions.citations import CitationError, Reference, format_reference, get_parser, normalize_section
from decisions.models import (
    NO_DECISIONS,
    NUMBER_PATTERN,
    Area,
    Decision,
    Law,
    Paragraph,
    Status,
    area_counts,
    last_change,
    law_counts,
    paragraph_counts,
)
from decisions.serializers import (
    AreaSerializer,
    ChangePageSerializer,
    DecisionSerializer,
    LawDetailSerializer,
    LawSerializer,
    Links,
    ParagraphSerializer,
    ResolvedSerializer,
    SearchPageSerializer,
    SearchParametersSerializer,
    decision_rows,
    with_related,
)
from portal.addresses import absolute, this_request
from portal.api import (
    BIGINT,
    ConditionalGetMixin,
    KeysetPagination,
    StrictParametersMixin,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
)
from portal.api_resources import SLUG_PATTERN, ApiViewSet, SlugFilter, UtcDateTimeFilter, iso
from portal.schema import ErrorSerializer


class DecisionsViewSet(ApiViewSet):
    """A resource of this app: its links, and the moment anything in it last changed."""

    links_class = Links

    def get_last_modified(self):
        return last_change()


# Filters


class ParagraphField(forms.CharField):
    """A paragraph id, `serviceloven-100`, or any citation the parser understands."""

    def clean(self, value: str) -> tuple[list[int], int | None] | None:
        value = super().clean(value)
        if not value:
            return None
        if re.fullmatch(r"[0-9]{1,18}", value):
            if not Paragraph.objects.filter(pk=value).exists():
                raise forms.ValidationError(_("No paragraph has the id %(id)s."), params={"id": value})
            return [int(value)], None
        slug, dash, section = value.rpartition("-")
        if dash and re.fullmatch(r"[a-z0-9-]+", slug) and re.fullmatch(r"[0-9]+\s?[a-zæøå]?", section, re.I):
            if not Law.objects.filter(slug=slug).exists():
                raise forms.ValidationError(
                    _("No law has the slug “%(slug)s”; see laws/."), params={"slug": slug}
                )
            references = [Reference(slug, normalize_section(section))]
        else:
            try:
                references = get_parser().parse(value)
            except CitationError as error:
                # The message quotes the input, which may hold a “%”: it goes in as a parameter.
                raise forms.ValidationError("%(error)s", params={"error": str(error)}) from None
        subsections = {reference.subsection for reference in references}
        ids = list(Paragraph.objects.matching(references).values_list("pk", flat=True))
        return ids, subsections.pop() if len(subsections) == 1 else None


class ParagraphFilter(django_filters.CharFilter):
    field_class = ParagraphField


class DecisionFilter(django_filters.FilterSet):
    area = SlugFilter(queryset=Area.objects.all(), help_text="An area's slug, e.g. social.")
    law = SlugFilter(
        queryset=Law.objects.all(),
        method="filter_law",
        help_text="A law's slug: decisions citing any paragraph of it.",
    )
    paragraph = ParagraphFilter(
        method="filter_paragraph",
        help_text="A paragraph: its id, `serviceloven-100`, or a citation such as “servicelovens § 100, "
        "stk. 1”. With a subsection, decisions citing that subsection or the whole paragraph.",
    )
    status = django_filters.ChoiceFilter(choices=Status.choices)
    decided_after = django_filters.DateFilter(
        field_name="decided_on", lookup_expr="gte", help_text="Decided on or after this date (YYYY-MM-DD)."
    )
    decided_before = django_filters.DateFilter(
        field_name="decided_on", lookup_expr="lte", help_text="Decided on or before this date (YYYY-MM-DD)."
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this moment (ISO 8601, e.g. 2026-11-01T08:00:00Z). For an exact "
        "copy use changes/, which also reports deletions.",
    )
    number = django_filters.CharFilter(method="filter_number", help_text="A decision number, e.g. 24-19.")
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Words, a citation or a number, matched and ranked as on the search page (most relevant "
        "first, at most 200 decisions). Unlike search/, no typo correction.",
    )

    class Meta:
        model = Decision
        fields = []

    def filter_law(self, queryset: QuerySet, name: str, law: Law) -> QuerySet:
        return queryset.citing(law=law)

    def filter_paragraph(self, queryset: QuerySet, name: str, value) -> QuerySet:
        paragraph_ids, subsection = value
        return queryset.citing(paragraph_ids, subsection=subsection)

    def filter_number(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(number__in={value, value.upper()})

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # ranks the result: done by the view, after the other filters


class LawFilter(django_filters.FilterSet):
    area = SlugFilter(queryset=Area.objects.all(), help_text="An area's slug, e.g. social.")

    class Meta:
        model = Law
        fields = []


class ParagraphListFilter(django_filters.FilterSet):
    law = SlugFilter(queryset=Law.objects.all(), help_text="A law's slug, e.g. serviceloven.")

    class Meta:
        model = Paragraph
        fields = []


# Resources

DECISION_EXAMPLE = OpenApiExample(
    "A decision",
    response_only=True,
    value={
        "number": "24-19",
        "url": "https://principportalen.dk/principafgoerelser/24-19/",
        "api_url": "https://principportalen.dk/api/v1/decisions/24-19/",
        "title": "Merudgifter ved voksne med nedsat funktionsevne",
        "summary": "Principmeddelelsen fastslår, at …",
        "body": "…",
        "practice_note": "…",
        "decided_on": "2019-05-14",
        "published_on": "2019-06-03",
        "status": "in_force",
        "area": "social",
        "keywords": ["merudgifter"],
        "paragraphs": [
            {
                "law": "serviceloven",
                "section": "100",
                "subsection": 1,
                "item": None,
                "citation": "serviceloven § 100, stk. 1",
                "url": "https://principportalen.dk/principafgoerelser/lov/serviceloven/100/",
            }
        ],
        "relations": [{"kind": "replaces", "number": "7-09", "note": ""}],
        "updated_at": "2026-11-20T09:15:02.118000Z",
    },
)


def slug_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


@extend_schema(tags=["decisions"])
class DecisionViewSet(DecisionsViewSet):
    """Published principle decisions, in the order they last changed (`updated_at`, then id), so
    that a client can page through all of them while they change. With `q`, most relevant first."""

    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    keyset = ("updated_at", "id")
    lookup_field = "number"
    lookup_value_regex = NUMBER_PATTERN

    def get_queryset(self) -> QuerySet:
        return decision_rows(Decision.objects.all())

    def get_last_modified(self):
        return None if self.action == "retrieve" else last_change()

    @extend_schema(examples=[DECISION_EXAMPLE])
    def list(self, request: Request, *args, **kwargs) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        q = request.query_params.get("q", "").strip()
        if q:
            ids = self.paginator.paginate_ranked(search.ranked_ids(q, queryset), request)
            by_id = {row["id"]: row for row in queryset.filter(pk__in=ids)}
            page = [by_id[pk] for pk in ids if pk in by_id]
        else:
            page = self.paginator.paginate_queryset(queryset, request, view=self)
        return self.get_paginated_response(self.get_serializer(with_related(page), many=True).data)

    @extend_schema(
        examples=[DECISION_EXAMPLE],
        parameters=[
            OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. 24-19")
        ],
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        number = kwargs["number"]
        decision = self.get_queryset().filter(number__in={number, number.upper()}).first()
        if decision is None:
            raise exceptions.NotFound(
                _("No published decision has the number %(number)s.") % {"number": number}
            )
        self.last_modified = decision["updated_at"]
        return Response(self.get_serializer(with_related([decision])[0]).data)


@extend_schema(tags=["taxonomy"])
@extend_schema_view(retrieve=extend_schema(parameters=[slug_parameter("An area's slug, e.g. social.")]))
class AreaViewSet(DecisionsViewSet):
    """The areas of law: social, employment, family, …"""

    serializer_class = AreaSerializer
    keyset = ("slug",)
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filter_backends = []

    def get_queryset(self) -> QuerySet:
        return Area.objects.all()

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "area_counts": area_counts()}


@extend_schema(tags=["taxonomy"])
@extend_schema_view(retrieve=extend_schema(parameters=[slug_parameter("A law's slug, e.g. serviceloven.")]))
class LawViewSet(DecisionsViewSet):
    """The laws decisions cite, each with its decisions counted by status. One law also lists its
    cited paragraphs."""

    keyset = ("slug",)
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN

    def get_queryset(self) -> QuerySet:
        return Law.objects.select_related("area")

    def get_serializer_class(self):
        return LawDetailSerializer if self.action == "retrieve" else LawSerializer

    def get_serializer_context(self) -> dict:
        context = {**super().get_serializer_context(), "law_counts": law_counts()}
        if self.action == "retrieve":  # one law lists its paragraphs, with their counts
            context["paragraph_counts"] = paragraph_counts()
        return context

    @property
    def filterset_class(self):
        return LawFilter if self.action == "list" else None

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        law = self.get_object()
        cited = Paragraph.objects.filter(law=law, pk__in=list(paragraph_counts())).order_by(
            "number", "letter"
        )
        law.cited_paragraphs = list(cited)
        return Response(self.get_serializer(law).data)


@extend_schema(tags=["taxonomy"])
@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The paragraph's id.")
        ]
    )
)
class ParagraphViewSet(DecisionsViewSet):
    """Every paragraph decisions have cited, with the decisions counted by status."""

    serializer_class = ParagraphSerializer
    keyset = ("id",)
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self) -> QuerySet:
        return Paragraph.objects.select_related("law")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "paragraph_counts": paragraph_counts()}

    @property
    def filterset_class(self):
        return ParagraphListFilter if self.action == "list" else None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "citation",
                OpenApiTypes.STR,
                required=True,
                description="A citation as people write it.",
                examples=[
                    OpenApiExample("Genitive", value="servicelovens § 100, stk. 1"),
                    OpenApiExample("Abbreviation", value="SEL § 41"),
                    OpenApiExample("Law after", value="§ 9 c i retssikkerhedsloven"),
                ],
            )
        ],
        responses={
            200: ResolvedSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description="The citation was not understood; `detail` says why."
            ),
        },
    )
    @action(detail=False, pagination_class=None, filter_backends=[], query_parameters=("citation",))
    def resolve(self, request: Request) -> Response:
        """What a free-form citation means: the law, paragraph, subsection and item, and where its
        decisions are."""
        text = request.query_params.get("citation", "")
        try:
            references = get_parser().parse(text)
        except CitationError as error:
            raise exceptions.NotFound(str(error)) from None
        if len({(reference.law, reference.section) for reference in references}) > 1:
            raise exceptions.ValidationError(
                {"citation": [_("The citation names several paragraphs; ask for one at a time.")]}
            )
        reference = references[0]
        law = Law.objects.get(slug=reference.law)
        paragraph = Paragraph.objects.filter(law=law, section=reference.section).first()
        links = Links(request)
        counts = paragraph_counts().get(paragraph.pk, NO_DECISIONS) if paragraph else NO_DECISIONS
        return Response(
            {
                "law": {"slug": law.slug, "abbreviation": law.abbreviation, "title": law.title},
                "section": reference.section,
                "subsection": reference.subsection,
                "item": reference.item,
                "citation": format_reference(reference, law.short_name),
                "url": links.paragraph(law.slug, reference.section),
                "decisions_url": links.decisions_on(law.slug, reference.section),
                "decisions": counts.as_json(),
            }
        )


# The change feed


class CursorGone(exceptions.APIException):
    status_code = 410
    default_detail = gettext_lazy(
        "This cursor is from another copy of the database (restored from a backup?). "
        "Start again without “since”: a full sync."
    )
    default_code = "cursor_gone"


def feed_page(request: Request, feed: type | None = None) -> tuple[list, bool, str]:
    """A page of a change feed (the decisions', or another app's `feed` model) after the request's
    `since` cursor: its rows, whether more wait, and the cursor to go on from. Every feed's view
    reads through here, so they all keep the same guarantees (decisions/changes.py)."""
    size = KeysetPagination().get_page_size(request)
    position = changes.START
    if since := request.query_params.get("since"):
        value = decode_cursor(since, "since")
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(type(n) is int and 0 <= n < BIGINT for n in value)
        ):
            invalid_cursor("since")
        position = changes.Position(*value)
    try:
        batch = changes.read(position, size, feed)
    except changes.PositionGone:
        raise CursorGone from None
    rows = batch.changes
    cursor = (
        encode_cursor([batch.position.xid, batch.position.seq]) if rows else since or encode_cursor([0, 0])
    )
    return rows, batch.has_more, cursor


FEED_PARAMETERS = [
    OpenApiParameter(
        "since",
        OpenApiTypes.STR,
        description="The previous response's `cursor`. Without it, the feed starts at the beginning.",
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description="Changes per response, 1–500 (default 100).",
        examples=[OpenApiExample("Largest", value=500)],
    ),
]
CURSOR_GONE = OpenApiResponse(
    ErrorSerializer, description="The cursor is from another database: start a full sync."
)


class ChangesView(ConditionalGetMixin, StrictParametersMixin, APIView):
    """Every change to the published decisions since a cursor, oldest first: created, updated,
    unpublished and deleted. Without `since`, every published decision once: the first full sync.
    Each decision appears once per pass, with its latest change; the decision itself comes along
    for created and updated. Apply the results in order, then continue from `next`."""

    query_parameters = ("since", "page_size")

    def get_last_modified(self):
        return last_change()

    @extend_schema(
        tags=["decisions"],
        parameters=FEED_PARAMETERS,
        responses={200: ChangePageSerializer, 410: CURSOR_GONE},
    )
    def get(self, request: Request) -> Response:
        rows, has_more, cursor = feed_page(request)
        live = [row.decision_id for row in rows if row.action in ("created", "updated")]
        by_id = {
            row["id"]: row for row in with_related(list(decision_rows(Decision.objects.filter(pk__in=live))))
        }
        serializer = DecisionSerializer(context={"links": Links(request)})
        results = []
        for row in rows:
            item = {"number": row.number, "action": row.action, "at": iso(row.at)}
            if row.action in ("created", "updated"):
                decision = by_id.get(row.decision_id)
                if decision is None:  # unpublished since this page's changes were read
                    item["action"] = "unpublished"
                else:
                    item["decision"] = serializer.to_representation(decision)
            results.append(item)
        return Response(
            {
                "results": results,
                "cursor": cursor,
                "next": replace_query_param(this_request(request), "since", cursor),
                "has_more": has_more,
            }
        )


# Search, as on the search page


def _result(request: HttpRequest, decision: Decision) -> dict:
    return {
        "type": "decision",
        "number": decision.number,
        "title": decision.title,
        "status": decision.status,
        "decided_on": decision.decided_on,
        "url": absolute(decision.get_absolute_url()),
        "summary": decision.summary,
        "snippet": str(getattr(decision, "snippet", "")),
    }


class SearchView(ConditionalGetMixin, StrictParametersMixin, APIView):
    """Search principle decisions, ranked exactly as on the search page, 20 per page, with its typo
    correction. Decisions no longer in force only with `include_historic` or `status`."""

    query_parameters = tuple(SearchParametersSerializer().fields)

    def get_last_modified(self):
        return last_change()

    @extend_schema(
        tags=["decisions"],
        parameters=[SearchParametersSerializer],
        responses=SearchPageSerializer,
    )
    def get(self, request: Request) -> Response:
        SearchParametersSerializer(data=request.query_params).is_valid(raise_exception=True)
        filters = search.Filters.from_params(request.query_params)
        if request.query_params.get("type") == "hotline":
            return self.hotline(request, filters)
        results = search.search(request.query_params.get("q", ""), filters, request.query_params.get("page"))
        if results.redirect_to:  # a decision number: that decision is the one result
            number = results.redirect_to.rstrip("/").rsplit("/", 1)[-1]
            decisions = list(Decision.objects.published().filter(number=number))
            count, page = len(decisions), None
        else:
            decisions, count, page = (
                list(results.page.object_list),
                results.page.paginator.count,
                results.page,
            )

        return Response(
            _envelope(request, count, page, [_result(request, decision) for decision in decisions])
        )

    def hotline(self, request: Request, filters: search.Filters) -> Response:
        from hotline.search import search_answers

        found = search_answers(request.query_params.get("q", ""), filters, request.query_params.get("page"))
        if found.redirect_to:  # a reference: that answer is the one result
            from hotline.models import Answer

            reference = found.redirect_to.rstrip("/").rsplit("/", 1)[-1]
            answers, count, page = (
                list(Answer.objects.filter(reference=reference).select_related("area")),
                1,
                None,
            )
        else:
            answers, count, page = list(found.page.object_list), found.page.paginator.count, found.page
        results = [
            {
                "type": "hotline",
                "reference": answer.reference,
                "title": answer.title,
                "url": absolute(answer.get_absolute_url()),
                "area": answer.area.slug,
                "validity": answer.validity,
                "snippet": str(getattr(answer, "snippet", "")),
            }
            for answer in answers
        ]
        return Response(_envelope(request, count, page, results))


def _envelope(request: Request, count: int, page, results: list[dict]) -> dict:
    """The search's answer: the count, links to the next and previous pages, the results."""

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        params = request.query_params.copy()
        params["page"] = number
        return absolute(f"{request.path}?{params.urlencode()}")

    return {
        "count": count,
        "next": link(page.next_page_number() if page and page.has_next() else None),
        "previous": link(page.previous_page_number() if page and page.has_previous() else None),
        "results": results,
    }
