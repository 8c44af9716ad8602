import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from decisions.importing import import_rows, read_lines


class Command(BaseCommand):
    help = (
        "Imports principle decisions from a JSON Lines file (one decision per line; see "
        "decisions/importing.py). The whole file is checked first; with any invalid line nothing "
        "is imported unless --skip-invalid is given. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a .jsonl file, or - for standard input")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid lines and report the invalid ones"
        )

    def handle(self, *args, file: str, skip_invalid: bool, verbosity: int, **options) -> None:
        try:
            lines = sys.stdin.read().splitlines() if file == "-" else _read(Path(file))
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot be read as UTF-8 text: {error}") from None
        show = verbosity > 0 and len(lines) > 1000
        rows, problems = read_lines(tqdm(lines, desc="Checking", unit=" lines", disable=not show or None))
        for problem in problems:
            self.stderr.write(str(problem))
        invalid = len({problem.line for problem in problems})
        if problems and not skip_invalid:
            raise CommandError(f"{invalid} invalid line(s) in {file}; nothing was imported.")
        with tqdm(total=len(rows), desc="Importing", unit=" decisions", disable=not show or None) as bar:
            result = import_rows(rows, progress=bar.update)
        self.stdout.write(
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            + (f", {invalid} invalid line(s) skipped." if problems else ".")
        )
        if problems:
            sys.exit(1)


def _read(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return handle.read().splitlines()
