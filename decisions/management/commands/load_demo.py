from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "decisions.jsonl"


class Command(BaseCommand):
    help = "Loads the demo principle decisions (decisions/demo/decisions.jsonl); safe to run again."

    def handle(self, *args, **options) -> None:
        call_command("import_decisions", str(DEMO_FILE), stdout=self.stdout, stderr=self.stderr)
