import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection

from portal.env import parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Hashed static names need `collectstatic`; tests/portal/test_static.py covers that path.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database this test run uses (the test database)."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = quote(settings_dict["HOST"] or "localhost", safe="")
    return f"postgres://{user}:{password}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def service_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that must use this test run's database and Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": django_settings.REDIS_URL,
        **extra,
    }


def start_worker(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """Starts a real Celery worker process (solo pool) on the real Redis; returns it and its name
    once it answers a ping."""
    from portal.celery import app

    name = f"pytest-{uuid.uuid4().hex[:8]}@localhost"
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "-l",
                "INFO",
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(process)
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()}")
    return process, name


def stop_worker(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process on the real Redis, reading the test database."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        env = service_env()
    process, name = start_worker(env, log_path)
    try:
        yield name
    finally:
        stop_worker(process)


@pytest.fixture
def later(monkeypatch):
    """Moves the mail outbox's clock forward: `later(minutes=11)`."""
    import datetime

    from portal import outbox

    moment = [outbox.now()]
    monkeypatch.setattr(outbox, "now", lambda: moment[0])

    def advance(**delta) -> None:
        moment[0] += datetime.timedelta(**delta)

    return advance


@pytest.fixture
def unused_tcp_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clock:
    """A controllable clock: `clock.advance(61)`."""

    def __init__(self, start: float) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    """The rate limits' clock, stopped 30 s into a minute (and an hour and a day), so that a test
    never straddles two windows by chance."""
    from portal import ratelimit

    stopped = Clock(1_798_761_600 + 30)  # 2027-01-01 00:00:30 UTC
    monkeypatch.setattr(ratelimit, "now", stopped)
    return stopped


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: test transactions roll back, cached figures would not."""
    from django.core.cache import cache

    from decisions.citations import forget_parser
    from decisions.vocabulary import forget_local

    forget_local()  # and what this process kept of it: the corpus's words, and the laws' names
    forget_parser()

    cache.clear()


def empty_documents() -> None:
    """Deletes what tests write outside a test transaction (committed_db, a module's demo data):
    decisions, hotline answers and questions, their history, the change feeds and their readers,
    amendments, the newsletters' subscribers, news, runs and issues, and the outbox."""
    from decisions.models import Amendment, Decision, DecisionChange, FeedReader
    from hotline.models import Answer, AnswerChange, Question
    from newsletters.models import DigestRun, Event, Issue, Seen, Subscriber
    from portal.models import OutgoingMail

    Issue.objects.all().delete()  # their items go with them
    Subscriber.objects.all().delete()
    Event.objects.all().delete()
    Seen.objects.all().delete()
    DigestRun.objects.all().delete()
    Answer.objects.update(superseded_by=None)
    Answer.objects.all().delete()  # flags, reports and references go with them
    Answer.history.all().delete()
    AnswerChange.objects.all().delete()
    Question.objects.all().delete()
    Amendment.objects.all().delete()
    FeedReader.objects.all().delete()
    Decision.objects.all().delete()
    DecisionChange.objects.all().delete()  # the deletions' tombstones
    Decision.history.all().delete()
    OutgoingMail.objects.all().delete()


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """The test database without a wrapping transaction: every write commits, as separate requests'
    writes do in production. Decisions, hotline answers and questions, their history, the change
    feeds and their readers, amendments and the outbox are emptied afterwards;
    the seeded taxonomy is left as migrations made it (tests restore what they change in it)."""
    from django.test.utils import setup_databases

    if not connection.settings_dict["NAME"].startswith("test_"):
        # pytest-django sets the test database up only when a collected test asks for `db`; a
        # run of committed tests alone must get it too (kept, as --reuse-db keeps it).
        with django_db_blocker.unblock():
            setup_databases(verbosity=0, interactive=False, aliases={"default"}, keepdb=True)
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            empty_documents()


def pytest_terminal_summary(terminalreporter) -> None:
    """The hostile walk's figures (tests/portal/test_hostile_walk.py), when it ran."""
    import sys

    walk = sys.modules.get("tests.portal.test_hostile_walk")
    if walk is None or not walk.TOTALS["requests"]:
        return
    errors = walk.TOTALS["server_errors"]
    terminalreporter.write_line(
        f"hostile walk: {walk.TOTALS['requests']} generated requests, {len(errors)} server errors"
    )
    for line in sorted(set(errors))[:200]:
        terminalreporter.write_line(f"  {line}")


# Mail: a real SMTP server on loopback (aiosmtpd), started by the test


class ScriptedServer:
    """Accepts every message, except that `answers[recipient]` lists what to answer that recipient
    first ("421 …", "550 …"), one answer per attempt."""

    def __init__(self) -> None:
        self.delivered: list = []
        self.answers: dict[str, list[str]] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.answers.get(address):
            return self.answers[address].pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.delivered.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings, unused_tcp_port):
    server = ScriptedServer()
    controller = Controller(server, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**parse_email_url(f"smtp://127.0.0.1:{unused_tcp_port}"), "timeout": 5},
        }
    }
    yield server
    controller.stop()
