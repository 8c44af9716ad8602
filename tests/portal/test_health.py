"""/healthz: the database, Redis and the worker's heartbeat, answered at once whatever its callers
or the services do (portal/health.py)."""

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from portal import health
from tests.conftest import BASE_DIR, Clock, service_env


@pytest.fixture(autouse=True)
def monitor(monkeypatch) -> Clock:
    """A new monitor for each test, on a clock the test moves."""
    clock = Clock(1000.0)
    monkeypatch.setattr(health, "_monitor", None)
    monkeypatch.setattr(health, "now", clock)
    return clock


@pytest.fixture
def no_heartbeats():
    client = health.redis_client()
    client.delete(health.HEARTBEATS)
    yield client
    client.close()


@pytest.mark.django_db
def test_healthz_is_200_when_database_redis_and_a_worker_are_up(client, celery_worker):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up"
    assert body["down"] == []
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "up",
        "redis": "up",
        "worker": "up",
    }
    assert body["checks"]["worker"]["workers"] >= 1
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_a_worker_writes_its_heartbeat_from_its_own_timer(celery_worker):
    client = health.redis_client()

    assert client.zscore(health.HEARTBEATS, celery_worker) > time.time() - health.HEARTBEAT_STALE


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_worker_when_no_worker_beats(client, no_heartbeats):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["worker"]
    assert body["checks"]["redis"]["status"] == "up"
    assert body["checks"]["worker"]["error"] == "no worker heartbeat in the last 30 s"


@pytest.mark.django_db
def test_a_heartbeat_older_than_thirty_seconds_is_a_dead_worker(client, no_heartbeats):
    no_heartbeats.zadd(health.HEARTBEATS, {"celery@gone": time.time() - 31})

    body = client.get("/healthz").json()

    assert body["down"] == ["worker"]
    assert no_heartbeats.zscore(health.HEARTBEATS, "celery@gone") is None  # swept


@pytest.mark.django_db
def test_healthz_names_redis_and_the_worker_when_redis_is_unreachable(client, settings, unused_tcp_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{unused_tcp_port}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis", "worker"]
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["redis"]["error"] == "unreachable"
    assert str(unused_tcp_port) not in response.content.decode()  # details go to the log only


@pytest.fixture
def silent_redis():
    """A server that accepts connections and never answers: a Redis that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.mark.django_db
def test_a_hanging_redis_does_not_hold_up_healthz(client, settings, silent_redis, monkeypatch, monitor):
    settings.REDIS_URL = silent_redis
    monkeypatch.setattr(health, "SOCKET_TIMEOUT", 5.0)  # hangs longer than anyone would wait

    first = client.get("/healthz")  # a new process waits once, up to FIRST_WAIT
    timings = []
    for _ in range(10):
        monitor.advance(health.FRESH + 1)  # every call a fresh check
        started = time.perf_counter()
        response = client.get("/healthz")
        timings.append(time.perf_counter() - started)

    assert first.status_code == 503
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["error"] == "timeout"
    assert response.json()["checks"]["database"]["status"] == "up"
    assert max(timings) < 0.5  # not the 5 s the check itself waits; `make bench` measures the p50


def test_checks_run_once_however_many_callers_ask_at_once_and_results_are_kept_fresh(monkeypatch, monitor):
    runs = {"database": 0, "redis": 0, "worker": 0}

    def slow(name):
        def check():
            runs[name] += 1
            time.sleep(0.1)
            return {}

        return check

    monkeypatch.setattr(health, "CHECKS", {name: slow(name) for name in runs})
    reports = []
    callers = [threading.Thread(target=lambda: reports.append(health.report())) for _ in range(20)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()

    assert runs == {"database": 1, "redis": 1, "worker": 1}
    assert len(reports) == 20
    monitor.advance(health.FRESH - 0.5)
    assert health.report()["status"] == "up"
    assert runs == {"database": 1, "redis": 1, "worker": 1}  # served from the last check
    monitor.advance(1)
    health.report()
    time.sleep(0.2)
    assert runs == {"database": 2, "redis": 2, "worker": 2}


def test_healthz_names_the_database_without_showing_where_it_is(unused_tcp_port):
    # A separate process, so that pointing it at a dead server leaves this run's connections alone.
    env = service_env(DATABASE_URL=f"postgres://portal:secret@127.0.0.1:{unused_tcp_port}/portal")
    script = (
        "import django, json; django.setup(); from portal import health; print(json.dumps(health.report()))"
    )

    done = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )

    report = json.loads(done.stdout)
    assert report["status"] == "down"
    assert "database" in report["down"]
    assert report["checks"]["database"]["error"] == "unreachable"
    assert str(unused_tcp_port) not in done.stdout
    assert str(unused_tcp_port) in done.stderr  # the log has the details
