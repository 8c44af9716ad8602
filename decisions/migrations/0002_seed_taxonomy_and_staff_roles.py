"""The seeded areas and laws, and the two staff roles: editors and publishers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AREAS = [
    ("social", "Socialområdet", 1),
    ("employment", "Beskæftigelsesområdet", 2),
    ("benefits", "Ydelsesområdet", 3),
    ("children-family", "Børn og familie", 4),
]

# slug, official title, short name, abbreviation, area, aliases
LAWS = [
    (
        "serviceloven",
        "Lov om social service",
        "serviceloven",
        "SEL",
        "social",
        ["servicelov", "socialserviceloven"],
    ),
    (
        "aktivloven",
        "Lov om aktiv socialpolitik",
        "aktivloven",
        "AKL",
        "benefits",
        ["aktivlov", "lov om aktiv social politik"],
    ),
    (
        "retssikkerhedsloven",
        "Lov om retssikkerhed og administration på det sociale område",
        "retssikkerhedsloven",
        "RSL",
        "social",
        ["retssikkerhedslov"],
    ),
    (
        "sygedagpengeloven",
        "Lov om sygedagpenge",
        "sygedagpengeloven",
        "SDL",
        "employment",
        ["sygedagpengelov", "dagpengeloven ved sygdom"],
    ),
    (
        "beskaeftigelsesloven",
        "Lov om en aktiv beskæftigelsesindsats",
        "beskæftigelsesloven",
        "LAB",
        "employment",
        ["beskaeftigelsesloven", "LAB-loven", "lov om aktiv beskæftigelsesindsats"],
    ),
    (
        "pensionsloven",
        "Lov om social pension",
        "pensionsloven",
        "PL",
        "benefits",
        ["pensionslov", "lov om højeste, mellemste, forhøjet almindelig og almindelig førtidspension"],
    ),
    ("barnets-lov", "Barnets lov", "barnets lov", "BL", "children-family", []),
    ("forvaltningsloven", "Forvaltningsloven", "forvaltningsloven", "FVL", None, ["forvaltningslov"]),
    (
        "offentlighedsloven",
        "Offentlighedsloven",
        "offentlighedsloven",
        "OFL",
        None,
        ["offentlighedslov", "lov om offentlighed i forvaltningen"],
    ),
]

EDITOR_PERMISSIONS = [
    "add_decision",
    "change_decision",
    "view_decision",
    "add_relation",
    "change_relation",
    "delete_relation",
    "view_relation",
    "view_area",
    "view_law",
    "view_paragraph",
    "add_paragraph",
    "change_paragraph",
]
PUBLISHER_PERMISSIONS = [*EDITOR_PERMISSIONS, "publish_decision", "delete_decision", "add_law", "change_law"]
GROUPS = {"Redaktører": EDITOR_PERMISSIONS, "Udgivere": PUBLISHER_PERMISSIONS}


def seed(apps, schema_editor):
    Area = apps.get_model("decisions", "Area")
    Law = apps.get_model("decisions", "Law")
    areas = {}
    for slug, name, order in AREAS:
        areas[slug], _ = Area.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})
    for slug, title, short_name, abbreviation, area, aliases in LAWS:
        Law.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "short_name": short_name,
                "abbreviation": abbreviation,
                "area": areas.get(area),
                "aliases": aliases,
            },
        )


def staff_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    app_config = apps.get_app_config("decisions")
    app_config.models_module = True  # the migration state's app config stands in for the real one
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="decisions", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(staff_roles, migrations.RunPython.noop),
    ]
