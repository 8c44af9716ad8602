"""The backup and restore drill: the portal's database is dumped (`manage.py backup`), restored
on a fresh PostgreSQL as on a new machine, wiped and restored again (`manage.py restore --force`),
and the API export and the change feed are identical to the original each time. Mirrors that
hold a cursor from before the backup go on; a cursor handed out after the backup gets 410."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from decisions.models import Decision, Status
from portal.backups import BackupError, backup, restore
from tests.conftest import BASE_DIR
from tests.portal.snapshot import snapshot


@pytest.fixture
def fresh_machine(tmp_path):
    """The environment of a portal on a machine of its own: an embedded PostgreSQL that has never
    seen the portal, kept running by a process that holds its lease for the test's duration."""
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "drill-" + "s" * 60,
    }
    env.pop("DATABASE_URL", None)
    # SIGTERM ends the holder through sys.exit, so that its exit handlers stop the server.
    hold = (
        "import django, signal, sys, time; django.setup(); "
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); print('up', flush=True); time.sleep(3600)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert holder.stdout.readline().strip() == "up"
    yield env
    os.killpg(holder.pid, signal.SIGTERM)
    holder.wait(timeout=30)
    postmaster = tmp_path / "var" / "postgres" / "postmaster.pid"
    assert not postmaster.exists(), "the fresh machine's PostgreSQL was left running"


def manage(env: dict, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


def snapshot_of(env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.portal.snapshot"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        check=True,
    )
    return json.loads(done.stdout)


def run(env: dict, code: str) -> str:
    script = f"import django; django.setup()\n{code}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


FEED_FROM = """
from django.conf import settings
from django.test import Client
settings.ALLOWED_HOSTS = ["testserver"]
response = Client().get("/api/v1/changes/", {{"since": "{cursor}", "page_size": 500}})
body = response.json()
import json
print(json.dumps({{"status": response.status_code, "numbers": [c["number"] for c in body.get("results", [])],
                  "actions": [c["action"] for c in body.get("results", [])]}}))
"""


def feed_from(env: dict, cursor: str) -> dict:
    return json.loads(run(env, FEED_FROM.format(cursor=cursor)))


@pytest.fixture
def portal_data(committed_db, settings):
    """The demo decisions, with every kind of change in the feed: created, updated, unpublished and
    deleted."""
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.API_ANONYMOUS_RATE = "1000000/minute"
    call_command("load_demo", verbosity=0)
    decisions = list(Decision.objects.order_by("number"))
    Decision.objects.filter(pk=decisions[0].pk).update(title="Rettet titel", status=Status.PARTLY_CHANGED)
    Decision.objects.filter(pk=decisions[1].pk).update(is_published=False)
    Decision.objects.filter(pk=decisions[2].pk).delete()


def test_a_backup_restored_on_a_fresh_machine_gives_the_same_api_and_change_feed(
    portal_data, fresh_machine, tmp_path
):
    before = snapshot()
    cursor_at_backup = before["changes"][-1]["cursor"]
    made = backup(tmp_path / "backups")
    assert made.path.name.startswith("portal-")
    assert made.path.suffix == ".dump"
    # A change after the backup: a mirror that saw it holds a cursor the restore will undo.
    Decision.objects.filter(number=json.loads(before["export"][3])["number"]).update(title="Efter backuppen")
    cursor_after_backup = Client().get("/api/v1/changes/", {"since": cursor_at_backup}).json()["cursor"]
    assert cursor_after_backup != cursor_at_backup

    started = time.perf_counter()
    restored = manage(fresh_machine, "restore", str(made.path))
    restore_seconds = time.perf_counter() - started

    assert "Restored" in restored.stdout
    assert snapshot_of(fresh_machine) == before
    # A mirror goes on from where it was at the backup: nothing new, nothing missed.
    assert feed_from(fresh_machine, cursor_at_backup) == {"status": 200, "numbers": [], "actions": []}
    # One that saw the undone change must sync afresh.
    assert feed_from(fresh_machine, cursor_after_backup)["status"] == 410
    # A change made after the restore comes after every restored position, for both.
    run(
        fresh_machine,
        "from decisions.models import Decision\n"
        "first = Decision.objects.filter(is_published=True).order_by('pk')[0]\n"
        "Decision.objects.filter(pk=first.pk).update(title='Ny efter gendannelsen')",
    )
    after_restore = feed_from(fresh_machine, cursor_at_backup)
    assert after_restore["status"] == 200
    assert after_restore["actions"] == ["updated"]

    # A database that has tables is not overwritten unless asked; with --force it is replaced.
    refused = manage(fresh_machine, "restore", str(made.path), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    replaced = manage(fresh_machine, "restore", "--force", str(made.path))
    assert "Restored" in replaced.stdout
    assert snapshot_of(fresh_machine) == before
    print(f"backup {made.seconds:.2f} s ({made.size / 1e6:.2f} MB), restore {restore_seconds:.2f} s")


def test_a_restore_refuses_what_is_not_a_backup_and_changes_nothing(portal_data, tmp_path):
    not_a_backup = tmp_path / "notes.dump"
    not_a_backup.write_text("hello")

    with pytest.raises(BackupError, match="not a backup"):
        restore(not_a_backup, replace=True)
    with pytest.raises(BackupError, match="no such file"):
        restore(tmp_path / "missing.dump", replace=True)
    assert Decision.objects.count() == 55


def test_a_restore_refuses_while_the_portal_is_using_the_database(portal_data, tmp_path):
    made = backup(tmp_path)
    other = Path(made.path)
    # The test run itself is "the portal": its other connections (the health checks, the
    # committed fixture) count, and a second one is opened to be sure.
    from django.db import connections

    extra = connections.create_connection("default")
    extra.ensure_connection()
    try:
        with pytest.raises(BackupError, match="other session"):
            restore(other, replace=True)
    finally:
        extra.close()
    assert Decision.objects.count() == 55


def test_a_failed_backup_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "no_such_database")

    with pytest.raises(BackupError, match="pg_dump failed"):
        backup(tmp_path)
    assert list(tmp_path.iterdir()) == []
