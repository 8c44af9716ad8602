"""The hotline part of `make bench` (`BENCH_ONLY=hotline`), with the bench's decisions loaded:

- import_hotline of ANSWERS generated answers, against a plain bulk_create of the same rows;
- flagging: one decision that ANSWERS_ON_ONE answers cite is replaced, and the time until every
  one of them is flagged, against a plain UPDATE of their validity;
- search: /api/v1/search/?type=hotline and the search page (both kinds) over the query mix, against
  the bare full-text SQL on the answers.

Called from bench/run.py, which has set Django up."""

import json
import os
import random
import statistics
import tempfile
import time

from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

ANSWERS = int(os.environ.get("BENCH_ANSWERS", "10000"))
ANSWERS_ON_ONE = 1000
ROUNDS = 10
QUERIES = [
    "merudgifter",
    "hjælp",
    "kommunen afgørelse",
    "bilstøtte",
    "SEL § 100",
    "borgeren støtte handicap",
    "tandbehandling",
    "hvem betaler når borgeren flytter",
]
BARE_SQL = (
    "SELECT id FROM hotline_answer WHERE state = 'published' AND search_vector @@ "
    "websearch_to_tsquery('danish', %s) ORDER BY ts_rank(search_vector, "
    "websearch_to_tsquery('danish', %s)) DESC LIMIT 20"
)


def _records(numbers: list[str], target: str) -> list[dict]:
    """ANSWERS answers written from the generated decisions' words; the first ANSWERS_ON_ONE cite
    `target`."""
    from bench.generate_decisions import LAWS, WORDS

    rng = random.Random(7)
    records = []
    for n in range(ANSWERS):
        law = rng.choice(list(LAWS))
        section = rng.choice(LAWS[law])
        words = " ".join(rng.choices(WORDS, k=40))
        records.append(
            {
                "reference": f"HL-{2015 + n % 11}-{n + 1:05d}",
                "title": " ".join(rng.choices(WORDS, k=8)).capitalize() + "?",
                "question": words[:400],
                "answer": " ".join(rng.choices(WORDS, k=180)),
                "area": rng.choice(["social", "employment", "benefits", "children-family"]),
                "paragraphs": [f"{law} § {section}"],
                "decisions": [target] if n < ANSWERS_ON_ONE else rng.sample(numbers, k=1),
                "keywords": rng.sample(WORDS, k=3),
                "asked_on": "2026-01-05",
                "answered_on": "2026-01-15",
                "verified_on": "2026-06-01",
            }
        )
    return records


def _timings(client: Client, url: str, params: dict) -> list[float]:
    client.get(url, params)
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return timings


def bench_hotline(client: Client) -> None:
    from decisions.models import Decision, Relation, Status
    from hotline import flagging
    from hotline.importing import read_lines
    from hotline.models import Answer, AnswerChange, AnswerFlag

    numbers = list(Decision.objects.filter(status=Status.IN_FORCE).values_list("number", flat=True)[:2000])
    target = numbers[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE hotline_answer, hotline_historicalanswer, hotline_answerchange RESTART IDENTITY CASCADE"
        )
    newer = Decision.objects.filter(status=Status.IN_FORCE).exclude(number=target).last()
    Relation.objects.filter(source=newer, target__number=target).delete()  # from an earlier run
    flagging.flag_from_feed()  # the reader catches up with the decisions as they are
    records = _records(numbers[1:], target)

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as file:
        file.write("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
        file.flush()
        started = time.perf_counter()
        call_command("import_hotline", file.name, verbosity=0)
        imported = time.perf_counter() - started
        with open(file.name, encoding="utf-8") as written:
            rows, _ = read_lines(written.read().splitlines())
    # Baseline: the same rows written by a plain bulk_create, into a transaction rolled back.
    with transaction.atomic():
        Answer.objects.all().delete()
        started = time.perf_counter()
        Answer.objects.bulk_create(
            (Answer(reference=row.reference, **row.values) for row in rows), batch_size=1000
        )
        bulk = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"\nhotline, {ANSWERS} answers beside {Decision.objects.count()} decisions")
    print(f"{'import_hotline':<32} {imported:8.1f} s {ANSWERS / imported:8.0f}/s {imported / bulk:8.2f}")
    print(f"{'baseline: plain bulk_create':<32} {bulk:8.1f} s {ANSWERS / bulk:8.0f}/s {1:8.2f}")

    # Flagging: one decision that ANSWERS_ON_ONE answers rely on is replaced.
    Relation.objects.create(source=newer, target=Decision.objects.get(number=target), kind="replaces")
    started = time.perf_counter()
    raised = flagging.flag_from_feed()
    flag_seconds = time.perf_counter() - started
    flagged = Answer.objects.filter(validity="needs_review").count()
    ids = list(Answer.objects.filter(decisions__contains=[target]).values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic():
        Answer.objects.filter(pk__in=ids).update(validity="current")
        update_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    label = f"flag {raised} answers ({flagged} shown)"
    print(f"{label:<32} {flag_seconds * 1000:8.0f} ms {flag_seconds / update_seconds:8.2f}")
    print(f"{'baseline: plain UPDATE of them':<32} {update_seconds * 1000:8.0f} ms {1:8.2f}")
    assert AnswerFlag.objects.count() >= ANSWERS_ON_ONE
    assert AnswerChange.objects.exists()

    # Search, without the per-address limits a bench would hit at once.
    limits = override_settings(API_ANONYMOUS_RATE="100000000/minute", SEARCH_RATE="100000000/minute")
    limits.enable()
    api, page, bare = [], [], []
    for query in QUERIES:
        api += _timings(client, "/api/v1/search/", {"q": query, "type": "hotline"})
        page += _timings(client, "/principafgoerelser/soeg/", {"q": query})
        for _ in range(ROUNDS):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(BARE_SQL, [query, query])
                cursor.fetchall()
            bare.append((time.perf_counter() - started) * 1000)

    def line(name: str, timings: list[float], base: float) -> None:
        p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[-1]
        print(f"{name:<32} {p50:8.1f} ms p50 {p95:8.1f} ms p95 {p50 / base:8.2f}")

    limits.disable()
    base = statistics.median(bare)
    line("search type=hotline (API)", api, base)
    line("search page, both kinds", page, base)
    line("baseline: bare FTS SQL", bare, base)
