from django.core.management.base import BaseCommand

from decisions import danish


class Command(BaseCommand):
    help = "Builds the search's Danish lexicon (a SQLite file in LEXICON_DIR) unless it is there already."

    def handle(self, *args, **options) -> None:
        path = danish.lexicon_path()
        if path.exists():
            self.stdout.write(f"The Danish lexicon is in {path}.")
            return
        danish.build(path)
        self.stdout.write(f"Built the Danish lexicon in {path}.")
