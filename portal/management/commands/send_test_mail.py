import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from portal import emails


class Command(BaseCommand):
    help = "Queues a test message to an address through the outbox (a worker sends it): checks mail set-up."

    def add_arguments(self, parser) -> None:
        parser.add_argument("address")

    def handle(self, *args, address: str, **options) -> None:
        try:
            validate_email(address)
        except ValidationError:
            raise CommandError(f"{address!r} is not an e-mail address.") from None
        message = emails.send(f"test:{uuid.uuid4().hex}", address, "test-message", {"to": address})
        self.stdout.write(f"Queued {message.key} to {address}; a worker sends it (make run starts one).")
