"""Digests: news read from the change feeds, each item once per mail with why the reader gets it,
grouped by area and paragraph, a subject that says what is inside, no mail when nothing is new,
the list headers, and a period that is never sent twice."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from decisions.models import Decision, Relation, Status
from hotline.models import Answer
from newsletters import collecting, digests
from newsletters.models import DigestRun, Event, Subscriber
from portal import outbox
from portal.models import OutgoingMail
from tests.newsletters.helpers import collect, new_answer, new_decision, parsed, subscriber

pytestmark = pytest.mark.django_db


def run(frequency: str = "daily", as_of: datetime.datetime | None = None) -> DigestRun:
    return digests.run(frequency, as_of or timezone.now())


def digests_to(address: str) -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(kind="digest", to=address).order_by("pk"))


def test_news_is_read_from_the_change_feed_once():
    decision = new_decision(number="24-19", title="Merudgifter til kørsel", citations="SEL § 100")

    assert collect() == 1
    assert collect() == 0  # read once
    event = Event.objects.get()
    assert (event.type, event.document, event.path) == ("decision_new", "24-19", "/principafgoerelser/24-19/")
    assert event.cited == [
        [decision.references.get().paragraph_id, decision.references.get().paragraph.law_id, "SEL § 100"]
    ]


def test_old_decisions_loaded_into_the_portal_are_not_news():
    DecisionFactory = new_decision.__globals__["DecisionFactory"]
    DecisionFactory(number="3-10", published_on=datetime.date(2010, 5, 1))

    assert collect() == 0


def test_each_item_once_however_many_topics_it_matches_with_why_the_reader_gets_it(smtp):
    reader = subscriber(areas=["social"], laws=["serviceloven"], paragraphs="SEL § 100")
    new_decision(number="24-19", title="Merudgifter til kørsel", citations="SEL § 100\nSEL § 83")

    digest_run = run()

    (mail,) = digests_to(reader.email)
    assert mail.body_text.count("24-19 Merudgifter til kørsel") == 1
    assert "Du følger SEL § 100, serviceloven og Socialområdet" in mail.body_text
    assert "Du følger SEL § 100, serviceloven og Socialområdet" in mail.body_html
    assert mail.subject == "1 ny principafgørelse om SEL § 100"
    assert "Denne mail dækker: SEL § 100 (1), serviceloven (1) og Socialområdet (1)." in mail.body_text
    assert digest_run.digests == 1
    assert digest_run.subscribers == 1


def test_readers_get_only_their_topics_and_kinds():
    social = subscriber("social@kommune.dk", areas=["social"])
    employment = subscriber("beskaeftigelse@kommune.dk", areas=["employment"])
    answers_only = subscriber("svar@kommune.dk", areas=["social"], kinds=("hotline",))
    new_decision(number="24-19", citations="SEL § 100")

    run()

    assert len(digests_to(social.email)) == 1
    assert digests_to(employment.email) == []  # nothing new for them: no mail
    assert digests_to(answers_only.email) == []


def test_nothing_new_sends_no_mail():
    reader = subscriber(areas=["social"])

    digest_run = run()

    assert digest_run.digests == 0
    assert digests_to(reader.email) == []
    assert digest_run.subscribers == 0  # nothing after the reader's position


def test_grouped_by_area_then_paragraph_and_the_subject_counts_what_is_inside():
    reader = subscriber(areas=["social", "children-family"], paragraphs="SEL § 100\nSEL § 83")
    new_decision(number="1-24", title="Kørsel", citations="SEL § 100")
    new_decision(number="2-24", title="Hjemmehjælp", citations="SEL § 83")
    new_decision(number="3-24", title="Ledsagelse", citations="SEL § 100")
    new_decision(number="4-24", title="Anbringelse", citations="BL § 47", area=_area("children-family"))
    new_answer(reference="HL-2026-001", title="Kan kommunen dække kørsel?", citations="SEL § 100")

    run()

    (mail,) = digests_to(reader.email)
    assert mail.subject == "4 nye principafgørelser om BL § 47, SEL § 83 og § 100 · 1 hotline-svar"
    text = mail.body_text
    assert text.index("== Socialområdet ==") < text.index("== Børn og familie ==")
    social = text[text.index("== Socialområdet ==") : text.index("== Børn og familie ==")]
    assert social.index("-- SEL § 100 --") < social.index("-- SEL § 83 --")
    section_100 = social[social.index("-- SEL § 100 --") : social.index("-- SEL § 83 --")]
    assert "1-24 Kørsel" in section_100
    assert "3-24 Ledsagelse" in section_100
    assert "HL-2026-001" in section_100
    assert "2-24 Hjemmehjælp" in social[social.index("-- SEL § 83 --") :]
    assert "4-24 Anbringelse" in text[text.index("== Børn og familie ==") :]
    assert "Du følger Børn og familie" in text


def _area(slug: str):
    from decisions.models import Area

    return Area.objects.get(slug=slug)


def test_a_decision_that_changes_status_says_what_replaced_it():
    old = new_decision(number="7-09", title="Gammel praksis", citations="SEL § 100")
    reader = subscriber(paragraphs="SEL § 100")
    collect()
    Subscriber.objects.filter(pk=reader.pk).update(
        last_event=Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    )

    newer = new_decision(number="24-19", title="Ny praksis", citations="SEL § 100")
    Relation.objects.create(source=newer, target=old, kind=Relation.Kind.REPLACES)
    Decision.objects.filter(pk=old.pk).update(status=Status.NO_LONGER_IN_FORCE)
    run()

    (mail,) = digests_to(reader.email)
    assert "Principafgørelse har skiftet status: 7-09 Gammel praksis" in mail.body_text
    assert "Er erstattet af 24-19." in mail.body_text
    assert mail.subject == "1 ny principafgørelse om SEL § 100 · 1 afgørelse har skiftet status"


def test_hotline_answers_superseded_and_flagged_are_news_for_hotline_readers():
    old = new_answer(reference="HL-2026-001", title="Gammelt svar", citations="SEL § 100")
    reader = subscriber(paragraphs="SEL § 100", kinds=("hotline",))
    collect()
    Subscriber.objects.filter(pk=reader.pk).update(
        last_event=Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    )

    newer = new_answer(reference="HL-2026-002", title="Nyt svar", citations="SEL § 100")
    old.superseded_by = newer
    old.save()
    Answer.objects.refresh_validity()
    run()

    (mail,) = digests_to(reader.email)
    assert "HL-2026-002 Nyt svar" in mail.body_text
    assert "Er afløst af HL-2026-002." in mail.body_text
    assert mail.subject == "1 hotline-svar · 1 svar afløst eller trukket tilbage"


def test_a_digest_carries_one_click_unsubscribe_and_a_list_id(smtp):
    reader = subscriber(areas=["social"])
    new_decision(citations="SEL § 100")

    run()
    while outbox.deliver():
        pass

    (message,) = [
        parsed(e) for e in smtp.delivered if parsed(e)["Subject"].startswith("1 ny principafgørelse")
    ]
    assert message["To"] == reader.email
    assert message["List-Unsubscribe"].startswith("<http")
    assert "/nyhedsbreve/afmeld/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"].startswith("Principportalen nyheder <nyheder.")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",))
    assert message.get_body(("html",))


def test_running_the_same_period_again_sends_nothing_more():
    reader = subscriber(areas=["social"])
    new_decision(citations="SEL § 100")
    as_of = timezone.now()

    first = run(as_of=as_of)
    new_decision(citations="SEL § 100")  # after the period: the next one's
    again = run(as_of=as_of)

    assert first.pk == again.pk
    assert len(digests_to(reader.email)) == 1
    assert OutgoingMail.objects.filter(kind="digest").count() == 1


def test_the_next_period_carries_what_came_after_the_last_digest():
    reader = subscriber(areas=["social"])
    new_decision(number="1-26", citations="SEL § 100")
    run(as_of=timezone.now())
    new_decision(number="2-26", citations="SEL § 100")

    run(as_of=timezone.now() + datetime.timedelta(days=1))

    first, second = digests_to(reader.email)
    assert "1-26" in first.body_text
    assert "2-26" not in first.body_text
    assert "2-26" in second.body_text
    assert "1-26" not in second.body_text


def test_a_decision_unpublished_before_the_digest_is_left_out():
    reader = subscriber(areas=["social"])
    shown = new_decision(number="1-26", citations="SEL § 100")
    hidden = new_decision(number="2-26", citations="SEL § 100")
    collect()
    Decision.objects.filter(pk=hidden.pk).update(is_published=False)

    run()

    (mail,) = digests_to(reader.email)
    assert shown.number in mail.body_text
    assert "2-26" not in mail.body_text


def test_periods_are_days_iso_weeks_and_five_minute_slots_in_copenhagen():
    moment = datetime.datetime(2026, 11, 23, 6, 3, tzinfo=datetime.UTC)  # 07:03 in Copenhagen

    assert digests.period_of("daily", moment) == "2026-11-23"
    assert digests.period_of("weekly", moment) == "2026-W48"
    assert digests.period_of("immediately", moment) == "2026-11-23T07:00"


def test_paused_readers_get_nothing_and_not_later_either():
    from newsletters import subscriptions
    from newsletters.subscriptions import Topics

    reader = subscriber(areas=["social"])
    Subscriber.objects.filter(pk=reader.pk).update(paused=True)
    new_decision(citations="SEL § 100")
    run()
    assert digests_to(reader.email) == []

    reader.refresh_from_db()
    subscriptions.save_preferences(reader, Topics(areas=list(reader.areas.all())), paused=False)
    run(as_of=timezone.now() + datetime.timedelta(days=1))

    assert digests_to(reader.email) == []


def test_the_command_runs_a_period_by_hand_and_sends(smtp, capsys):
    reader = subscriber(areas=["social"])
    new_decision(citations="SEL § 100")
    as_of = timezone.localtime(timezone.now() + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")

    call_command("send_digests", "--frequency", "daily", "--as-of", as_of)
    call_command("send_digests", "--frequency", "daily", "--as-of", as_of)

    output = capsys.readouterr().out
    assert "1 digest(s) queued" in output
    assert "0 digest(s) queued" not in output.split("\n")[0]
    delivered = [parsed(e) for e in smtp.delivered if reader.email in e.rcpt_tos]
    assert [message["List-Id"] is not None for message in delivered].count(
        True
    ) == 1  # the confirmation aside


def test_the_command_says_what_is_wrong_with_as_of():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--as-of"):
        call_command("send_digests", "--frequency", "daily", "--as-of", "i morgen")


def test_collecting_twice_over_the_same_changes_records_nothing_new():
    new_decision(citations="SEL § 100")
    collect()
    from decisions.models import FeedReader

    FeedReader.objects.filter(name=collecting.DECISIONS_READER).update(xid=0, seq=0)  # as after a restore

    assert collect() == 0
    assert Event.objects.count() == 1


def test_beat_sends_immediately_every_5_minutes_daily_on_weekdays_and_weekly_on_mondays_at_7(settings):
    schedule = {
        entry["args"][0]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "newsletters.tasks.send_digests"
    }

    assert settings.CELERY_TIMEZONE == "Europe/Copenhagen"
    assert schedule["immediately"].minute == set(range(0, 60, 5))
    assert (schedule["daily"].hour, schedule["daily"].minute, schedule["daily"].day_of_week) == (
        {7},
        {0},
        {1, 2, 3, 4, 5},
    )
    assert (schedule["weekly"].hour, schedule["weekly"].minute, schedule["weekly"].day_of_week) == (
        {7},
        {0},
        {1},
    )


def test_immediately_puts_what_came_together_in_one_mail():
    reader = subscriber(areas=["social"], frequency="immediately")
    new_decision(number="1-26", citations="SEL § 100")
    new_decision(number="2-26", citations="SEL § 83")

    digest_run = run("immediately")

    (mail,) = digests_to(reader.email)
    assert "1-26" in mail.body_text
    assert "2-26" in mail.body_text
    assert digest_run.period == digests.period_of("immediately", timezone.now())


def test_a_run_a_dead_worker_left_unfinished_is_finished_by_the_sweep():
    reader = subscriber(areas=["social"])
    new_decision(citations="SEL § 100")
    as_of = timezone.now()
    collect()
    DigestRun.objects.create(
        frequency="daily",
        period=digests.period_of("daily", as_of),
        as_of=as_of,
        last_event=Event.objects.order_by("-pk").values_list("pk", flat=True).first(),
        started_at=as_of - datetime.timedelta(minutes=30),
    )  # as a worker killed before it served anyone leaves it

    assert digests.finish_unfinished() == 1

    assert len(digests_to(reader.email)) == 1
    assert DigestRun.objects.get().finished_at is not None
