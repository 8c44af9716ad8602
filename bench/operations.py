"""The operations part of `make bench`: /healthz under pollers beside a page, and the backup and
restore drill, on the bench's database. Called from bench/run.py, which has set Django up."""

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
ROUNDS = 200
COUNT = "from decisions.models import Decision; print(Decision.objects.count())"
POLLERS = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own loopback server
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _timed(url: str, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        _get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _environment() -> dict[str, str]:
    database = settings.DATABASES["default"]
    host = quote(database["HOST"], safe="")
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{host}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SEARCH_RATE": "100000000/minute",
        "STATIC_ROOT": str(BASE_DIR / "var" / "bench" / "static"),
    }


def bench_health(page: str) -> None:
    """/healthz p50 alone and with POLLERS clients polling it without pause, and the p50 of a page
    beside it, on gunicorn with 2 sync workers as in production (the baseline: the page alone)."""
    env = _environment()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(base + "/") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        for url in (base + "/healthz", base + page):
            _timed(url, 20)  # warm both workers
        health_alone = statistics.median(_timed(base + "/healthz", ROUNDS))
        page_alone = statistics.median(_timed(base + page, ROUNDS))

        stop = threading.Event()
        polls = [0]

        def poll() -> None:
            while not stop.is_set():
                _get(base + "/healthz")
                polls[0] += 1

        pollers = [threading.Thread(target=poll, daemon=True) for _ in range(POLLERS)]
        for poller in pollers:
            poller.start()
        started = time.perf_counter()
        page_polled = statistics.median(_timed(base + page, ROUNDS))
        health_polled = statistics.median(_timed(base + "/healthz", ROUNDS))
        seconds = time.perf_counter() - started
        stop.set()
        for poller in pollers:
            poller.join()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    print(f"\n/healthz on gunicorn, 2 sync workers, p50 ms ({ROUNDS} requests each)")
    print(f"{'':<34} {'alone':>8} {f'{POLLERS} pollers':>10}")
    print(f"{'/healthz':<34} {health_alone:8.2f} {health_polled:10.2f}")
    print(f"{page:<34} {page_alone:8.2f} {page_polled:10.2f}   ratio {page_polled / page_alone:.2f}")
    print(f"the pollers sent {polls[0]} requests ({polls[0] / seconds:.0f}/s)")


def bench_backup() -> None:
    """`manage.py backup` of the bench database, and `manage.py restore` of it into an empty one."""
    env = _environment()
    started = time.perf_counter()
    made = subprocess.run(
        [sys.executable, "manage.py", "backup", "--output-dir", str(BASE_DIR / "var" / "bench" / "backups")],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    backup_wall = time.perf_counter() - started
    path = re.search(r"Backup written: (\S+)", made).group(1)
    with connection.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS bench_restore")
        cursor.execute("CREATE DATABASE bench_restore")
    restore_env = {**env, "DATABASE_URL": env["DATABASE_URL"].rsplit("/", 1)[0] + "/bench_restore"}
    started = time.perf_counter()
    restored = subprocess.run(
        [sys.executable, "manage.py", "restore", path],
        cwd=BASE_DIR,
        env=restore_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    restore_wall = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM decisions_decision")
        (decisions,) = cursor.fetchone()
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", COUNT],
        cwd=BASE_DIR,
        env=restore_env,
        capture_output=True,
        text=True,
        check=True,
    )
    count = shell.stdout.strip().splitlines()[-1]  # after the shell's own notes
    with connection.cursor() as cursor:
        cursor.execute("DROP DATABASE bench_restore")
    Path(path).unlink()
    print(f"\nbackup and restore drill ({decisions} decisions)")
    print(f"backup:  {made.strip()}  (command {backup_wall:.1f} s)")
    print(f"restore: {restored.splitlines()[0]}  (command {restore_wall:.1f} s); {count} decisions after")
