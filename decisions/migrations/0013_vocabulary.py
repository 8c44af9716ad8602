"""Several hundred everyday words, abbreviations and legal terms of Danish social law, from the
vocabulary file kept in the repository (decisions/data/vocabulary.txt); staff go on editing them in
the admin. After editing the file, `python manage.py load_vocabulary` adds what is new."""

from django.db import migrations


def load(apps, schema_editor):
    from decisions.vocabulary import load_vocabulary

    load_vocabulary(apps.get_model("decisions", "Synonym"))


class Migration(migrations.Migration):
    dependencies = [("decisions", "0012_relation_notes")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
