from django.db import migrations

# As for decisions and hotline answers: the archive's search vector is kept by the database, so
# that every way of writing an item keeps it exact. Heading and citations weigh most, then the text.
FORWARD = r"""
CREATE FUNCTION newsletters_item_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('danish', concat_ws(' ', NEW.heading, NEW.citations)), 'A')
        || setweight(to_tsvector('danish', coalesce(NEW.text, '')), 'B');
    RETURN NEW;
END
$$;
CREATE TRIGGER newsletters_item_search_vector
    BEFORE INSERT OR UPDATE OF heading, citations, text
    ON newsletters_item FOR EACH ROW EXECUTE FUNCTION newsletters_item_search_vector();
"""

BACKWARD = r"""
DROP TRIGGER newsletters_item_search_vector ON newsletters_item;
DROP FUNCTION newsletters_item_search_vector();
"""


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
