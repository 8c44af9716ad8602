"""Import and export of principle decisions as JSON Lines (one decision per line, UTF-8).

Fields: number, title, summary, body (required strings); practice_note; decided_on (YYYY-MM-DD,
required); published_on; area (an area slug, required); status (in_force, partly_changed,
no_longer_in_force; default in_force); paragraphs (citations, at least one); keywords; replaces
(numbers of decisions in the file or already in the database).
"""

import datetime
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from decisions.citations import CitationError, Reference, format_reference, get_parser, split_section
from decisions.models import (
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


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class Row:
    line: int
    number: str
    values: dict[str, object]  # model field values, `citations` included
    references: list[Reference]
    replaces: list[str] = field(default_factory=list)


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
MAX_LIST = 200
MAX_TEXT = 1_000_000
CHECK_VECTOR_FROM = 100_000


def _date(value: object, name: str, required: bool) -> datetime.date | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(f"{name}: must be a date written YYYY-MM-DD, not {_shown(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a real date") from None


def _shown(value: object) -> str:
    """A value as a message quotes it: short, and with its type when it is not a string."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


class Reader:
    """Validates lines of the import format; collects every problem instead of stopping at the first.
    Every field's type, length and characters are checked here, so that the import itself cannot
    fail on a line."""

    def __init__(self) -> None:
        self.parser = get_parser()
        self.areas = dict(Area.objects.values_list("slug", "pk"))
        self.abbreviations = dict(Law.objects.values_list("slug", "abbreviation"))
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}
        self.replacements: list[tuple[int, list[str]]] = []

    def read(self, lines: Iterable[str]) -> list[Row]:
        rows = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = self._row(number, line)
            if row:
                rows.append(row)
        self._check_vectors(rows)
        self._check_replaces(rows)
        return rows

    def _problem(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(line, name, message))

    def _text(
        self, line: int, data: dict, name: str, *, required: bool, max_length: int, multiline: bool = False
    ) -> str:
        """A string field: present if required, a string, short enough, no refused characters."""
        value = data.get(name)
        if value is None or (value == "" and not required):
            if required:
                self._problem(line, name, "required, a non-empty string")
            return ""
        if not isinstance(value, str):
            self._problem(line, name, f"must be a string, not {_shown(value)}")
            return ""
        if required and not value.strip():
            self._problem(line, name, "required, a non-empty string")
            return ""
        if (message := guard.problem(value.strip(), multiline=multiline, max_length=max_length)) is not None:
            self._problem(line, name, message)
            return ""
        return value.strip()

    def _strings(self, line: int, data: dict, name: str, max_length: int) -> list[str] | None:
        """A list of one-line strings; None (after a problem) if it is not one."""
        value = data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self._problem(line, name, f"must be a list of strings, not {_shown(value)}")
            return None
        if len(value) > MAX_LIST:
            self._problem(line, name, f"has {len(value)} items; at most {MAX_LIST} are allowed")
            return None
        items = []
        for item in value:
            if (message := guard.problem(item.strip(), max_length=max_length)) is not None:
                self._problem(line, name, f"{_shown(item)} {message}")
                return None
            if item.strip():
                items.append(item.strip())
        return items

    def _row(self, line: int, text: str) -> Row | None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self._problem(line, "json", f"not valid JSON ({error.msg} at column {error.colno})")
            return None
        except RecursionError:
            self._problem(line, "json", "nested too deeply")
            return None
        if not isinstance(data, dict):
            self._problem(line, "json", "each line must be one JSON object")
            return None
        before = len(self.problems)
        for name in sorted(set(data) - KNOWN_FIELDS):
            self._problem(line, name[:50], "unknown field")

        number = self._text(line, data, "number", required=True, max_length=20)
        if number and not re.fullmatch(NUMBER_PATTERN, number):
            self._problem(line, "number", f"{number!r} is not a decision number such as 12-19 or C-16-99")
        elif number in self.seen:
            self._problem(line, "number", f"{number} is also on line {self.seen[number]}")
        elif number:
            self.seen[number] = line
        title = self._text(line, data, "title", required=True, max_length=MAX_TITLE)
        summary = self._text(line, data, "summary", required=True, max_length=MAX_TEXT, multiline=True)
        body = self._text(line, data, "body", required=True, max_length=MAX_TEXT, multiline=True)
        practice_note = self._text(
            line, data, "practice_note", required=False, max_length=MAX_TEXT, multiline=True
        )
        values: dict[str, object] = {}
        for name, required in (("decided_on", True), ("published_on", False)):
            try:
                values[name] = _date(data.get(name), name, required)
            except ValueError as error:
                self._problem(line, name, str(error).split(": ", 1)[1])
        area = data.get("area")
        if not isinstance(area, str) or area not in self.areas:
            known = ", ".join(sorted(self.areas))
            self._problem(line, "area", f"unknown area {_shown(area)}; known areas: {known}")
        status = data.get("status") or Status.IN_FORCE
        if not isinstance(status, str) or status not in Status.values:
            self._problem(line, "status", f"{_shown(status)} is not one of {', '.join(Status.values)}")

        references: list[Reference] = []
        citations = self._strings(line, data, "paragraphs", MAX_CITATION)
        if citations == []:
            self._problem(line, "paragraphs", "at least one citation is required, e.g. “SEL § 100”")
        for citation in citations or ():
            try:
                references.extend(self.parser.parse(citation))
            except CitationError as error:
                self._problem(line, "paragraphs", str(error))
        keywords = self._strings(line, data, "keywords", MAX_KEYWORD) or []
        replaces = self._strings(line, data, "replaces", 20) or []
        for target in replaces:
            if not re.fullmatch(NUMBER_PATTERN, target):
                self._problem(line, "replaces", f"{target!r} is not a decision number such as 12-19")
        if number and number in replaces:
            self._problem(line, "replaces", "a decision cannot replace itself")
        self.replacements.append((line, replaces))
        if len(self.problems) > before:
            return None
        references = list(dict.fromkeys(references))
        values.update(
            title=title,
            summary=summary,
            body=body,
            practice_note=practice_note,
            area_id=self.areas[area],
            status=status,
            keywords=list(dict.fromkeys(keywords)),
            citations="\n".join(format_reference(ref, self.abbreviations[ref.law]) for ref in references),
            is_published=True,
        )
        return Row(line, number, values, references, list(dict.fromkeys(replaces)))

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
                self._problem(row.line, "body", f"the text is too long to be searched ({message})")
        invalid = {problem.line for problem in self.problems}
        rows[:] = [row for row in rows if row.line not in invalid]

    def _check_replaces(self, rows: list[Row]) -> None:
        """Each decision a line replaces must be valid in the file or already in the database. A
        line that names one on an invalid line is invalid too, so that --skip-invalid never
        imports a replacement of something it skipped."""
        wanted = {number for _line, numbers in self.replacements for number in numbers}
        existing = set(Decision.objects.filter(number__in=wanted).values_list("number", flat=True))
        for line, numbers in self.replacements:
            for number in numbers:
                if number not in self.seen and number not in existing:
                    self._problem(line, "replaces", f"no decision {number} in the file or the database")
        while True:
            invalid = {problem.line for problem in self.problems}
            valid = {row.number for row in rows if row.line not in invalid}
            newly = False
            for row in rows:
                if row.line in invalid:
                    continue
                for number in row.replaces:
                    if number not in valid and number not in existing and number in self.seen:
                        self._problem(
                            row.line, "replaces", f"{number} is on line {self.seen[number]}, which is invalid"
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
    """Creates or updates one published decision per row, with paragraphs and replacements; all or nothing."""
    result = Result()
    now = timezone.now()
    paragraphs = _paragraphs({(ref.law, ref.section) for row in rows for ref in row.references})
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
    _sync_replacements(rows, existing)
    if result.created + result.updated > ANALYZE_AFTER:
        # Fresh statistics, so that the first page views after a large import get good query plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE decisions_decision, decisions_paragraphreference, decisions_relation")
    decisions_changed()
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


def _paragraphs(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The ids of the paragraphs `keys` name, creating those that are new."""
    laws = dict(Law.objects.values_list("slug", "pk"))
    rows = Paragraph.objects.filter(law__slug__in={law for law, _section in keys}).values_list(
        "pk", "law__slug", "section"
    )
    found = {(law, section): pk for pk, law, section in rows}
    missing = sorted(keys - set(found))
    new = [Paragraph(law_id=laws[law], section=section) for law, section in missing]
    for paragraph in new:  # bulk_create skips save(), which fills these in
        paragraph.number, paragraph.letter = split_section(paragraph.section)
    for key, paragraph in zip(missing, Paragraph.objects.bulk_create(new, batch_size=BATCH), strict=True):
        found[key] = paragraph.pk
    return found


def _existing(numbers: set[str]) -> dict[str, Decision]:
    existing: dict[str, Decision] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), BATCH * 5):
        for decision in Decision.objects.filter(number__in=ordered[start : start + BATCH * 5]):
            existing[decision.number] = decision
    return existing


def _sync_replacements(rows: list[Row], decisions: dict[str, Decision]) -> None:
    """Each imported decision replaces exactly the decisions its line lists."""
    targets = {number for row in rows for number in row.replaces} - set(decisions)
    decisions.update({decision.number: decision for decision in Decision.objects.filter(number__in=targets)})
    wanted = {(decisions[row.number].pk, decisions[number].pk) for row in rows for number in row.replaces}
    sources = [decisions[row.number].pk for row in rows]
    current = set(
        Relation.objects.filter(kind=Relation.Kind.REPLACES, source_id__in=sources).values_list(
            "source_id", "target_id"
        )
    )
    for source_id, target_id in current - wanted:
        Relation.objects.get(kind=Relation.Kind.REPLACES, source_id=source_id, target_id=target_id).delete()
    new = [
        Relation(kind=Relation.Kind.REPLACES, source_id=source_id, target_id=target_id)
        for source_id, target_id in sorted(wanted - current)
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
                    queryset=Relation.objects.filter(kind=Relation.Kind.REPLACES)
                    .select_related("target")
                    .order_by("target__number"),
                    to_attr="replacing",
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
            "replaces": [relation.target.number for relation in decision.replacing],
        }
        yield json.dumps(record, ensure_ascii=False)
