"""`make run`: the web server, a Celery worker and Celery beat in one foreground command."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

SHUTDOWN_SECONDS = 30


class Command(BaseCommand):
    help = "Migrates, ensures a staff login, then runs web, worker and beat until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address of the web server")

    def handle(self, *args, addr: str, **options) -> None:
        from decisions.models import Decision  # here, so that supervise() imports without Django set up

        call_command("migrate", interactive=False, verbosity=1)
        if not Decision.objects.exists():
            self.stdout.write("The database has no decisions: loading the demo data.")
            call_command("load_demo")
        if not settings.DEBUG:
            collect_static_if_changed(self.stdout)
        call_command("build_lexicon", verbosity=0, stdout=StringIO())
        call_command("ensure_staff_login")
        python = sys.executable
        commands = {
            # The checks ran with migrate above; the server need not run them again.
            "web": [python, "manage.py", "runserver", "--skip-checks", addr],
            "worker": [python, "-m", "celery", "-A", "portal", "worker", "-l", "INFO", "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "portal", "beat", "-l", "INFO"],
        }
        options = settings.MAILERS["default"]["OPTIONS"]
        mail = options.get("file_path") or f"SMTP on {options['host']}:{options['port']}"
        self.stdout.write(
            self.style.SUCCESS(f"\nPrincipportalen runs on http://{addr}/")
            + f"\n  staff admin: http://{addr}/admin/\n  health:      http://{addr}/healthz"
            + f"\n  mail:        {mail}\nPress Ctrl-C to stop everything.\n"
        )
        sys.exit(supervise(commands, self.stdout))


def static_fingerprint() -> str:
    """Names, sizes and times of every static source file: a change anywhere changes it."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static_if_changed(out) -> None:
    """`collectstatic` (hashing and compressing some 800 files takes 20–50 s) only when a static
    file changed since the last run, or nothing was collected yet."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / ".sources-fingerprint"
    fingerprint = static_fingerprint()
    manifest = root / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    out.write("Collecting and compressing static files (only after they change; up to a minute)…")
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


def supervise(commands: dict[str, list[str]], out) -> int:
    """Runs the commands until one exits or we are told to stop; stops them all; returns an exit code."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())

    processes: dict[str, subprocess.Popen] = {}
    for name, command in commands.items():
        # Each child leads its own process group so a stop reaches its children too (the
        # autoreloader's server, the worker's pool) and the terminal's Ctrl-C reaches only us.
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True
        )
        threading.Thread(target=_relay, args=(name, process, out), daemon=True).start()
        processes[name] = process

    failed = None
    while not stopping.wait(0.5):
        failed = next((name for name, p in processes.items() if p.poll() is not None), None)
        if failed:
            out.write(f"{failed} exited with code {processes[failed].returncode}; stopping the rest.")
            break

    out.write(f"Stopping {', '.join(processes)} …")
    for process in processes.values():
        _signal_group(process, signal.SIGINT)
    deadline = time.monotonic() + SHUTDOWN_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    # Grandchildren (the autoreloader's server, pool processes) may outlive their leader briefly.
    for process in processes.values():
        _signal_group(process, signal.SIGKILL)
    out.write("Stopped.")
    return 1 if failed else 0


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _relay(name: str, process: subprocess.Popen, out) -> None:
    for line in process.stdout:
        out.write(f"{name:>6} | {line.rstrip()}")
