"""The corpus's own vocabulary, for understanding queries: stems that occur, words to suggest for
typos, the parts of Danish compound words, and the synonyms legal staff maintain; and general
Danish word knowledge (which words are Danish words at all) from simplemma's Danish lexicon.

Corpus figures are computed from the published decisions and cached; no `pg_trgm` is needed.
"""

import bisect
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from django.core.cache import cache
from django.db import connection

from decisions import danish
from decisions.models import Decision, Synonym

CACHE_SECONDS = 3600
LOCAL_SECONDS = 5  # how often a process asks whether what it read from the shared cache changed
WORD = re.compile(r"[a-zæøåéü]+(?:-[a-zæøåéü]+)*")
VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary.txt"
_stemmer = snowballstemmer.stemmer("danish")
_local: dict[str, tuple[float, object]] = {}


def _kept(name: str, load: Callable[[], object], key: str) -> object:
    """`load()` from the shared cache `key`, kept in this process: a search asks for the corpus's
    words many times, and unpickling them each time would cost more than the search. Every
    LOCAL_SECONDS the small stamp stored beside the value is compared, and the value is read again
    only when it was computed anew (after an import, a change of synonyms, or its expiry)."""
    now = time.monotonic()
    kept = _local.get(name)
    if kept is not None and now - kept[0] <= LOCAL_SECONDS:
        return kept[2]
    stamp = cache.get(f"{key}:stamp")
    if kept is None or stamp is None or stamp != kept[1]:
        value = load()
        cache.add(f"{key}:stamp", uuid.uuid4().hex, CACHE_SECONDS)  # a value stored without one
        kept = (now, cache.get(f"{key}:stamp"), value)
    else:
        kept = (now, kept[1], kept[2])
    _local[name] = kept
    return kept[2]


def _store(key: str, value: object) -> None:
    cache.set_many({key: value, f"{key}:stamp": uuid.uuid4().hex}, CACHE_SECONDS)


def forget_local() -> None:
    _local.clear()


def forget_corpus() -> None:
    """After an import: the corpus's words are read anew on the next search, here and elsewhere
    (other processes within LOCAL_SECONDS)."""
    cache.delete_many(
        [
            "decisions:lexemes",
            "decisions:lexemes:stamp",
            "decisions:words",
            "hotline:lexemes",
            "hotline:lexemes:stamp",
        ]
    )
    forget_local()


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """The lexeme PostgreSQL's `danish` configuration makes of a word (the same Snowball stemmer)."""
    return _stemmer.stemWord(word.lower())


def lexemes() -> dict[str, int]:
    """Every lexeme of the published decisions with the number of decisions it occurs in."""
    return _kept("lexemes", _lexemes, "decisions:lexemes")


def _lexemes() -> dict[str, int]:
    found = cache.get("decisions:lexemes")
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat("
                "'SELECT search_vector FROM decisions_decision WHERE is_published')"
            )
            found = dict(cursor.fetchall())
        _store("decisions:lexemes", found)
    return found


def answer_lexemes() -> dict[str, int]:
    """Every lexeme of the hotline's answers in use with the number of answers it occurs in: words
    the corpus knows though no decision says them, which are never taken for typos. Kept apart
    from `lexemes()`, whose frequencies weigh the decisions' ranking."""
    return _kept("answer-lexemes", _answer_lexemes, "hotline:lexemes")


def _answer_lexemes() -> dict[str, int]:
    found = cache.get("hotline:lexemes")
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM hotline_answer "
                "WHERE state = ''published'' AND search_vector IS NOT NULL')"
            )
            found = dict(cursor.fetchall())
        _store("hotline:lexemes", found)
    return found


def words() -> dict[str, int]:
    """Whole words from titles, keywords and summaries, with their frequency: what a suggestion may say."""
    found = cache.get("decisions:words")
    if found is None:
        counter: Counter[str] = Counter()
        rows = Decision.objects.published().values_list("title", "summary", "keywords")
        for title, summary, keywords in rows.iterator(chunk_size=5000):
            counter.update(WORD.findall(f"{title} {summary} {' '.join(keywords)}".lower()))
        from hotline.models import Answer, State

        answers = Answer.objects.filter(state=State.PUBLISHED).values_list("title", "keywords")
        for title, keywords in answers.iterator(chunk_size=5000):
            counter.update(WORD.findall(f"{title} {' '.join(keywords)}".lower()))
        found = {word: count for word, count in counter.items() if len(word) >= 3}
        cache.set("decisions:words", found, CACHE_SECONDS)
    return found


def synonyms() -> dict[str, set[str]]:
    """Each term and alternative, by its stemmed words ("kørestole" finds "kørestol"), mapped to
    all the others it means the same as."""
    return _kept("synonyms", _synonyms, "decisions:synonyms:stemmed")


def _synonyms() -> dict[str, set[str]]:
    found = cache.get("decisions:synonyms:stemmed")
    if found is None:
        found = {}
        for synonym in Synonym.objects.all():
            group = {synonym.term, *synonym.alternatives}
            for member in group:
                found.setdefault(stem_phrase(member), set()).update(group - {member})
        _store("decisions:synonyms:stemmed", found)
    return found


def stem_phrase(phrase: str) -> str:
    return " ".join(stem(word) for word in WORD.findall(phrase.lower()))


def forget_synonyms(**_kwargs) -> None:
    cache.delete_many(["decisions:synonyms:stemmed", "decisions:synonyms:stemmed:stamp"])
    _local.pop("synonyms", None)


def known(word: str) -> bool:
    """Whether the corpus (decisions and hotline answers) has the word, whole or as a part of its
    decisions' compounds (kræft in lungekræft)."""
    return stem(word) in lexemes() or stem(word) in answer_lexemes() or bool(compounds_with(word, limit=1))


def is_danish(word: str) -> bool:
    return danish.is_word(word)


def _word_part(part: str) -> bool:
    """A compound's other part: a word of the corpus or of Danish, allowing the linking -s- and -e-."""
    if len(part) < 3:
        return False
    vocabulary = lexemes()
    candidates = [part]
    if part[-1] in "se" and len(part) > 3:
        candidates.append(part[:-1])  # arbejds|marked, barne|vogn
    return any(candidate in vocabulary or is_danish(candidate) for candidate in candidates)


class _Sorted:
    """The corpus's lexemes sorted forwards and reversed: the compounds that begin or end with a word."""

    def __init__(self, words: dict[str, int]) -> None:
        self.forwards = sorted(words)
        self.backwards = sorted(word[::-1] for word in words)

    @staticmethod
    def _starting(words: list[str], prefix: str) -> list[str]:
        start = bisect.bisect_left(words, prefix)
        end = bisect.bisect_left(words, prefix + "\uffff")
        return words[start:end]

    def starting(self, prefix: str) -> list[str]:
        return self._starting(self.forwards, prefix)

    def ending(self, suffix: str) -> list[str]:
        return [word[::-1] for word in self._starting(self.backwards, suffix[::-1])]


def _sorted() -> _Sorted:
    return _kept("sorted-lexemes", lambda: _Sorted(lexemes()), "decisions:lexemes")


MIN_PART = 3
COMPOUNDS = 25


def compounds_with(word: str, limit: int = COMPOUNDS) -> list[str]:
    """The corpus's compounds that have the word as a part, most frequent first: kræft →
    lungekræft, motor → påhængsmotor, bil → bilstøtte. Matching stems, so that the document
    side's compounds are found as if they had been split."""
    root = stem(word)
    if len(root) < MIN_PART:
        return []
    vocabulary, ordered = lexemes(), _sorted()
    found = []
    for lexeme in ordered.ending(root):  # the word is the compound's head: lunge|kræft
        if lexeme != root and _word_part(lexeme[: -len(root)]):
            found.append(lexeme)
    for lexeme in ordered.starting(word if len(word) > len(root) else root):  # bil|støtte
        rest = lexeme[len(word) :] if lexeme.startswith(word) else lexeme[len(root) :]
        if lexeme != root and rest and ((rest[0] in "se" and _word_part(rest[1:])) or _word_part(rest)):
            found.append(lexeme)
    found = sorted(set(found), key=lambda lexeme: -vocabulary[lexeme])
    return found[:limit]


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


# Endings that are also words in the lexicon ("else", "skab"): never a compound's part of their own.
SUFFIXES = frozenset({"else", "skab", "hed", "ende", "ning", "ring", "sion", "tion", "isme"})


def compound_head(word: str) -> str | None:
    """For a compound the corpus does not have in full, the part it has, when the other is a Danish
    word: the last part first (ankefrist → frist, found in klagefrist; deltidssygemeldt →
    sygemeldt), since a compound names a kind of its last part; else the first (depositumlån →
    depositum)."""

    def has(part: str) -> bool:  # a real word (not a suffix such as -ning) the corpus has, or its compounds
        if len(part) < 4 or not is_danish(part) or part in SUFFIXES:
            return False
        return stem(part) in lexemes() or bool(compounds_with(part, limit=1))

    def danish_word(part: str) -> bool:
        return is_danish(part) or (part[-1] in "se" and is_danish(part[:-1]))

    splits = [(word[:split], word[split:]) for split in range(3, len(word) - 2)]
    for left, right in splits:
        if danish_word(left) and has(right):
            return right
    for left, right in splits:
        if is_danish(right) and (has(left) or (left[-1] in "se" and has(left[:-1]))):
            return left if has(left) else left[:-1]
    return None


def correction(word: str) -> str | None:
    """The corpus word a mistyped word most likely meant, or None when the word is known: to the
    corpus, whole or as a compound's part, to the synonyms, or as a Danish word."""
    if len(word) < 4 or known(word) or stem(word) in synonyms() or is_danish(word):
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


ENTRY = re.compile(
    r"^(?P<term>[a-zæøåéü][a-zæøåéü -]*) = (?P<alternatives>[a-zæøåéü -]+(?:, [a-zæøåéü -]+)*)$"
)
MAX_PHRASE_WORDS = 4


def read_vocabulary(text: str) -> list[tuple[str, list[str]]]:
    """The search vocabulary kept in the repository (decisions/data/vocabulary.txt): one group a
    line, `term = alternative, alternative`, `#` comments. Raises ValueError naming every line that
    is not one."""
    entries, problems, seen = [], [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = ENTRY.match(line)
        if not match:
            problems.append(f"line {number}: not “term = word, word” in lower case: {line[:60]!r}")
            continue
        term = " ".join(match["term"].split())
        alternatives = [" ".join(item.split()) for item in match["alternatives"].split(",")]
        members = [term, *alternatives]
        if term in seen:
            problems.append(f"line {number}: {term!r} is also on line {seen[term]}")
        elif term in alternatives:
            problems.append(f"line {number}: {term!r} lists itself")
        elif any(len(member.split()) > MAX_PHRASE_WORDS or len(member) > 100 for member in members):
            problems.append(
                f"line {number}: a phrase has more than {MAX_PHRASE_WORDS} words or 100 characters"
            )
        else:
            seen[term] = number
            entries.append((term, list(dict.fromkeys(alternatives))))
    if problems:
        raise ValueError("\n".join(problems))
    return entries


def load_vocabulary(synonym_model, text: str | None = None) -> tuple[int, int]:
    """Adds the repository's vocabulary to the synonyms staff edit in the admin: new terms are
    created, and a term staff already have keeps its alternatives and gains the file's new ones
    (nothing staff wrote is removed). Returns (created, extended)."""
    entries = read_vocabulary(VOCABULARY_FILE.read_text(encoding="utf-8") if text is None else text)
    existing = {synonym.term: synonym for synonym in synonym_model.objects.all()}
    created = extended = 0
    for term, alternatives in entries:
        synonym = existing.get(term)
        if synonym is None:
            synonym_model.objects.create(term=term, alternatives=alternatives)
            created += 1
        elif missing := [item for item in alternatives if item not in synonym.alternatives]:
            synonym.alternatives = [*synonym.alternatives, *missing]
            synonym.save(update_fields=["alternatives"])
            extended += 1
    return created, extended
