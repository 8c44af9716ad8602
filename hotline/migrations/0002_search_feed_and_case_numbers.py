from django.db import migrations

# As for decisions (decisions/migrations 0005, 0009, 0010): the search vector, `updated_at` and
# the change feed are kept by the database, so that every way of writing an answer (the admin,
# the import, bulk updates of validity by the flagging) keeps them exact.
FORWARD = r"""
CREATE FUNCTION hotline_answer_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('danish', concat_ws(' ', NEW.reference, NEW.title, NEW.citations,
                                                    array_to_string(NEW.keywords, ' '))), 'A')
        || setweight(to_tsvector('danish', coalesce(NEW.question, '')), 'B')
        || setweight(to_tsvector('danish', coalesce(NEW.answer, '')), 'C');
    RETURN NEW;
END
$$;
CREATE TRIGGER hotline_answer_search_vector
    BEFORE INSERT OR UPDATE OF reference, title, citations, keywords, question, answer
    ON hotline_answer FOR EACH ROW EXECUTE FUNCTION hotline_answer_search_vector();

CREATE SEQUENCE hotline_question_number;

CREATE SEQUENCE hotline_answerchange_seq;
ALTER TABLE hotline_answerchange
    ALTER COLUMN at SET DEFAULT clock_timestamp(),
    ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint + decisions_feed_shift(),
    ALTER COLUMN seq SET DEFAULT nextval('hotline_answerchange_seq');

CREATE FUNCTION hotline_answer_keep_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER hotline_answer_keep_updated_at BEFORE UPDATE ON hotline_answer
    FOR EACH ROW EXECUTE FUNCTION hotline_answer_keep_updated_at();

CREATE FUNCTION hotline_touch(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE hotline_answer SET updated_at = clock_timestamp() WHERE id = ANY(ids);
END
$$;

-- The latest change per reference wins; created-then-updated in one transaction stays "created".
CREATE FUNCTION hotline_log(changes jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO hotline_answerchange AS c (reference, answer_id, action)
    SELECT DISTINCT ON (e.reference) e.reference, e.answer_id, e.action
    FROM jsonb_to_recordset(changes) AS e(reference text, answer_id bigint, action text, priority integer)
    ORDER BY e.reference, e.priority
    ON CONFLICT (reference) DO UPDATE SET
        answer_id = EXCLUDED.answer_id,
        action = CASE WHEN c.xid = EXCLUDED.xid AND c.action = 'created' AND EXCLUDED.action = 'updated'
                      THEN 'created' ELSE EXCLUDED.action END,
        at = EXCLUDED.at, xid = EXCLUDED.xid, seq = EXCLUDED.seq;
$$;

CREATE FUNCTION hotline_answer_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hotline_log(coalesce(jsonb_agg(jsonb_build_object(
        'reference', reference, 'answer_id', id, 'action', 'created', 'priority', 0)), '[]'))
    FROM new_rows WHERE state = 'published';
    RETURN NULL;
END
$$;

CREATE FUNCTION hotline_answer_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hotline_log(coalesce(jsonb_agg(e), '[]')) FROM (
        SELECT jsonb_build_object('reference', n.reference, 'answer_id', n.id, 'priority', 0, 'action',
            CASE WHEN o.state = 'published' AND o.reference = n.reference THEN 'updated' ELSE 'created' END) AS e
        FROM old_rows o JOIN new_rows n USING (id) WHERE n.state = 'published'
        UNION ALL
        SELECT jsonb_build_object('reference', o.reference, 'answer_id', o.id, 'priority', 1, 'action',
            CASE WHEN n.state = 'published' THEN 'deleted'
                 WHEN n.state = 'withdrawn' THEN 'withdrawn' ELSE 'unpublished' END)
        FROM old_rows o JOIN new_rows n USING (id)
        WHERE o.state = 'published' AND NOT (n.state = 'published' AND o.reference = n.reference)
    ) AS events;
    -- A superseded answer links to its successor's reference, and only while that is published.
    PERFORM hotline_touch(array_agg(a.id))
    FROM hotline_answer a JOIN old_rows o ON o.id = a.superseded_by_id JOIN new_rows n ON n.id = o.id
    WHERE o.state <> n.state OR o.reference <> n.reference;
    RETURN NULL;
END
$$;

CREATE FUNCTION hotline_answer_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hotline_log(coalesce(jsonb_agg(jsonb_build_object(
        'reference', o.reference, 'answer_id', o.id, 'action', 'deleted', 'priority', 0)), '[]'))
    FROM old_rows o
    WHERE o.state = 'published' OR EXISTS (SELECT 1 FROM hotline_answerchange c WHERE c.reference = o.reference);
    RETURN NULL;
END
$$;

CREATE TRIGGER hotline_answer_inserted AFTER INSERT ON hotline_answer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hotline_answer_inserted();
CREATE TRIGGER hotline_answer_updated AFTER UPDATE ON hotline_answer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hotline_answer_updated();
CREATE TRIGGER hotline_answer_deleted AFTER DELETE ON hotline_answer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hotline_answer_deleted();

-- Paragraph references are part of their answers' representation, and so are the names of the
-- laws, the sections and the areas they show.
CREATE FUNCTION hotline_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM hotline_touch(array_agg(DISTINCT answer_id)) FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM hotline_touch(array_agg(DISTINCT answer_id)) FROM old_rows;
    ELSE
        PERFORM hotline_touch(array_agg(DISTINCT answer_id))
        FROM (SELECT answer_id FROM old_rows UNION SELECT answer_id FROM new_rows) AS changed;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER hotline_reference_inserted AFTER INSERT ON hotline_answerparagraph
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hotline_reference_changed();
CREATE TRIGGER hotline_reference_updated AFTER UPDATE ON hotline_answerparagraph
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hotline_reference_changed();
CREATE TRIGGER hotline_reference_deleted AFTER DELETE ON hotline_answerparagraph
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hotline_reference_changed();

CREATE FUNCTION hotline_law_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hotline_touch(array_agg(DISTINCT r.answer_id))
    FROM hotline_answerparagraph r
        JOIN decisions_paragraph p ON p.id = r.paragraph_id
        JOIN old_rows o ON o.id = p.law_id JOIN new_rows n ON n.id = o.id
    WHERE o.slug <> n.slug OR o.short_name <> n.short_name;
    RETURN NULL;
END
$$;
CREATE TRIGGER hotline_law_updated AFTER UPDATE ON decisions_law
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hotline_law_updated();

CREATE FUNCTION hotline_paragraph_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hotline_touch(array_agg(DISTINCT r.answer_id))
    FROM hotline_answerparagraph r
        JOIN old_rows o ON o.id = r.paragraph_id JOIN new_rows n ON n.id = o.id
    WHERE o.section <> n.section OR o.law_id <> n.law_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER hotline_paragraph_updated AFTER UPDATE ON decisions_paragraph
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hotline_paragraph_updated();

CREATE FUNCTION hotline_area_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hotline_touch(array_agg(a.id))
    FROM hotline_answer a JOIN old_rows o ON o.id = a.area_id JOIN new_rows n ON n.id = o.id
    WHERE o.slug <> n.slug;
    RETURN NULL;
END
$$;
CREATE TRIGGER hotline_area_updated AFTER UPDATE ON decisions_area
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hotline_area_updated();
"""

BACKWARD = r"""
DROP TRIGGER hotline_area_updated ON decisions_area;
DROP TRIGGER hotline_paragraph_updated ON decisions_paragraph;
DROP TRIGGER hotline_law_updated ON decisions_law;
DROP FUNCTION hotline_area_updated();
DROP FUNCTION hotline_paragraph_updated();
DROP FUNCTION hotline_law_updated();
DROP TRIGGER hotline_reference_inserted ON hotline_answerparagraph;
DROP TRIGGER hotline_reference_updated ON hotline_answerparagraph;
DROP TRIGGER hotline_reference_deleted ON hotline_answerparagraph;
DROP FUNCTION hotline_reference_changed();
DROP TRIGGER hotline_answer_inserted ON hotline_answer;
DROP TRIGGER hotline_answer_updated ON hotline_answer;
DROP TRIGGER hotline_answer_deleted ON hotline_answer;
DROP FUNCTION hotline_answer_inserted();
DROP FUNCTION hotline_answer_updated();
DROP FUNCTION hotline_answer_deleted();
DROP FUNCTION hotline_log(jsonb);
DROP FUNCTION hotline_touch(bigint[]);
DROP TRIGGER hotline_answer_keep_updated_at ON hotline_answer;
DROP FUNCTION hotline_answer_keep_updated_at();
ALTER TABLE hotline_answerchange ALTER COLUMN at DROP DEFAULT, ALTER COLUMN xid DROP DEFAULT,
    ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE hotline_answerchange_seq;
DROP SEQUENCE hotline_question_number;
DROP TRIGGER hotline_answer_search_vector ON hotline_answer;
DROP FUNCTION hotline_answer_search_vector();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0001_initial"),
        ("decisions", "0010_feed_positions_survive_a_restore"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
