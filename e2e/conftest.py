"""Browser tests: the portal with the demo data on a live server, in the machine's Chromium driven by
Playwright, checked by axe-core. `make e2e` installs both (requirements-e2e.txt, axe-core from npm
into var/e2e/node_modules); the README says how to run a part.

The server is Django's live server thread in this process (pytest-django's `LiveServer`), on the
test database of the embedded PostgreSQL in var/e2e (e2e/pytest.ini), with the demo data loaded
once per run and committed. Static files are served from the apps' and static/ folders as they are
(the hashed names that `collectstatic` makes are tests/portal/test_static.py's business).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
E2E_DIR = ROOT / "var" / "e2e"
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = E2E_DIR / "screenshots"
AXE_REPORT = E2E_DIR / "axe-report.json"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# A desktop and a phone (the width of most iPhones since the 12).
VIEWPORTS = {1280: {"width": 1280, "height": 800}, 390: {"width": 390, "height": 844}}
# axe-core is handed to the page at this same-origin address by Playwright itself (the request never
# reaches the server): the site's Content-Security-Policy allows only its own scripts, and the tests
# keep that policy on so that they see what a reader's browser refuses.
AXE_PATH = "/__e2e__/axe.min.js"
BLOCKING_IMPACTS = ("critical", "serious")

# Every page's axe violations (all impacts), for the summary at the end and var/e2e/axe-report.json.
AXE_RESULTS: dict[str, list[dict]] = {}
SUPERUSER = {"username": "e2e-admin", "password": "e2e-only-Kodeord-4815162342"}


def pytest_sessionstart(session) -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)


@pytest.fixture(scope="session")
def site(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The live server's address, with the demo decisions (loaded afresh) and an empty cache."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings, setup_databases
    from pytest_django.live_server_helper import LiveServer

    from tests.conftest import empty_documents

    plain_static = override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    )
    plain_static.enable()
    # Unblocked for the whole run: the server thread reads the database between the tests too.
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            # pytest-django sets the test database up only for tests marked for the database;
            # these use it through the server (kept between runs, as --reuse-db keeps it).
            setup_databases(verbosity=0, interactive=False, aliases={"default"}, keepdb=True)
        empty_documents()  # the demo is loaded afresh: decisions, hotline answers, questions
        get_user_model().objects.filter(username=SUPERUSER["username"]).delete()
        call_command("load_demo", stdout=io.StringIO())
        get_user_model().objects.create_superuser(email="e2e@example.invalid", **SUPERUSER)
        cache.clear()
        server = LiveServer("127.0.0.1")
        try:
            yield server.url
        finally:
            server.stop()
            plain_static.disable()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"No Chromium at {CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM.")
    # Chromium's sandbox refuses to run as root, as CI does.
    args = ["--disable-dev-shm-usage"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield chromium
        chromium.close()


class Tab:
    """A page in a fresh browser context, which notes everything that goes wrong on it: console
    errors, uncaught exceptions, failed requests and answers of 400 and over (but those a test
    asks for, such as the 404 page's own)."""

    def __init__(self, page, width: int, base_url: str) -> None:
        self.page = page
        self.width = width
        self.base_url = base_url
        self.problems: list[str] = []
        self.expected_errors: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if url in self.expected_errors and "the server responded with a status of" in message.text:
            return  # Chromium's note about a page that is meant to be 404 or 400
        self.problems.append(f"console error: {message.text} (at {url})")

    def _request_failed(self, request) -> None:
        # A request the page itself cancelled (the suggestions' fetch when the reader types on, or
        # anything pending when a form is submitted) is no failure.
        if request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.url not in self.expected_errors:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def goto(self, path: str, status: int = 200):
        url = self.base_url + path
        if status >= 400:
            self.expected_errors.add(url)
        response = self.page.goto(url, wait_until="load")
        assert response is not None, f"no answer from {url}"
        assert response.status == status, f"{url}: HTTP {response.status}, expected {status}"
        return response

    def screenshot(self, name: str) -> Path:
        path = SCREENSHOTS / f"{name}-{self.width}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def overflow(self) -> str | None:
        """None when the page fits its width; otherwise what sticks out, for the failure message."""
        return self.page.evaluate(
            """() => {
              const width = window.innerWidth;
              if (document.documentElement.scrollWidth <= width) return null;
              const wide = [];
              for (const element of document.querySelectorAll('body *')) {
                const box = element.getBoundingClientRect();
                if (box.right > width + 1 && box.width > 0) {
                  const id = element.id ? '#' + element.id : '';
                  const classes = [...element.classList].map(c => '.' + c).join('');
                  const right = Math.round(box.right);
                  wide.push(`${element.tagName.toLowerCase()}${id}${classes} (right edge ${right})`);
                }
              }
              return `scrollWidth ${document.documentElement.scrollWidth} > ${width}: `
                + wide.slice(0, 8).join(', ');
            }"""
        )

    def scrolling_boxes(self) -> list[str]:
        """Boxes inside the page that scroll sideways (a wide table in a scrolling frame, say)."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(element => {
                const overflow = getComputedStyle(element).overflowX;
                return (overflow === 'auto' || overflow === 'scroll')
                  && element.scrollWidth > element.clientWidth + 1;
              }).map(element => `${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''}`
                + `${[...element.classList].map(c => '.' + c).join('')} `
                + `(${element.scrollWidth} px in ${element.clientWidth})`)"""
        )

    def axe(self) -> list[dict]:
        """axe-core's violations on the page as it is now, all impacts."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.add_script_tag(url=AXE_PATH)
        # Colours in mid-transition (Swagger UI's buttons fade) are not the page's colours.
        self.page.wait_for_function(
            """() => document.getAnimations().every(animation => animation.playState !== 'running'
                 || animation.effect.getComputedTiming().endTime === Infinity)"""
        )
        return self.page.evaluate(
            """async () => {
              const results = await axe.run(document, {resultTypes: ['violations']});
              return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
              }));
            }"""
        )

    def resize(self, width: int) -> None:
        """The same page at another width, as when a window is narrowed: the layout is CSS's."""
        self.width = width
        self.page.set_viewport_size(VIEWPORTS[width])

    def axe_failures(self, label: str) -> str | None:
        """None, or the critical and serious violations, each with its elements and help."""
        violations = self.axe()
        AXE_RESULTS[f"{label} @{self.width}"] = violations
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        return f"axe on {label} at {self.width} px:\n{describe(blocking)}" if blocking else None

    def check_clean(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)

    def focused(self) -> str:
        """The focused element, described: tag, id and text."""
        return self.page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e || e === document.body) return 'body';
              return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} ${(e.innerText || e.value || '')
                .trim().slice(0, 80)}`;
            }"""
        )


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:12]:
            summary = re.sub(r"\s+", " ", node["summary"] or "")[:300]
            lines.append(f"    {node['target']}  — {summary}")
        if len(violation["nodes"]) > 12:
            lines.append(f"    … and {len(violation['nodes']) - 12} more")
    return "\n".join(lines)


@pytest.fixture
def open_tab(browser, site) -> Iterator[Callable[..., Tab]]:
    """open_tab(width=1280, javascript=True, storage_state=None) -> a Tab in a new context. Each tab
    must end with nothing gone wrong on it; tests call `tab.check_clean()` where it matters, and
    whatever is left is checked when the test ends."""
    contexts = []
    tabs: list[Tab] = []

    def open_(width: int = 1280, *, javascript: bool = True, storage_state: dict | None = None) -> Tab:
        context = browser.new_context(
            viewport=VIEWPORTS[width],
            locale="da-DK",
            java_script_enabled=javascript,
            storage_state=storage_state,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.route(
            f"{site}{AXE_PATH}",
            lambda route: route.fulfill(path=AXE_JS, content_type="text/javascript; charset=utf-8"),
        )
        tab = Tab(page, width, site)
        tabs.append(tab)
        return tab

    yield open_
    leftover = [problem for tab in tabs for problem in tab.problems]
    for context in contexts:
        context.close()
    if leftover:
        pytest.fail("Went wrong in the browser:\n" + "\n".join(leftover))


@pytest.fixture(scope="session")
def admin_state(browser, site) -> dict:
    """A logged-in superuser's cookies (the user is made by `site`), logged in once through the form."""
    context = browser.new_context(viewport=VIEWPORTS[1280], locale="da-DK")
    try:
        page = context.new_page()
        page.goto(f"{site}/admin/login/?next=/admin/")
        page.fill("#id_username", SUPERUSER["username"])
        page.fill("#id_password", SUPERUSER["password"])
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url(f"{site}/admin/")
        return context.storage_state()
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter) -> None:
    """Every page's axe findings of any impact (the tests fail on critical and serious ones only),
    and where the screenshots are."""
    if AXE_RESULTS:
        AXE_REPORT.write_text(json.dumps(AXE_RESULTS, indent=2, ensure_ascii=False))
        terminalreporter.section("axe-core")
        for label, violations in sorted(AXE_RESULTS.items()):
            found = ", ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])})" for v in violations)
            terminalreporter.write_line(f"{label}: {found or 'none'}")
        terminalreporter.write_line(f"every finding with its elements: {AXE_REPORT}")
    if shots := sorted(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"{len(shots)} screenshots (1280 and 390 px wide): {SCREENSHOTS}")
