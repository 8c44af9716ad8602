"""Recovery after a database crash: the embedded postmaster is killed while the site serves. Pages
answer a Danish 503 and the API a JSON 503 with Retry-After, never a 500; the portal starts the
server again by itself; a site on an external DATABASE_URL reconnects once the server is back;
and nothing committed before the crash is lost.

The site runs in gunicorn, as in production, on a PostgreSQL of its own (never the suite's), so
that killing it harms nothing else.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.conftest import BASE_DIR

RECOVERY_LIMIT = 30  # seconds


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own loopback server
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def postmaster_pid(var_dir: Path) -> int | None:
    try:
        return int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {seconds} s")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Two gunicorn sites on one spare PostgreSQL: one that embeds it (and watches it), one that
    reaches it through DATABASE_URL, as a site with an external database does."""
    var_dir = tmp_path_factory.mktemp("crash")
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(var_dir),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "crash-test-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_ANONYMOUS_RATE": "100000/minute",
        "STATIC_ROOT": str(var_dir / "static"),
    }
    env.pop("DATABASE_URL", None)
    for command in (["migrate", "--verbosity", "0"], ["load_demo"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True)

    processes, urls, logs = [], {}, []

    def stop() -> None:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()
        pid = postmaster_pid(var_dir)
        if alive(pid):  # the last process leaving stops it; make sure
            os.kill(pid, signal.SIGINT)

    try:  # a site that fails to start must not outlive the test either
        for name in ("embedded", "external"):
            port = free_port()
            site_env = dict(env)
            if name == "external":
                info = (var_dir / "postgres" / "postmaster.pid").read_text().splitlines()
                socket_dir, pg_port = info[4], info[3]
                site_env["DATABASE_URL"] = (
                    f"postgres://postgres@{quote(socket_dir, safe='')}:{pg_port}/portal"
                )
            log = open(var_dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
                    cwd=BASE_DIR,
                    env=site_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            urls[name] = f"http://127.0.0.1:{port}"
            wait_for(urls[name] + "/")
        yield var_dir, urls, env
    finally:
        stop()


def everything(url: str) -> tuple[list, list]:
    """What a municipal mirror would hold: every decision, and the whole change feed."""
    decisions = json.loads(get(url + "/api/v1/decisions/?page_size=500")[2])["results"]
    changes = json.loads(get(url + "/api/v1/changes/?page_size=500")[2])["results"]
    return decisions, changes


def test_after_the_postmaster_is_killed_the_site_answers_503_then_recovers_with_nothing_lost(sites):
    var_dir, urls, env = sites
    # A decision committed the instant before the crash.
    line = {
        "number": "99-26",
        "title": "Skrevet lige før nedbruddet",
        "summary": "Principmeddelelsen fastslår, at intet går tabt.",
        "body": "Sagen.",
        "decided_on": "2026-11-01",
        "area": "social",
        "paragraphs": ["SEL § 100"],
    }
    source = var_dir / "one.jsonl"
    source.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "manage.py", "import_decisions", str(source)], cwd=BASE_DIR, env=env, check=True
    )
    before = {name: everything(url) for name, url in urls.items()}
    assert "99-26" in {decision["number"] for decision in before["embedded"][0]}
    old_pid = postmaster_pid(var_dir)

    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    seen: dict[str, set[int]] = {name: set() for name in urls}
    outage_page = outage_api = None
    recovered: dict[str, float] = {}
    while len(recovered) < len(urls) and time.monotonic() - killed_at < RECOVERY_LIMIT + 5:
        for name, url in urls.items():
            if name in recovered:
                continue
            page = get(url + "/principafgoerelser/99-26/")
            api = get(url + "/api/v1/decisions/99-26/")
            seen[name] |= {page[0], api[0]}
            if page[0] == 503 and outage_page is None:
                outage_page, outage_api = page, api
            if page[0] == api[0] == 200:
                recovered[name] = time.monotonic() - killed_at
        time.sleep(0.1)

    for name in urls:
        assert seen[name] <= {200, 503}, f"{name} answered {seen[name]}"
        assert recovered.get(name, RECOVERY_LIMIT + 1) < RECOVERY_LIMIT, f"{name} did not recover"
    assert 503 in seen["embedded"] | seen["external"]
    _status, headers, body = outage_page
    assert "midlertidigt utilgængelig" in body.decode()
    assert headers["Retry-After"] == "10"
    api_status, api_headers, api_body = outage_api
    assert api_status == 503
    assert api_headers["Retry-After"] == "10"
    assert "detail" in json.loads(api_body)
    new_pid = postmaster_pid(var_dir)
    assert alive(new_pid)  # started again by the portal, not by us
    assert new_pid != old_pid
    for name, url in urls.items():
        assert everything(url) == before[name], f"{name} lost something"
    print(
        "recovery after the postmaster was killed: "
        + ", ".join(f"{n} {s:.1f} s" for n, s in recovered.items())
    )
