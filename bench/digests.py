"""The digests part of `make bench` (`BENCH_ONLY=digests`): SUBSCRIBERS confirmed subscribers with
1–10 topics each, 300 decisions published in a day, one daily run end to end: collect the news,
compute, render and queue every digest, and send them through real Celery workers to a local
SMTP server (aiosmtpd in a process of its own). The baseline, in the same run: plain smtplib
sending the same rendered messages over one connection. Also printed: the queries a run makes
and its peak memory, for a run of SMALL subscribers and one of SUBSCRIBERS (they should not grow
with the subscribers). Called from bench/run.py, which has set Django up with the bench's
100 000 decisions loaded."""

import datetime
import os
import random
import resource
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection
from django.utils import timezone

BASE_DIR = Path(__file__).resolve().parent.parent
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))
SMALL = SUBSCRIBERS // 5
PUBLISHED = 300
WORKERS = int(os.environ.get("BENCH_DIGEST_WORKERS", "2"))

SINK = """
import asyncio, signal, sys
from aiosmtpd.controller import Controller

class Sink:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        return "250 OK"

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})  # for sigwait below
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
print(Sink.count, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean() -> None:
    from newsletters.models import DigestRun, Subscriber
    from portal.models import OutgoingMail

    OutgoingMail.objects.filter(kind="digest").delete()
    DigestRun.objects.all().delete()
    Subscriber.objects.filter(email__endswith="@bench.kommune.dk").delete()


def _subscribers(count: int, frequency: str, rng: random.Random) -> None:
    """Confirmed subscribers with 1–10 topics each: areas, laws and the paragraphs decisions cite."""
    from decisions.models import Area, Law, Paragraph
    from newsletters.models import Subscriber
    from newsletters.subscriptions import newest_event

    areas = list(Area.objects.values_list("pk", flat=True))
    laws = list(Law.objects.values_list("pk", flat=True))
    paragraphs = list(
        Paragraph.objects.filter(references__isnull=False).distinct().values_list("pk", flat=True)[:400]
    )
    last = newest_event()
    made = Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"{frequency}{n}@bench.kommune.dk",
                state="confirmed",
                frequency=frequency,
                kinds=["decisions", "hotline", "newsletter"],
                confirmed_at=timezone.now(),
                last_event=last,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    through_areas, through_laws, through_paragraphs = [], [], []
    for subscriber in made:
        for _ in range(rng.randint(1, 10)):
            kind = rng.random()
            if kind < 0.15:
                through_areas.append(
                    Subscriber.areas.through(subscriber_id=subscriber.pk, area_id=rng.choice(areas))
                )
            elif kind < 0.35:
                through_laws.append(
                    Subscriber.laws.through(subscriber_id=subscriber.pk, law_id=rng.choice(laws))
                )
            else:
                through_paragraphs.append(
                    Subscriber.paragraphs.through(
                        subscriber_id=subscriber.pk, paragraph_id=rng.choice(paragraphs)
                    )
                )
    for rows in (through_areas, through_laws, through_paragraphs):
        type(rows[0]).objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


def _publish(rng: random.Random) -> None:
    """PUBLISHED decisions published today: taken off the portal, seen so, and published again."""
    from decisions.models import Decision
    from newsletters.collecting import collect_now

    ids = list(
        Decision.objects.filter(is_published=True).order_by("?").values_list("pk", flat=True)[:PUBLISHED]
    )
    Decision.objects.filter(pk__in=ids).update(is_published=False)
    collect_now()
    Decision.objects.filter(pk__in=ids).update(is_published=True, published_on=timezone.localdate())


def _measured_run(frequency: str, as_of: datetime.datetime):
    """The run, its time, its queries, and the process's peak memory after it (maxrss is a
    high-water mark: if the larger run leaves it where the smaller one did, memory stayed flat)."""
    from newsletters import digests

    queries = 0

    def count(execute, sql, params, many, context):  # counts, without keeping the SQL (megabytes)
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        digest_run = digests.run(frequency, as_of)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return digest_run, seconds, queries, peak


def bench_digests() -> None:
    from newsletters.collecting import collect_now
    from portal import outbox
    from portal.models import OutgoingMail

    rng = random.Random(13)
    _clean()
    print("\ndigests: reading the change feed once (the first run of a new install reads every decision) …")
    started = time.perf_counter()
    collect_now()
    print(f"  first collection: {time.perf_counter() - started:.1f} s")
    _subscribers(SMALL, "weekly", rng)
    _subscribers(SUBSCRIBERS, "daily", rng)
    _publish(rng)

    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert sink.stdout.readline().strip() == "ready"
    env = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "PORTAL_VAR_DIR": os.environ["PORTAL_VAR_DIR"],
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "-l",
                "WARNING",
                "-n",
                f"bench{n}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
        )
        for n in range(WORKERS)
    ]
    try:
        time.sleep(6)  # the workers start
        as_of = timezone.now()
        small_run, small_seconds, small_queries, small_peak = _measured_run("weekly", as_of)
        while OutgoingMail.objects.filter(kind="digest").exclude(state="sent").exists():
            time.sleep(0.1)

        started = time.perf_counter()
        daily, queue_seconds, queries, peak = _measured_run("daily", as_of)
        from portal.tasks import send_outbox

        for _ in range(WORKERS - 1):
            send_outbox.delay()  # the run wakes one sender; the others share the batches
        while OutgoingMail.objects.filter(batch=daily.batch).exclude(state="sent").exists():
            time.sleep(0.05)
        total = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    sent = OutgoingMail.objects.filter(batch=daily.batch, state="sent").count()

    # The baseline: the same rendered messages, plain smtplib, one connection, nothing recorded.
    rows = list(OutgoingMail.objects.filter(batch=daily.batch))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for row in rows:
            message = outbox.email(row).message()
            smtp.sendmail(
                row.from_email, [row.to], message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
            )
    plain_seconds = time.perf_counter() - started
    os.killpg(sink.pid, signal.SIGTERM)
    delivered = int(sink.communicate(timeout=30)[0].strip() or 0)

    rate = sent / total
    plain = len(rows) / plain_seconds
    sizes = sorted(len(row.body_html) + len(row.body_text) for row in rows)
    median_kb = sizes[len(sizes) // 2] / 1024
    print(f"digests, one daily run: {SUBSCRIBERS} subscribers with 1–10 topics, {PUBLISHED} published")
    print(f"  events {daily.events}, digests {daily.digests} (median size {median_kb:.0f} KB)")
    print(f"  compute, render, queue: {queue_seconds:8.1f} s  ({daily.digests / queue_seconds:.0f}/s)")
    print(f"  end to end, all sent:   {total:8.1f} s  ({rate:.0f}/s, {WORKERS} workers)")
    print(f"  baseline: plain smtplib {plain_seconds:8.1f} s  ({plain:.0f}/s)   ratio {rate / plain:.2f}")
    print(f"  queries: {small_queries} for {SMALL} subscribers, {queries} for {SUBSCRIBERS}")
    small_mb, mb = small_peak / 2**20, peak / 2**20
    print(f"  process peak memory (maxrss): {small_mb:.0f} MB after {SMALL}, {mb:.0f} MB after {SUBSCRIBERS}")
    print(f"  (the weekly run of {SMALL}: {small_run.digests} digests queued in {small_seconds:.1f} s)")
    print(f"  messages at the SMTP server: {delivered} (outbox {sent} + baseline {len(rows)})")
    _clean()
