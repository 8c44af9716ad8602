"""`import_subscribers FILE` (pinned format): defaults, every problem as `line N: field: what is
wrong`, nothing written on a bad line unless --skip-invalid, idempotent by address, and never a
downgrade of a confirmed subscription."""

import json

import pytest
from django.core.management import CommandError, call_command

from newsletters.models import Subscriber
from portal.models import OutgoingMail
from tests.newsletters.helpers import subscriber

pytestmark = pytest.mark.django_db

PINNED = {
    "email": "sagsbehandler@kommune.dk",
    "areas": ["social"],
    "laws": ["aktivloven"],
    "paragraphs": ["SEL § 100"],
    "kinds": ["decisions", "hotline", "newsletter"],
    "frequency": "daily",
    "confirmed": True,
}


def write(tmp_path, *records) -> str:
    path = tmp_path / "subscribers.jsonl"
    path.write_text(
        "\n".join(
            record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
            for record in records
        )
        + "\n",
        encoding="utf-8",
    )
    return str(path)


def test_the_pinned_format_imports_a_confirmed_subscriber(tmp_path, capsys):
    call_command("import_subscribers", write(tmp_path, PINNED))

    found = Subscriber.objects.get()
    assert found.email == "sagsbehandler@kommune.dk"
    assert found.state == "confirmed"
    assert found.frequency == "daily"
    assert list(found.areas.values_list("slug", flat=True)) == ["social"]
    assert list(found.laws.values_list("slug", flat=True)) == ["aktivloven"]
    assert found.citations == "SEL § 100"
    assert found.kinds == ["decisions", "hotline", "newsletter"]
    assert not OutgoingMail.objects.exists()  # confirmed already: no confirmation mail
    assert "1 created, 0 updated, 0 unchanged." in capsys.readouterr().out


def test_defaults_all_kinds_weekly_and_unconfirmed_with_one_confirmation_mail(tmp_path):
    path = write(tmp_path, {"email": "Ny@Kommune.dk", "areas": ["employment"]})

    call_command("import_subscribers", path)
    call_command("import_subscribers", path)  # again: nothing more

    found = Subscriber.objects.get()
    assert (found.email, found.state, found.frequency) == ("ny@kommune.dk", "pending", "weekly")
    assert found.kinds == ["decisions", "hotline", "newsletter"]
    assert OutgoingMail.objects.filter(kind="newsletters.confirm", to="ny@kommune.dk").count() == 1


def test_every_problem_is_reported_by_line_and_field_and_nothing_is_written(tmp_path, capsys):
    path = write(
        tmp_path,
        PINNED,
        {"email": "ikke-en-adresse", "areas": ["nowhere"], "paragraphs": ["SEL § 100", "XYZ § 3"]},
        {
            "email": "b@kommune.dk",
            "areas": ["social"],
            "kinds": ["sms"],
            "frequency": "hourly",
            "confirmed": "ja",
        },
        "{not json",
        {"email": "c@kommune.dk", "colour": "blue", "areas": ["social"]},
        {"email": "d@kommune.dk"},
        {**PINNED, "email": "SAGSBEHANDLER@kommune.dk"},
    )

    with pytest.raises(CommandError, match="6 invalid line"):
        call_command("import_subscribers", path)

    errors = capsys.readouterr().err.splitlines()
    assert "line 2: email: 'ikke-en-adresse' is not an e-mail address" in errors
    assert any(e.startswith("line 2: areas: unknown area 'nowhere'; known: ") for e in errors)
    assert any(e.startswith("line 2: paragraphs[1]: ") for e in errors)
    assert any(e.startswith("line 3: kinds: unknown kind 'sms'") for e in errors)
    assert any(e.startswith("line 3: frequency: must be one of immediately, daily, weekly") for e in errors)
    assert "line 3: confirmed: must be true or false, not 'ja'" in errors
    assert any(e.startswith("line 4: json: not valid JSON") for e in errors)
    assert "line 5: colour: unknown field" in errors
    assert any(e.startswith("line 6: areas: follow at least one area, law or paragraph") for e in errors)
    assert "line 7: email: appears again (first on line 1)" in errors
    assert not Subscriber.objects.exists()


def test_skip_invalid_imports_the_good_lines(tmp_path):
    path = write(tmp_path, PINNED, {"email": "x"})

    with pytest.raises(SystemExit):
        call_command("import_subscribers", path, "--skip-invalid")

    assert list(Subscriber.objects.values_list("email", flat=True)) == ["sagsbehandler@kommune.dk"]


def test_an_old_list_never_downgrades_and_never_resubscribes(tmp_path, capsys):
    confirmed = subscriber("bekraeftet@kommune.dk", areas=["social"])
    gone = subscriber("afmeldt@kommune.dk", areas=["social"])
    from newsletters import subscriptions

    subscriptions.unsubscribe(gone)

    call_command(
        "import_subscribers",
        write(
            tmp_path,
            {"email": "bekraeftet@kommune.dk", "areas": ["employment"], "confirmed": False},
            {"email": "afmeldt@kommune.dk", "areas": ["social"], "confirmed": True},
        ),
    )

    confirmed.refresh_from_db()
    gone.refresh_from_db()
    assert confirmed.state == "confirmed"
    assert list(confirmed.areas.values_list("slug", flat=True)) == ["employment"]  # the list's topics
    assert gone.state == "unsubscribed"
    assert "0 created, 2 updated, 0 unchanged." in capsys.readouterr().out
