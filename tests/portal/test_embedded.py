import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection

from portal.embedded import Lease
from tests.conftest import BASE_DIR

# Joins the embedded servers of PORTAL_VAR_DIR, reports what it reached, and holds on until
# its standard input closes.
HOLDER = """
import json, sys, django
django.setup()
from django.conf import settings
from django.db import connection
import redis
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid(), current_database()")
    _, database = cursor.fetchone()
client = redis.Redis.from_url(settings.REDIS_URL)
print(json.dumps({
    "database": database,
    "db_host": settings.DATABASES["default"]["HOST"],
    "redis_url": settings.REDIS_URL,
    "redis_pid": client.info()["process_id"],
}), flush=True)
connection.close()
client.close()
sys.stdin.readline()
"""


def _holder(var_dir) -> tuple[subprocess.Popen, dict]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["PORTAL_VAR_DIR"] = str(var_dir)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert line, "the holder process failed to start"
    return process, json.loads(line)


def _release(process: subprocess.Popen) -> None:
    process.stdin.close()
    assert process.wait(timeout=60) == 0


def _postmaster(var_dir) -> psutil.Process | None:
    try:
        return psutil.Process(int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0]))
    except (FileNotFoundError, psutil.NoSuchProcess):
        return None


def _gone(process: psutil.Process | None) -> bool:
    if process is None:
        return True
    try:
        process.wait(timeout=15)
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.fixture
def other_checkout():
    """The var dir of another checkout. Not pytest's tmp_path: PostgreSQL runs as its own user, which
    must be able to reach the data directory, and pytest keeps its temporary root private."""
    path = Path(settings.VAR_DIR) / "other-checkouts" / uuid.uuid4().hex[:8]
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.django_db
def test_processes_of_one_checkout_share_its_servers_and_the_last_to_leave_stops_them(other_checkout):
    tmp_path = other_checkout
    first, first_info = _holder(tmp_path)
    second, second_info = _holder(tmp_path)
    third, third_info = _holder(tmp_path)

    # One PostgreSQL and one Redis for the whole checkout …
    assert first_info == second_info == third_info
    assert first_info["database"] == "portal"
    postgres = _postmaster(tmp_path)
    redis_server = psutil.Process(first_info["redis_pid"])
    # … and not the ones of this test run's own checkout.
    assert first_info["db_host"] != settings.DATABASES["default"]["HOST"]
    assert first_info["redis_url"] != settings.REDIS_URL

    _release(third)
    assert postgres.is_running()
    assert redis_server.is_running()

    # A process killed outright never leaves its lease; it must not keep the servers alive.
    first.send_signal(signal.SIGKILL)
    first.wait()
    _release(second)

    assert _gone(postgres)
    assert _gone(redis_server)
    with connection.cursor() as cursor:  # this run's own servers were left alone
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_later_process_reuses_the_data_of_an_earlier_run(other_checkout):
    tmp_path = other_checkout
    first, _ = _holder(tmp_path)
    _release(first)
    assert _postmaster(tmp_path) is None or _gone(_postmaster(tmp_path))
    started = time.monotonic()

    again, info = _holder(tmp_path)
    _release(again)

    assert info["database"] == "portal"
    assert (tmp_path / "postgres" / "PG_VERSION").exists()
    assert time.monotonic() - started < 30


def test_a_lease_forgets_processes_that_died(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lease = Lease(tmp_path / "server.users")
    lease.path.write_text(json.dumps([[dead.pid, 1.0]]))

    lease.join()

    assert lease.users() == [[os.getpid(), psutil.Process().create_time()]]
    assert lease.leave() is True
