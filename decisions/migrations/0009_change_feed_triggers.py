from django.db import migrations

# The change feed (DecisionChange) and `updated_at` are kept by the database, so that every way
# of writing (the admin, bulk updates, the import's COPY, raw SQL) keeps them exact. Statement
# triggers with transition tables work on whole sets: a COPY of 100 000 rows costs one statement.
#
# `updated_at` is the time a decision's API representation last changed: its own columns, its
# paragraph references, its relations, and the published state, number, law names and area slug
# its representation shows of other rows.
FORWARD = r"""
CREATE SEQUENCE decisions_decisionchange_seq;
ALTER TABLE decisions_decisionchange
    ALTER COLUMN at SET DEFAULT clock_timestamp(),
    ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint,
    ALTER COLUMN seq SET DEFAULT nextval('decisions_decisionchange_seq');

-- A statement that does not set updated_at itself (queryset.update, raw SQL) still moves it.
CREATE FUNCTION decisions_decision_keep_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER decisions_decision_keep_updated_at BEFORE UPDATE ON decisions_decision
    FOR EACH ROW EXECUTE FUNCTION decisions_decision_keep_updated_at();

-- Moves updated_at of the given decisions, unless this transaction has logged them already.
-- Statement triggers fire for statements that change no rows too: an empty set stops here.
CREATE FUNCTION decisions_touch(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE decisions_decision SET updated_at = clock_timestamp() WHERE id = ANY(ids);
END
$$;

-- The latest change per number wins; created-then-updated in one transaction stays "created".
CREATE FUNCTION decisions_log(changes jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO decisions_decisionchange AS c (number, decision_id, action)
    SELECT DISTINCT ON (e.number) e.number, e.decision_id, e.action
    FROM jsonb_to_recordset(changes) AS e(number text, decision_id bigint, action text, priority integer)
    ORDER BY e.number, e.priority
    ON CONFLICT (number) DO UPDATE SET
        decision_id = EXCLUDED.decision_id,
        action = CASE WHEN c.xid = EXCLUDED.xid AND c.action = 'created' AND EXCLUDED.action = 'updated'
                      THEN 'created' ELSE EXCLUDED.action END,
        at = EXCLUDED.at, xid = EXCLUDED.xid, seq = EXCLUDED.seq;
$$;

CREATE FUNCTION decisions_decision_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM decisions_log(coalesce(jsonb_agg(jsonb_build_object(
        'number', number, 'decision_id', id, 'action', 'created', 'priority', 0)), '[]'))
    FROM new_rows WHERE is_published;
    RETURN NULL;
END
$$;

CREATE FUNCTION decisions_decision_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM decisions_log(coalesce(jsonb_agg(e), '[]')) FROM (
        SELECT jsonb_build_object('number', n.number, 'decision_id', n.id, 'priority', 0, 'action',
            CASE WHEN o.is_published AND o.number = n.number THEN 'updated' ELSE 'created' END) AS e
        FROM old_rows o JOIN new_rows n USING (id) WHERE n.is_published
        UNION ALL
        SELECT jsonb_build_object('number', o.number, 'decision_id', o.id, 'priority', 1, 'action',
            CASE WHEN n.is_published THEN 'deleted' ELSE 'unpublished' END)
        FROM old_rows o JOIN new_rows n USING (id)
        WHERE o.is_published AND NOT (n.is_published AND o.number = n.number)
    ) AS events;
    -- Related decisions show this one's number, and only while it is published.
    PERFORM decisions_touch(array_agg(related)) FROM (
        SELECT r.target_id AS related FROM decisions_relation r
            JOIN old_rows o ON o.id = r.source_id JOIN new_rows n ON n.id = o.id
            WHERE o.is_published <> n.is_published OR o.number <> n.number
        UNION
        SELECT r.source_id FROM decisions_relation r
            JOIN old_rows o ON o.id = r.target_id JOIN new_rows n ON n.id = o.id
            WHERE o.is_published <> n.is_published OR o.number <> n.number
    ) AS touched;
    RETURN NULL;
END
$$;

CREATE FUNCTION decisions_decision_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM decisions_log(coalesce(jsonb_agg(jsonb_build_object(
        'number', o.number, 'decision_id', o.id, 'action', 'deleted', 'priority', 0)), '[]'))
    FROM old_rows o
    WHERE o.is_published OR EXISTS (SELECT 1 FROM decisions_decisionchange c WHERE c.number = o.number);
    RETURN NULL;
END
$$;

CREATE TRIGGER decisions_decision_inserted AFTER INSERT ON decisions_decision
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION decisions_decision_inserted();
CREATE TRIGGER decisions_decision_updated AFTER UPDATE ON decisions_decision
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_decision_updated();
CREATE TRIGGER decisions_decision_deleted AFTER DELETE ON decisions_decision
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION decisions_decision_deleted();

-- Paragraph references and relations are part of their decisions' representation.
-- The import writes decisions and then their references in one transaction, and says so: the
-- decisions are logged already, and touching 100 000 rows again would double its work.
CREATE FUNCTION decisions_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('decisions.references_follow_decisions', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM decisions_touch(array_agg(DISTINCT decision_id)) FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM decisions_touch(array_agg(DISTINCT decision_id)) FROM old_rows;
    ELSE
        PERFORM decisions_touch(array_agg(DISTINCT decision_id))
        FROM (SELECT decision_id FROM old_rows UNION SELECT decision_id FROM new_rows) AS changed;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER decisions_reference_inserted AFTER INSERT ON decisions_paragraphreference
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION decisions_reference_changed();
CREATE TRIGGER decisions_reference_updated AFTER UPDATE ON decisions_paragraphreference
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_reference_changed();
CREATE TRIGGER decisions_reference_deleted AFTER DELETE ON decisions_paragraphreference
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION decisions_reference_changed();

CREATE FUNCTION decisions_relation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM decisions_touch(array_agg(id))
        FROM (SELECT source_id AS id FROM new_rows UNION SELECT target_id FROM new_rows) AS changed;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM decisions_touch(array_agg(id))
        FROM (SELECT source_id AS id FROM old_rows UNION SELECT target_id FROM old_rows) AS changed;
    ELSE
        PERFORM decisions_touch(array_agg(id)) FROM (
            SELECT source_id AS id FROM old_rows UNION SELECT target_id FROM old_rows
            UNION SELECT source_id FROM new_rows UNION SELECT target_id FROM new_rows
        ) AS changed;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER decisions_relation_inserted AFTER INSERT ON decisions_relation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION decisions_relation_changed();
CREATE TRIGGER decisions_relation_updated AFTER UPDATE ON decisions_relation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_relation_changed();
CREATE TRIGGER decisions_relation_deleted AFTER DELETE ON decisions_relation
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION decisions_relation_changed();

-- Citations show the law's name and slug and the section; decisions show their area's slug.
CREATE FUNCTION decisions_law_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM decisions_touch(array_agg(DISTINCT r.decision_id))
    FROM decisions_paragraphreference r
        JOIN decisions_paragraph p ON p.id = r.paragraph_id
        JOIN old_rows o ON o.id = p.law_id JOIN new_rows n ON n.id = o.id
    WHERE o.slug <> n.slug OR o.short_name <> n.short_name;
    RETURN NULL;
END
$$;
CREATE TRIGGER decisions_law_updated AFTER UPDATE ON decisions_law
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_law_updated();

CREATE FUNCTION decisions_paragraph_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM decisions_touch(array_agg(DISTINCT r.decision_id))
    FROM decisions_paragraphreference r
        JOIN old_rows o ON o.id = r.paragraph_id JOIN new_rows n ON n.id = o.id
    WHERE o.section <> n.section OR o.law_id <> n.law_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER decisions_paragraph_updated AFTER UPDATE ON decisions_paragraph
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_paragraph_updated();

CREATE FUNCTION decisions_area_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM decisions_touch(array_agg(d.id))
    FROM decisions_decision d JOIN old_rows o ON o.id = d.area_id JOIN new_rows n ON n.id = o.id
    WHERE o.slug <> n.slug;
    RETURN NULL;
END
$$;
CREATE TRIGGER decisions_area_updated AFTER UPDATE ON decisions_area
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_area_updated();

-- Decisions published before the feed existed: each appears once, as created.
INSERT INTO decisions_decisionchange (number, decision_id, action, at)
SELECT number, id, 'created', updated_at FROM decisions_decision WHERE is_published ORDER BY updated_at, id;
"""

BACKWARD = r"""
DROP TRIGGER decisions_area_updated ON decisions_area;
DROP TRIGGER decisions_paragraph_updated ON decisions_paragraph;
DROP TRIGGER decisions_law_updated ON decisions_law;
DROP TRIGGER decisions_relation_inserted ON decisions_relation;
DROP TRIGGER decisions_relation_updated ON decisions_relation;
DROP TRIGGER decisions_relation_deleted ON decisions_relation;
DROP TRIGGER decisions_reference_inserted ON decisions_paragraphreference;
DROP TRIGGER decisions_reference_updated ON decisions_paragraphreference;
DROP TRIGGER decisions_reference_deleted ON decisions_paragraphreference;
DROP TRIGGER decisions_decision_inserted ON decisions_decision;
DROP TRIGGER decisions_decision_updated ON decisions_decision;
DROP TRIGGER decisions_decision_deleted ON decisions_decision;
DROP TRIGGER decisions_decision_keep_updated_at ON decisions_decision;
DROP FUNCTION decisions_area_updated(), decisions_paragraph_updated(), decisions_law_updated(),
    decisions_relation_changed(), decisions_reference_changed(), decisions_decision_deleted(),
    decisions_decision_updated(), decisions_decision_inserted(), decisions_log(jsonb),
    decisions_touch(bigint[]), decisions_decision_keep_updated_at();
DELETE FROM decisions_decisionchange;
ALTER TABLE decisions_decisionchange
    ALTER COLUMN at DROP DEFAULT, ALTER COLUMN xid DROP DEFAULT, ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE decisions_decisionchange_seq;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0008_api_change_feed"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
