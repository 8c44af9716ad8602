"""The state of the services the portal needs, for /healthz and for operators."""

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

TIMEOUT_SECONDS = 1.0


def _database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _redis() -> dict[str, object]:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _worker() -> dict[str, object]:
    replies = celery_app.control.ping(timeout=TIMEOUT_SECONDS)
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        raise RuntimeError("no Celery worker answered")
    return {"workers": workers}


def _run(check: Callable[[], dict[str, object]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        result = {"status": "up", **check()}
    except Exception as error:  # a health check reports every failure instead of raising it
        result = {"status": "down", "error": f"{type(error).__name__}: {error}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def report() -> dict[str, object]:
    """Checks the database, Redis and the Celery workers; the worker check needs Redis."""
    checks = {"database": _run(_database), "redis": _run(_redis)}
    if checks["redis"]["status"] == "up":
        checks["worker"] = _run(_worker)
    else:
        checks["worker"] = {"status": "down", "error": "Redis, the broker, is down", "ms": 0.0}
    down = [name for name, result in checks.items() if result["status"] != "up"]
    return {"status": "down" if down else "up", "down": down, "checks": checks}
