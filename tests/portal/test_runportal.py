import io
import os
import signal
import subprocess
import sys
import time

import psutil

from tests.conftest import BASE_DIR

# Runs supervise() over children that each start a grandchild, as runserver's autoreloader and
# Celery's pool do; every pid is written to a file so the test can look for leftovers.
SUPERVISOR = """
import sys
from django.core.management.base import OutputWrapper
from portal.management.commands.runportal import supervise
pids, lifetime = sys.argv[1], sys.argv[2]
child = f"sleep 300 & s=$!; echo $s >> {pids}; echo $$ >> {pids}; echo started; sleep {{}}; kill $s"
sys.exit(supervise({
    "web": ["sh", "-c", child.format(300)],
    "worker": ["sh", "-c", child.format(lifetime)],
}, OutputWrapper(sys.stdout)))
"""


def _start(tmp_path, lifetime: int) -> tuple[subprocess.Popen, object]:
    pid_file = tmp_path / "pids"
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(pid_file), str(lifetime)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and len(pid_file.read_text().split()) == 4):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.05)
    return process, pid_file


def _leftovers(pid_file) -> list[int]:
    pids = [int(pid) for pid in pid_file.read_text().split()]
    return [
        pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]


def test_ctrl_c_stops_every_child_and_grandchild_and_exits_cleanly(tmp_path):
    process, pid_file = _start(tmp_path, lifetime=300)

    os.kill(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=40)

    assert process.returncode == 0, output
    assert "web | started" in output
    assert "Stopped." in output
    assert _leftovers(pid_file) == []


def test_when_one_child_dies_the_rest_are_stopped_and_the_exit_code_says_so(tmp_path):
    process, pid_file = _start(tmp_path, lifetime=1)

    output, _ = process.communicate(timeout=40)

    assert process.returncode == 1
    assert "worker exited with code 0; stopping the rest." in output
    assert _leftovers(pid_file) == []


def test_static_files_are_collected_only_when_a_source_changed(tmp_path, settings):
    from portal.management.commands.runportal import collect_static_if_changed

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "extra.css").write_text("body { color: #111; }")
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, sources]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    said = io.StringIO()

    collect_static_if_changed(said)
    assert "Collecting" in said.getvalue()
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    first = manifest.stat().st_mtime_ns

    said = io.StringIO()
    collect_static_if_changed(said)  # nothing changed: nothing done, nothing said
    assert said.getvalue() == ""
    assert manifest.stat().st_mtime_ns == first

    (sources / "extra.css").write_text("body { color: #222; }")
    collect_static_if_changed(said)
    assert "Collecting" in said.getvalue()
    assert "#222" in next(settings.STATIC_ROOT.glob("extra.*.css")).read_text()
