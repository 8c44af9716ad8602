"""import_hotline / export_hotline: the pinned JSON Lines format, checked whole before anything is
written, idempotent, and a lossless round trip."""

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from hotline.models import Answer, AnswerChange, State, Validity
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db


def line(**overrides) -> dict:
    record = {
        "reference": "HL-2024-031",
        "title": "Kan kommunen dække merudgifter til kørsel?",
        "question": "En borger med nedsat funktionsevne søger om dækning af kørsel.",
        "answer": "Ja, hvis udgiften er en nødvendig følge af funktionsnedsættelsen.\n\nSe 24-19.",
        "area": "social",
        "paragraphs": ["SEL § 100, stk. 1"],
        "decisions": ["24-19"],
        "keywords": ["merudgifter"],
        "asked_on": "2024-03-01",
        "answered_on": "2024-03-12",
    }
    return {**record, **overrides}


def write(tmp_path, *records) -> str:
    path = tmp_path / "answers.jsonl"
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
        encoding="utf-8",
    )
    return str(path)


def run(path: str, *args: str) -> tuple[str, str, BaseException | None]:
    """The command's output, its report of problems, and how it ended (None: it succeeded)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_hotline", path, *args, stdout=out, stderr=err)
    except (CommandError, SystemExit) as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_a_file_is_imported_with_paragraphs_decisions_and_review_dates_and_again_changes_nothing(tmp_path):
    DecisionFactory(number="24-19")
    User.objects.create_user("jurist", is_staff=True)
    path = write(
        tmp_path,
        line(),
        line(
            reference="HL-2024-032",
            owner="jurist",
            verified_on="2025-01-01",
            paragraphs=["§ 114 i serviceloven"],
        ),
    )

    out, _, _ = run(path)
    again, _, _ = run(path)

    assert out.strip() == "2 created, 0 updated, 0 unchanged."
    assert again.strip() == "0 created, 0 updated, 2 unchanged."
    first = Answer.objects.get(reference="HL-2024-031")
    assert first.state == State.PUBLISHED
    assert first.citations == "SEL § 100, stk. 1"
    assert [ref.citation for ref in first.references.all()] == ["serviceloven § 100, stk. 1"]
    assert (str(first.verified_on), str(first.review_by)) == ("2024-03-12", "2025-03-12")
    second = Answer.objects.get(reference="HL-2024-032")
    assert second.owner.username == "jurist"
    assert second.citations == "SEL § 114"
    assert first.validity == second.validity == Validity.EXPIRED
    assert AnswerChange.objects.count() == 2


def test_every_problem_is_reported_by_line_and_field_and_nothing_is_written(tmp_path):
    DecisionFactory(number="24-19")
    path = write(
        tmp_path,
        line(),
        line(reference="HL-24-1", decisions=["99-99"], area="health"),
        "{not json",
        line(reference="HL-2024-033", paragraphs=["SKL § 3"], asked_on="2024-02-30", status="deleted"),
        line(reference="HL-2024-034", superseded_by="HL-2099-001", owner="nobody", extra=1),
    )

    _, err, error = run(path)

    assert "4 invalid line(s)" in str(error)
    for expected in [
        "line 2: reference: 'HL-24-1' is not a reference such as HL-2024-031",
        "line 2: area: unknown area 'health'",
        "line 2: decisions: no principle decision 99-99 in the database",
        "line 3: json: not valid JSON",
        "line 4: paragraphs[1]: Unknown law “SKL” in “SKL § 3”.",
        "line 4: asked_on: '2024-02-30' is not a real date",
        "line 4: status: 'deleted' is not one of published, withdrawn",
        "line 5: extra: unknown field",
        "line 5: owner: 'nobody' is not the username of a staff user",
        "line 5: superseded_by: no answer HL-2099-001 in the file or the database",
    ]:
        assert expected in err
    assert not Answer.objects.exists()


def test_skip_invalid_imports_the_valid_lines_and_never_a_successor_it_skipped(tmp_path):
    DecisionFactory(number="24-19")
    path = write(
        tmp_path,
        line(reference="HL-2024-031", superseded_by="HL-2024-032"),
        line(reference="HL-2024-032", area="nowhere"),
        line(reference="HL-2024-033"),
    )

    _, err, error = run(path, "--skip-invalid")

    assert isinstance(error, SystemExit)
    assert "line 1: superseded_by: HL-2024-032 is on line 2, which is invalid" in err
    assert list(Answer.objects.values_list("reference", flat=True)) == ["HL-2024-033"]


def test_export_then_import_is_a_lossless_round_trip(tmp_path):
    DecisionFactory(number="24-19")
    User.objects.create_user("jurist", is_staff=True)
    path = write(
        tmp_path,
        line(reference="HL-2023-001", superseded_by="HL-2024-031", owner="jurist"),
        line(reference="HL-2024-031", verified_on="2026-06-01", review_by="2026-12-01"),
        line(reference="HL-2024-040", status="withdrawn", decisions=[]),
    )
    run(path)
    exported = io.StringIO()
    call_command("export_hotline", stdout=exported)
    lines = exported.getvalue().splitlines()

    assert [json.loads(text)["reference"] for text in lines] == ["HL-2023-001", "HL-2024-031", "HL-2024-040"]
    first = json.loads(lines[0])
    assert first["superseded_by"] == "HL-2024-031"
    assert first["owner"] == "jurist"
    assert json.loads(lines[2])["status"] == "withdrawn"
    assert Answer.objects.get(reference="HL-2023-001").validity == Validity.SUPERSEDED
    again = write(tmp_path, *lines)
    assert run(again)[0].strip() == "0 created, 0 updated, 3 unchanged."
