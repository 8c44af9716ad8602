"""The outbox with real worker processes, one killed with SIGKILL mid-batch, and a real SMTP server
(aiosmtpd on loopback). Committed data: the workers read the test database as other processes."""

import email
import signal
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from portal import emails, outbox
from portal.models import OutgoingMail
from portal.tasks import send_outbox
from tests.conftest import service_env, start_worker, stop_worker


class SlowServer:
    """Accepts every message, slowly (a few ms each), counting deliveries by Message-ID."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(0.004)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(message["Message-ID"])
        return "250 Message accepted for delivery"


def _wait(condition, seconds: float, what: str) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_at_most_the_message_in_flight_twice(
    committed_db, unused_tcp_port, tmp_path, later
):
    """500 messages; a real worker process is killed with SIGKILL in the middle of a batch, another
    takes over after the lease. Counted at the SMTP server: every message arrives, and at most the
    one in flight arrives twice."""
    server = SlowServer()
    controller = Controller(server, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    env = service_env(EMAIL_URL=f"smtp://127.0.0.1:{unused_tcp_port}")
    log = tmp_path / "workers.log"
    worker = None
    try:
        worker, _name = start_worker(env, log)  # up and answering before there is work
        with transaction.atomic():  # the worker is asked to send when this commits
            for number in range(500):
                to = f"modtager{number}@kommune.dk"
                emails.send(f"test:kill:{number}", to, "test-message", {"to": to})
        _wait(lambda: len(server.received) >= 150, 60, "the first batches")
        stop_worker(worker, signal.SIGKILL)  # in the middle of the second batch
        killed_at = len(server.received)
        assert killed_at < 500
        assert OutgoingMail.objects.filter(state="sending").exists()  # the dead worker's lease

        worker, _name = start_worker(env, log)
        later(minutes=11)  # the lease is over
        outbox.sweep()
        send_outbox.delay()
        _wait(lambda: not OutgoingMail.objects.exclude(state="sent").exists(), 90, "every message sent")
    finally:
        if worker is not None:
            stop_worker(worker)
        controller.stop()

    sent_ids = set(OutgoingMail.objects.values_list("message_id", flat=True))
    duplicates = len(server.received) - len(set(server.received))
    print(f"\nSIGKILL after {killed_at} of 500 deliveries: {duplicates} duplicate(s) at the SMTP server")
    assert set(server.received) == sent_ids
    assert len(sent_ids) == 500
    assert duplicates <= 1
