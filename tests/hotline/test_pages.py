"""The hotline's public pages: scope, lists, an answer in each validity state, the question form
with similar answers, the status page, reports, and the answers on decisions' paragraph pages."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from decisions.models import Amendment, Law, Paragraph
from hotline import flagging
from hotline.models import Answer, AnswerFlag, Question, State
from portal.models import OutgoingMail
from tests.factories import AnswerFactory, DecisionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LONG_AGO = TODAY - datetime.timedelta(days=400)  # past any review date


def text(response) -> str:
    return response.content.decode()


def test_the_front_page_says_what_the_hotline_is_for_and_not_for_and_lists_answers(client):
    AnswerFactory(reference="HL-2024-031", title="Handicapbil og weekendkørsel", citations="SEL § 114")
    AnswerFactory(
        reference="HL-2024-032", citations="SEL § 114", verified_on=TODAY - datetime.timedelta(days=400)
    )
    AnswerFactory(reference="HL-2024-033", state=State.WITHDRAWN, withdrawn_reason="Ophævet.")

    page = text(client.get("/hotline/"))

    assert "Det svarer hotlinen på" in page
    assert "Det svarer den ikke på, og hvor du i stedet kan henvende dig" in page
    assert "borger.dk" in page
    assert 'href="/hotline/spoerg/"' in page
    assert "HL-2024-031" in page
    assert "HL-2024-033" not in page  # withdrawn answers leave the lists
    assert 'href="/hotline/lov/serviceloven/114/"' in page
    assert "2 svar, 1 skal gennemgås" in page


def test_the_front_page_costs_the_same_queries_however_many_answers(client, django_assert_max_num_queries):
    for n in range(3):
        AnswerFactory(citations=f"SEL § {100 + n}")
    with CaptureQueriesContext(connection) as few:
        client.get("/hotline/")
    for n in range(12):
        AnswerFactory(citations=f"AKL § {10 + n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/hotline/")
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("setup", "banner"),
    [
        ("current", None),
        ("expired", "Ikke gennemgået siden"),
        ("needs_review", "Principafgørelse 7-09, som svaret bygger på, er erstattet af 24-19"),
        ("superseded", "Svaret er afløst af et nyere svar."),
        ("withdrawn", "Svaret er trukket tilbage."),
    ],
)
def test_an_answer_page_says_its_validity_and_why(client, setup, banner):
    old = DecisionFactory(number="7-09")
    answer = AnswerFactory(reference="HL-2024-031", decisions=["7-09"], citations="SEL § 100, stk. 1")
    flagging.flag_from_feed()
    if setup == "expired":
        answer.verified_on = TODAY - datetime.timedelta(days=500)
        answer.review_by = None
        answer.save()
    elif setup == "needs_review":
        from tests.factories import replace

        replace(DecisionFactory(number="24-19"), old)
        flagging.flag_from_feed()
    elif setup == "superseded":
        newer = AnswerFactory(reference="HL-2025-004", title="Den nye vejledning")
        Answer.objects.filter(pk=answer.pk).update(superseded_by=newer)
        Answer.objects.refresh_validity()
    elif setup == "withdrawn":
        Answer.objects.filter(pk=answer.pk).update(
            state=State.WITHDRAWN, withdrawn_reason="Reglen er ophævet."
        )
        Answer.objects.refresh_validity()

    response = client.get("/hotline/svar/HL-2024-031/")

    assert response.status_code == 200
    page = text(response)
    assert 'href="/principafgoerelser/lov/serviceloven/100/"' in page
    assert 'href="/principafgoerelser/7-09/"' in page
    assert "Ankestyrelsens juridiske hotline, svar HL-2024-031" in page
    if banner is None:
        assert "status-banner" not in page
        assert "validity--current" in page
    else:
        assert banner in page
    if setup == "superseded":
        assert 'href="/hotline/svar/HL-2025-004/"' in page
        assert '<meta name="robots" content="noindex">' in page


def test_a_draft_is_not_public_and_a_reference_in_lower_case_leads_to_the_answer(client):
    AnswerFactory(reference="HL-2024-031")
    AnswerFactory(reference="HL-2024-099", state=State.DRAFT)

    assert client.get("/hotline/svar/HL-2024-099/").status_code == 404
    response = client.get("/hotline/svar/hl-2024-031/")
    assert response.status_code == 301
    assert response["Location"] == "/hotline/svar/HL-2024-031/"
    assert client.get("/hotline/svar/HL-2024-777/").status_code == 404


def test_lists_leave_out_superseded_and_withdrawn_answers_unless_asked(client):
    current = AnswerFactory(reference="HL-2024-031", citations="SEL § 100")
    AnswerFactory(reference="HL-2024-032", citations="SEL § 100", superseded_by=current)

    page = text(client.get("/hotline/lov/serviceloven/100/"))
    everything = text(client.get("/hotline/lov/serviceloven/100/", {"alle": "1"}))

    assert "HL-2024-031" in page
    assert "HL-2024-032" not in page
    assert "Vis også 1 afløst eller tilbagetrukket svar" in page
    assert "HL-2024-032" in everything
    assert "HL-2024-031" in text(client.get("/hotline/omraade/social/"))
    assert "HL-2024-031" in text(client.get("/hotline/lov/serviceloven/"))
    assert client.get("/hotline/lov/serviceloven/09/").status_code == 301


def test_the_question_form_names_each_wrong_field_and_keeps_what_was_written(client):
    response = client.post(
        "/hotline/spoerg/",
        {
            "name": "Mette",
            "email": "ikke-en-adresse",
            "municipality": "Gotham",
            "area": "social",
            "question": "",
        },
    )

    assert response.status_code == 400
    page = text(response)
    assert "Din arbejdsmail" in page
    assert 'value="Mette"' in page
    assert "Ret venligst følgende" in page
    assert Question.objects.count() == 0


def test_a_bad_citation_in_the_question_form_names_the_line(client):
    response = client.post(
        "/hotline/spoerg/",
        {
            "name": "Mette",
            "email": "m@aarhus.dk",
            "municipality": "Aarhus",
            "area": "social",
            "question": "Spørgsmål?",
            "citations": "SEL § 100\nSKL § 3",
        },
    )

    assert response.status_code == 400
    assert "Linje 2: Ukendt lov »SKL« i »SKL § 3«." in text(response)


def test_similar_answers_are_offered_before_sending_and_sending_gives_a_receipt(client):
    AnswerFactory(
        reference="HL-2024-031",
        title="Handicapbil i weekenden",
        question="Kan kommunen støtte en handicapbil?",
    )
    data = {
        "name": "Mette Hansen",
        "email": "mette@aarhus.dk",
        "municipality": "Aarhus",
        "area": "social",
        "question": "Kan kommunen give støtte til en handicapbil, der kun bruges i weekenden?",
        "citations": "SEL § 114",
    }

    first = client.post("/hotline/spoerg/", data)
    assert first.status_code == 200
    assert "Er dit spørgsmål allerede besvaret?" in text(first)
    assert "HL-2024-031" in text(first)
    assert Question.objects.count() == 0

    sent = client.post("/hotline/spoerg/", {**data, "send": "1"})

    question = Question.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == f"/hotline/sag/{question.token}/?modtaget=1"
    receipt = client.get(sent["Location"])
    assert "Tak: vi har modtaget dit spørgsmål." in text(receipt)
    assert question.reference in text(receipt)
    assert receipt["X-Robots-Tag"] == "noindex"
    assert OutgoingMail.objects.get().key == f"hotline.receipt:{question.pk}"
    assert question.citations == "SEL § 114"


def test_questions_are_limited_per_address(client, settings):
    settings.HOTLINE_ASK_RATE = "2/hour"
    data = {
        "name": "M",
        "email": "m@aarhus.dk",
        "municipality": "Aarhus",
        "area": "social",
        "question": "Noget helt særligt uden lignende svar",
    }
    statuses = [client.post("/hotline/spoerg/", data).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert Question.objects.count() == 2


def test_a_reader_reports_an_answer_and_it_is_marked_for_review(client, settings):
    settings.HOTLINE_REPORT_RATE = "1/hour"
    AnswerFactory(reference="HL-2024-031")

    empty = client.post("/hotline/svar/HL-2024-031/meld/", {"reason": ""})
    done = client.post("/hotline/svar/HL-2024-031/meld/", {"reason": "Satsen er ændret."}, follow=True)
    again = client.post("/hotline/svar/HL-2024-031/meld/", {"reason": "Igen."})

    assert empty.status_code == 400
    assert "Den ansvarlige for svaret har fået besked" in text(done)
    assert "Satsen er ændret." in text(done)
    assert again.status_code == 429
    assert AnswerFlag.objects.count() == 1
    assert client.get("/hotline/svar/HL-2024-031/meld/").status_code == 405


def test_the_decisions_paragraph_page_shows_the_hotlines_answers_on_it(client):
    DecisionFactory(citations="SEL § 100")
    AnswerFactory(reference="HL-2024-031", citations="SEL § 100, stk. 1")
    AnswerFactory(
        reference="HL-2024-032", citations="SEL § 100", verified_on=TODAY - datetime.timedelta(days=400)
    )
    AnswerFactory(reference="HL-2024-040", citations="SEL § 41")  # an empty decisions paragraph page

    page = text(client.get("/principafgoerelser/lov/serviceloven/100/"))
    empty = text(client.get("/principafgoerelser/lov/serviceloven/41/"))

    assert "Svar fra juridisk hotline om SEL § 100" in page
    assert "2 svar, heraf 1, der skal gennemgås eller er forældet." in page
    assert page.index("HL-2024-031") < page.index("HL-2024-032")  # current first
    assert "HL-2024-040" in empty


def test_a_decision_page_says_the_law_was_amended_after_it(client):
    decision = DecisionFactory(number="24-19", decided_on=datetime.date(2019, 6, 13), citations="SEL § 100")
    amendment = Amendment.objects.create(
        law=Law.objects.get(slug="serviceloven"),
        title="Lov nr. 1234 af 12. juni 2024",
        takes_effect_on=datetime.date(2024, 7, 1),
        citations="SEL § 100",
    )
    amendment.paragraphs.set(Paragraph.objects.filter(law__slug="serviceloven", section="100"))
    older = Amendment.objects.create(
        law=amendment.law, title="Lov nr. 1 af 2. januar 2018", takes_effect_on=datetime.date(2018, 1, 2)
    )
    older.paragraphs.set(amendment.paragraphs.all())

    page = text(client.get(decision.get_absolute_url()))

    assert "Loven er ændret efter afgørelsen: Lov nr. 1234 af 12. juni 2024 (i kraft 1. juli 2024)." in page
    assert "Lov nr. 1 af 2. januar 2018" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/hotline/lov/serviceloven/100/",
        "/hotline/omraade/social/",
        "/hotline/lov/serviceloven/",
        "/hotline/spoerg/",
    ],
)
def test_lists_cost_the_same_queries_however_many_answers(client, url):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for _ in range(2):
        AnswerFactory(citations="SEL § 100", decisions=["24-19"])
    few = queries()
    for _ in range(10):
        AnswerFactory(citations="SEL § 100, stk. 1", decisions=["24-19"])
        flagging.report(AnswerFactory(citations="SEL § 100"), "Forældet.")
    assert queries() == few


def test_an_answer_page_costs_the_same_queries_however_many_paragraphs_and_decisions(client):
    for number in ("1-20", "2-20", "3-20", "4-20"):
        DecisionFactory(number=number)
    AnswerFactory(reference="HL-2024-001", citations="SEL § 100", decisions=["1-20"])
    AnswerFactory(
        reference="HL-2024-002",
        citations="SEL § 100\nSEL § 41\nAKL § 34",
        decisions=["1-20", "2-20", "3-20", "4-20"],
    )

    def queries(reference: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/hotline/svar/{reference}/").status_code == 200
        return len(captured)

    assert queries("HL-2024-002") == queries("HL-2024-001")
