"""The API's representation of hotline answers. As for decisions, the fields are declared for the
OpenAPI schema and `to_representation` builds each row's dict directly from plain rows."""

from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import serializers

from decisions.serializers import CursorField, ReferenceSerializer, paragraph_items
from hotline.models import Validity
from portal.addresses import absolute
from portal.api_resources import iso


class Links:
    """Absolute URLs for one request, from one `reverse()` per kind of page rather than per row."""

    def __init__(self, request) -> None:
        self.base = absolute("")
        self._answer = self.base + reverse("hotline:answer", args=["HL-0000-000"]).replace(
            "HL-0000-000", "{}"
        )
        self._api_answer = self.base + reverse("api:hotline-answer-detail", args=["HL-0000-000"]).replace(
            "HL-0000-000", "{}"
        )
        self._decision = self.base + reverse("decisions:detail", args=["12-19"]).replace("12-19", "{}")
        self._paragraph = self.base + reverse("decisions:paragraph", args=["LAW", "99999"]).replace(
            "LAW", "{0}"
        ).replace("99999", "{1}")

    def answer(self, reference: str) -> str:
        return self._answer.format(reference)

    def api_answer(self, reference: str) -> str:
        return self._api_answer.format(reference)

    def decision(self, number: str) -> str:
        return self._decision.format(number)

    def paragraph(self, law: str, section: str) -> str:
        return self._paragraph.format(law, section)


class FlagSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["decision", "amendment", "report"])
    message = serializers.CharField(
        help_text="What changed and when, in Danish, as the answer's page says it."
    )
    since = serializers.DateField(help_text="When it changed.")


class CitedDecisionSerializer(serializers.Serializer):
    number = serializers.CharField()
    url = serializers.URLField()


class AnswerSerializer(serializers.Serializer):
    reference = serializers.CharField(
        help_text="e.g. HL-2024-031: the answer's identifier and permanent address."
    )
    url = serializers.URLField(help_text="The answer's page on the portal.")
    api_url = serializers.URLField()
    title = serializers.CharField(help_text="The question in one line.")
    question = serializers.CharField(help_text="The question, anonymised.")
    answer = serializers.CharField()
    area = serializers.SlugField(help_text="The area's slug; see areas/.")
    validity = serializers.ChoiceField(
        Validity.values,
        help_text="current; needs_review (something it relies on changed: see `review_reasons`); expired "
        "(not verified by `review_by`); superseded (see `superseded_by`); withdrawn.",
    )
    review_reasons = FlagSerializer(many=True, help_text="Why it needs review; empty unless needs_review.")
    paragraphs = ReferenceSerializer(many=True, help_text="The paragraphs the answer cites, in its order.")
    decisions = CitedDecisionSerializer(many=True, help_text="The principle decisions it relies on.")
    keywords = serializers.ListField(child=serializers.CharField())
    asked_on = serializers.DateField()
    answered_on = serializers.DateField()
    verified_on = serializers.DateField(help_text="When the hotline last checked it against the law.")
    review_by = serializers.DateField(help_text="When it must be checked again.")
    superseded_by = serializers.CharField(allow_null=True, help_text="The newer answer's reference.")
    updated_at = serializers.DateTimeField(help_text="When anything shown here last changed.")

    def to_representation(self, answer: dict) -> dict:
        """`answer` is a row of `answer_rows()` completed by `with_related()`."""
        links: Links = self.context["links"]
        return {
            "reference": answer["reference"],
            "url": links.answer(answer["reference"]),
            "api_url": links.api_answer(answer["reference"]),
            "title": answer["title"],
            "question": answer["question"],
            "answer": answer["answer"],
            "area": answer["area__slug"],
            "validity": answer["validity"],
            "review_reasons": [
                {"kind": kind, "message": message, "since": since.isoformat()}
                for kind, message, since in answer["flags"]
            ],
            "paragraphs": paragraph_items(answer["references"], links),
            "decisions": [
                {"number": number, "url": links.decision(number)} for number in answer["decisions"]
            ],
            "keywords": answer["keywords"],
            "asked_on": answer["asked_on"].isoformat(),
            "answered_on": answer["answered_on"].isoformat(),
            "verified_on": answer["verified_on"].isoformat(),
            "review_by": answer["review_by"].isoformat(),
            "superseded_by": answer["superseded_by__reference"],
            "updated_at": iso(answer["updated_at"]),
        }


ANSWER_COLUMNS = (
    "id",
    "reference",
    "title",
    "question",
    "answer",
    "area__slug",
    "validity",
    "decisions",
    "keywords",
    "asked_on",
    "answered_on",
    "verified_on",
    "review_by",
    "superseded_by__reference",
    "updated_at",
)


def answer_rows(answers: QuerySet) -> QuerySet:
    """Published answers (superseded ones included) as plain rows."""
    return answers.filter(state="published").values(*ANSWER_COLUMNS)


REFERENCES_SQL = """
    SELECT r.answer_id, l.slug, l.short_name, p.section, r.subsection, r.item
    FROM hotline_answerparagraph r
    JOIN decisions_paragraph p ON p.id = r.paragraph_id
    JOIN decisions_law l ON l.id = p.law_id
    WHERE r.answer_id = ANY(%s)
    ORDER BY r.answer_id, r.position
"""
FLAGS_SQL = """
    SELECT answer_id, kind, message, happened_on FROM hotline_answerflag
    WHERE answer_id = ANY(%s) AND resolved_at IS NULL
    ORDER BY answer_id, happened_on, id
"""


def with_related(rows: list[dict]) -> list[dict]:
    """Adds each row's paragraph references and open flags: two queries for any number of rows."""
    ids = [row["id"] for row in rows]
    references: dict[int, list[tuple]] = {pk: [] for pk in ids}
    flags: dict[int, list[tuple]] = {pk: [] for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(REFERENCES_SQL, [ids])
        for answer_id, *reference in cursor.fetchall():
            references[answer_id].append(tuple(reference))
        cursor.execute(FLAGS_SQL, [ids])
        for answer_id, *flag in cursor.fetchall():
            flags[answer_id].append(tuple(flag))
    for row in rows:
        row["references"] = references[row["id"]]
        row["flags"] = flags[row["id"]]
    return rows


class AnswerChangeSerializer(serializers.Serializer):
    reference = serializers.CharField()
    action = serializers.ChoiceField(["created", "updated", "withdrawn", "unpublished", "deleted"])
    at = serializers.DateTimeField()
    answer = AnswerSerializer(
        required=False, help_text="The answer as it is now; only for created and updated."
    )


class AnswerChangePageSerializer(serializers.Serializer):
    results = AnswerChangeSerializer(many=True)
    cursor = CursorField(help_text="Where the next request starts: pass it as `since`.")
    next = serializers.URLField(help_text="The next request: the rest now, or new changes later.")
    has_more = serializers.BooleanField(help_text="True: fetch `next` at once. False: you are up to date.")


class HotlineResultSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="hotline")
    reference = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    area = serializers.SlugField()
    validity = serializers.ChoiceField(Validity.values)
    snippet = serializers.CharField(help_text="HTML: the best-matching passage, matches in <mark>.")
