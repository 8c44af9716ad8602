"""The mail part of `make bench` (`BENCH_ONLY=mail`): MESSAGES messages through the outbox and a
real Celery worker to a local aiosmtpd, against plain smtplib sending the same rendered messages
over one connection in the same run. Called from bench/run.py, which has set Django up."""

import os
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import transaction
from django.utils import timezone

BASE_DIR = Path(__file__).resolve().parent.parent
MESSAGES = int(os.environ.get("BENCH_MAIL_MESSAGES", "10000"))


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_mail() -> None:
    from portal import emails, outbox
    from portal.models import OutgoingMail
    from portal.tasks import send_outbox

    port = _free_port()
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    subject, text, html = emails.render("test-message", {"to": "modtager@kommune.dk"})
    try:
        # The baseline: the same rendered messages, one connection, nothing recorded.
        rows = [
            OutgoingMail(
                key=f"bench:{number}",
                kind="bench",
                to=f"modtager{number}@kommune.dk",
                from_email=settings.DEFAULT_FROM_EMAIL,
                subject=subject,
                body_text=text,
                body_html=html,
            )
            for number in range(MESSAGES)
        ]
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for row in rows:
                message = outbox.email(row).message()
                smtp.sendmail(
                    row.from_email, [row.to], message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
                )
        plain = MESSAGES / (time.perf_counter() - started)

        # The outbox: rows queued (not measured), then a worker sends them all.
        OutgoingMail.objects.filter(kind="bench").delete()
        env = {
            **os.environ,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "PORTAL_VAR_DIR": os.environ.get("PORTAL_VAR_DIR", "var/bench"),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-l", "WARNING"],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
        )
        try:
            time.sleep(5)  # the worker starts
            counter.count = 0
            now = timezone.now()
            for row in rows:
                row.created_at = row.next_attempt_at = now
            OutgoingMail.objects.bulk_create(rows, batch_size=1000)
            started = time.perf_counter()
            transaction.on_commit(send_outbox.delay)
            send_outbox.delay()
            while OutgoingMail.objects.filter(kind="bench").exclude(state="sent").exists():
                time.sleep(0.05)
            through_outbox = MESSAGES / (time.perf_counter() - started)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        delivered = counter.count
        OutgoingMail.objects.filter(kind="bench").delete()
    finally:
        controller.stop()
    print(f"\nmail, {MESSAGES} messages to a local aiosmtpd")
    print(f"{'through the outbox':<24} {through_outbox:8.0f}/s  {through_outbox / plain:10.2f}")
    print(f"{'baseline: plain smtplib':<24} {plain:8.0f}/s  {1:10.2f}")
    print(f"delivered through the outbox: {delivered} (duplicates: {delivered - MESSAGES})")
