"""The state of the services the portal needs, for /healthz and for operators.

/healthz must answer within milliseconds whatever its callers or the services do, so that a load
balancer polling it never ties up the site's workers:
- the checks run in background threads of the process, at most one of each at a time, with short
  timeouts of their own; a caller waits at most WAIT for a check in flight (the first caller of a
  new process FIRST_WAIT, once);
- a result is served for FRESH seconds before anyone checks again;
- the worker is not pinged: each Celery worker writes a heartbeat to Redis every HEARTBEAT_EVERY
  seconds (portal/celery.py), and a worker is up while its heartbeat is younger than HEARTBEAT_STALE;
- the answer names what is down and how ("unreachable", "timeout"); the exception itself, which
  may show socket paths or host names, goes to the log only.
"""

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import redis
from django.conf import settings
from django.db import connections

logger = logging.getLogger("portal.health")

FRESH = 3.0  # seconds a result is served before the services are checked again
WAIT = 0.03  # seconds a caller waits for a check still running
FIRST_WAIT = 1.0  # … the first caller in a new process, which has no earlier result to show
KEEP = 15.0  # seconds a check's last result stands in while a newer check is still running
SOCKET_TIMEOUT = 1.0  # Redis; the database's connect timeout is in its settings
HEARTBEATS = "portal:worker-heartbeats"  # a sorted set: worker name → time of its last heartbeat
HEARTBEAT_EVERY = 10
HEARTBEAT_STALE = 30


def now() -> float:
    """The clock results age by (tests set it)."""
    return time.monotonic()


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
    )


# Heartbeats, written by every worker (portal/celery.py)


def beat(worker: str) -> None:
    """Records that `worker` is alive now."""
    client = redis_client()
    try:
        client.zadd(HEARTBEATS, {worker: time.time()})
    finally:
        client.close()


def forget(worker: str) -> None:
    """A worker that stops says so, rather than waiting to go stale."""
    client = redis_client()
    try:
        client.zrem(HEARTBEATS, worker)
    finally:
        client.close()


# The checks, each run in a background thread


class Down(Exception):
    """A service is down; the message is what /healthz shows."""


def _database() -> dict[str, object]:
    connection = connections["default"]  # this thread's own connection, kept between checks
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close()  # a broken connection is not reused; the next check connects afresh
        raise
    return {}


def _redis() -> dict[str, object]:
    client = redis_client()
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _worker() -> dict[str, object]:
    client = redis_client()
    try:
        alive_since = time.time() - HEARTBEAT_STALE
        client.zremrangebyscore(HEARTBEATS, "-inf", alive_since)  # workers killed without a word
        workers = client.zcount(HEARTBEATS, alive_since, "+inf")
    finally:
        client.close()
    if not workers:
        raise Down(f"no worker heartbeat in the last {HEARTBEAT_STALE} s")
    return {"workers": workers}


CHECKS: dict[str, Callable[[], dict[str, object]]] = {
    "database": _database,
    "redis": _redis,
    "worker": _worker,
}


def _run(name: str, check: Callable[[], dict[str, object]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        result = {"status": "up", **check()}
    except Down as down:
        result = {"status": "down", "error": str(down)}
    except Exception as error:  # a health check reports every failure instead of raising it
        timed_out = isinstance(error, TimeoutError | redis.TimeoutError) or "timeout" in str(error).lower()
        result = {"status": "down", "error": "timeout" if timed_out else "unreachable"}
        logger.warning("Health check %s: %s: %s", name, type(error).__name__, error)
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


class Monitor:
    """The checks of one process: single-flight, cached, never waited on for long."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
        self.running: dict[str, Future] = {}
        self.last: dict[str, tuple[float, dict[str, object]]] = {}  # name → (when, result)
        self.checked_at: float | None = None

    def report(self) -> dict[str, object]:
        moment = now()
        with self.lock:
            if self.checked_at is not None and moment - self.checked_at < FRESH:
                return self._assemble(moment)
            for name, check in CHECKS.items():
                if name not in self.running:
                    self.running[name] = self.pool.submit(_run, name, check)
            futures = dict(self.running)
        deadline = time.monotonic() + (WAIT if self.last else FIRST_WAIT)
        for future in futures.values():
            with contextlib.suppress(TimeoutError):
                future.result(timeout=max(0.0, deadline - time.monotonic()))
        with self.lock:
            finished = True
            for name, future in futures.items():
                if future.done():
                    self.last[name] = (moment, future.result())
                    if self.running.get(name) is future:
                        del self.running[name]
                else:
                    finished = False
            if finished:
                self.checked_at = moment
            return self._assemble(moment)

    def _assemble(self, moment: float) -> dict[str, object]:
        checks = {}
        for name in CHECKS:
            when, result = self.last.get(name, (None, None))
            if result is None or moment - when > KEEP:
                result = {"status": "down", "error": "timeout", "ms": round(WAIT * 1000, 1)}
            checks[name] = result
        down = [name for name, result in checks.items() if result["status"] != "up"]
        return {"status": "down" if down else "up", "down": down, "checks": checks}


_monitor: Monitor | None = None
_monitor_lock = threading.Lock()


def monitor() -> Monitor:
    """This process's monitor; a forked process (a gunicorn worker) makes its own."""
    global _monitor
    with _monitor_lock:
        if _monitor is None or _monitor.pid != os.getpid():
            _monitor = Monitor()
        return _monitor


def report() -> dict[str, object]:
    """The database, Redis and the Celery workers: up or down, within WAIT of being asked."""
    return monitor().report()
