"""General Danish word knowledge: the base form of a word form ("nedsat" → "nedsætte", "kørestole"
→ "kørestol") and whether a word is Danish at all, from simplemma's Danish lexicon (788 000 word
forms of 117 000 words).

The lexicon is copied once into a SQLite file in LEXICON_DIR ($PORTAL_VAR_DIR unless set; about
5 s, 26 MB on disk; `python manage.py build_lexicon`, which `make run` and the Docker image run),
so that each process looks words up on disk rather than holding the 100 MB the lexicon takes in
memory.
"""

import fcntl
import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

import simplemma
from django.conf import settings

_local = threading.local()


def lexicon_path() -> Path:
    version = getattr(simplemma, "__version__", "0")
    return Path(settings.LEXICON_DIR) / f"danish-lexicon-{version}.sqlite3"


def _connection() -> sqlite3.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        path = lexicon_path()
        if not path.exists():
            build(path)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        _local.connection = connection
    return connection


def build(path: Path) -> None:
    """Writes the lexicon's file, once however many processes ask at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory

        forms = DefaultDictionaryFactory(cache_max_size=0).get_dictionary("da")
        building = path.with_suffix(f".{os.getpid()}.building")
        with sqlite3.connect(building) as database:
            database.execute("CREATE TABLE form (form TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID")
            database.executemany(
                "INSERT OR IGNORE INTO form VALUES (?, ?)",
                ((form.lower(), lemma.lower()) for form, lemma in forms.items()),
            )
        database.close()
        os.replace(building, path)


@lru_cache(maxsize=100_000)
def lemma(word: str) -> str | None:
    """The base form of a Danish word form, or None when the lexicon does not know the word."""
    row = _connection().execute("SELECT lemma FROM form WHERE form = ?", (word.lower(),)).fetchone()
    return row[0] if row else None


def is_word(word: str) -> bool:
    return lemma(word) is not None
