"""The corpus's own vocabulary, for understanding queries: stems that occur, words to suggest for
typos, the parts of Danish compound words, and the synonyms legal staff maintain.

Everything here is computed from the published decisions and cached; no `pg_trgm` is needed.
"""

import re
from collections import Counter
from functools import lru_cache

import snowballstemmer
from django.core.cache import cache
from django.db import connection

from decisions.models import Decision, Synonym

CACHE_SECONDS = 3600
WORD = re.compile(r"[a-zæøåéü]+(?:-[a-zæøåéü]+)*")
_stemmer = snowballstemmer.stemmer("danish")


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """The lexeme PostgreSQL's `danish` configuration makes of a word (the same Snowball stemmer)."""
    return _stemmer.stemWord(word.lower())


def lexemes() -> dict[str, int]:
    """Every lexeme of the published decisions with the number of decisions it occurs in."""
    found = cache.get("decisions:lexemes")
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat("
                "'SELECT search_vector FROM decisions_decision WHERE is_published')"
            )
            found = dict(cursor.fetchall())
        cache.set("decisions:lexemes", found, CACHE_SECONDS)
    return found


def words() -> dict[str, int]:
    """Whole words from titles, keywords and summaries, with their frequency: what a suggestion may say."""
    found = cache.get("decisions:words")
    if found is None:
        counter: Counter[str] = Counter()
        rows = Decision.objects.published().values_list("title", "summary", "keywords")
        for title, summary, keywords in rows.iterator(chunk_size=5000):
            counter.update(WORD.findall(f"{title} {summary} {' '.join(keywords)}".lower()))
        found = {word: count for word, count in counter.items() if len(word) >= 3}
        cache.set("decisions:words", found, CACHE_SECONDS)
    return found


def synonyms() -> dict[str, set[str]]:
    """Each term and alternative mapped to all the others it means the same as."""
    found = cache.get("decisions:synonyms")
    if found is None:
        found = {}
        for synonym in Synonym.objects.all():
            group = {synonym.term, *synonym.alternatives}
            for member in group:
                found.setdefault(member, set()).update(group - {member})
        cache.set("decisions:synonyms", found, CACHE_SECONDS)
    return found


def forget_synonyms(**_kwargs) -> None:
    cache.delete("decisions:synonyms")


def known(word: str) -> bool:
    return stem(word) in lexemes()


def compound_parts(word: str) -> tuple[str, str] | None:
    """`bilstøtte` → (`bil`, `støtte`), `tandlægeregning` → (`tandlæge`, `regning`): two parts that
    each occur in the corpus, allowing the Danish linking -s- and -e-. The longest first part wins."""
    vocabulary = lexemes()
    for split in range(len(word) - 3, 2, -1):
        left, right = word[:split], word[split:]
        candidates = [right]
        if right[0] in "se" and len(right) > 4:
            candidates.append(right[1:])  # arbejds|marked, barne|vogn
        for tail in candidates:
            if stem(left) in vocabulary and stem(tail) in vocabulary:
                return left, tail
    return None


def correction(word: str) -> str | None:
    """The corpus word a mistyped word most likely meant, or None when the word is known."""
    if len(word) < 4 or known(word):
        return None
    limit = 1 if len(word) < 7 else 2
    best: tuple[int, int, str] | None = None
    for candidate, frequency in words().items():
        if abs(len(candidate) - len(word)) > limit or (
            candidate[0] != word[0] and candidate[1:2] != word[1:2]
        ):
            continue
        distance = edit_distance(word, candidate, limit)
        if distance <= limit and (best is None or (distance, -frequency) < (best[0], -best[1])):
            best = (distance, frequency, candidate)
    return best[2] if best else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), giving up past `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (char_a != char_b),
            )
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
