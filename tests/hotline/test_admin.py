"""The hotline lawyers' admin: roles on every route, the steps on a question (each mails once),
verification, the queues page, amendments."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from decisions.models import Amendment, Area
from hotline import cases, flagging
from hotline.models import Answer, Question, State, Validity
from portal import roles
from portal.models import OutgoingMail
from tests.factories import AnswerFactory, DecisionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _roles_synced():
    roles.sync_roles()


def staff(*role_names: str, name: str = "jurist") -> User:
    user = User.objects.create_user(name, email=f"{name}@ast.dk", password="a-long-password-1", is_staff=True)
    for role in role_names:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def lawyer() -> User:
    return staff(roles.HOTLINE_LAWYERS)


@pytest.fixture
def lawyer_client(lawyer) -> Client:
    client = Client()
    client.force_login(lawyer)
    return client


def answer_data(**overrides) -> dict:
    data = {
        "reference": "HL-2026-001",
        "title": "Kan kommunen dække kørsel til fritidsaktiviteter?",
        "area": str(Area.objects.get(slug="social").pk),
        "state": "draft",
        "owner": "",
        "question": "Kan kommunen dække merudgifter til kørsel til fritidsaktiviteter?",
        "answer": "Ja, hvis udgiften er en følge af funktionsnedsættelsen.",
        "citations": "SEL § 100",
        "decisions": "",
        "keywords": "kørsel",
        "asked_on": "2026-11-02",
        "answered_on": "2026-11-10",
        "verified_on": "2026-11-10",
        "review_by": "",
        "superseded_by": "",
        "withdrawn_reason": "",
        "flags-TOTAL_FORMS": "0",
        "flags-INITIAL_FORMS": "0",
        "reports-TOTAL_FORMS": "0",
        "reports-INITIAL_FORMS": "0",
    }
    return data | overrides


def test_a_lawyer_writes_a_draft_citing_paragraphs_and_decisions_but_cannot_publish_it(lawyer_client):
    DecisionFactory(number="24-19")

    response = lawyer_client.post(
        "/admin/hotline/answer/add/", answer_data(decisions="24-19", state="published")
    )

    assert response.status_code == 302
    answer = Answer.objects.get()
    assert answer.state == State.DRAFT  # the field is read-only for a lawyer: stays a draft
    assert answer.decisions == ["24-19"]
    assert [ref.citation for ref in answer.references.all()] == ["serviceloven § 100"]
    assert answer.review_by == datetime.date(2027, 11, 10)


def test_unknown_decisions_and_citations_are_errors_naming_the_field(lawyer_client):
    response = lawyer_client.post(
        "/admin/hotline/answer/add/", answer_data(decisions="24-19, 99-99", citations="SEL § 100\nSKL § 3")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ingen principafgørelse har nummeret 24-19, 99-99." in page
    assert "Linje 2: Ukendt lov »SKL« i »SKL § 3«." in page
    assert not Answer.objects.exists()


def test_a_lawyer_verifies_a_published_answer_but_cannot_change_what_it_says(lawyer_client, lawyer):
    answer = AnswerFactory(owner=lawyer, verified_on=TODAY - datetime.timedelta(days=400))
    flagging.report(answer, "Forældet.")

    form = lawyer_client.get(f"/admin/hotline/answer/{answer.pk}/change/")
    changed = lawyer_client.post(f"/admin/hotline/answer/{answer.pk}/change/", answer_data(title="Ny titel"))
    verified = lawyer_client.post(
        "/admin/hotline/answer/", {"action": "verify", "_selected_action": [answer.pk]}
    )

    assert form.status_code == 200
    assert 'name="_save"' not in form.content.decode()  # shown, not editable
    assert changed.status_code == 403
    assert verified.status_code == 302
    answer.refresh_from_db()
    assert answer.title != "Ny titel"
    assert (answer.verified_on, answer.validity) == (TODAY, Validity.CURRENT)


def test_the_model_refuses_a_lawyer_publishing_outside_the_admin(rf, lawyer):
    from portal.roles import _acting_request

    request = rf.get("/")
    request.user = lawyer
    token = _acting_request.set(request)
    try:
        draft = AnswerFactory(state=State.DRAFT)
        draft.state = State.PUBLISHED
        with pytest.raises(PermissionDenied):
            draft.save()
        published = AnswerFactory.build(reference="HL-2024-500", state=State.PUBLISHED)
        with pytest.raises(PermissionDenied):
            published.save()
    finally:
        _acting_request.reset(token)


def test_a_publisher_publishes_and_withdraws_with_a_reason():
    publisher = staff(roles.PUBLISHERS, roles.HOTLINE_LAWYERS, name="udgiver")
    client = Client()
    client.force_login(publisher)
    client.post("/admin/hotline/answer/add/", answer_data(state="published"))
    answer = Answer.objects.get()
    assert answer.state == State.PUBLISHED

    no_reason = client.post(f"/admin/hotline/answer/{answer.pk}/change/", answer_data(state="withdrawn"))
    assert "Skriv, hvorfor svaret trækkes tilbage" in no_reason.content.decode()
    client.post(
        f"/admin/hotline/answer/{answer.pk}/change/",
        answer_data(state="withdrawn", withdrawn_reason="Reglen er ophævet."),
    )
    answer.refresh_from_db()
    assert (answer.state, answer.validity) == (State.WITHDRAWN, Validity.WITHDRAWN)


def test_each_step_on_a_question_is_a_button_that_mails_the_asker_once(lawyer_client, lawyer):
    question = cases.ask(
        name="Mette", email="mette@aarhus.dk", municipality="Aarhus", area=Area.objects.get(slug="social"),
        question="Må kommunen kræve hjælpen tilbage?",
    )  # fmt: skip
    url = f"/admin/hotline/question/{question.pk}/change/"

    empty = lawyer_client.post(url, {"owner": "", "reply": "", "duplicate_of": "", "_answer": "1"})
    lawyer_client.post(url, {"owner": "", "reply": "", "duplicate_of": "", "_assign": "1"})
    lawyer_client.post(
        url, {"owner": str(lawyer.pk), "reply": "Ja, efter § 91.", "duplicate_of": "", "_answer": "1"}
    )

    assert "Skriv, hvad spørgeren skal have at vide." in empty.content.decode()
    question.refresh_from_db()
    assert (question.status, question.owner, question.reply) == ("answered", lawyer, "Ja, efter § 91.")
    keys = sorted(OutgoingMail.objects.values_list("key", flat=True))
    assert keys == [f"hotline.answered:{question.pk}", f"hotline.receipt:{question.pk}"]

    draft = lawyer_client.post(
        url, {"owner": str(lawyer.pk), "reply": "Ja, efter § 91.", "_draft_answer": "1"}
    )
    created = Answer.objects.get()
    assert draft["Location"] == f"/admin/hotline/answer/{created.pk}/change/"
    assert created.state == State.DRAFT


def test_the_queues_page_counts_what_waits(lawyer_client, lawyer):
    area = Area.objects.get(slug="social")
    for n in range(2):
        cases.ask(name="A", email=f"{n}@kommune.dk", municipality="Aarhus", area=area, question="?")
    overdue = cases.ask(name="B", email="b@kommune.dk", municipality="Aarhus", area=area, question="?")
    Question.objects.filter(pk=overdue.pk).update(due_on=TODAY - datetime.timedelta(days=1), owner=lawyer)
    AnswerFactory(verified_on=TODAY - datetime.timedelta(days=400))
    flagged = AnswerFactory()
    flagging.report(flagged, "Satsen er ændret.")

    page = lawyer_client.get("/admin/hotline/question/queues/").content.decode()

    assert "Hotline-køer" in page
    for label, count in [
        ("Nye spørgsmål", 3),
        ("Mine åbne spørgsmål", 1),
        ("Spørgsmål over svarfristen", 1),
        ("Udløbne svar", 1),
        ("Svar, der skal gennemgås", 1),
    ]:
        assert f"{label}</a></th><td>{count}</td>" in page
    assert "Satsen er ændret." in page
    assert overdue.reference in page
    listed = lawyer_client.get("/admin/hotline/question/", {"queue": "overdue"}).content.decode()
    assert overdue.reference in listed
    assert Question.objects.exclude(pk=overdue.pk).first().reference not in listed


def test_editors_see_nothing_of_the_hotline():
    client = Client()
    client.force_login(staff(roles.EDITORS, name="redaktoer"))

    for url in ["/admin/hotline/question/", "/admin/hotline/answer/", "/admin/hotline/question/queues/"]:
        assert client.get(url).status_code == 403


def test_an_amendment_must_cite_paragraphs_of_its_own_law(lawyer_client):
    from decisions.models import Law

    data = {"law": str(Law.objects.get(slug="serviceloven").pk), "title": "Lov nr. 1234 af 12. juni 2024"}
    wrong = lawyer_client.post(
        "/admin/decisions/amendment/add/", {**data, "takes_effect_on": "2024-07-01", "citations": "AKL § 34"}
    )
    right = lawyer_client.post(
        "/admin/decisions/amendment/add/",
        {**data, "takes_effect_on": "2024-07-01", "citations": "SEL § 100\nSEL § 101"},
    )

    assert "Alle paragraffer skal være fra serviceloven." in wrong.content.decode()
    assert right.status_code == 302
    amendment = Amendment.objects.get()
    assert sorted(amendment.paragraphs.values_list("section", flat=True)) == ["100", "101"]


HOTLINE_PUBLISHING = {
    "state": "published",
    "title": "Juristens nye titel",
    "answer": "Ændret svar",
    "superseded_by": "",
    "withdrawn_reason": "",
}


def answers_public_state() -> list:
    """What the public reads of every public answer, and which answers are drafts (a lawyer may
    edit a draft, never publish it)."""
    fields = ["reference", "title", "question", "answer", "state", "superseded_by_id", "withdrawn_reason"]
    public = Answer.objects.exclude(state=State.DRAFT).order_by("pk").values(*fields)
    return [*public, *Answer.objects.filter(state=State.DRAFT).values_list("reference", flat=True)]


def test_a_lawyer_walking_every_hotline_admin_route_publishes_nothing_and_changes_nothing_public(
    lawyer_client, lawyer
):
    import re

    from tests.portal.test_hostile_walk import ROUTES
    from tests.portal.test_roles import _Forms

    published = AnswerFactory(reference="HL-2024-031", owner=lawyer)
    AnswerFactory(reference="HL-2024-099", state=State.DRAFT)
    AnswerFactory(reference="HL-2023-001", superseded_by=published)
    question = cases.ask(
        name="A",
        email="a@kommune.dk",
        municipality="Aarhus",
        area=Area.objects.get(slug="social"),
        question="?",
    )
    before = answers_public_state()

    urls = set()
    for route in ROUTES:
        model = re.match(r"/admin/hotline/(\w+)/", route.template)
        if not model:
            continue
        rows = {"answer": Answer.objects.all(), "question": [question]}.get(model.group(1), [])
        for row in rows:
            for version in (
                row.history.values_list("history_id", flat=True) if hasattr(row, "history") else [""]
            ):
                values = {"object_id": str(row.pk), "_0": str(row.pk), "_1": str(version), "url": "x/"}
                urls.add(route.template % {name: values.get(name, "1") for name in route.params})

    posted = 0
    for url in sorted(urls):
        page = lawyer_client.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            if action.endswith("/logout/"):
                continue
            lawyer_client.post(action or url, {**dict(fields), **HOTLINE_PUBLISHING})
            posted += 1

    assert posted > 5
    after = answers_public_state()
    assert after == before
    assert Answer.objects.get(reference="HL-2024-099").state == State.DRAFT
