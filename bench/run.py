"""`make bench`: the import of DECISIONS generated decisions, then the server time of the portal's
pages with them loaded, against a bare Django view measured in the same run.

Each page is requested through Django's full stack (middleware, templates, i18n) in-process; the
baseline is a view that returns a constant HttpResponse through the same middleware. The bench has
a database of its own (PORTAL_VAR_DIR=var/bench); its decisions are replaced on every run.
`BENCH_DECISIONS=10000 make bench` for a quicker run.
"""

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", "benchmarks-only-" + "b" * 50)
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("PORTAL_VAR_DIR", "var/bench")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from portal.urls import urlpatterns as portal_urlpatterns  # noqa: E402

ROUNDS = 300
DECISIONS = int(os.environ.get("BENCH_DECISIONS", "100000"))
BENCH_DIR = Path(__file__).resolve().parent


def bare(request):
    return HttpResponse("ok")


def bare_decisions(request):
    """The API's baseline: the same 100 decisions and their paragraph references, straight from
    values() into a JsonResponse: no serializer, no keys, no limits, no ETag."""
    from decisions.models import Decision, ParagraphReference
    from decisions.serializers import DECISION_COLUMNS

    rows = list(
        Decision.objects.filter(is_published=True)
        .order_by("updated_at", "id")
        .values(*DECISION_COLUMNS)[:100]
    )
    references = {}
    for reference in (
        ParagraphReference.objects.filter(decision_id__in=[row["id"] for row in rows])
        .order_by("position")
        .values("decision_id", "paragraph__law__slug", "paragraph__section", "subsection", "item")
    ):
        references.setdefault(reference.pop("decision_id"), []).append(reference)
    for row in rows:
        row["paragraphs"] = references.get(row.pop("id"), [])
    return JsonResponse({"results": rows})


urlpatterns = [*portal_urlpatterns, path("bench/bare/", bare), path("bench/bare-decisions/", bare_decisions)]

BENCHMARKS = {
    "baseline: bare view": "/bench/bare/",
    "home page": "/",
    "404 page": "/findes-ikke/",
    "laws overview": "/principafgoerelser/",
    "paragraph: SEL § 100": "/principafgoerelser/lov/serviceloven/100/",
    "paragraph: page 10": "/principafgoerelser/lov/serviceloven/100/?side=10",
    "decision page": "/principafgoerelser/{number}/",
    "newest decisions": "/principafgoerelser/nyeste/",
}


SEARCH_ROUNDS = 10
SEARCH_QUERIES = [
    "kommune",
    "hjælp",
    "afgørelse",
    "kommunen afgørelse",
    "borgeren",
    "støtte",
    "tandbehandling",
    "hjemmehjælp",
    "bilstøtte",
    "merudgift",
    "merudgifter til medicin",
    "briller",
    "kørestol",
    "el-kørestol",
    "høreapparat",
    "boligindretning",
    "førtidspension",
    "sygedagpenge opfølgning",
    "kontanthjælp rådighed",
    "tilbagebetaling",
    "aktindsigt",
    "partshøring begrundelse",
    "opholdskommune",
    "anbringelse samvær",
    "SEL § 100",
    "SEL § 100 medicin",
    "servicelovens § 83",
    "§ 34 i aktivloven",
    "RSL § 9 c",
    "12-19",
    "tandbehanling",
    '"praktisk hjælp"',
    "bil -kørsel",
]
BARE_SQL = (
    "SELECT id FROM decisions_decision WHERE is_published AND search_vector @@ "
    "websearch_to_tsquery('danish', %s) ORDER BY ts_rank(search_vector, "
    "websearch_to_tsquery('danish', %s)) DESC LIMIT 20"
)


def bench_search(client: Client) -> None:
    """The search page for each query against the bare SQL of the same full-text query."""
    page_times, sql_times, slowest = [], [], []
    for query in SEARCH_QUERIES:
        client.get("/principafgoerelser/soeg/", {"q": query})  # warm
        timings = []
        for _ in range(SEARCH_ROUNDS):
            started = time.perf_counter()
            client.get("/principafgoerelser/soeg/", {"q": query})
            timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(BARE_SQL, [query, query])
                cursor.fetchall()
            sql_times.append((time.perf_counter() - started) * 1000)
        page_times += timings
        slowest.append((max(timings), query))
    p50, p95 = statistics.median(page_times), statistics.quantiles(page_times, n=20)[-1]
    sql50, sql95 = statistics.median(sql_times), statistics.quantiles(sql_times, n=20)[-1]
    print(f"\nsearch page, {len(SEARCH_QUERIES)} queries × {SEARCH_ROUNDS} ({DECISIONS} decisions)")
    print(f"{'search page':<24} {p50:8.2f} {p95:8.2f} {p50 / sql50:10.2f}")
    print(f"{'baseline: bare FTS SQL':<24} {sql50:8.2f} {sql95:8.2f} {1:10.2f}")
    print(
        "slowest: " + ", ".join(f"{query!r} {ms:.0f} ms" for ms, query in sorted(slowest, reverse=True)[:5])
    )


API_ROUNDS = 200


def bench_api(client: Client) -> None:
    """Requests per second of a page of 100 decisions from the API against the bare values() view,
    then a first full sync of every decision through the change feed, as a municipal system does."""
    from portal.models import ApiClient

    ApiClient.objects.filter(organisation="Benchmark").delete()
    _key, secret = ApiClient.objects.create(
        organisation="Benchmark", contact_email="bench@example.dk"
    ).issue_key()
    headers = {"authorization": f"Bearer {secret}"}
    urls = {
        "API decisions/": "/api/v1/decisions/?page_size=100",
        "bare values() view": "/bench/bare-decisions/",
    }
    for url in urls.values():
        for _ in range(10):
            assert client.get(url, headers=headers).status_code == 200
    spent = dict.fromkeys(urls, 0.0)
    for _ in range(API_ROUNDS):  # alternating, so that a slower moment of the machine weighs on both
        for name, url in urls.items():
            started = time.perf_counter()
            client.get(url, headers=headers)
            spent[name] += time.perf_counter() - started
    rates = {name: API_ROUNDS / seconds for name, seconds in spent.items()}
    ours, bare_rate = rates["API decisions/"], rates["bare values() view"]
    print(
        f"\nAPI, a page of 100 decisions with paragraph references ({DECISIONS} decisions), "
        f"{API_ROUNDS} requests each"
    )
    print(f"{'API decisions/':<24} {ours:8.1f} req/s")
    print(f"{'baseline: bare values()':<24} {bare_rate:8.1f} req/s   ratio {ours / bare_rate:.2f}")

    mirror, url, requests = {}, "/api/v1/changes/?page_size=500", 0
    started = time.perf_counter()
    while True:
        body = client.get(url, headers=headers).json()
        requests += 1
        for change in body["results"]:
            if "decision" in change:
                mirror[change["number"]] = change["decision"]
            else:
                mirror.pop(change["number"], None)
        url = body["next"].removeprefix("http://testserver")
        if not body["has_more"]:
            break
    seconds = time.perf_counter() - started
    print(
        f"full mirror through changes/: {len(mirror)} decisions in {seconds:.1f} s "
        f"({requests} requests of 500, {len(mirror) / seconds:.0f} decisions/s)"
    )


def bench_operations(number: str) -> None:
    from bench.operations import bench_backup, bench_health

    bench_health(f"/principafgoerelser/{number}/")
    bench_backup()


def bench_mail() -> None:
    from bench.mail import bench_mail as run

    run()


def bench_digests() -> None:
    from bench.digests import bench_digests as run

    run()


def bench_hotline(client: Client) -> None:
    from bench.hotline import bench_hotline as run

    run(client)


def load_decisions() -> float:
    """Replaces the bench database's decisions with DECISIONS generated ones; returns the import seconds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE decisions_paragraphreference, decisions_relation, decisions_historicalrelation, "
            "decisions_historicaldecision, decisions_decision, decisions_paragraph, decisions_decisionchange "
            "RESTART IDENTITY CASCADE"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as file:
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "generate_decisions.py"), str(DECISIONS)],
            stdout=file,
            check=True,
        )
        started = time.perf_counter()
        call_command("import_decisions", file.name, verbosity=0)
        return time.perf_counter() - started


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
    call_command("migrate", interactive=False, verbosity=0)
    from decisions.models import Decision

    if os.environ.get("BENCH_KEEP") and Decision.objects.count() == DECISIONS:
        print(f"import_decisions: skipped, {DECISIONS} decisions kept from the last run (BENCH_KEEP)")
    else:
        seconds = load_decisions()
        print(f"import_decisions: {DECISIONS} decisions in {seconds:.1f} s ({DECISIONS / seconds:.0f}/s)")

    number = Decision.objects.filter(references__paragraph__section="100").order_by("-decided_on")[0].number
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(
        ROOT_URLCONF=__name__,
        STORAGES=plain_static,
        DEBUG=False,
        ALLOWED_HOSTS=hosts,
        API_CLIENT_RATE="100000000/hour",
    ):
        client = Client()
        only = os.environ.get("BENCH_ONLY")
        if only == "api":
            bench_api(client)
            return
        if only == "operations":
            bench_operations(number)
            return
        if only == "search":
            bench_search(client)
            return
        if only == "mail":
            bench_mail()
            return
        if only == "hotline":
            bench_hotline(client)
            return
        if only == "digests":
            bench_digests()
            return
        results = {name: measure(client, url.format(number=number)) for name, url in BENCHMARKS.items()}
        bench_search(client)
        bench_api(client)
        bench_hotline(client)
    bench_operations(number)
    bench_mail()
    bench_digests()
    baseline = statistics.median(results["baseline: bare view"])
    print(f"{'page (' + str(DECISIONS) + ' decisions)':<24} {'p50 ms':>8} {'p95 ms':>8} {'ratio p50':>10}")
    for name, timings in results.items():
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{name:<24} {p50:8.2f} {p95:8.2f} {p50 / baseline:10.2f}")


if __name__ == "__main__":
    main()
