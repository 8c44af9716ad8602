from django.core.management.base import BaseCommand, CommandError

from decisions.models import Synonym
from decisions.vocabulary import VOCABULARY_FILE, forget_synonyms, load_vocabulary


class Command(BaseCommand):
    help = (
        f"Adds the search vocabulary kept in the repository ({VOCABULARY_FILE.name}) to the synonyms: "
        "new terms are created, existing ones gain the file's new alternatives, nothing is removed."
    )

    def handle(self, *args, **options) -> None:
        try:
            created, extended = load_vocabulary(Synonym)
        except ValueError as error:
            raise CommandError(f"{VOCABULARY_FILE}:\n{error}") from None
        forget_synonyms()
        self.stdout.write(f"{created} terms added, {extended} extended.")
