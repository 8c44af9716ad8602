"""The API's representation of the taxonomy and the decisions: one serializer per resource.

The fields are declared for the OpenAPI schema; `to_representation` builds each row's dict
directly, because generic field-by-field serialisation is what makes a page of 100 decisions
with their paragraphs slow. The schema test (schemathesis) keeps the two in step."""

from urllib.parse import quote

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from decisions import search
from decisions.citations import Reference, display_section, format_reference
from decisions.models import NO_DECISIONS, Area, Law, Paragraph, Relation, Status
from portal.addresses import absolute
from portal.api_resources import iso

INCOMING = {
    Relation.Kind.REPLACES: "replaced_by",
    Relation.Kind.CHANGES: "changed_by",
    Relation.Kind.SEE_ALSO: "see_also",
}
RELATION_KINDS = ["replaces", "replaced_by", "changes", "changed_by", "see_also"]


class Links:
    """Absolute URLs for one request, from one `reverse()` per kind of page rather than per row."""

    def __init__(self, request: HttpRequest) -> None:
        self.base = absolute("")  # portal/addresses.py: SITE_URL, whichever host the request came to
        self._decision = self._pattern("decisions:detail", "12-19")
        self._paragraph = self._pattern("decisions:paragraph", "LAW", "99999")
        self._api_decision = self._pattern("api:decision-detail", "12-19")
        self._api_decisions = self.base + reverse("api:decision-list")

    def _pattern(self, name: str, *placeholders: str) -> str:
        path = reverse(name, args=placeholders)
        for number, placeholder in enumerate(placeholders):
            path = path.replace(placeholder, f"{{{number}}}")
        return self.base + path

    def decision(self, number: str) -> str:
        return self._decision.format(number)

    def api_decision(self, number: str) -> str:
        return self._api_decision.format(number)

    def paragraph(self, law: str, section: str) -> str:
        return self._paragraph.format(law, quote(section))

    def decisions_on(self, law: str, section: str) -> str:
        return f"{self._api_decisions}?paragraph={law}-{quote(section)}"

    def absolute(self, path: str) -> str:
        return self.base + path


class CountsSerializer(serializers.Serializer):
    in_force = serializers.IntegerField()
    partly_changed = serializers.IntegerField(help_text="Partly changed: they still apply in part.")
    no_longer_in_force = serializers.IntegerField()
    applying = serializers.IntegerField(help_text="In force or partly changed: the decisions that apply.")
    total = serializers.IntegerField()


class ReferenceSerializer(serializers.Serializer):
    law = serializers.SlugField(help_text="The law's slug, e.g. serviceloven.")
    section = serializers.CharField(help_text="The paragraph, e.g. 100 or 9c.")
    subsection = serializers.IntegerField(allow_null=True, help_text="Stk., if cited.")
    item = serializers.IntegerField(allow_null=True, help_text="Nr., if cited.")
    citation = serializers.CharField(help_text="e.g. serviceloven § 100, stk. 1")
    url = serializers.URLField(help_text="The paragraph's page on the portal.")


class RelationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        RELATION_KINDS,
        help_text="How the decision relates to the other: it replaces it, is replaced by it, …",
    )
    number = serializers.CharField(help_text="The other decision's number.")
    note = serializers.CharField(
        help_text="What changed, for `changes` and `changed_by` (“The part about transport no longer "
        "applies.”); empty when not given."
    )


def paragraph_items(references: list[tuple], links) -> list[dict]:
    """A document's cited paragraphs as the API shows them (ReferenceSerializer), from rows of
    (law slug, law name, section, subsection, item); `links` builds the paragraph pages' URLs."""
    return [
        {
            "law": law,
            "section": section,
            "subsection": subsection,
            "item": item,
            "citation": format_reference(Reference(law, section, subsection, item), law_name),
            "url": links.paragraph(law, section),
        }
        for law, law_name, section, subsection, item in references
    ]


class DecisionSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="Ankestyrelsen's number, e.g. 24-19: the decision's identifier.")
    url = serializers.URLField(help_text="The decision's permanent page on the portal.")
    api_url = serializers.URLField()
    title = serializers.CharField()
    summary = serializers.CharField(help_text="The holding (“Principmeddelelsen fastslår, at …”).")
    body = serializers.CharField(help_text="The case, the rules and the reasoning, as plain text.")
    practice_note = serializers.CharField(help_text="How to use the decision in practice; may be empty.")
    decided_on = serializers.DateField()
    published_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(Status.values)
    area = serializers.SlugField(help_text="The area's slug; see areas/.")
    keywords = serializers.ListField(child=serializers.CharField())
    paragraphs = ReferenceSerializer(many=True, help_text="The paragraphs the decision cites, in its order.")
    relations = RelationSerializer(
        many=True, help_text="Published decisions it replaces, changes or is related to."
    )
    updated_at = serializers.DateTimeField(help_text="When anything shown here last changed.")

    def to_representation(self, decision: dict) -> dict:
        """`decision` is a row of `decision_rows()`."""
        links: Links = self.context["links"]
        return {
            "number": decision["number"],
            "url": links.decision(decision["number"]),
            "api_url": links.api_decision(decision["number"]),
            "title": decision["title"],
            "summary": decision["summary"],
            "body": decision["body"],
            "practice_note": decision["practice_note"],
            "decided_on": decision["decided_on"].isoformat(),
            "published_on": decision["published_on"].isoformat() if decision["published_on"] else None,
            "status": decision["status"],
            "area": decision["area__slug"],
            "keywords": decision["keywords"],
            "paragraphs": paragraph_items(decision["references"], links),
            "relations": [
                {"kind": kind, "number": number, "note": note}
                for kind, number, note in sorted(decision["relations"])
            ],
            "updated_at": iso(decision["updated_at"]),
        }


DECISION_COLUMNS = (
    "id",
    "number",
    "title",
    "summary",
    "body",
    "practice_note",
    "decided_on",
    "published_on",
    "status",
    "area__slug",
    "keywords",
    "updated_at",
)


def decision_rows(decisions: QuerySet) -> QuerySet:
    """Published decisions as the rows DecisionSerializer shows; `with_related` completes them.
    Plain rows rather than model instances: a page of 100 decisions builds no model objects."""
    return decisions.filter(is_published=True).values(*DECISION_COLUMNS)


# The API's hottest path: plain SQL with the ids as one array parameter, rather than the ORM's
# IN (%s, %s, …), whose compiling and quoting of 100 ids cost more than the queries themselves.
REFERENCES_SQL = """
    SELECT r.decision_id, l.slug, l.short_name, p.section, r.subsection, r.item
    FROM decisions_paragraphreference r
    JOIN decisions_paragraph p ON p.id = r.paragraph_id
    JOIN decisions_law l ON l.id = p.law_id
    WHERE r.decision_id = ANY(%s)
    ORDER BY r.decision_id, r.position
"""
RELATIONS_SQL = """
    SELECT r.source_id, r.kind, true, d.number, r.note FROM decisions_relation r
    JOIN decisions_decision d ON d.id = r.target_id AND d.is_published
    WHERE r.source_id = ANY(%s)
    UNION ALL
    SELECT r.target_id, r.kind, false, d.number, r.note FROM decisions_relation r
    JOIN decisions_decision d ON d.id = r.source_id AND d.is_published
    WHERE r.target_id = ANY(%s)
"""


def with_related(rows: list[dict]) -> list[dict]:
    """Adds each row's paragraph references and its relations to published decisions: two queries
    for any number of rows."""
    ids = [row["id"] for row in rows]
    references: dict[int, list[tuple]] = {pk: [] for pk in ids}
    relations: dict[int, set[tuple[str, str, str]]] = {pk: set() for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(REFERENCES_SQL, [ids])
        for decision_id, *reference in cursor.fetchall():
            references[decision_id].append(tuple(reference))
        cursor.execute(RELATIONS_SQL, [ids, ids])
        for decision_id, kind, outgoing, number, note in cursor.fetchall():
            relations[decision_id].add((kind if outgoing else INCOMING[kind], number, note))
    for row in rows:
        row["references"] = references[row["id"]]
        row["relations"] = relations[row["id"]]
    return rows


class AreaSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField()
    decisions = CountsSerializer(help_text="Published decisions in the area, by status.")

    def to_representation(self, area: Area) -> dict:
        links: Links = self.context["links"]
        return {
            "slug": area.slug,
            "name": area.name,
            "url": links.absolute(area.get_absolute_url()),
            "decisions": self.context["area_counts"].get(area.pk, NO_DECISIONS).as_json(),
        }


class ParagraphSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Also accepted by the decisions' `paragraph` filter.")
    law = serializers.SlugField()
    section = serializers.CharField(help_text="e.g. 100 or 9c")
    display = serializers.CharField(help_text="e.g. § 9 c")
    heading = serializers.CharField()
    citation = serializers.CharField(help_text="e.g. serviceloven § 100")
    url = serializers.URLField(help_text="The paragraph's page: its decisions, in force first.")
    decisions_url = serializers.URLField(help_text="Its published decisions in this API.")
    decisions = CountsSerializer(help_text="Published decisions citing the paragraph, by status.")

    def to_representation(self, paragraph: Paragraph) -> dict:
        links: Links = self.context["links"]
        law = paragraph.law
        return {
            "id": paragraph.pk,
            "law": law.slug,
            "section": paragraph.section,
            "display": display_section(paragraph.section),
            "heading": paragraph.heading,
            "citation": format_reference(Reference(law.slug, paragraph.section), law.short_name),
            "url": links.paragraph(law.slug, paragraph.section),
            "decisions_url": links.decisions_on(law.slug, paragraph.section),
            "decisions": self.context["paragraph_counts"].get(paragraph.pk, NO_DECISIONS).as_json(),
        }


class LawSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    abbreviation = serializers.CharField(help_text="e.g. SEL")
    short_name = serializers.CharField(help_text="e.g. serviceloven")
    title = serializers.CharField(help_text="The official title.")
    aliases = serializers.ListField(child=serializers.CharField(), help_text="Other names it is cited by.")
    area = serializers.SlugField(allow_null=True, help_text="Null for laws across areas (forvaltningsloven).")
    act_url = serializers.URLField(allow_null=True, help_text="The act's text, at retsinformation.dk.")
    url = serializers.URLField()
    decisions = CountsSerializer(help_text="Published decisions citing the law, by status.")

    def to_representation(self, law: Law) -> dict:
        links: Links = self.context["links"]
        return {
            "slug": law.slug,
            "abbreviation": law.abbreviation,
            "short_name": law.short_name,
            "title": law.title,
            "aliases": law.aliases,
            "area": law.area.slug if law.area_id else None,
            "act_url": law.url or None,
            "url": links.absolute(law.get_absolute_url()),
            "decisions": self.context["law_counts"].get(law.pk, NO_DECISIONS).as_json(),
        }


class LawDetailSerializer(LawSerializer):
    paragraphs = ParagraphSerializer(many=True, help_text="Its paragraphs that decisions cite.")

    def to_representation(self, law: Law) -> dict:
        paragraphs = ParagraphSerializer(context=self.context)
        for paragraph in law.cited_paragraphs:
            paragraph.law = law
        return {
            **super().to_representation(law),
            "paragraphs": [paragraphs.to_representation(paragraph) for paragraph in law.cited_paragraphs],
        }


class ResolvedLawSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    abbreviation = serializers.CharField()
    title = serializers.CharField()


class ResolvedSerializer(serializers.Serializer):
    law = ResolvedLawSerializer()
    section = serializers.CharField()
    subsection = serializers.IntegerField(allow_null=True)
    item = serializers.IntegerField(allow_null=True)
    citation = serializers.CharField(help_text="The citation written out, e.g. serviceloven § 100, stk. 1")
    url = serializers.URLField(help_text="The paragraph's page; it says so when no decision cites it yet.")
    decisions_url = serializers.URLField()
    decisions = CountsSerializer()


class ChangeSerializer(serializers.Serializer):
    number = serializers.CharField()
    action = serializers.ChoiceField(["created", "updated", "unpublished", "deleted"])
    at = serializers.DateTimeField()
    decision = DecisionSerializer(
        required=False, help_text="The decision as it is now; only for created and updated."
    )


@extend_schema_field({"type": "string"})
class CursorField(serializers.CharField):
    pass


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    cursor = CursorField(help_text="Where the next request starts: pass it as `since`.")
    next = serializers.URLField(help_text="The next request: the rest now, or new changes later.")
    has_more = serializers.BooleanField(help_text="True: fetch `next` at once. False: you are up to date.")


# Search, as on the search page


class SearchResultSerializer(serializers.Serializer):
    type = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    decided_on = serializers.DateField()
    url = serializers.URLField()
    summary = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML: the best-matching passage, matches in <mark>.")


class HotlineSearchResultSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="hotline")
    reference = serializers.CharField(help_text="e.g. HL-2024-031")
    title = serializers.CharField()
    url = serializers.URLField()
    area = serializers.SlugField()
    validity = serializers.ChoiceField(["current", "needs_review", "expired", "superseded", "withdrawn"])
    snippet = serializers.CharField(help_text="HTML: the best-matching passage, matches in <mark>.")


class SearchPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Matching decisions (or answers, with type=hotline), at most 200 (more are not ranked)."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PolymorphicProxySerializer(
        component_name="SearchResultOfEitherKind",
        serializers={"decision": SearchResultSerializer, "hotline": HotlineSearchResultSerializer},
        resource_type_field_name="type",
        many=True,
    )


class SearchParametersSerializer(serializers.Serializer):
    """The search page's parameters, checked: a value that is not understood is an error."""

    type = serializers.ChoiceField(
        ["decisions", "hotline"],
        required=False,
        help_text="decisions (default): principle decisions. hotline: the legal hotline's answers, in the "
        "same envelope (`status`, `year_from`, `year_to` do not apply; `include_historic` adds superseded "
        "and withdrawn answers).",
    )

    q = serializers.CharField(
        required=False,
        max_length=search.MAX_QUERY,
        help_text="Words, a citation (SEL § 100) or a decision number.",
    )
    area = serializers.SlugField(required=False, help_text="An area's slug, e.g. social.")
    law = serializers.SlugField(required=False, help_text="A law's slug, e.g. serviceloven.")
    paragraph = serializers.RegexField(
        r"^[a-z0-9-]+-[0-9]+[a-zæøå]?$", required=False, help_text="A paragraph, e.g. serviceloven-100."
    )
    status = serializers.ChoiceField(
        Status.values, required=False, help_text="Only decisions with this status."
    )
    year_from = serializers.IntegerField(
        required=False, min_value=1900, max_value=2100, help_text="Decided from."
    )
    year_to = serializers.IntegerField(
        required=False, min_value=1900, max_value=2100, help_text="Decided until."
    )
    include_historic = serializers.BooleanField(
        required=False, help_text="Include decisions no longer in force (left out by default)."
    )
    sort = serializers.ChoiceField(
        list(search.SORTS), required=False, help_text="relevance (default), newest, oldest."
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="The page, 20 results each.")

    def validate_area(self, slug: str) -> str:
        if not Area.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(
                _("No area has the slug “%(slug)s”; see areas/.") % {"slug": slug}
            )
        return slug

    def validate_law(self, slug: str) -> str:
        if not Law.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(
                _("No law has the slug “%(slug)s”; see laws/.") % {"slug": slug}
            )
        return slug
