import datetime

import factory

from decisions.citations import get_parser
from decisions.models import Area, Decision, Relation, Status


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
            parser = get_parser()
            self.set_references([ref for line in self.citations.splitlines() for ref in parser.parse(line)])


def replace(new: Decision, old: Decision) -> Relation:
    return Relation.objects.create(source=new, target=old, kind=Relation.Kind.REPLACES)
