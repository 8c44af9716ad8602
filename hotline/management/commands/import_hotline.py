from hotline.importing import import_rows, read_lines
from portal.jsonlines import ImportCommand


class Command(ImportCommand):
    help = (
        "Imports published hotline answers from a JSON Lines file (one answer per line; see "
        "hotline/importing.py). The whole file is checked first; with any invalid line nothing is "
        "imported unless --skip-invalid is given. Importing the same file again changes nothing."
    )
    unit = "answers"

    def read_lines(self, lines):
        return read_lines(lines)

    def import_rows(self, rows, progress):
        return import_rows(rows, progress=progress)
