"""Import and export of principle decisions as JSON Lines (one decision per line, UTF-8).

Fields: number, title, summary, body (required strings); practice_note; decided_on (YYYY-MM-DD,
required); published_on; area (an area slug, required); status (in_force, partly_changed,
no_longer_in_force; default in_force); paragraphs (citations, at least one); keywords; replaces
(numbers of decisions in the file or already in the database); changes (the decisions it changes in
part: numbers, or objects {"number": "22-15", "note": "what no longer applies"}).
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from decisions import vocabulary
from decisions.citations import (
    Reference,
    format_citations,
    get_parser,
    parse_citations,
)
from decisions.models import (
    MAX_NOTE,
    NUMBER_PATTERN,
    Area,
    Decision,
    Law,
    Paragraph,
    ParagraphReference,
    Relation,
    Status,
    decisions_changed,
)
from portal import guard
from portal.jsonlines import MAX_LIST, LineReader, Problem, shown

REQUIRED_TEXT = ("number", "title", "summary", "body")
KNOWN_FIELDS = {
    *REQUIRED_TEXT,
    "practice_note",
    "decided_on",
    "published_on",
    "area",
    "status",
    "paragraphs",
    "keywords",
    "replaces",
    "changes",
}
COMPARED_FIELDS = (
    "title",
    "summary",
    "body",
    "practice_note",
    "decided_on",
    "published_on",
    "area_id",
    "status",
    "keywords",
    "citations",
    "is_published",
)
ANALYZE_AFTER = 1000
BATCH = 500  # large enough to be fast; larger INSERTs take psycopg longer to prepare


@dataclass
class Row:
    line: int
    number: str
    values: dict[str, object]  # model field values, `citations` included
    references: list[Reference]
    replaces: list[str] = field(default_factory=list)
    changes: dict[str, str] = field(default_factory=dict)  # number → note


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


# Bounds on what a line may hold, checked before anything is written. The text limits are far
# beyond any real decision; a decision's searchable text must also fit PostgreSQL's tsvector,
# which the database is asked about for every decision longer than CHECK_VECTOR_FROM.
MAX_TITLE = Decision._meta.get_field("title").max_length
MAX_KEYWORD = 100
MAX_CITATION = 200
MAX_TEXT = 1_000_000
CHECK_VECTOR_FROM = 100_000


class Reader(LineReader):
    """Validates lines of the import format; collects every problem instead of stopping at the first.
    Every field's type, length and characters are checked here, so that the import itself cannot
    fail on a line."""

    known_fields = KNOWN_FIELDS

    def __init__(self) -> None:
        super().__init__()
        self.parser = get_parser()
        self.areas = dict(Area.objects.values_list("slug", "pk"))
        self.abbreviations = dict(Law.objects.values_list("slug", "abbreviation"))
        self.seen: dict[str, int] = {}
        # (line, field, numbers): the decisions each line replaces or changes.
        self.relations: list[tuple[int, str, list[str]]] = []

    def read(self, lines: Iterable[str]) -> list[Row]:
        rows = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = self._row(number, line)
            if row:
                rows.append(row)
        self._check_vectors(rows)
        self._check_relations(rows)
        return rows

    def _row(self, line: int, text: str) -> Row | None:
        before = len(self.problems)  # unknown fields, found with the record, count too
        data = self.record(line, text)
        if data is None:
            return None

        number = self.text(line, data, "number", required=True, max_length=20)
        if number and not re.fullmatch(NUMBER_PATTERN, number):
            self.problem(line, "number", f"{number!r} is not a decision number such as 12-19 or C-16-99")
        elif number in self.seen:
            self.problem(line, "number", f"{number} is also on line {self.seen[number]}")
        elif number:
            self.seen[number] = line
        title = self.text(line, data, "title", required=True, max_length=MAX_TITLE)
        summary = self.text(line, data, "summary", required=True, max_length=MAX_TEXT, multiline=True)
        body = self.text(line, data, "body", required=True, max_length=MAX_TEXT, multiline=True)
        practice_note = self.text(
            line, data, "practice_note", required=False, max_length=MAX_TEXT, multiline=True
        )
        values: dict[str, object] = {}
        for name, required in (("decided_on", True), ("published_on", False)):
            values[name] = self.date(line, data, name, required=required)
        area = data.get("area")
        if not isinstance(area, str) or area not in self.areas:
            known = ", ".join(sorted(self.areas))
            self.problem(line, "area", f"unknown area {shown(area)}; known areas: {known}")
        status = data.get("status") or Status.IN_FORCE
        if not isinstance(status, str) or status not in Status.values:
            self.problem(line, "status", f"{shown(status)} is not one of {', '.join(Status.values)}")

        citations = self.strings(line, data, "paragraphs", MAX_CITATION)
        if citations == []:
            self.problem(line, "paragraphs", "at least one citation is required, e.g. “SEL § 100”")
        parsed = parse_citations(citations or (), self.parser)
        for error in parsed.errors:
            self.problem(line, f"paragraphs[{error.line}]", error.message)
        references = parsed.references
        keywords = self.strings(line, data, "keywords", MAX_KEYWORD) or []
        replaces = self.strings(line, data, "replaces", 20) or []
        for target in replaces:
            if not re.fullmatch(NUMBER_PATTERN, target):
                self.problem(line, "replaces", f"{target!r} is not a decision number such as 12-19")
        if number and number in replaces:
            self.problem(line, "replaces", "a decision cannot replace itself")
        changes = self._changes(line, data)
        if number and number in changes:
            self.problem(line, "changes", "a decision cannot change itself")
        for target in sorted(set(replaces) & set(changes)):
            self.problem(
                line, "changes", f"{target} is also in replaces; a decision replaces or changes another"
            )
        self.relations += [(line, "replaces", replaces), (line, "changes", list(changes))]
        if len(self.problems) > before:
            return None
        values.update(
            title=title,
            summary=summary,
            body=body,
            practice_note=practice_note,
            area_id=self.areas[area],
            status=status,
            keywords=list(dict.fromkeys(keywords)),
            citations=format_citations(references, self.abbreviations),
            is_published=True,
        )
        return Row(line, number, values, references, list(dict.fromkeys(replaces)), changes)

    def _changes(self, line: int, data: dict) -> dict[str, str]:
        """The `changes` field: decision numbers, or objects with a number and a note."""
        value = data.get("changes")
        if value is None:
            return {}
        if not isinstance(value, list):
            self.problem(line, "changes", f"must be a list of numbers or of objects, not {shown(value)}")
            return {}
        if len(value) > MAX_LIST:
            self.problem(line, "changes", f"has {len(value)} items; at most {MAX_LIST} are allowed")
            return {}
        changes: dict[str, str] = {}
        for position, item in enumerate(value, start=1):
            where = f"changes[{position}]"
            if isinstance(item, str):
                item = {"number": item}
            if not isinstance(item, dict):
                self.problem(line, where, f"must be a number or an object, not {shown(item)}")
                continue
            for name in sorted(set(item) - {"number", "note"}):
                self.problem(line, where, f"unknown field {shown(name)}; an item has number and note")
            number, note = item.get("number"), item.get("note", "")
            if not isinstance(number, str) or not re.fullmatch(NUMBER_PATTERN, number.strip()):
                self.problem(line, where, f"{shown(number)} is not a decision number such as 12-19")
                continue
            if not isinstance(note, str):
                self.problem(line, f"{where}.note", f"must be a string, not {shown(note)}")
                continue
            if (message := guard.problem(note.strip(), multiline=True, max_length=MAX_NOTE)) is not None:
                self.problem(line, f"{where}.note", message)
                continue
            if number.strip() in changes:
                self.problem(line, where, f"{number.strip()} is listed twice")
                continue
            changes[number.strip()] = note.strip()
        return changes

    def _check_vectors(self, rows: list[Row]) -> None:
        """Asks PostgreSQL whether the longest decisions' text fits a tsvector, as the search
        trigger (migration 0005) builds it; those that do not are problems, not a failed import."""
        for row in [row for row in rows if _text_length(row) > CHECK_VECTOR_FROM]:
            values = row.values
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        VECTOR,
                        [
                            row.number,
                            values["title"],
                            values["citations"],
                            values["keywords"],
                            values["summary"],
                            values["practice_note"],
                            values["body"],
                        ],
                    )
            except DatabaseError as error:
                message = str(error).splitlines()[0]
                self.problem(row.line, "body", f"the text is too long to be searched ({message})")
        invalid = {problem.line for problem in self.problems}
        rows[:] = [row for row in rows if row.line not in invalid]

    def _check_relations(self, rows: list[Row]) -> None:
        """Each decision a line replaces or changes must be valid in the file or already in the
        database. A line that names one on an invalid line is invalid too, so that --skip-invalid
        never imports a replacement of something it skipped."""
        wanted = {number for _line, _field, numbers in self.relations for number in numbers}
        existing = set(Decision.objects.filter(number__in=wanted).values_list("number", flat=True))
        for line, name, numbers in self.relations:
            for number in numbers:
                if number not in self.seen and number not in existing:
                    self.problem(line, name, f"no decision {number} in the file or the database")
        while True:
            invalid = {problem.line for problem in self.problems}
            valid = {row.number for row in rows if row.line not in invalid}
            newly = False
            for row in rows:
                if row.line in invalid:
                    continue
                for name, numbers in (("replaces", row.replaces), ("changes", list(row.changes))):
                    broken = [n for n in numbers if n not in valid and n not in existing and n in self.seen]
                    if broken:
                        number = broken[0]
                        self.problem(
                            row.line, name, f"{number} is on line {self.seen[number]}, which is invalid"
                        )
                        newly = True
                        break
            if not newly:
                break


# The search trigger's vector (migration 0005), for the same values.
VECTOR = (
    "SELECT setweight(to_tsvector('danish', concat_ws(' ', %s::text, %s::text, %s::text, "
    "array_to_string(%s::text[], ' '))), 'A') "
    "|| setweight(to_tsvector('danish', %s), 'B') "
    "|| setweight(to_tsvector('danish', %s), 'C') "
    "|| setweight(to_tsvector('danish', %s), 'D')"
)


def _text_length(row: Row) -> int:
    values = row.values
    return sum(len(values[name]) for name in ("title", "summary", "body", "practice_note"))


def read_lines(lines: Iterable[str]) -> tuple[list[Row], list[Problem]]:
    reader = Reader()
    with translation.override("en"):  # the command's report is in English throughout
        rows = reader.read(lines)
    invalid = {problem.line for problem in reader.problems}
    return [row for row in rows if row.line not in invalid], reader.problems


@transaction.atomic
def import_rows(rows: list[Row], progress: Callable[[int], None] = lambda _n: None) -> Result:
    """Creates or updates one published decision per row, with paragraphs and relations; all or nothing."""
    result = Result()
    now = timezone.now()
    paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for row in rows for ref in row.references)
    existing = _existing({row.number for row in rows})
    created: list[Decision] = []
    changed: list[Decision] = []
    for row in rows:
        decision = existing.get(row.number)
        if decision is None:
            created.append(Decision(number=row.number, **row.values))
        elif any(getattr(decision, name) != value for name, value in row.values.items()):
            for name, value in row.values.items():
                setattr(decision, name, value)
            decision.updated_at = now  # bulk updates skip auto_now
            changed.append(decision)
        else:
            result.unchanged += 1
    existing.update(_copy_new(created, now, progress))
    if changed:
        bulk_update_with_history(
            changed,
            Decision,
            [*COMPARED_FIELDS, "updated_at"],
            batch_size=BATCH,
            default_change_reason="import",
        )
        progress(len(changed))
    progress(result.unchanged)
    result.created, result.updated = len(created), len(changed)

    rewritten = {existing[decision.number].pk for decision in created + changed}
    with connection.cursor() as cursor:
        # Only decisions written above get new references, and they are in the change feed already
        # (migration 0009): their references need not mark them changed again.
        cursor.execute("SELECT set_config('decisions.references_follow_decisions', 'on', true)")
    ParagraphReference.objects.filter(decision_id__in=[decision.pk for decision in changed]).delete()
    _copy(
        ParagraphReference,
        ["decision", "paragraph", "subsection", "item", "position"],
        (
            (existing[row.number].pk, paragraphs[(ref.law, ref.section)], ref.subsection, ref.item, position)
            for row in rows
            if existing[row.number].pk in rewritten
            for position, ref in enumerate(row.references)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('decisions.references_follow_decisions', 'off', true)")
    _sync_relations(rows, existing)
    if result.created + result.updated > ANALYZE_AFTER:
        # Fresh statistics, so that the first page views after a large import get good query plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE decisions_decision, decisions_paragraphreference, decisions_relation")
    decisions_changed()
    transaction.on_commit(vocabulary.forget_corpus)  # new words for the search's compounds and typos
    return result


def _copy(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> None:
    """Writes rows with PostgreSQL's COPY: many times faster than INSERTs for large imports."""
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


NEW_FIELDS = ["number", *(name.removesuffix("_id") for name in COMPARED_FIELDS), "created_at", "updated_at"]


def _copy_new(decisions: list[Decision], now, progress: Callable[[int], None]) -> dict[str, Decision]:
    """Creates the new decisions and their first history records; returns them by number, with ids."""
    for start in range(0, len(decisions), BATCH * 10):
        batch = decisions[start : start + BATCH * 10]
        _copy(
            Decision,
            NEW_FIELDS,
            ((d.number, *(getattr(d, name) for name in COMPARED_FIELDS), now, now) for d in batch),
        )
        progress(len(batch))
    numbers = [decision.number for decision in decisions]
    created = {decision.number: decision for decision in Decision.objects.filter(number__in=numbers)}
    _record_history([decision.pk for decision in created.values()], now, "+")
    return created


def _record_history(pks: list[int], when, kind: str) -> None:
    """Copies the rows' current state into their history inside the database, as simple_history would."""
    history = Decision.history.model
    tracked = [f.column for f in history._meta.fields if not f.name.startswith("history_")]
    columns = ", ".join(connection.ops.quote_name(column) for column in tracked)
    target = connection.ops.quote_name(history._meta.db_table)
    source = connection.ops.quote_name(Decision._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target} ({columns}, history_date, history_change_reason, history_type, "  # noqa: S608
            f"history_user_id) SELECT {columns}, %s, 'import', %s, NULL FROM {source} WHERE id = ANY(%s)",
            [when, kind, pks],
        )


def _existing(numbers: set[str]) -> dict[str, Decision]:
    existing: dict[str, Decision] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), BATCH * 5):
        for decision in Decision.objects.filter(number__in=ordered[start : start + BATCH * 5]):
            existing[decision.number] = decision
    return existing


def _sync_relations(rows: list[Row], decisions: dict[str, Decision]) -> None:
    """Each imported decision replaces and changes exactly the decisions its line lists, with
    the notes it gives; relations of other kinds (see also) are left as they are."""
    targets = {number for row in rows for number in [*row.replaces, *row.changes]} - set(decisions)
    decisions.update({decision.number: decision for decision in Decision.objects.filter(number__in=targets)})
    wanted: dict[tuple[int, int, str], str] = {}
    for row in rows:
        source = decisions[row.number].pk
        for number in row.replaces:
            wanted[(source, decisions[number].pk, Relation.Kind.REPLACES)] = ""
        for number, note in row.changes.items():
            wanted[(source, decisions[number].pk, Relation.Kind.CHANGES)] = note
    sources = [decisions[row.number].pk for row in rows]
    current = {
        (relation.source_id, relation.target_id, relation.kind): relation
        for relation in Relation.objects.filter(
            kind__in=[Relation.Kind.REPLACES, Relation.Kind.CHANGES], source_id__in=sources
        )
    }
    for key in sorted(set(current) - set(wanted)):
        current[key].delete()
    renoted = []
    for key in sorted(set(current) & set(wanted)):
        if current[key].note != wanted[key]:
            current[key].note = wanted[key]
            renoted.append(current[key])
    if renoted:
        bulk_update_with_history(
            renoted, Relation, ["note"], batch_size=BATCH, default_change_reason="import"
        )
    new = [
        Relation(
            source_id=source_id, target_id=target_id, kind=kind, note=wanted[(source_id, target_id, kind)]
        )
        for source_id, target_id, kind in sorted(set(wanted) - set(current))
    ]
    bulk_create_with_history(new, Relation, batch_size=BATCH, default_change_reason="import")


def export_lines(decisions: Iterable[Decision] | None = None) -> Iterator[str]:
    """The published decisions in the import format, oldest first."""
    if decisions is None:
        decisions = (
            Decision.objects.published()
            .select_related("area")
            .prefetch_related(
                Prefetch(
                    "relations_from",
                    queryset=Relation.objects.filter(kind__in=[Relation.Kind.REPLACES, Relation.Kind.CHANGES])
                    .select_related("target")
                    .order_by("target__number"),
                    to_attr="relations_out",
                )
            )
            .order_by("decided_on", "number")
        )
    for decision in decisions:
        record = {
            "number": decision.number,
            "title": decision.title,
            "summary": decision.summary,
            "body": decision.body,
            "practice_note": decision.practice_note,
            "decided_on": decision.decided_on.isoformat(),
            "published_on": decision.published_on.isoformat() if decision.published_on else None,
            "area": decision.area.slug,
            "status": decision.status,
            "paragraphs": decision.citations.splitlines(),
            "keywords": decision.keywords,
            "replaces": [
                relation.target.number
                for relation in decision.relations_out
                if relation.kind == Relation.Kind.REPLACES
            ],
        }
        changes = [
            {"number": relation.target.number, "note": relation.note}
            if relation.note
            else relation.target.number
            for relation in decision.relations_out
            if relation.kind == Relation.Kind.CHANGES
        ]
        if changes:
            record["changes"] = changes
        yield json.dumps(record, ensure_ascii=False)
