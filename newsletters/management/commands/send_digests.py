import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsletters.models import Frequency


def as_of(value: str) -> datetime.datetime:
    """2026-11-23T07:00 (Copenhagen time unless an offset is given)."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not a date and time such as 2026-11-23T07:00") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Runs one frequency's digests by hand: collects the news, queues each subscriber's digest for "
        "the period (the one --as-of falls in; default now) in the outbox and sends it. Running it "
        "again for the same period sends nothing more."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--frequency", required=True, choices=Frequency.values)
        parser.add_argument("--as-of", type=as_of, help="the period ending then, e.g. 2026-11-23T07:00")
        parser.add_argument(
            "--queue-only", action="store_true", help="queue the digests; let the workers send"
        )

    def handle(
        self, *args, frequency: str, as_of: datetime.datetime | None, queue_only: bool, **options
    ) -> None:
        from newsletters.digests import run
        from portal import outbox

        digest_run = run(frequency, as_of)
        self.stdout.write(
            f"{digest_run}: {digest_run.events} event(s), {digest_run.subscribers} subscriber(s) served, "
            f"{digest_run.digests} digest(s) queued (batch {digest_run.batch})."
        )
        if queue_only:
            return
        handled = 0
        while claimed := outbox.deliver():
            handled += claimed
        self.stdout.write(f"{handled} message(s) handed to the mail server.")
