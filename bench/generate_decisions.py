"""Writes N synthetic principle decisions in the import format (JSON Lines) for benchmarks.

    python bench/generate_decisions.py 100000 > /tmp/decisions.jsonl

Deterministic for a given N and --seed. Numbers are `serial-year`; decisions cite one to three
paragraphs of the seeded laws, a tenth are no longer in force,
and every twentieth replaces the decision before it.
"""

import argparse
import datetime
import json
import random
import sys

LAWS = {
    "SEL": [41, 42, 83, 85, 95, 96, 100, 112, 113, 114, 116],
    "AKL": [11, 12, 13, 34, 81, 85],
    "RSL": ["5", "9", "9 c", "11 a"],
    "SDL": [7, 21, 24],
    "LAB": [16, 23, 99],
    "PL": [16, 18],
    "BL": [32, 46, 47, 86, 87],
    "FVL": [19, 22, 24],
    "OFL": [7],
}
AREAS = ["social", "employment", "benefits", "children-family"]
WORDS = [
    "kommunen",
    "borgeren",
    "ansøgning",
    "hjælp",
    "støtte",
    "merudgifter",
    "bil",
    "hjælpemiddel",
    "afgørelse",
    "vurdering",
    "behov",
    "handicap",
    "kørsel",
    "bolig",
    "pension",
    "sygedagpenge",
    "barn",
    "familie",
    "anbringelse",
    "samvær",
    "tilbagebetaling",
    "rådighed",
    "kontanthjælp",
    "enkeltydelse",
    "helhedsvurdering",
    "partshøring",
    "begrundelse",
    "aktindsigt",
    "opholdskommune",
    "hjemmehjælp",
    "rengøring",
    "tandbehandling",
    "briller",
    "høreapparat",
    "kørestol",
    "forbrugsgode",
    "boligindretning",
]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def decision(index: int, rng: random.Random) -> dict:
    year = 2000 + index % 25
    decided = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(360))
    paragraphs = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        law = rng.choice(list(LAWS))
        citation = f"{law} § {rng.choice(LAWS[law])}"
        if rng.random() < 0.3:
            citation += f", stk. {rng.randint(1, 4)}"
        if citation not in paragraphs:
            paragraphs.append(citation)
    record = {
        "number": f"{index // 25 + 1}-{year % 100:02d}",
        "title": sentence(rng, 6)[:-1],
        "summary": "Principmeddelelsen fastslår, at " + sentence(rng, 30).lower(),
        "body": "\n\n".join(sentence(rng, 60) for _ in range(4)),
        "practice_note": sentence(rng, 25) if rng.random() < 0.6 else "",
        "decided_on": decided.isoformat(),
        "published_on": (decided + datetime.timedelta(days=rng.randrange(5, 40))).isoformat(),
        "area": rng.choice(AREAS),
        "status": "no_longer_in_force" if rng.random() < 0.1 else "in_force",
        "paragraphs": paragraphs,
        "keywords": rng.sample(WORDS, 4),
    }
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    previous = None
    for index in range(arguments.count):
        record = decision(index, rng)
        if previous and index % 20 == 0:
            record["replaces"] = [previous]
        previous = record["number"]
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
