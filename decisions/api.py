"""The search API: the same search as the page, as JSON for municipal systems."""

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from decisions import search
from decisions.models import Decision


class SearchResultSerializer(serializers.Serializer):
    type = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    decided_on = serializers.DateField()
    url = serializers.URLField()
    summary = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML: the best-matching passage, matches in <mark>.")


def _result(request: HttpRequest, decision: Decision) -> dict:
    return {
        "type": "decision",
        "number": decision.number,
        "title": decision.title,
        "status": decision.status,
        "decided_on": decision.decided_on,
        "url": request.build_absolute_uri(decision.get_absolute_url()),
        "summary": decision.summary,
        "snippet": str(getattr(decision, "snippet", "")),
    }


PARAMETERS = [
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Words, a citation (SEL § 100) or a decision number."
    ),
    OpenApiParameter("area", OpenApiTypes.STR, description="An area slug, e.g. social."),
    OpenApiParameter("law", OpenApiTypes.STR, description="A law slug, e.g. serviceloven."),
    OpenApiParameter("paragraph", OpenApiTypes.STR, description="A paragraph, e.g. serviceloven-100."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["in_force", "partly_changed", "no_longer_in_force"]),
    OpenApiParameter("year_from", OpenApiTypes.INT),
    OpenApiParameter("year_to", OpenApiTypes.INT),
    OpenApiParameter(
        "include_historic", OpenApiTypes.BOOL, description="Include decisions no longer in force."
    ),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(search.SORTS)),
    OpenApiParameter("page", OpenApiTypes.INT),
]


class SearchView(APIView):
    """Search principle decisions, ranked exactly as on the search page, 20 per page."""

    @extend_schema(parameters=PARAMETERS, responses=SearchResultSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = search.Filters.from_params(request.query_params)
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

        def link(number: int | None) -> str | None:
            if number is None:
                return None
            params = request.query_params.copy()
            params["page"] = number
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

        return Response(
            {
                "count": count,
                "next": link(page.next_page_number() if page and page.has_next() else None),
                "previous": link(page.previous_page_number() if page and page.has_previous() else None),
                "results": [_result(request, decision) for decision in decisions],
            }
        )
