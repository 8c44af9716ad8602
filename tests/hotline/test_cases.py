"""A question's way through the hotline, and the mails that tell the asker, delivered through the
outbox to a real SMTP server on loopback and read back as the asker's mail program would."""

import datetime
import email
from email import policy

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from decisions.models import Area
from hotline import cases, flagging
from hotline.models import Answer, AreaPolicy, Question, State
from portal import outbox
from portal.models import OutgoingMail
from tests.factories import AnswerFactory

pytestmark = pytest.mark.django_db

QUESTION = (
    "Kan kommunen give tilskud til en handicapbil, når borgeren kun skal bruge bilen i weekenden?\n\n"
    "Borgeren har en progressiv muskelsygdom og »kan ikke« tage offentlig transport."
)


def received(smtp) -> list:
    outbox.deliver()
    return [email.message_from_bytes(envelope.content, policy=policy.default) for envelope in smtp.delivered]


def body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def new_question(**overrides) -> Question:
    values = {
        "name": "Mette Hansen",
        "email": "mette.hansen@aarhus.dk",
        "municipality": "Aarhus",
        "area": Area.objects.get(slug="social"),
        "question": QUESTION,
        "citations": "SEL § 114",
    }
    return cases.ask(**(values | overrides))


def test_the_receipt_quotes_the_question_word_for_word_with_its_reference_and_a_status_link(smtp):
    question = new_question()

    (mail,) = received(smtp)

    assert mail["To"] == "mette.hansen@aarhus.dk"
    assert question.reference in mail["Subject"]
    assert question.reference.startswith(f"SP-{timezone.localdate().year}-")
    assert QUESTION in body(mail)
    assert "»kan ikke«" in html(mail)
    assert f"http://testserver/hotline/sag/{question.token}/" in body(mail)
    assert str(question.due_on.year) in body(mail)
    assert "senest" in body(mail)


def test_the_answer_date_is_ten_working_days_unless_the_area_says_otherwise():
    monday = timezone.make_aware(datetime.datetime(2026, 11, 23, 9, 0))
    social = Area.objects.get(slug="social")
    question = Question.objects.create(
        name="A", email="a@kommune.dk", municipality="Aarhus", area=social, question="?", created_at=monday
    )

    AreaPolicy.objects.create(area=Area.objects.get(slug="children-family"), answer_days=3)
    quick = Question.objects.create(
        name="B",
        email="b@kommune.dk",
        municipality="Aarhus",
        area=Area.objects.get(slug="children-family"),
        question="?",
        created_at=monday,
    )

    assert question.due_on == datetime.date(2026, 12, 7)  # ten working days: two weeks later
    assert quick.due_on == datetime.date(2026, 11, 26)


def test_each_step_mails_the_asker_once_saying_what_it_must(smtp):
    lawyer = User.objects.create_user("jurist", email="jurist@ast.dk", is_staff=True)
    answered, declined, unclear, known = (new_question(email=f"{n}@kommune.dk") for n in "abcd")
    published = AnswerFactory(reference="HL-2024-031", title="Handicapbil og weekendkørsel")
    reply = "Ja, hvis kørselsbehovet er væsentligt, jf. SEL § 114."

    cases.answer(answered, reply, lawyer)
    cases.answer(answered, reply, lawyer)  # a double click
    cases.decline(declined, "Vi svarer ikke på konkrete borgersager. Kontakt vagttelefonen.", lawyer)
    cases.ask_for_information(unclear, "Hvilken kommune har truffet afgørelsen?", lawyer)
    cases.ask_for_information(unclear, "Og hvornår?", lawyer)
    cases.already_answered(known, published, lawyer)

    by_to: dict[str, list] = {}
    for mail in received(smtp)[4:]:  # after the four receipts
        by_to.setdefault(mail["To"], []).append(mail)
    assert len(by_to["a@kommune.dk"]) == 1
    assert reply in body(by_to["a@kommune.dk"][0])
    assert QUESTION in body(by_to["a@kommune.dk"][0])
    assert "vagttelefonen" in body(by_to["b@kommune.dk"][0])
    assert len(by_to["c@kommune.dk"]) == 2  # each request for information is a mail of its own
    assert "Og hvornår?" in body(by_to["c@kommune.dk"][1])
    assert "http://testserver/hotline/svar/HL-2024-031/" in body(by_to["d@kommune.dk"][0])
    statuses = dict(Question.objects.values_list("email", "status"))
    assert statuses == {
        "a@kommune.dk": "answered",
        "b@kommune.dk": "declined",
        "c@kommune.dk": "needs_info",
        "d@kommune.dk": "duplicate",
    }
    assert Question.objects.get(email="a@kommune.dk").owner == lawyer


def test_a_draft_answer_from_a_question_never_carries_the_askers_name_or_address():
    lawyer = User.objects.create_user("jurist2", is_staff=True)
    question = new_question()
    question.reply = "Ja, jf. SEL § 114."

    draft = cases.draft_answer(question, lawyer)

    assert draft.state == State.DRAFT
    assert draft.reference == f"HL-{timezone.localdate().year}-001"
    assert draft.title.startswith("Kan kommunen give tilskud til en handicapbil")
    assert draft.citations == "SEL § 114"
    assert [ref.citation for ref in draft.references.all()] == ["serviceloven § 114"]
    values = " ".join(str(value) for value in Answer.objects.filter(pk=draft.pk).values().get().values())
    assert "Mette" not in values
    assert "aarhus.dk" not in values


def test_one_reminder_per_owner_a_day_listing_everything_and_none_without_news(smtp):
    owner = User.objects.create_user("ejer", email="ejer@ast.dk", is_staff=True)
    idle = User.objects.create_user("fri", email="fri@ast.dk", is_staff=True)
    today = timezone.localdate()
    expired = AnswerFactory(owner=owner, verified_on=today - datetime.timedelta(days=400))
    soon = AnswerFactory(owner=owner, verified_on=today - datetime.timedelta(days=350))
    flagged = AnswerFactory(owner=owner)
    flagging.report(flagged, "Satsen er ændret.")
    AnswerFactory(owner=idle)  # current, far from its review date
    overdue = new_question(email="x@kommune.dk")
    Question.objects.filter(pk=overdue.pk).update(owner=owner, due_on=today - datetime.timedelta(days=1))

    assert cases.reminders(today) == 1
    assert cases.reminders(today) == 1  # run again the same day: the same key, no second mail
    mails = [m for m in received(smtp) if m["To"] == "ejer@ast.dk"]

    assert len(mails) == 1
    text = body(mails[0])
    for answer in (expired, soon, flagged):
        assert answer.reference in text
    assert "Satsen er ændret." in text
    assert overdue.reference in text
    assert "4" in mails[0]["Subject"]


def test_personal_data_is_erased_after_the_retention_period_mails_included(smtp, settings):
    settings.HOTLINE_RETENTION_MONTHS = 24
    old, recent, open_question = (new_question(email=f"{n}@kommune.dk") for n in "xyz")
    lawyer = User.objects.create_user("jurist3", is_staff=True)
    cases.answer(old, "Svar.", lawyer)
    cases.answer(recent, "Svar.", lawyer)
    now = timezone.now()
    Question.objects.filter(pk=old.pk).update(closed_at=now - datetime.timedelta(days=2 * 366))
    Question.objects.filter(pk=recent.pk).update(closed_at=now - datetime.timedelta(days=300))

    assert cases.erase_personal_data(now) == 1
    assert cases.erase_personal_data(now) == 0

    erased = Question.objects.get(pk=old.pk)
    assert (erased.name, erased.email) == ("", "")
    assert erased.erased_at is not None
    assert erased.question == QUESTION
    assert not OutgoingMail.objects.filter(to="x@kommune.dk").exists()
    assert OutgoingMail.objects.filter(to="y@kommune.dk").count() == 2
    assert Question.objects.get(pk=open_question.pk).email == "z@kommune.dk"
