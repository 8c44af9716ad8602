"""`make bench`: server time of the portal's pages against a bare Django view, measured in one run.

Each page is requested through Django's full stack (middleware, templates, i18n) in-process; the
baseline is a view that returns a constant HttpResponse through the same middleware. Later issues
add their own benchmarks to BENCHMARKS.
"""

import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-benchmarks-only")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("PORTAL_VAR_DIR", "var/bench")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.urls import path  # noqa: E402

from portal.urls import urlpatterns as portal_urlpatterns  # noqa: E402

ROUNDS = 300


def bare(request):
    return HttpResponse("ok")


urlpatterns = [*portal_urlpatterns, path("bench/bare/", bare)]

BENCHMARKS = {
    "baseline: bare view": "/bench/bare/",
    "home page": "/",
    "404 page": "/findes-ikke/",
}


def measure(client: Client, url: str) -> list[float]:
    for _ in range(20):  # warm caches and connections
        client.get(url)
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404 benchmark is not news
    setup_test_environment()
    call_command("migrate", interactive=False, verbosity=0)
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ROOT_URLCONF=__name__, STORAGES=plain_static, DEBUG=False):
        client = Client()
        results = {name: measure(client, url) for name, url in BENCHMARKS.items()}
    baseline = statistics.median(results["baseline: bare view"])
    print(f"{'benchmark':<24} {'p50 ms':>8} {'p95 ms':>8} {'ratio p50':>10}  ({ROUNDS} requests each)")
    for name, timings in results.items():
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{name:<24} {p50:8.2f} {p95:8.2f} {p50 / baseline:10.2f}")


if __name__ == "__main__":
    main()
