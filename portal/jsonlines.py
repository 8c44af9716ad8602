"""What every JSON Lines import shares (decisions, hotline answers): reading a line's fields with
a problem per field instead of stopping at the first, and the command that checks the whole file
before it writes anything.

A problem reads `line N: field: what is wrong`. Every field's type, length and characters are
checked while reading (through the shared guard), so that the import itself cannot fail on a line.
"""

import datetime
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from portal import guard

MAX_LIST = 200


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


def shown(value: object) -> str:
    """A value as a message quotes it: short, and with its type when it is not a string."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def parse_date(value: object, name: str, required: bool) -> datetime.date | None:
    """A date written YYYY-MM-DD; raises ValueError("name: why") otherwise."""
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(f"{name}: must be a date written YYYY-MM-DD, not {shown(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a real date") from None


class LineReader:
    """Reads the fields of JSON Lines records, collecting every problem."""

    known_fields: set[str] = set()

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(line, name, message))

    def record(self, line: int, text: str) -> dict | None:
        """The line's JSON object, or None after a problem; unknown fields are problems."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self.problem(line, "json", f"not valid JSON ({error.msg} at column {error.colno})")
            return None
        except RecursionError:
            self.problem(line, "json", "nested too deeply")
            return None
        if not isinstance(data, dict):
            self.problem(line, "json", "each line must be one JSON object")
            return None
        for name in sorted(set(data) - self.known_fields):
            self.problem(line, name[:50], "unknown field")
        return data

    def text(
        self, line: int, data: dict, name: str, *, required: bool, max_length: int, multiline: bool = False
    ) -> str:
        """A string field: present if required, a string, short enough, no refused characters."""
        value = data.get(name)
        if value is None or (value == "" and not required):
            if required:
                self.problem(line, name, "required, a non-empty string")
            return ""
        if not isinstance(value, str):
            self.problem(line, name, f"must be a string, not {shown(value)}")
            return ""
        if required and not value.strip():
            self.problem(line, name, "required, a non-empty string")
            return ""
        if (message := guard.problem(value.strip(), multiline=multiline, max_length=max_length)) is not None:
            self.problem(line, name, message)
            return ""
        return value.strip()

    def strings(self, line: int, data: dict, name: str, max_length: int) -> list[str] | None:
        """A list of one-line strings; None (after a problem) if it is not one."""
        value = data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(line, name, f"must be a list of strings, not {shown(value)}")
            return None
        if len(value) > MAX_LIST:
            self.problem(line, name, f"has {len(value)} items; at most {MAX_LIST} are allowed")
            return None
        items = []
        for item in value:
            if (message := guard.problem(item.strip(), max_length=max_length)) is not None:
                self.problem(line, name, f"{shown(item)} {message}")
                return None
            if item.strip():
                items.append(item.strip())
        return items

    def date(self, line: int, data: dict, name: str, *, required: bool) -> datetime.date | None:
        try:
            return parse_date(data.get(name), name, required)
        except ValueError as error:
            self.problem(line, name, str(error).split(": ", 1)[1])
            return None


class ImportCommand(BaseCommand):
    """`manage.py import_… FILE [--skip-invalid]`: the whole file is checked first; with any invalid
    line nothing is written unless --skip-invalid is given; a progress bar for large files."""

    unit = "records"

    def read_lines(self, lines: Iterable[str]) -> tuple[list, list[Problem]]:
        raise NotImplementedError

    def import_rows(self, rows: list, progress: Callable[[int], None]):
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a .jsonl file, or - for standard input")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid lines and report the invalid ones"
        )

    def handle(self, *args, file: str, skip_invalid: bool, verbosity: int, **options) -> None:
        try:
            lines = sys.stdin.read().splitlines() if file == "-" else read_text_lines(Path(file))
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot be read as UTF-8 text: {error}") from None
        show = verbosity > 0 and len(lines) > 1000
        rows, problems = self.read_lines(
            tqdm(lines, desc="Checking", unit=" lines", disable=not show or None)
        )
        for problem in problems:
            self.stderr.write(str(problem))
        invalid = len({problem.line for problem in problems})
        if problems and not skip_invalid:
            raise CommandError(f"{invalid} invalid line(s) in {file}; nothing was imported.")
        with tqdm(total=len(rows), desc="Importing", unit=f" {self.unit}", disable=not show or None) as bar:
            result = self.import_rows(rows, progress=bar.update)
        self.stdout.write(
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            + (f", {invalid} invalid line(s) skipped." if problems else ".")
        )
        if problems:
            sys.exit(1)


def read_text_lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return handle.read().splitlines()
