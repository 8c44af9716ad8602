"""The change feed as a service: reading the changes to published decisions after a position,
positions themselves, and keeping them true across a restore from backup.

Every reader goes through `read()`: the API's `changes/`, and the hotline's flagging and the
digests, which keep their own position and must never skip a change.

A position is the writing transaction's id plus a shift kept in the database (migration 0010), so
that after a restore into another cluster, which counts transactions from the beginning again, new
changes still come after the restored ones. The change rows themselves are written by the
database's triggers (migration 0009), never from Python.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from portal.api import after as after_position

# Room left between the last restored position and the first new one: more transactions than the
# database could have run between a backup and its restore. A cursor inside it was handed out by
# the database as it was after the backup; the restore undid those changes.
RESTORE_GAP = 2**40


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: a writing transaction (shifted, see above) and a change within it."""

    xid: int
    seq: int


START = Position(0, 0)


class PositionGone(Exception):
    """The position was not handed out by the database as it is now (restored from a backup?):
    the reader must start again from START and compare what it holds."""


@dataclass(frozen=True)
class Batch:
    changes: list  # of DecisionChange, oldest first
    position: Position  # where the next read starts: the last change's, or the one asked from
    has_more: bool  # more settled changes wait: read again at once


def read(after: Position = START, limit: int = 100, feed: type | None = None) -> Batch:
    """The settled changes after `after`, oldest first, at most `limit`, of `feed` (a change model:
    DecisionChange by default, or the hotline's AnswerChange). Only changes of settled transactions
    are read: none still running could write at an earlier position, so a change committed late is
    never skipped by a reader that goes on from `position`. Each document has one row, its latest
    change, which moves to the end of the feed when it changes again. Raises PositionGone for a
    position from another copy of the database."""
    if feed is None:
        from decisions.models import DecisionChange as feed

    changes = feed.objects.settled()
    if after != START:
        if cursor_gone(after.xid):
            raise PositionGone(after)
        changes = changes.filter(after_position(feed, ("xid", "seq"), (after.xid, after.seq)))
    rows = list(changes.order_by("xid", "seq")[: limit + 1])
    read_now = rows[:limit]
    position = Position(read_now[-1].xid, read_now[-1].seq) if read_now else after
    return Batch(changes=read_now, position=position, has_more=len(rows) > limit)


def read_on(reader: str, act: Callable[[list], None], feed: type | None = None, limit: int = 500) -> int:
    """Reads every settled change after where `reader` stopped, hands each batch to `act`, and
    stores the new position in the same transaction as what `act` wrote: each change is acted on
    once, even if the process dies halfway, and two processes never read for the same reader at
    once (the second waits). After a restore from backup the reader starts again from the
    beginning, so `act` must be idempotent. Returns how many changes were read."""
    from decisions.models import FeedReader

    count = 0
    with transaction.atomic():
        FeedReader.objects.get_or_create(name=reader)
        stored = FeedReader.objects.select_for_update().get(name=reader)
        position = Position(stored.xid, stored.seq)
        while True:
            try:
                batch = read(position, limit, feed)
            except PositionGone:
                position = START
                continue
            if batch.changes:
                act(batch.changes)
                count += len(batch.changes)
            position = batch.position
            if not batch.has_more:
                break
        FeedReader.objects.filter(pk=stored.pk).update(xid=position.xid, seq=position.seq)
    return count


def cursor_gone(position: int) -> bool:
    """Whether a cursor at `position` was not handed out by this database as it is now: it lies
    beyond the next position, or in a span that a restore from backup undid."""
    with connection.cursor() as cursor:
        cursor.execute(
            # A snapshot's xmax is one past the latest *completed* transaction, so this transaction's
            # own id (a position the feed shows it, settled for itself) may lie beyond it.
            "SELECT %s > GREATEST(pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
            "pg_current_xact_id_if_assigned()::text::bigint + 1) + decisions_feed_shift() "
            "OR EXISTS (SELECT 1 FROM decisions_feedgap WHERE %s > after AND %s < before)",
            [position, position, position],
        )
        return cursor.fetchone()[0]


def continue_after_restore() -> tuple[int, int]:
    """After a restore: new positions start RESTORE_GAP past both the last restored one and this
    database's own next one, and the span between is recorded as undone. Returns the span."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(xid), 0) FROM decisions_decisionchange")
        (restored,) = cursor.fetchone()
        cursor.execute("SELECT pg_current_xact_id()::text::bigint, decisions_feed_shift()")
        current, shift = cursor.fetchone()
        start = max(restored, current + shift) + RESTORE_GAP
        cursor.execute("UPDATE decisions_feedclock SET shift = %s WHERE id = 1", [start - current])
        cursor.execute(
            "INSERT INTO decisions_feedgap (after, before, restored_at) VALUES (%s, %s, %s)",
            [restored, start, timezone.now()],
        )
    return restored, start


def after_restore(**_kwargs) -> None:
    """`database_restored` receiver: the feed goes on after the restored positions, and figures
    cached from the database as it was before are dropped."""
    from django.core.cache import cache

    from decisions.models import decisions_changed
    from decisions.vocabulary import forget_local

    if "decisions_feedclock" in connection.introspection.table_names():  # not in an older backup
        continue_after_restore()
    decisions_changed()
    cache.delete_many(["decisions:lexemes", "decisions:lexemes:stamp", "decisions:words", "hotline:lexemes"])
    cache.delete_many(["decisions:synonyms:stemmed", "decisions:synonyms:stemmed:stamp"])
    forget_local()
