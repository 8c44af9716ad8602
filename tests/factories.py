import datetime

import factory
from django.utils import timezone

from decisions.citations import parse_citations
from decisions.models import Area, Decision, Law, Paragraph, Relation, Status


class DecisionFactory(factory.django.DjangoModelFactory):
    """A published decision in force on SEL § 100, with its paragraph references set."""

    class Meta:
        model = Decision
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"{n + 1}-{20 + n % 5}")
    title = factory.Sequence(lambda n: f"Merudgifter til handicapbetinget kørsel nr. {n}")
    summary = "Principmeddelelsen fastslår, at kommunen skal foretage en konkret vurdering."
    body = "Sagens omstændigheder.\n\nRegler.\n\nBegrundelse."
    practice_note = ""
    decided_on = factory.Sequence(lambda n: datetime.date(2020, 1, 1) + datetime.timedelta(days=n))
    published_on = factory.LazyAttribute(lambda decision: decision.decided_on + datetime.timedelta(days=14))
    is_published = True
    area = factory.LazyFunction(lambda: Area.objects.get(slug="social"))
    status = Status.IN_FORCE
    keywords = factory.LazyFunction(lambda: ["merudgifter", "kørsel"])
    citations = "SEL § 100"

    @factory.post_generation
    def references(self, create, extracted, **kwargs):
        if create:
            self.set_references(parse_citations(self.citations).references)


def replace(new: Decision, old: Decision) -> Relation:
    return Relation.objects.create(source=new, target=old, kind=Relation.Kind.REPLACES)


class AreaFactory(factory.django.DjangoModelFactory):
    """An area beside the four that migrations seed."""

    class Meta:
        model = Area
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"omraade-{n}")
    name = factory.Sequence(lambda n: f"Område {n}")
    order = factory.Sequence(lambda n: 10 + n)


class LawFactory(factory.django.DjangoModelFactory):
    """A law beside the seeded ones (serviceloven, aktivloven …): its own slug and abbreviation."""

    class Meta:
        model = Law
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"testloven-{n}")
    title = factory.Sequence(lambda n: f"Lov om test nr. {n}")
    short_name = factory.Sequence(lambda n: f"testloven {n}")
    abbreviation = factory.Sequence(lambda n: f"TL{n}")
    area = factory.LazyFunction(lambda: Area.objects.get(slug="social"))


class ParagraphFactory(factory.django.DjangoModelFactory):
    """A paragraph of a seeded law (serviceloven unless told), by its section."""

    class Meta:
        model = Paragraph
        django_get_or_create = ("law", "section")

    law = factory.LazyFunction(lambda: Law.objects.get(slug="serviceloven"))
    section = factory.Sequence(lambda n: str(200 + n))


class AnswerFactory(factory.django.DjangoModelFactory):
    """A published hotline answer on SEL § 100, verified today, citing no decision unless told."""

    class Meta:
        model = "hotline.Answer"
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"HL-2024-{n + 1:03d}")
    title = factory.Sequence(lambda n: f"Kan kommunen dække merudgifter til kørsel? ({n})")
    question = "En borger med nedsat funktionsevne søger om dækning af merudgifter til kørsel."
    answer = "Ja, hvis udgiften er en nødvendig følge af funktionsnedsættelsen, jf. SEL § 100."
    area = factory.LazyFunction(lambda: Area.objects.get(slug="social"))
    citations = "SEL § 100"
    decisions = factory.LazyFunction(list)
    keywords = factory.LazyFunction(lambda: ["merudgifter"])
    asked_on = datetime.date(2024, 3, 1)
    answered_on = datetime.date(2024, 3, 12)
    verified_on = factory.LazyFunction(timezone.localdate)  # the portal's day, in Copenhagen
    state = "published"

    @factory.post_generation
    def references(self, create, extracted, **kwargs):
        if create:
            self.set_references(parse_citations(self.citations).references)
