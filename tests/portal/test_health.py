import json
import subprocess
import sys

import pytest

from tests.conftest import BASE_DIR, service_env


@pytest.mark.django_db
def test_healthz_is_200_when_database_redis_and_worker_are_up(client, celery_worker):
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
    assert celery_worker in body["checks"]["worker"]["workers"]
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_worker_when_no_worker_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["worker"]
    assert body["checks"]["redis"]["status"] == "up"
    assert "no Celery worker answered" in body["checks"]["worker"]["error"]


@pytest.mark.django_db
def test_healthz_is_503_and_names_redis_when_redis_is_unreachable(client, settings, unused_tcp_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{unused_tcp_port}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis", "worker"]
    assert body["checks"]["database"]["status"] == "up"
    assert "Connection" in body["checks"]["redis"]["error"]


def test_health_report_names_the_database_when_it_is_unreachable(unused_tcp_port):
    # A separate process, so that pointing it at a dead server leaves this run's connections alone.
    env = service_env(DATABASE_URL=f"postgres://portal:secret@127.0.0.1:{unused_tcp_port}/portal")
    script = (
        "import django, json; django.setup(); from portal import health; print(json.dumps(health.report()))"
    )

    output = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout

    report = json.loads(output)
    assert report["status"] == "down"
    assert "database" in report["down"]
    assert report["checks"]["database"]["error"].startswith("OperationalError")
