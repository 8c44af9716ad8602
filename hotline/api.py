"""The API's hotline answers and their change feed, for municipal systems: the same keys, limits,
pages, ETags and feed semantics as the decisions (decisions/api.py, portal/api.py)."""

import django_filters
from django import forms
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from decisions.api import CURSOR_GONE, FEED_PARAMETERS, ParagraphFilter, feed_page
from decisions.models import SETTLED, Area, Law
from hotline.models import REFERENCE_PATTERN, Answer, AnswerChange, Validity
from hotline.serializers import (
    AnswerChangePageSerializer,
    AnswerSerializer,
    Links,
    answer_rows,
    with_related,
)
from portal.addresses import this_request
from portal.api import ConditionalGetMixin, StrictParametersMixin
from portal.api_resources import ApiViewSet, SlugFilter, UtcDateTimeFilter, iso


def last_change():
    """When anything the hotline's API shows last changed: an answer (settled changes only, as
    the feed shows them), or a law, paragraph or area its answers show."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT GREATEST((SELECT max(at) FROM hotline_answerchange WHERE {SETTLED}), "  # noqa: S608
            "(SELECT max(updated_at) FROM decisions_law), (SELECT max(updated_at) FROM decisions_paragraph), "
            "(SELECT max(updated_at) FROM decisions_area))"
        )
        return cursor.fetchone()[0]


class ValidityFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    pass


class AnswerFilterForm(forms.Form):
    def clean_validity(self):
        raw = self.data.get("validity")
        if raw is not None and any(not item.strip() for item in raw.split(",")):
            raise forms.ValidationError(
                _("Name one validity or several, comma-separated: %(values)s.")
                % {"values": "current, needs_review, expired, superseded"}
            )
        return self.cleaned_data["validity"]


class AnswerFilter(django_filters.FilterSet):
    area = SlugFilter(queryset=Area.objects.all(), help_text="An area's slug, e.g. social.")
    law = SlugFilter(
        queryset=Law.objects.all(),
        method="filter_law",
        help_text="A law's slug: answers citing any paragraph of it.",
    )
    paragraph = ParagraphFilter(
        method="filter_paragraph",
        help_text="A paragraph: its id, `serviceloven-100`, or a citation such as “servicelovens § 100, "
        "stk. 1”. With a subsection, answers citing that subsection or the whole paragraph.",
    )
    validity = ValidityFilter(
        field_name="validity",
        choices=[(value, value) for value in Validity.values if value != Validity.WITHDRAWN],
        help_text="Only answers with this validity, or any of several, comma-separated "
        "(current,expired): current, needs_review, expired, superseded.",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Words, a citation or a decision number, matched and ranked as on the search page "
        "(most relevant first, current answers first at similar relevance, at most 200).",
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this moment (ISO 8601). For an exact copy use hotline/changes/, "
        "which also reports withdrawals and deletions.",
    )

    class Meta:
        model = Answer
        fields = []
        form = AnswerFilterForm

    def filter_law(self, queryset: QuerySet, name: str, law: Law) -> QuerySet:
        return queryset.filter(pk__in=Answer.objects.citing(law=law).values("pk"))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # ranks the result: done by the view, after the other filters

    def filter_paragraph(self, queryset: QuerySet, name: str, value) -> QuerySet:
        paragraph_ids, subsection = value
        return queryset.filter(
            pk__in=Answer.objects.citing(paragraph_ids, subsection=subsection).values("pk")
        )


@extend_schema(tags=["hotline"])
class AnswerViewSet(ApiViewSet):
    """Published answers of the legal hotline (superseded ones too, saying so), in the order they
    last changed (`updated_at`, then id), so that a client can page through all of them while they
    change. Withdrawn answers are not listed: the change feed reports them."""

    serializer_class = AnswerSerializer
    filterset_class = AnswerFilter
    links_class = Links
    keyset = ("updated_at", "id")
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN

    def get_queryset(self) -> QuerySet:
        return answer_rows(Answer.objects.all())

    def get_last_modified(self):
        return None if self.action == "retrieve" else last_change()

    def list(self, request: Request, *args, **kwargs) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        q = request.query_params.get("q", "").strip()
        if q:
            from hotline.search import ranked_in

            ranked = ranked_in(q, Answer.objects.filter(pk__in=queryset.values("id")))
            ids = self.paginator.paginate_ranked(ranked, request)
            by_id = {row["id"]: row for row in queryset.filter(pk__in=ids)}
            page = [by_id[pk] for pk in ids if pk in by_id]
        else:
            page = self.paginator.paginate_queryset(queryset, request, view=self)
        return self.get_paginated_response(self.get_serializer(with_related(page), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. HL-2024-031"
            )
        ]
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        reference = kwargs["reference"]
        answer = self.get_queryset().filter(reference=reference).first()
        if answer is None:
            raise exceptions.NotFound(
                _("No published answer has the reference %(reference)s.") % {"reference": reference}
            )
        self.last_modified = answer["updated_at"]
        return Response(self.get_serializer(with_related([answer])[0]).data)


class AnswerChangesView(ConditionalGetMixin, StrictParametersMixin, APIView):
    """Every change to the published hotline answers since a cursor, oldest first: created,
    updated (a change of validity included), withdrawn, unpublished and deleted. The same loop as
    the decisions' changes/ keeps an exact copy."""

    query_parameters = ("since", "page_size")

    def get_last_modified(self):
        return last_change()

    @extend_schema(
        tags=["hotline"],
        parameters=FEED_PARAMETERS,
        responses={200: AnswerChangePageSerializer, 410: CURSOR_GONE},
    )
    def get(self, request: Request) -> Response:
        rows, has_more, cursor = feed_page(request, AnswerChange)
        live = [row.answer_id for row in rows if row.action in ("created", "updated")]
        by_id = {
            row["id"]: row for row in with_related(list(answer_rows(Answer.objects.filter(pk__in=live))))
        }
        # Gone since this page's changes were read: say how, as the next page would.
        states = dict(Answer.objects.filter(pk__in=set(live) - set(by_id)).values_list("pk", "state"))
        serializer = AnswerSerializer(context={"links": Links(request)})
        results = []
        for row in rows:
            item = {"reference": row.reference, "action": row.action, "at": iso(row.at)}
            if row.action in ("created", "updated"):
                answer = by_id.get(row.answer_id)
                if answer is None:
                    state = states.get(row.answer_id)
                    item["action"] = {"withdrawn": "withdrawn", None: "deleted"}.get(state, "unpublished")
                else:
                    item["answer"] = serializer.to_representation(answer)
            results.append(item)
        return Response(
            {
                "results": results,
                "cursor": cursor,
                "next": replace_query_param(this_request(request), "since", cursor),
                "has_more": has_more,
            }
        )
