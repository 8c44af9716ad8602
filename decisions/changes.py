"""Positions in the change feed, and keeping them true across a restore from backup.

A position is the writing transaction's id plus a shift kept in the database (migration 0010), so
that after a restore into another cluster, which counts transactions from the beginning again, new
changes still come after the restored ones. The change rows themselves are written by the
database's triggers (migration 0009), never from Python.
"""

from django.db import connection
from django.utils import timezone

# Room left between the last restored position and the first new one: more transactions than the
# database could have run between a backup and its restore. A cursor inside it was handed out by
# the database as it was after the backup; the restore undid those changes.
RESTORE_GAP = 2**40


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
    cache.delete_many(["decisions:lexemes", "decisions:lexemes:stamp", "decisions:words"])
    cache.delete_many(["decisions:synonyms:stemmed", "decisions:synonyms:stemmed:stamp"])
    forget_local()
