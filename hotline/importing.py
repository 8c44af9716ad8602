"""Import and export of published hotline answers as JSON Lines (pinned: other tools use it).

Required: reference (HL-2024-031), title, question, answer (strings); area (an area slug);
paragraphs (citations, at least one); asked_on, answered_on (YYYY-MM-DD). Also: decisions
(numbers of principle decisions that exist; an unknown number is an error), keywords. Optional:
owner (a staff username), verified_on (default answered_on), review_by (default verified_on plus
the area's review interval), status (published, the default, or withdrawn), superseded_by (the
reference of an answer in the file or the database).

The same rules as `import_decisions` (portal/jsonlines.py): the whole file is checked first, one
transaction, nothing written if a line is bad unless --skip-invalid, idempotent.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from decisions import vocabulary
from decisions.citations import Reference, format_citations, get_parser, parse_citations
from decisions.models import NUMBER_PATTERN, Area, Decision, Law, Paragraph
from hotline.models import (
    DEFAULT_REVIEW_MONTHS,
    REFERENCE_PATTERN,
    Answer,
    AnswerParagraph,
    AreaPolicy,
    State,
)
from portal.jsonlines import LineReader, Problem

KNOWN_FIELDS = {
    "reference",
    "title",
    "question",
    "answer",
    "area",
    "paragraphs",
    "decisions",
    "keywords",
    "asked_on",
    "answered_on",
    "owner",
    "verified_on",
    "review_by",
    "status",
    "superseded_by",
}
COMPARED_FIELDS = (
    "title",
    "question",
    "answer",
    "area_id",
    "citations",
    "decisions",
    "keywords",
    "asked_on",
    "answered_on",
    "owner_id",
    "verified_on",
    "review_by",
    "state",
)
STATUSES = {"published": State.PUBLISHED, "withdrawn": State.WITHDRAWN}
MAX_TITLE = Answer._meta.get_field("title").max_length
MAX_TEXT = 200_000
BATCH = 500


@dataclass
class Row:
    line: int
    reference: str
    values: dict[str, object]
    references: list[Reference]
    superseded_by: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class Reader(LineReader):
    known_fields = KNOWN_FIELDS

    def __init__(self) -> None:
        super().__init__()
        self.parser = get_parser()
        self.areas = dict(Area.objects.values_list("slug", "pk"))
        self.review_months = dict(AreaPolicy.objects.values_list("area_id", "review_months"))
        self.abbreviations = dict(Law.objects.values_list("slug", "abbreviation"))
        self.owners = dict(get_user_model().objects.filter(is_staff=True).values_list("username", "pk"))
        self.seen: dict[str, int] = {}
        self.cited: list[tuple[int, list[str]]] = []
        self.successors: list[tuple[int, str]] = []

    def read(self, lines: Iterable[str]) -> list[Row]:
        rows = []
        for number, line in enumerate(lines, start=1):
            if line.strip() and (row := self._row(number, line)):
                rows.append(row)
        self._check_decisions()
        self._check_successors(rows)
        return rows

    def _row(self, line: int, text: str) -> Row | None:
        before = len(self.problems)  # unknown fields, found with the record, count too
        data = self.record(line, text)
        if data is None:
            return None
        reference = self.text(line, data, "reference", required=True, max_length=20)
        if reference and not re.fullmatch(REFERENCE_PATTERN, reference):
            self.problem(line, "reference", f"{reference!r} is not a reference such as HL-2024-031")
        elif reference in self.seen:
            self.problem(line, "reference", f"{reference} is also on line {self.seen[reference]}")
        elif reference:
            self.seen[reference] = line
        title = self.text(line, data, "title", required=True, max_length=MAX_TITLE)
        question = self.text(line, data, "question", required=True, max_length=MAX_TEXT, multiline=True)
        answer = self.text(line, data, "answer", required=True, max_length=MAX_TEXT, multiline=True)
        area = data.get("area")
        if not isinstance(area, str) or area not in self.areas:
            self.problem(line, "area", f"unknown area {area!r}; known areas: {', '.join(sorted(self.areas))}")
        citations = self.strings(line, data, "paragraphs", 200)
        if citations == []:
            self.problem(line, "paragraphs", "at least one citation is required, e.g. “SEL § 100”")
        parsed = parse_citations(citations or (), self.parser)
        for error in parsed.errors:
            self.problem(line, f"paragraphs[{error.line}]", error.message)
        numbers = self.strings(line, data, "decisions", 20) or []
        for number in numbers:
            if not re.fullmatch(NUMBER_PATTERN, number):
                self.problem(line, "decisions", f"{number!r} is not a decision number such as 24-19")
        self.cited.append((line, numbers))
        keywords = self.strings(line, data, "keywords", 100) or []
        asked_on = self.date(line, data, "asked_on", required=True)
        answered_on = self.date(line, data, "answered_on", required=True)
        verified_on = self.date(line, data, "verified_on", required=False) or answered_on
        review_by = self.date(line, data, "review_by", required=False)
        if asked_on and answered_on and answered_on < asked_on:
            self.problem(line, "answered_on", f"{answered_on} is before asked_on {asked_on}")
        owner = data.get("owner")
        if owner is not None and (not isinstance(owner, str) or owner not in self.owners):
            self.problem(line, "owner", f"{owner!r} is not the username of a staff user")
        status = data.get("status", "published")
        if status not in STATUSES:
            self.problem(line, "status", f"{status!r} is not one of {', '.join(STATUSES)}")
        successor = data.get("superseded_by")
        if successor is not None:
            if not isinstance(successor, str) or not re.fullmatch(REFERENCE_PATTERN, successor):
                self.problem(line, "superseded_by", f"{successor!r} is not a reference such as HL-2024-031")
            elif successor == reference:
                self.problem(line, "superseded_by", "an answer cannot supersede itself")
            else:
                self.successors.append((line, successor))
        if len(self.problems) > before:
            return None
        if review_by is None:
            months = self.review_months.get(self.areas[area], DEFAULT_REVIEW_MONTHS)
            review_by = verified_on + relativedelta(months=months)
        values = {
            "title": title,
            "question": question,
            "answer": answer,
            "area_id": self.areas[area],
            "citations": format_citations(parsed.references, self.abbreviations),
            "decisions": list(dict.fromkeys(numbers)),
            "keywords": list(dict.fromkeys(keywords)),
            "asked_on": asked_on,
            "answered_on": answered_on,
            "owner_id": self.owners.get(owner) if owner else None,
            "verified_on": verified_on,
            "review_by": review_by,
            "state": STATUSES[status],
        }
        return Row(line, reference, values, parsed.references, successor or "")

    def _check_decisions(self) -> None:
        wanted = {number for _line, numbers in self.cited for number in numbers}
        known = set(Decision.objects.filter(number__in=wanted).values_list("number", flat=True))
        for line, numbers in self.cited:
            for number in numbers:
                if number not in known and re.fullmatch(NUMBER_PATTERN, number):
                    self.problem(line, "decisions", f"no principle decision {number} in the database")

    def _check_successors(self, rows: list[Row]) -> None:
        existing = set(
            Answer.objects.filter(reference__in={s for _l, s in self.successors}).values_list(
                "reference", flat=True
            )
        )
        for line, successor in self.successors:
            if successor not in self.seen and successor not in existing:
                self.problem(line, "superseded_by", f"no answer {successor} in the file or the database")


def read_lines(lines: Iterable[str]) -> tuple[list[Row], list[Problem]]:
    reader = Reader()
    with translation.override("en"):  # the command's report is in English throughout
        rows = reader.read(lines)
    invalid = {problem.line for problem in reader.problems}
    # A line superseded by an invalid line would point nowhere once that line is skipped.
    valid_references = {row.reference for row in rows if row.line not in invalid}
    existing = set(
        Answer.objects.filter(reference__in=[r.superseded_by for r in rows]).values_list(
            "reference", flat=True
        )
    )
    for row in rows:
        successor = row.superseded_by
        if (
            row.line not in invalid
            and successor
            and successor not in valid_references
            and successor not in existing
        ):
            reader.problem(
                row.line,
                "superseded_by",
                f"{successor} is on line {reader.seen[successor]}, which is invalid",
            )
    invalid = {problem.line for problem in reader.problems}
    return [row for row in rows if row.line not in invalid], reader.problems


@transaction.atomic
def import_rows(rows: list[Row], progress: Callable[[int], None] = lambda _n: None) -> Result:
    """Creates or updates one answer per row, with its paragraphs; all or nothing."""
    result = Result()
    now = timezone.now()
    paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for row in rows for ref in row.references)
    existing = {a.reference: a for a in Answer.objects.filter(reference__in=[row.reference for row in rows])}
    created, changed = [], []
    for row in rows:
        answer = existing.get(row.reference)
        if answer is None:
            created.append(Answer(reference=row.reference, created_at=now, updated_at=now, **row.values))
        elif any(getattr(answer, name) != value for name, value in row.values.items()):
            for name, value in row.values.items():
                setattr(answer, name, value)
            answer.updated_at = now
            changed.append(answer)
        else:
            result.unchanged += 1
    for start in range(0, len(created), BATCH * 4):
        batch = created[start : start + BATCH * 4]
        bulk_create_with_history(batch, Answer, batch_size=BATCH, default_change_reason="import")
        progress(len(batch))
    if changed:
        bulk_update_with_history(
            changed,
            Answer,
            [*COMPARED_FIELDS, "updated_at"],
            batch_size=BATCH,
            default_change_reason="import",
        )
        progress(len(changed))
    progress(result.unchanged)
    result.created, result.updated = len(created), len(changed)
    ids = dict(
        Answer.objects.filter(reference__in=[row.reference for row in rows]).values_list("reference", "pk")
    )
    rewritten = [ids[answer.reference] for answer in created + changed]
    AnswerParagraph.objects.filter(answer_id__in=rewritten).delete()
    AnswerParagraph.objects.bulk_create(
        (
            AnswerParagraph(
                answer_id=ids[row.reference],
                paragraph_id=paragraphs[ref.law, ref.section],
                subsection=ref.subsection,
                item=ref.item,
                position=position,
            )
            for row in rows
            if ids[row.reference] in set(rewritten)
            for position, ref in enumerate(row.references)
        ),
        batch_size=BATCH * 2,
    )
    _sync_successors(rows, ids)
    Answer.objects.filter(pk__in=ids.values()).refresh_validity()
    transaction.on_commit(vocabulary.forget_corpus)  # new words the typo correction must know
    return result


def _sync_successors(rows: list[Row], ids: dict[str, int]) -> None:
    """Each imported answer is superseded by exactly the answer its line names (or none)."""
    references = {row.superseded_by for row in rows if row.superseded_by} - set(ids)
    ids = {**ids, **dict(Answer.objects.filter(reference__in=references).values_list("reference", "pk"))}
    wanted = {ids[row.reference]: ids.get(row.superseded_by) for row in rows}
    current = dict(Answer.objects.filter(pk__in=wanted).values_list("pk", "superseded_by_id"))
    for pk, successor in wanted.items():
        if current.get(pk) != successor:
            Answer.objects.filter(pk=pk).update(superseded_by_id=successor)


def export_lines() -> Iterator[str]:
    """Published and withdrawn answers in the import format, oldest first."""
    answers = (
        Answer.objects.exclude(state=State.DRAFT)
        .select_related("area", "owner", "superseded_by")
        .order_by("answered_on", "reference")
    )
    for answer in answers:
        record = {
            "reference": answer.reference,
            "title": answer.title,
            "question": answer.question,
            "answer": answer.answer,
            "area": answer.area.slug,
            "paragraphs": answer.citations.splitlines(),
            "decisions": answer.decisions,
            "keywords": answer.keywords,
            "asked_on": answer.asked_on.isoformat(),
            "answered_on": answer.answered_on.isoformat(),
            "verified_on": answer.verified_on.isoformat(),
            "review_by": answer.review_by.isoformat(),
            "status": answer.state,
        }
        if answer.owner:
            record["owner"] = answer.owner.get_username()
        if answer.superseded_by:
            record["superseded_by"] = answer.superseded_by.reference
        yield json.dumps(record, ensure_ascii=False)
