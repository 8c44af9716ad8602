from django.db import migrations

# Change-feed positions were transaction ids. A backup restored into another cluster (a new
# machine) starts counting transactions from the beginning again, so changes made after the
# restore would sort before the restored ones, and mirrors holding a later cursor would miss them.
# A position is now the transaction id plus a shift kept in the database. `manage.py restore`
# moves the shift so that new positions come after every restored one, and records the span in
# between as a gap: a cursor from that span was handed out by the database as it was after the
# backup, whose changes the restore undid, and gets 410 (sync afresh). See decisions/changes.py.
FORWARD = r"""
CREATE TABLE decisions_feedclock (id smallint PRIMARY KEY CHECK (id = 1), shift bigint NOT NULL);
INSERT INTO decisions_feedclock VALUES (1, 0);
CREATE TABLE decisions_feedgap (after bigint NOT NULL, before bigint NOT NULL, restored_at timestamptz NOT NULL);

CREATE FUNCTION decisions_feed_shift() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT shift FROM decisions_feedclock WHERE id = 1), 0)
$$;
ALTER TABLE decisions_decisionchange
    ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint + decisions_feed_shift();
"""

BACKWARD = r"""
ALTER TABLE decisions_decisionchange ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint;
DROP FUNCTION decisions_feed_shift();
DROP TABLE decisions_feedgap;
DROP TABLE decisions_feedclock;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0009_change_feed_triggers"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
