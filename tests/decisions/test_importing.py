import io
import json

import pytest
from django.core.management import CommandError, call_command

from decisions.models import Decision, Relation, Status

pytestmark = pytest.mark.django_db


def line(number: str = "12-19", **overrides) -> dict:
    record = {
        "number": number,
        "title": "Merudgifter – kørsel til fritidsaktiviteter",
        "summary": "Principmeddelelsen fastslår, at udgifter til kørsel kan dækkes som merudgifter.",
        "body": "Sagens omstændigheder …\n\nBegrundelse …",
        "practice_note": "Spørg ind til, hvor ofte borgeren kører.",
        "decided_on": "2019-03-01",
        "published_on": "2019-03-20",
        "area": "social",
        "status": "in_force",
        "paragraphs": ["SEL § 100, stk. 1", "RSL § 9 c"],
        "keywords": ["merudgifter", "kørsel"],
        "replaces": [],
    }
    record.update(overrides)
    return record


def write(tmp_path, *records, name="decisions.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_decisions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_valid_file_is_imported_published_with_paragraphs_and_replacements(tmp_path):
    path = write(
        tmp_path,
        line("12-19", replaces=["C-16-99"]),  # the replaced decision comes later in the file
        line(
            "C-16-99", decided_on="1999-05-05", status="no_longer_in_force", paragraphs=["servicelovens § 84"]
        ),
    )

    out, _ = run(path)

    assert "2 created, 0 updated, 0 unchanged." in out
    new = Decision.objects.get(number="12-19")
    assert new.is_published
    assert [r.citation for r in new.references.all()] == [
        "serviceloven § 100, stk. 1",
        "retssikkerhedsloven § 9 c",
    ]
    assert new.citations == "SEL § 100, stk. 1\nRSL § 9 c"
    assert new.keywords == ["merudgifter", "kørsel"]
    old = Decision.objects.get(number="C-16-99")
    assert old.status == Status.NO_LONGER_IN_FORCE
    assert Relation.objects.filter(source=new, target=old, kind=Relation.Kind.REPLACES).exists()


def test_an_invalid_file_reports_every_problem_by_line_and_field_and_imports_nothing(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(line("1-20")),
                json.dumps(line("2-20", area="health", paragraphs=["XYZ § 3"], decided_on="2020-02-30")),
                "{not json",
                json.dumps(line("1-20", title="")),
                json.dumps(line("3-20", status="valid", replaces=["9-99"], colour="blue")),
            ]
        ),
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match="4 invalid line"):
        run(str(path))

    _, err = _run_capturing_errors(str(path))
    assert "line 2: decided_on: '2020-02-30' is not a real date" in err
    assert "line 2: area: unknown area 'health'" in err
    assert "line 2: paragraphs[1]: Unknown law “XYZ” in “XYZ § 3”." in err
    assert "line 3: json: not valid JSON" in err
    assert "line 4: title: required, a non-empty string" in err
    assert "line 4: number: 1-20 is also on line 1" in err
    assert "line 5: status: 'valid' is not one of in_force, partly_changed, no_longer_in_force" in err
    assert "line 5: colour: unknown field" in err
    assert "line 5: replaces: no decision 9-99 in the file or the database" in err
    assert Decision.objects.count() == 0


def _run_capturing_errors(path: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_decisions", path, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_skip_invalid_imports_the_valid_lines_and_reports_the_rest(tmp_path):
    path = write(tmp_path, line("1-20"), line("2-20", area="health"), line("3-20"))

    with pytest.raises(SystemExit) as exit_info:
        run(path, "--skip-invalid")

    assert exit_info.value.code == 1
    assert sorted(Decision.objects.values_list("number", flat=True)) == ["1-20", "3-20"]


def test_importing_the_same_file_twice_leaves_one_copy_and_no_new_history(tmp_path):
    path = write(tmp_path, line("1-20"), line("2-20", replaces=["1-20"]))
    run(path)
    history_before = Decision.history.count()

    out, _ = run(path)

    assert "0 created, 0 updated, 2 unchanged." in out
    assert Decision.objects.count() == 2
    assert Relation.objects.count() == 1
    assert Decision.history.count() == history_before


def test_a_changed_line_updates_the_decision_and_its_history(tmp_path):
    run(write(tmp_path, line("1-20"), line("2-20")))
    before = Decision.objects.get(number="1-20")

    out, _ = run(
        write(tmp_path, line("1-20", status="partly_changed", paragraphs=["SEL § 41"]), line("2-20"))
    )

    assert "0 created, 1 updated, 1 unchanged." in out
    after = Decision.objects.get(number="1-20")
    assert after.status == Status.PARTLY_CHANGED
    assert [r.citation for r in after.references.all()] == ["serviceloven § 41"]
    assert after.updated_at > before.updated_at
    assert list(after.history.values_list("status", flat=True)) == ["partly_changed", "in_force"]


def test_a_line_that_drops_a_replacement_removes_the_relation(tmp_path):
    run(write(tmp_path, line("1-20"), line("2-20", replaces=["1-20"])))

    run(write(tmp_path, line("1-20"), line("2-20", replaces=[])))

    assert Relation.objects.count() == 0


def test_export_then_import_is_a_round_trip(tmp_path):
    records = [
        line("C-16-99", decided_on="1999-05-05", status="no_longer_in_force", paragraphs=["SEL § 84"]),
        line("12-19", replaces=["C-16-99"], practice_note="", published_on=None, keywords=[]),
        line("3-21", decided_on="2021-01-05", paragraphs=["AKL § 34, stk. 1, nr. 2", "FVL § 19"]),
    ]
    run(write(tmp_path, *records))
    exported = tmp_path / "export.jsonl"

    call_command("export_decisions", "--output", str(exported))

    exported_records = [json.loads(text) for text in exported.read_text(encoding="utf-8").splitlines()]
    assert exported_records == records  # oldest first, exactly as imported
    Decision.objects.all().delete()
    run(str(exported))
    again = tmp_path / "again.jsonl"
    call_command("export_decisions", "--output", str(again))
    assert again.read_text(encoding="utf-8") == exported.read_text(encoding="utf-8")


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"number": "1-20", "title": "S\xe6rlig st\xf8tte"}\n')

    with pytest.raises(CommandError, match="cannot be read as UTF-8"):
        run(str(path))


def unique_words(characters: int) -> str:
    """Text of distinct made-up Danish-looking words: every one a new lexeme for the search."""
    import random

    rng = random.Random(1)  # noqa: S311 - made-up words, not secrets
    words, length = [], 0
    while length < characters:
        word = "".join(rng.choice("abdefghijklmnoprstuvyæøå") for _ in range(9))
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:characters]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"title": "t" * 301}, "line 1: title: is 301 characters long; at most 300 are allowed"),
        ({"keywords": ["k" * 101]}, "line 1: keywords: 'kkkkk"),
        ({"keywords": ["k" * 101]}, "is 101 characters long; at most 100 are allowed"),
        (
            {"summary": "Principmeddelelsen\u0000 fastslår"},
            "line 1: summary: contains the character U+0000 (NULL)",
        ),
        ({"title": "Kørsel\u000bog bil"}, "line 1: title: contains the character U+000B (LINE TABULATION)"),
        ({"title": "Kørsel\nog bil"}, "line 1: title: contains the character U+000A (LINE FEED)"),
        ({"area": ["social"]}, "line 1: area: unknown area ['social']"),
        ({"status": ["in_force"]}, "line 1: status: ['in_force'] is not one of"),
        ({"number": 1219}, "line 1: number: must be a string, not 1219"),
        ({"practice_note": 7}, "line 1: practice_note: must be a string, not 7"),
        ({"paragraphs": "SEL § 100"}, "line 1: paragraphs: must be a list of strings, not 'SEL § 100'"),
        ({"keywords": [1, 2]}, "line 1: keywords: must be a list of strings, not [1, 2]"),
        ({"replaces": ["twelve"]}, "line 1: replaces: 'twelve' is not a decision number"),
        ({"body": "b" * 1_000_001}, "line 1: body: is 1000001 characters long; at most 1000000 are allowed"),
        ({"paragraphs": ["SEL § 100"] * 201}, "line 1: paragraphs: has 201 items; at most 200 are allowed"),
        ({"changes": "22-15"}, "line 1: changes: must be a list of numbers or of objects, not '22-15'"),
        ({"changes": [7]}, "line 1: changes[1]: must be a number or an object, not 7"),
        ({"changes": [{"number": "x"}]}, "line 1: changes[1]: 'x' is not a decision number"),
        ({"changes": [{"number": "1-20"}]}, "line 1: changes: a decision cannot change itself"),
        ({"changes": [{"number": "2-20", "why": "?"}]}, "line 1: changes[1]: unknown field 'why'"),
        ({"changes": [{"number": "2-20", "note": 5}]}, "line 1: changes[1].note: must be a string, not 5"),
        (
            {"changes": [{"number": "2-20", "note": "n" * 1001}]},
            "line 1: changes[1].note: is 1001 characters long; at most 1000 are allowed",
        ),
        (
            {"changes": [{"number": "2-20", "note": "a\u0000b"}]},
            "line 1: changes[1].note: contains the character",
        ),
        ({"changes": ["2-20", "2-20"]}, "line 1: changes[2]: 2-20 is listed twice"),
        ({"changes": ["2-20"], "replaces": ["2-20"]}, "line 1: changes: 2-20 is also in replaces"),
        ({"changes": ["2-20"]}, "line 1: changes: no decision 2-20 in the file or the database"),
    ],
)
def test_every_field_is_checked_before_anything_is_written(tmp_path, overrides, problem):
    path = write(tmp_path, {**line("1-20"), **overrides})

    _, err = _run_capturing_errors(path)

    assert problem in err
    assert "Traceback" not in err
    assert not Decision.objects.exists()


def test_a_text_too_long_for_the_search_vector_is_a_problem_on_its_line(tmp_path):
    path = write(tmp_path, line("1-20", body=unique_words(999_000)), line("2-20"))

    _, err = _run_capturing_errors(path)

    assert "line 1: body: the text is too long to be searched" in err
    assert "tsvector" in err
    assert not Decision.objects.exists()


def test_skip_invalid_imports_every_valid_line_whatever_is_wrong_with_the_others(tmp_path):
    path = write(
        tmp_path,
        line("1-20"),
        line("2-20", title="t" * 301),
        line("3-20", summary="NUL\u0000"),
        line("4-20", area=["social"]),
        line("5-20", body=unique_words(999_000)),
        line("6-20", replaces=["2-20"]),  # replaces a decision whose line is invalid
        line("7-20", replaces=["1-20"]),
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit):
        call_command("import_decisions", path, "--skip-invalid", stdout=out, stderr=err)

    assert sorted(Decision.objects.values_list("number", flat=True)) == ["1-20", "7-20"]
    assert "2 created, 0 updated, 0 unchanged, 5 invalid line(s) skipped." in out.getvalue()
    assert "line 6: replaces: 2-20 is on line 2, which is invalid" in err.getvalue()
    assert Relation.objects.get().target.number == "1-20"


NOTE = "Afsnittet om befordring gælder ikke længere."


def test_changes_records_what_a_decision_changes_in_part_with_a_note(tmp_path):
    path = write(
        tmp_path,
        line("22-15", status="partly_changed"),
        line("28-14", status="partly_changed"),
        line("24-19", changes=[{"number": "22-15", "note": NOTE}, "28-14"]),
    )

    run(path)

    relations = Relation.objects.filter(kind=Relation.Kind.CHANGES).order_by("target__number")
    assert [(r.source.number, r.target.number, r.note) for r in relations] == [
        ("24-19", "22-15", NOTE),
        ("24-19", "28-14", ""),
    ]

    # A changed note is updated in place, with history; a dropped change is removed.
    run(write(tmp_path, line("24-19", changes=[{"number": "22-15", "note": "Ny note."}]), name="again.jsonl"))
    assert list(
        Relation.objects.filter(kind=Relation.Kind.CHANGES).values_list("target__number", "note")
    ) == [("22-15", "Ny note.")]
    assert Relation.history.filter(note="Ny note.", history_type="~").exists()


def test_export_writes_changes_back_and_a_round_trip_keeps_the_notes(tmp_path):
    records = [
        line("22-15", status="partly_changed"),
        line("28-14", status="partly_changed"),
        line("24-19", changes=[{"number": "22-15", "note": NOTE}, "28-14"]),
    ]
    run(write(tmp_path, *records))
    exported = tmp_path / "export.jsonl"
    call_command("export_decisions", "--output", str(exported))

    by_number = {record["number"]: record for record in map(json.loads, exported.read_text().splitlines())}
    assert by_number["24-19"]["changes"] == [{"number": "22-15", "note": NOTE}, "28-14"]
    assert "changes" not in by_number["22-15"]

    Relation.objects.all().delete()
    run(str(exported))
    again = tmp_path / "again.jsonl"
    call_command("export_decisions", "--output", str(again))
    assert again.read_text() == exported.read_text()
