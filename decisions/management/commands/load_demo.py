import datetime
import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

BASE = Path(__file__).resolve().parents[3]
DEMO_FILE = BASE / "decisions" / "demo" / "decisions.jsonl"
HOTLINE_FILE = BASE / "hotline" / "demo" / "answers.jsonl"
QUESTIONS_FILE = BASE / "hotline" / "demo" / "questions.json"


class Command(BaseCommand):
    help = (
        "Loads the demo: principle decisions (decisions/demo/), hotline answers and questions "
        "(hotline/demo/), and flags the answers what changed puts in doubt; safe to run again."
    )

    def handle(self, *args, **options) -> None:
        call_command("import_decisions", str(DEMO_FILE), stdout=self.stdout, stderr=self.stderr)
        call_command("import_hotline", str(HOTLINE_FILE), stdout=self.stdout, stderr=self.stderr)
        self._questions()
        from hotline.flagging import keep_current

        keep_current()

    def _questions(self) -> None:
        """The questions in the lawyers' queues, in their states; no mail is sent for them."""
        from django.contrib.auth import get_user_model

        from decisions.models import Area
        from hotline.models import Question

        areas = dict(Area.objects.values_list("slug", "pk"))
        owner = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        now = timezone.now()
        for item in json.loads(QUESTIONS_FILE.read_text(encoding="utf-8")):
            if Question.objects.filter(email=item["email"], question=item["question"]).exists():
                continue
            asked = now - datetime.timedelta(days=item["days_ago"])
            closed = item["status"] in ("answered", "declined", "duplicate")
            question = Question(
                name=item["name"],
                email=item["email"],
                municipality=item["municipality"],
                area_id=areas[item["area"]],
                question=item["question"],
                citations=item["citations"],
                status=item["status"],
                reply=item["reply"],
                created_at=asked,
                owner=owner if item["status"] != "new" else None,
                closed_at=asked + datetime.timedelta(days=5) if closed else None,
            )
            question.save()
