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
ISSUES_FILE = BASE / "newsletters" / "demo" / "issues.json"


class Command(BaseCommand):
    help = (
        "Loads the demo: principle decisions (decisions/demo/), hotline answers and questions "
        "(hotline/demo/), two sent issues of the newsletter for its archive (newsletters/demo/), and "
        "flags the answers what changed puts in doubt; safe to run again."
    )

    def handle(self, *args, **options) -> None:
        call_command("import_decisions", str(DEMO_FILE), stdout=self.stdout, stderr=self.stderr)
        call_command("import_hotline", str(HOTLINE_FILE), stdout=self.stdout, stderr=self.stderr)
        self._questions()
        self._issues()
        from hotline.flagging import keep_current

        keep_current()

    def _issues(self) -> None:
        """Sent issues of "Nyt fra Ankestyrelsen" for the archive; no mail is sent for them."""
        from decisions.citations import parse_citations
        from decisions.models import Area, Law
        from newsletters.models import Issue, Item

        now = timezone.now()
        for data in json.loads(ISSUES_FILE.read_text(encoding="utf-8")):
            if Issue.objects.filter(slug=data["slug"]).exists():
                continue
            sent = now - datetime.timedelta(days=data["days_ago"])
            issue = Issue.objects.create(
                slug=data["slug"],
                title=data["title"],
                introduction=data["introduction"],
                state=Issue.State.SENT,
                send_at=sent,
                sent_at=sent,
            )
            for position, entry in enumerate(data["items"], start=1):
                item = Item.objects.create(
                    issue=issue,
                    position=position,
                    heading=entry["heading"],
                    text=entry["text"],
                    for_everyone=entry.get("for_everyone", False),
                    citations=entry.get("citations", ""),
                )
                item.areas.set(Area.objects.filter(slug__in=entry.get("areas", [])))
                item.laws.set(Law.objects.filter(slug__in=entry.get("laws", [])))
                item.set_references(parse_citations(entry.get("citations", "")).references)

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
