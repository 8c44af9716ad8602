from django.core.management.base import BaseCommand

from hotline.importing import export_lines


class Command(BaseCommand):
    help = (
        "Writes the published (and withdrawn) hotline answers as JSON Lines, the format import_hotline reads."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", default="-", help="a file to write, or - for standard output")

    def handle(self, *args, output: str, **options) -> None:
        if output == "-":
            for line in export_lines():
                self.stdout.write(line)  # adds the newline
            return
        with open(output, "w", encoding="utf-8") as handle:
            for line in export_lines():
                handle.write(line + "\n")
