from newsletters.importing import import_rows, read_lines
from portal.jsonlines import ImportCommand


class Command(ImportCommand):
    help = (
        "Imports newsletter subscribers from a JSON Lines file (one subscriber per line; see "
        "newsletters/importing.py and the README). The whole file is checked first; with any invalid "
        "line nothing is imported unless --skip-invalid is given. Importing the same file again "
        "changes nothing; a confirmed subscription is never downgraded."
    )
    unit = "subscribers"

    def read_lines(self, lines):
        return read_lines(lines)

    def import_rows(self, rows, progress):
        return import_rows(rows, progress=progress)
