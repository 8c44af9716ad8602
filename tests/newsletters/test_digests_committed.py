"""Digests with committed data, as separate processes see it: an item published in a transaction
that commits late is never skipped, and a real worker killed with SIGKILL in the middle of a run
loses no one's digest and sends no one two (counted at a real SMTP server on loopback)."""

import datetime
import email
import signal
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone

from decisions.models import Area
from newsletters import digests
from newsletters.models import DigestRun, Event, Subscriber
from newsletters.tasks import send_digests
from portal.models import OutgoingMail
from tests.conftest import service_env, start_worker, stop_worker
from tests.newsletters.helpers import new_decision, subscriber


def test_an_item_published_in_a_transaction_that_commits_late_is_never_skipped(committed_db):
    reader = subscriber(areas=["social"])
    written, release = threading.Event(), threading.Event()

    def slow_editor() -> None:
        try:
            with transaction.atomic():
                new_decision(number="1-26", title="Skrevet først, gemt sidst", citations="SEL § 100")
                written.set()
                release.wait(30)
        finally:
            connection.close()

    editor = threading.Thread(target=slow_editor)
    editor.start()
    assert written.wait(30)
    new_decision(number="2-26", title="Skrevet sidst, gemt først", citations="SEL § 100")

    first = digests.run("daily", timezone.now())
    release.set()
    editor.join(30)
    second = digests.run("daily", timezone.now() + datetime.timedelta(days=1))

    mails = list(OutgoingMail.objects.filter(kind="digest", to=reader.email).order_by("pk"))
    text = "".join(mail.body_text for mail in mails)
    assert text.count("1-26 Skrevet først, gemt sidst") == 1
    assert text.count("2-26 Skrevet sidst, gemt først") == 1
    assert first.digests + second.digests == len(mails) >= 1


class Counting:
    """Accepts every message, counting digests per recipient."""

    def __init__(self) -> None:
        self.digests: dict[str, int] = {}

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        if message["List-Id"]:
            for recipient in envelope.rcpt_tos:
                self.digests[recipient] = self.digests.get(recipient, 0) + 1
        return "250 OK"


def _wait(condition, seconds: float, what: str) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


READERS = 1500


def test_a_worker_killed_mid_run_loses_no_digest_and_sends_none_twice(
    committed_db, unused_tcp_port, tmp_path
):
    social = Area.objects.get(slug="social")
    Subscriber.objects.bulk_create(
        Subscriber(email=f"laeser{n}@kommune.dk", state="confirmed", frequency="daily", kinds=["decisions"])
        for n in range(READERS)
    )
    Subscriber.areas.through.objects.bulk_create(
        Subscriber.areas.through(subscriber_id=pk, area_id=social.pk)
        for pk in Subscriber.objects.values_list("pk", flat=True)
    )
    for number in range(20):
        new_decision(number=f"{number + 1}-26", citations="SEL § 100")
    as_of = (timezone.now() + datetime.timedelta(seconds=5)).isoformat()

    server = Counting()
    controller = Controller(server, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    env = service_env(EMAIL_URL=f"smtp://127.0.0.1:{unused_tcp_port}", DIGEST_CHUNK="50")
    log = tmp_path / "workers.log"
    worker = None
    try:
        worker, _name = start_worker(env, log)
        send_digests.delay("daily", as_of)
        _wait(
            lambda: DigestRun.objects.filter(subscribers__gte=250).exists(),
            60,
            "the run to serve 250 readers",
        )
        stop_worker(worker, signal.SIGKILL)
        worker = None
        served = DigestRun.objects.get().subscribers
        assert served < READERS, "the run finished before the worker was killed: nothing was tested"

        worker, _name = start_worker(env, log)
        send_digests.delay("daily", as_of)  # beat's sweep does the same: the same period again
        _wait(lambda: DigestRun.objects.filter(finished_at__isnull=False).exists(), 120, "the run to finish")
        _wait(
            lambda: (
                not OutgoingMail.objects.filter(kind="digest").exclude(state="sent").exists()
                and OutgoingMail.objects.filter(kind="digest").count() == READERS
            ),
            180,
            "every digest to be sent",
        )
    finally:
        if worker is not None:
            stop_worker(worker)
        controller.stop()

    assert len(server.digests) == READERS  # no one's digest lost
    assert max(server.digests.values()) <= 2
    assert sum(server.digests.values()) - READERS <= 1  # only the message in flight, if any
    assert OutgoingMail.objects.filter(kind="digest").count() == READERS
    assert Event.objects.count() == 20
