"""Backups of the portal's database with PostgreSQL's own tools, and restoring one.

`backup` writes `pg_dump`'s custom format to a timestamped file, complete or not at all. `restore`
replays a backup into the database in one transaction: all of it or, if anything fails, nothing.
It refuses a database that holds tables unless told to replace them, and refuses while other
sessions (a running portal) are connected. The tools are the PostgreSQL 16 ones the `pgserver`
package brings, or those in `PG_BIN_DIR` for a newer server.
"""

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.dispatch import Signal
from django.utils import timezone

# Sent after a restore, with `database` (the alias): apps put right what lives outside the
# database's own tables, such as caches, or the change feed's positions (decisions/changes.py).
database_restored = Signal()


class BackupError(Exception):
    """What went wrong, in a sentence for the person running the command."""


def _tool(name: str) -> str:
    directory = settings.PG_BIN_DIR
    if not directory:
        from pgserver._commands import POSTGRES_BIN_PATH

        directory = str(POSTGRES_BIN_PATH)
    path = Path(directory) / name
    if not path.exists():
        raise BackupError(f"{path} does not exist: set PG_BIN_DIR to PostgreSQL's bin directory.")
    return str(path)


def _environment() -> dict[str, str]:
    """libpq's environment for the portal's database: no password on any command line."""
    database = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": database["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for key, variable in (
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if database.get(key):
            env[variable] = str(database[key])
    if sslmode := database.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def default_directory() -> Path:
    return settings.VAR_DIR / "backups"


@dataclass
class Backup:
    path: Path
    size: int
    seconds: float


def backup(directory: Path | None = None) -> Backup:
    """Writes a pg_dump custom-format backup to `directory` (default $PORTAL_VAR_DIR/backups) as
    portal-<UTC time>.dump; a dump that fails leaves no file behind."""
    directory = Path(directory or default_directory())
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"portal-{stamp}.dump"
    partial = directory / f".portal-{stamp}.dump.partial"
    started = time.perf_counter()
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    partial.rename(target)
    return Backup(target, target.stat().st_size, time.perf_counter() - started)


@dataclass
class Restored:
    tables: int
    seconds: float


def restore(path: Path, *, replace: bool = False) -> Restored:
    """Restores the backup at `path` into the portal's database in one transaction. Refuses a
    database that has tables unless `replace`, and any database other sessions are using."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    listing = subprocess.run(
        [_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a backup made by `manage.py backup` (pg_dump's custom format).")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (others,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        (tables,) = cursor.fetchone()
    name = settings.DATABASES["default"]["NAME"]
    if others:
        raise BackupError(
            f"{others} other session(s) are connected to the database {name}. Stop the portal (web, "
            "worker and beat) first: a restore must not change the data under a running site."
        )
    if tables and not replace:
        raise BackupError(
            f"The database {name} is not empty ({tables} tables). Restore into an empty database, or "
            "replace everything in it with --force (make restore FILE=… FORCE=1)."
        )
    connection.close()  # our own session must not hold anything the restore drops

    started = time.perf_counter()
    wipe = ["--command=DROP SCHEMA public CASCADE", "--command=CREATE SCHEMA public"] if replace else []
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as replay_errors:
        script = subprocess.Popen(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=script_errors,
        )
        # psql runs the wipe and the whole backup in one transaction: all of it, or nothing.
        psql = [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"]
        replay = subprocess.Popen(
            [*psql, *wipe, "--file=-"],
            stdin=script.stdout,
            stdout=subprocess.DEVNULL,
            stderr=replay_errors,
            env=_environment(),
        )
        script.stdout.close()  # pg_restore stops if psql does
        failed = replay.wait() != 0
        failed = script.wait() != 0 or failed
        if failed:
            script_errors.seek(0)
            replay_errors.seek(0)
            raise BackupError(
                "The restore failed and changed nothing (it runs in one transaction): "
                + _first_error((script_errors.read() + replay_errors.read()).decode(errors="replace"))
            )
    database_restored.send(sender=restore, database="default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        (restored_tables,) = cursor.fetchone()
    return Restored(restored_tables, time.perf_counter() - started)


def _first_error(text: str) -> str:
    lines = [line for line in text.splitlines() if re.search(r"ERROR|error|FATAL", line)]
    return (lines[0] if lines else text.strip().splitlines()[-1] if text.strip() else "unknown error").strip()
