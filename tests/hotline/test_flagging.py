"""Answers are never silently out of date: validity, and flags raised from the decisions' change
feed (whichever way a decision changed), law amendments, reports and review dates."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from decisions.models import Amendment, Decision, Law, Paragraph, Relation, Status
from hotline import flagging
from hotline.models import Answer, AnswerChange, AnswerFlag, State, Validity
from tests.factories import AnswerFactory, DecisionFactory, replace

TODAY = timezone.localdate()


def validity(answer: Answer) -> str:
    return Answer.objects.get(pk=answer.pk).validity


@pytest.mark.django_db
def test_each_validity_follows_from_the_answers_state_dates_and_flags():
    current = AnswerFactory()
    expired = AnswerFactory(verified_on=TODAY - datetime.timedelta(days=400))
    newer = AnswerFactory()
    superseded = AnswerFactory(superseded_by=newer)
    withdrawn = AnswerFactory(state=State.WITHDRAWN, withdrawn_reason="Reglerne er ophævet.")

    assert [validity(a) for a in (current, expired, superseded, withdrawn)] == [
        Validity.CURRENT,
        Validity.EXPIRED,
        Validity.SUPERSEDED,
        Validity.WITHDRAWN,
    ]
    assert expired.review_by == expired.verified_on.replace(year=expired.verified_on.year + 1)
    assert list(Answer.objects.listed()) == sorted(
        [current, expired, newer], key=lambda a: (-a.answered_on.toordinal(), -a.pk)
    )


@pytest.mark.django_db
def test_the_review_date_passing_expires_an_answer_on_that_day_and_not_before():
    answer = AnswerFactory(verified_on=datetime.date(2025, 1, 10))  # review by 2026-01-10

    Answer.objects.refresh_validity(today=datetime.date(2026, 1, 9))
    assert Answer.objects.refresh_validity(today=datetime.date(2026, 1, 10)) == 0
    assert validity(answer) == Validity.CURRENT
    assert Answer.objects.refresh_validity(today=datetime.date(2026, 1, 11)) == 1
    assert validity(answer) == Validity.EXPIRED


@pytest.mark.django_db
def test_replacing_a_cited_decision_flags_the_answer_naming_what_replaced_it_and_when():
    old = DecisionFactory(number="7-09")
    answer = AnswerFactory(decisions=["7-09"])
    other = AnswerFactory(decisions=["1-20"])
    flagging.flag_from_feed()  # the decisions as they are: nothing to flag
    assert AnswerFlag.objects.count() == 0

    new = DecisionFactory(
        number="24-19", decided_on=datetime.date(2019, 6, 1), published_on=datetime.date(2019, 6, 13)
    )
    replace(new, old)
    Decision.objects.filter(pk=old.pk).update(status=Status.NO_LONGER_IN_FORCE)

    assert flagging.flag_from_feed() == 1
    flag = AnswerFlag.objects.get()
    assert flag.answer == answer
    assert (
        flag.message
        == "Principafgørelse 7-09, som svaret bygger på, er erstattet af 24-19 den 13. juni 2019."
    )
    assert flag.happened_on == datetime.date(2019, 6, 13)
    assert validity(answer) == Validity.NEEDS_REVIEW
    assert validity(other) == Validity.CURRENT
    assert flagging.flag_from_feed() == 0  # read once; and the same cause is never raised twice
    Decision.objects.filter(pk=old.pk).update(title="Ny titel")
    assert flagging.flag_from_feed() == 0


@pytest.mark.django_db
def test_a_bulk_status_update_flags_answers_citing_the_decision():
    decision = DecisionFactory(number="3-21")
    answer = AnswerFactory(decisions=["3-21"])
    flagging.flag_from_feed()

    Decision.objects.filter(number="3-21").update(status=Status.NO_LONGER_IN_FORCE)  # bypasses save()
    flagging.flag_from_feed()

    assert validity(answer) == Validity.NEEDS_REVIEW
    assert "3-21" in answer.flags.get().message
    assert "ikke længere gældende" in answer.flags.get().message
    assert decision.pk


@pytest.mark.django_db
def test_unpublishing_and_deleting_a_cited_decision_flag_the_answer():
    DecisionFactory(number="5-22")
    DecisionFactory(number="6-22")
    answer = AnswerFactory(decisions=["5-22", "6-22"])
    flagging.flag_from_feed()

    Decision.objects.filter(number="5-22").update(is_published=False)
    Decision.objects.filter(number="6-22").delete()
    flagging.flag_from_feed()

    sources = sorted(answer.flags.values_list("source", flat=True))
    assert sources == ["decision:5-22:unpublished", "decision:6-22:deleted"]


@pytest.mark.django_db
def test_an_import_that_replaces_a_cited_decision_flags_the_answer(tmp_path):
    DecisionFactory(number="7-09")
    answer = AnswerFactory(decisions=["7-09"])
    flagging.flag_from_feed()
    line = {
        "number": "24-19",
        "title": "Merudgifter",
        "summary": "Principmeddelelsen fastslår …",
        "body": "Sagen …",
        "decided_on": "2019-06-13",
        "area": "social",
        "paragraphs": ["SEL § 100"],
        "replaces": ["7-09"],
    }
    path = tmp_path / "decisions.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")

    call_command("import_decisions", str(path))
    flagging.flag_from_feed()

    assert answer.flags.get().source == "decision:7-09:replaced:24-19"


@pytest.mark.django_db
def test_verifying_resolves_the_flags_for_good_and_sets_a_new_review_date():
    old = DecisionFactory(number="7-09")
    answer = AnswerFactory(decisions=["7-09"], verified_on=datetime.date(2025, 1, 1))
    flagging.flag_from_feed()
    replace(DecisionFactory(number="24-19"), old)
    flagging.flag_from_feed()
    assert validity(answer) == Validity.NEEDS_REVIEW

    flagging.verify(answer, today=TODAY)
    Decision.objects.filter(number="7-09").update(title="Rettet titel")  # the feed shows 7-09 again
    flagging.flag_from_feed()

    answer.refresh_from_db()
    assert answer.validity == Validity.CURRENT
    assert (answer.verified_on, answer.review_by) == (TODAY, TODAY.replace(year=TODAY.year + 1))
    assert answer.flags.filter(resolved_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_an_amendment_flags_answers_on_its_paragraphs_from_the_day_it_takes_effect():
    verified_before = AnswerFactory(citations="SEL § 100, stk. 1", verified_on=datetime.date(2026, 1, 5))
    verified_after = AnswerFactory(citations="SEL § 100", verified_on=datetime.date(2026, 3, 2))
    other_paragraph = AnswerFactory(citations="SEL § 83", verified_on=datetime.date(2026, 1, 5))
    amendment = Amendment.objects.create(
        law=Law.objects.get(slug="serviceloven"),
        title="Lov nr. 1234 af 12. juni 2025",
        takes_effect_on=datetime.date(2026, 3, 1),
        citations="SEL § 100",
    )
    amendment.paragraphs.set(Paragraph.objects.filter(law__slug="serviceloven", section="100"))

    assert flagging.flag_amendments(today=datetime.date(2026, 2, 28)) == 0
    assert flagging.flag_amendments(today=datetime.date(2026, 3, 1)) == 1
    assert flagging.flag_amendments(today=datetime.date(2026, 3, 2)) == 0

    flag = verified_before.flags.get()
    assert flag.message == (
        "Loven er ændret, efter svaret blev gennemgået: Lov nr. 1234 af 12. juni 2025 ændrer SEL § 100, "
        "i kraft fra 1. marts 2026."
    )
    assert validity(verified_before) == Validity.NEEDS_REVIEW
    assert validity(verified_after) == validity(other_paragraph) == Validity.CURRENT


@pytest.mark.django_db
def test_a_readers_report_flags_the_answer_and_the_owner_sees_it():
    answer = AnswerFactory()

    report = flagging.report(answer, "Satsen er ændret fra 2026.")

    assert validity(answer) == Validity.NEEDS_REVIEW
    assert answer.reports.get() == report
    assert "Satsen er ændret fra 2026." in answer.flags.get().message


@pytest.mark.django_db
def test_the_answers_feed_logs_publishing_validity_and_withdrawal():
    answer = AnswerFactory(reference="HL-2024-031")
    assert AnswerChange.objects.get(reference="HL-2024-031").action == "created"
    before = AnswerChange.objects.get(reference="HL-2024-031").seq

    flagging.report(answer, "Forældet.")  # the validity is part of what the API shows
    assert AnswerChange.objects.get(reference="HL-2024-031").seq > before

    Answer.objects.filter(pk=answer.pk).update(state=State.WITHDRAWN)
    assert AnswerChange.objects.get(reference="HL-2024-031").action == "withdrawn"
    draft = AnswerFactory(reference="HL-2024-099", state=State.DRAFT)
    assert not AnswerChange.objects.filter(reference=draft.reference).exists()


@pytest.mark.django_db
def test_keep_current_runs_every_check_and_reports_what_it_did():
    old = DecisionFactory(number="7-09")
    AnswerFactory(decisions=["7-09"])
    AnswerFactory(verified_on=datetime.date(2020, 1, 1))
    Relation.objects.create(source=DecisionFactory(number="24-19"), target=old, kind=Relation.Kind.REPLACES)

    assert flagging.keep_current() == {"decisions": 1, "amendments": 0, "validity": 0}
