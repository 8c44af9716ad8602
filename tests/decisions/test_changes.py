"""The change feed: a client that applies it keeps an exact copy of the published decisions."""

import random

import psycopg
import pytest
from django.db import connection

from decisions.citations import get_parser
from decisions.models import Decision, Law, Relation, Status
from tests.conftest import database_url
from tests.factories import DecisionFactory, replace

CITATIONS = [
    "SEL § 100, stk. 1",
    "SEL § 41",
    "AKL § 34",
    "§ 9 c i retssikkerhedsloven",
    "LAB § 68",
    "SEL § 83",
]


def sync(client, mirror: dict, cursor: str | None, page_size: int = 4) -> str:
    """What a municipal system does: apply every change since its cursor, page by page."""
    while True:
        params = {"page_size": page_size} | ({"since": cursor} if cursor else {})
        response = client.get("/api/v1/changes/", params)
        assert response.status_code == 200, response.content
        body = response.json()
        for change in body["results"]:
            if change["action"] in ("created", "updated"):
                mirror[change["number"]] = change["decision"]
            else:
                assert set(change) == {"number", "action", "at"}
                mirror.pop(change["number"], None)
        cursor = body["cursor"]
        assert body["next"].endswith(f"since={cursor}") or f"since={cursor}&" in body["next"]
        if not body["has_more"]:
            return cursor


def server(client) -> dict:
    """Every published decision as the API shows it now."""
    decisions, url = {}, "/api/v1/decisions/?page_size=500"
    while url:
        body = client.get(url).json()
        decisions |= {decision["number"]: decision for decision in body["results"]}
        url = body["next"]
    assert len(decisions) == Decision.objects.published().count()
    return decisions


class Editor:
    """Random edits of every kind an editor, a publisher or an import makes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.renumbered = 0

    def any(self, **filters) -> Decision | None:
        decisions = list(Decision.objects.filter(**filters).order_by("pk"))
        return self.rng.choice(decisions) if decisions else None

    def step(self) -> None:
        getattr(self, self.rng.choice([name for name in dir(self) if name.startswith("do_")]))()

    def do_create(self) -> None:
        DecisionFactory(citations="\n".join(self.rng.sample(CITATIONS, self.rng.randint(1, 3))))

    def do_create_draft(self) -> None:
        DecisionFactory(is_published=False)

    def do_edit(self) -> None:
        if decision := self.any():
            decision.title = f"Ændret titel {self.rng.random()}"
            decision.summary += " Tilføjet."
            decision.save()

    def do_change_status_in_bulk(self) -> None:  # as the admin action and imports do: no save()
        if decision := self.any():
            Decision.objects.filter(pk=decision.pk).update(status=self.rng.choice(Status.values))

    def do_unpublish(self) -> None:
        if decision := self.any(is_published=True):
            decision.is_published = False
            decision.save()

    def do_publish(self) -> None:
        if decision := self.any(is_published=False):
            decision.is_published = True
            decision.save()

    def do_delete(self) -> None:
        if decision := self.any():
            decision.delete()

    def do_relate(self) -> None:
        first, second = self.any(), self.any()
        if first and second and first != second:
            Relation.objects.get_or_create(
                source=first, target=second, kind=self.rng.choice(Relation.Kind.values)
            )

    def do_unrelate(self) -> None:
        relations = list(Relation.objects.order_by("pk"))
        if relations:
            self.rng.choice(relations).delete()

    def do_cite_other_paragraphs(self) -> None:
        if decision := self.any():
            lines = self.rng.sample(CITATIONS, self.rng.randint(1, 3))
            decision.set_references([ref for line in lines for ref in get_parser().parse(line)])

    def do_renumber(self) -> None:
        if decision := self.any():
            self.renumbered += 1
            decision.number = f"R-{self.renumbered}-26"
            decision.save()

    def do_rename_a_law(self) -> None:
        law = Law.objects.get(slug="aktivloven")
        law.short_name = f"aktivloven {self.rng.randint(1, 99)}"
        law.save()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_mirror_that_applies_the_changes_equals_the_server_after_every_round(client, seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible edits, not secrets
    editor = Editor(rng)
    for _ in range(6):
        editor.do_create()
    mirror: dict = {}
    cursor = sync(client, mirror, None)
    assert mirror == server(client)

    for _round in range(8):
        for _step in range(rng.randint(1, 8)):
            editor.step()
        cursor = sync(client, mirror, cursor)
        assert mirror == server(client), f"round {_round} of seed {seed}"


@pytest.mark.django_db
def test_first_sync_lists_every_published_decision_once_and_no_draft(client):
    published = [DecisionFactory() for _ in range(5)]
    DecisionFactory(is_published=False)

    body = client.get("/api/v1/changes/", {"page_size": 100}).json()

    assert sorted(change["number"] for change in body["results"]) == sorted(d.number for d in published)
    assert {change["action"] for change in body["results"]} == {"created"}
    assert body["has_more"] is False


@pytest.mark.django_db
def test_deletion_is_a_tombstone(client):
    decision = DecisionFactory(number="4-21")
    cursor = client.get("/api/v1/changes/").json()["cursor"]

    decision.delete()
    body = client.get("/api/v1/changes/", {"since": cursor}).json()

    assert body["results"] == [{"number": "4-21", "action": "deleted", "at": body["results"][0]["at"]}]


@pytest.mark.django_db
def test_unpublishing_is_reported_without_the_decision(client):
    decision = DecisionFactory(number="4-21")
    cursor = client.get("/api/v1/changes/").json()["cursor"]

    decision.is_published = False
    decision.save()
    (change,) = client.get("/api/v1/changes/", {"since": cursor}).json()["results"]

    assert (change["number"], change["action"], "decision" in change) == ("4-21", "unpublished", False)


@pytest.mark.django_db
def test_a_draft_never_appears_in_the_feed(client):
    cursor = client.get("/api/v1/changes/").json()["cursor"]
    draft = DecisionFactory(is_published=False)
    draft.title = "Ny"
    draft.save()
    draft.delete()

    assert client.get("/api/v1/changes/", {"since": cursor}).json()["results"] == []


@pytest.mark.django_db
def test_status_change_by_bulk_update_is_reported_and_moves_updated_at(client):
    decision = DecisionFactory(number="4-21")
    before = client.get("/api/v1/decisions/4-21/").json()["updated_at"]
    cursor = client.get("/api/v1/changes/").json()["cursor"]

    Decision.objects.filter(pk=decision.pk).update(status=Status.NO_LONGER_IN_FORCE)
    (change,) = client.get("/api/v1/changes/", {"since": cursor}).json()["results"]

    assert change["decision"]["status"] == "no_longer_in_force"
    assert change["decision"]["updated_at"] > before


@pytest.mark.django_db
def test_replacing_a_decision_updates_both(client):
    old, new = DecisionFactory(number="7-09"), DecisionFactory(number="24-19")
    cursor = client.get("/api/v1/changes/").json()["cursor"]

    replace(new, old)
    changes = client.get("/api/v1/changes/", {"since": cursor}).json()["results"]

    assert sorted(change["number"] for change in changes) == ["24-19", "7-09"]


@pytest.mark.django_db
def test_since_must_be_a_cursor_from_the_feed(client):
    assert list(client.get("/api/v1/changes/", {"since": "yesterday"}).json()) == ["since"]
    assert client.get("/api/v1/changes/", {"since": "WzEsMiwzXQ"}).status_code == 400  # [1, 2, 3]
    assert client.get("/api/v1/changes/", {"page_size": "1000"}).status_code == 400
    assert client.get("/api/v1/changes/", {"cursor": "x"}).status_code == 400


@pytest.mark.django_db
def test_a_cursor_from_another_database_is_gone(client):
    response = client.get("/api/v1/changes/", {"since": "WzEwMDAwMDAwMDAwLDFd"})  # [10000000000, 1]

    assert response.status_code == 410
    assert "since" in response.json()["detail"]


def test_a_change_committed_behind_a_running_transaction_is_not_skipped(client, committed_db):
    """Transaction A starts writing, B writes and commits, a client syncs, then A commits. The
    client's cursor must not have moved past A's change."""
    first, second = DecisionFactory(number="1-20"), DecisionFactory(number="2-20")
    cursor = client.get("/api/v1/changes/").json()["cursor"]
    url = database_url(connection.settings_dict)
    with psycopg.connect(url) as slow:
        slow.execute("UPDATE decisions_decision SET title = 'A' WHERE id = %s", [first.pk])  # not committed
        second.title = "B"
        second.save()  # committed

        while_running = client.get("/api/v1/changes/", {"since": cursor}).json()
        assert while_running["results"] == []  # B waits for A: both, or neither
        slow.commit()

    after = client.get("/api/v1/changes/", {"since": while_running["cursor"]}).json()
    assert sorted((change["number"], change["decision"]["title"]) for change in after["results"]) == [
        ("1-20", "A"),
        ("2-20", "B"),
    ]


def test_law_rename_moves_updated_at_of_its_decisions(client, committed_db):
    decision = DecisionFactory(citations="SEL § 100")
    before = client.get(f"/api/v1/decisions/{decision.number}/").json()
    law = Law.objects.get(slug="serviceloven")
    law.short_name = "lov om social service"
    law.save()
    try:
        after = client.get(f"/api/v1/decisions/{decision.number}/").json()
    finally:
        law.short_name = "serviceloven"
        law.save()

    assert after["paragraphs"][0]["citation"] == "lov om social service § 100"
    assert after["updated_at"] > before["updated_at"]


@pytest.mark.django_db
def test_a_position_of_this_transaction_is_not_gone_while_an_older_transaction_still_runs():
    """A snapshot's xmax is one past the latest completed transaction: with an older transaction
    still running, this transaction's own id lies beyond it, yet the feed has shown it."""
    from decisions.changes import cursor_gone
    from decisions.models import DecisionChange

    with psycopg.connect(database_url(connection.settings_dict)) as older:
        older.execute("SELECT pg_current_xact_id()")  # begins, takes an id, and keeps running
        DecisionFactory(number="4-21")
        position = DecisionChange.objects.get(number="4-21").xid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            assert position >= cursor.fetchone()[0]  # the situation this test is about

        assert not cursor_gone(position)
        assert cursor_gone(position + 1000)


@pytest.mark.django_db
def test_the_feed_service_reads_in_batches_from_a_position_until_it_is_up_to_date():
    from decisions import changes

    numbers = [DecisionFactory(number=f"{n}-22").number for n in (1, 2, 3)]

    first = changes.read(changes.START, limit=2)
    second = changes.read(first.position, limit=2)
    third = changes.read(second.position, limit=2)

    assert [change.number for change in first.changes + second.changes] == numbers
    assert (first.has_more, second.has_more) == (True, False)
    assert third.changes == []
    assert third.position == second.position
    assert not third.has_more
    assert first.position < second.position
    with pytest.raises(changes.PositionGone):
        changes.read(changes.Position(10**10, 1))


def test_a_reader_of_the_feed_service_never_skips_a_change_committed_late(committed_db):
    """What the digests and the hotline's flagging do: keep a position, read on from it."""
    from decisions import changes

    first = DecisionFactory(number="1-23")
    position = changes.read(changes.START, limit=1000).position
    with psycopg.connect(database_url(connection.settings_dict)) as slow:
        slow.execute("UPDATE decisions_decision SET title = 'A' WHERE id = %s", [first.pk])  # not committed
        DecisionFactory(number="2-23")  # committed, after the slow one began

        while_running = changes.read(position)
        assert while_running.changes == []
        assert while_running.position == position
        slow.commit()

    after = changes.read(while_running.position)
    assert sorted(change.number for change in after.changes) == ["1-23", "2-23"]
