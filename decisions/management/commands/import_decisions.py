from decisions.importing import import_rows, read_lines
from portal.jsonlines import ImportCommand


class Command(ImportCommand):
    help = (
        "Imports principle decisions from a JSON Lines file (one decision per line; see "
        "decisions/importing.py). The whole file is checked first; with any invalid line nothing "
        "is imported unless --skip-invalid is given. Importing the same file again changes nothing."
    )
    unit = "decisions"

    def read_lines(self, lines):
        return read_lines(lines)

    def import_rows(self, rows, progress):
        return import_rows(rows, progress=progress)
