"""The law taxonomy (areas, laws, paragraphs) every app uses, and Ankestyrelsen's principle decisions."""

import datetime
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import quote

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, F, FilteredRelation, OuterRef, Q, Value, When
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from decisions.citations import Reference, display_section, format_reference, split_section
from portal.guard import validate_text
from portal.roles import require_publisher

# `12-19` (serial-year) and legacy forms such as `C-16-99` or `143-09`.
NUMBER_PATTERN = r"(?:[A-Za-z]{1,3}-)?[0-9]{1,4}-[0-9]{2}(?:-[0-9]{2})?"
number_validator = RegexValidator(
    rf"^{NUMBER_PATTERN}$", _("A decision number looks like 12-19 (serial-year) or C-16-99.")
)


class Area(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("decisions:area", args=[self.slug])


class Law(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("official title"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, help_text=_("e.g. serviceloven"))
    abbreviation = models.CharField(_("abbreviation"), max_length=12, unique=True, help_text=_("e.g. SEL"))
    aliases = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("aliases"),
        blank=True,
        default=list,
        help_text=_("Other names the law is cited by, separated by commas."),
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="laws",
        null=True,
        blank=True,
        help_text=_("Empty for laws that apply across areas, such as forvaltningsloven."),
    )
    url = models.URLField(_("link to the act's text"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["short_name"]
        verbose_name = _("law")
        verbose_name_plural = _("laws")

    def __str__(self) -> str:
        return f"{self.short_name} ({self.abbreviation})"

    def save(self, *args, **kwargs) -> None:
        require_publisher(_("Only publishers may change laws."))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("decisions:law", args=[self.slug])

    @property
    def text_url(self) -> str:
        """Where to read the act: its own link, or else Retsinformation's search for its name."""
        return self.url or f"https://www.retsinformation.dk/documents?t={quote(self.short_name)}"


class ParagraphQuerySet(models.QuerySet):
    def matching(self, references: Iterable[Reference]) -> "ParagraphQuerySet":
        """The paragraphs that `references` name and that exist (subsections aside)."""
        wanted = Q()
        for reference in references:
            wanted |= Q(law__slug=reference.law, section=reference.section)
        return self.filter(wanted) if wanted else self.none()

    def ensure(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The ids of the paragraphs named by `(law slug, section)` keys, creating those that are new:
        one query, and one bulk insert when some are new, however many keys. The laws must exist."""
        keys = set(keys)
        if not keys:
            return {}
        rows = (
            Law.objects.filter(slug__in={law for law, _section in keys})
            .annotate(
                cited=FilteredRelation(
                    "paragraphs", condition=Q(paragraphs__section__in={s for _l, s in keys})
                )
            )
            .values_list("slug", "pk", "cited__pk", "cited__section")
        )
        laws: dict[str, int] = {}
        found: dict[tuple[str, str], int] = {}
        for slug, law_id, paragraph_id, section in rows:
            laws[slug] = law_id
            if paragraph_id is not None and (slug, section) in keys:
                found[slug, section] = paragraph_id
        missing = sorted(keys - set(found))
        new = []
        for law, section in missing:
            paragraph = Paragraph(law_id=laws[law], section=section)
            paragraph.number, paragraph.letter = split_section(section)  # bulk_create skips save()
            new.append(paragraph)
        # A paragraph created meanwhile by someone else is a conflict that hands back its id.
        created = self.bulk_create(
            new,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["law", "section"],
            update_fields=["number"],
        )
        found.update(zip(missing, (paragraph.pk for paragraph in created), strict=True))
        return found


class Paragraph(models.Model):
    law = models.ForeignKey(Law, verbose_name=_("law"), on_delete=models.PROTECT, related_name="paragraphs")
    section = models.CharField(_("section"), max_length=12, help_text=_("e.g. 100 or 9c"))
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    # The section split for sorting: numerically, then by letter (§ 9, § 9 a, § 10).
    number = models.PositiveIntegerField(editable=False)
    letter = models.CharField(max_length=4, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = ParagraphQuerySet.as_manager()

    class Meta:
        ordering = ["law_id", "number", "letter"]
        verbose_name = _("paragraph")
        verbose_name_plural = _("paragraphs")
        constraints = [models.UniqueConstraint(fields=["law", "section"], name="unique_paragraph_per_law")]

    def __str__(self) -> str:
        return f"{self.law.short_name} {self.display}"

    def save(self, *args, **kwargs) -> None:
        if self.pk and self.cited_by_published():
            require_publisher(_("Only publishers may change a paragraph that published decisions cite."))
        self.number, self.letter = split_section(self.section)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("decisions:paragraph", args=[self.law.slug, self.section])

    def cited_by_published(self) -> bool:
        return ParagraphReference.objects.filter(paragraph_id=self.pk, decision__is_published=True).exists()

    @property
    def display(self) -> str:
        return display_section(self.section)


class Status(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    PARTLY_CHANGED = "partly_changed", _("Partly changed")
    NO_LONGER_IN_FORCE = "no_longer_in_force", _("No longer in force")


STATUS_RANK = Case(
    When(status=Status.IN_FORCE, then=Value(0)),
    When(status=Status.PARTLY_CHANGED, then=Value(1)),
    default=Value(2),
)


class DecisionQuerySet(models.QuerySet):
    def published(self) -> "DecisionQuerySet":
        return self.filter(is_published=True)

    def in_force(self) -> "DecisionQuerySet":
        return self.filter(status=Status.IN_FORCE)

    def citing(
        self,
        paragraphs: "Paragraph | Iterable[Paragraph | int] | models.QuerySet | None" = None,
        *,
        law: "Law | str | None" = None,
        subsection: int | None = None,
    ) -> "DecisionQuerySet":
        """Decisions that cite any of `paragraphs` (rows, ids or a queryset), or with `law` (a law or
        its slug) any paragraph of that law; with `subsection`, only those citing that subsection or
        the paragraph as a whole. One EXISTS: each decision once, however often it cites them."""
        references = ParagraphReference.objects.filter(decision=OuterRef("pk"))
        return citing(self, references, paragraphs, law, subsection)

    def in_force_first(self) -> "DecisionQuerySet":
        return self.order_by("status_rank", "-decided_on", "-pk")

    def for_list(self) -> "DecisionQuerySet":
        """What a list of decisions shows, with the decisions that replaced or changed each one and
        those it changes in part. Call `add_list_relations()` on the page's decisions too."""
        return (
            self.select_related("area")
            .defer("body", "practice_note", "citations", "search_vector")
            .prefetch_related(
                models.Prefetch(
                    "relations_to",
                    queryset=Relation.objects.filter(
                        kind__in=[Relation.Kind.REPLACES, Relation.Kind.CHANGES], source__is_published=True
                    )
                    .select_related("source")
                    .order_by("kind", "-source__decided_on"),
                    to_attr="superseded_by",
                ),
                models.Prefetch(
                    "relations_from",
                    queryset=Relation.objects.filter(kind=Relation.Kind.CHANGES, target__is_published=True)
                    .select_related("target")
                    .order_by("-target__decided_on"),
                    to_attr="changes_made",
                ),
            )
        )


class Decision(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, validators=[number_validator])
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), help_text=_("The holding: “Principmeddelelsen fastslår, at …”"))
    body = models.TextField(_("full text"), help_text=_("The case, the rules and the reasoning."))
    practice_note = models.TextField(
        _("how to use the decision in practice"),
        blank=True,
        help_text=_("A short note for caseworkers, preferably with a concrete example."),
    )
    decided_on = models.DateField(_("decided on"))
    published_on = models.DateField(_("published on"), null=True, blank=True)
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published decisions are shown to the public.")
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="decisions")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.IN_FORCE)
    # In force first, then partly changed, then the rest: stored so that lists sort by an index.
    status_rank = models.GeneratedField(
        expression=STATUS_RANK, output_field=models.PositiveSmallIntegerField(), db_persist=True
    )
    keywords = ArrayField(
        models.CharField(max_length=100), verbose_name=_("keywords"), blank=True, default=list
    )
    citations = models.TextField(
        _("paragraphs"),
        help_text=_("One citation per line, e.g. “SEL § 100, stk. 1” or “§ 9 c i retssikkerhedsloven”."),
    )
    paragraphs = models.ManyToManyField(
        Paragraph, through="ParagraphReference", related_name="decisions", verbose_name=_("paragraphs")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Weighted Danish full-text vector, kept current by a database trigger (migration 0005):
    # number, title, citations and keywords weigh most, then summary, practice note, body.
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "status_rank", "search_vector"])
    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-pk"]
        verbose_name = _("principle decision")
        verbose_name_plural = _("principle decisions")
        permissions = [("publish_decision", _("Can publish decisions and change their status"))]
        indexes = [
            models.Index(
                F("published_on").desc(nulls_last=True),
                F("decided_on").desc(),
                F("id").desc(),
                name="decision_newest",
                condition=Q(is_published=True),
            ),
            models.Index(
                fields=["area", "status_rank", "-decided_on", "-id"],
                name="decision_area_in_force_first",
                condition=Q(is_published=True),
            ),
            models.Index(
                fields=["status_rank", "-decided_on", "-id"],
                name="decision_in_force_first",
                condition=Q(is_published=True),
            ),
            models.Index(fields=["updated_at", "id"], name="decision_updated"),
            GinIndex(fields=["search_vector"], name="decision_search_vector"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if (reason := self._needs_publisher()) is not None:
            require_publisher(reason)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("decisions:detail", args=[self.number])

    def delete(self, *args, **kwargs):
        if self.is_published or Decision.objects.filter(pk=self.pk, is_published=True).exists():
            require_publisher(_("Only publishers may delete a published decision."))
        return super().delete(*args, **kwargs)

    @property
    def cite_as(self) -> str:
        return f"Ankestyrelsens principafgørelse {self.number}"

    def _needs_publisher(self) -> str | None:
        """Why this save needs a publisher: it publishes, unpublishes, changes the status, or
        changes a published decision. None for a draft that stays a draft."""
        stored = (
            Decision.objects.filter(pk=self.pk).values("is_published", "status").first() if self.pk else None
        )
        if self.is_published and not (stored and stored["is_published"]):
            return _("Only publishers may publish a decision.")
        if stored and stored["is_published"]:
            return _("Only publishers may change a published decision.")
        if self.status != (stored["status"] if stored else Status.IN_FORCE):
            return _("Only publishers may change a decision's status.")
        return None

    @property
    def in_force(self) -> bool:
        return self.status == Status.IN_FORCE

    def current_successors(self) -> list["Decision"]:
        """The published decisions that replace this one and are themselves still (partly) in force,
        following a chain of replacements (C-16-99 → 7-09 → 24-19)."""
        return chain_ends([self])[self.pk]

    def set_references(self, references: list[Reference]) -> None:
        """Makes the decision cite exactly `references`, creating paragraphs that are new."""
        references = list(dict.fromkeys(references))
        paragraphs = Paragraph.objects.ensure((ref.law, ref.section) for ref in references)
        self.references.all().delete()
        ParagraphReference.objects.bulk_create(
            ParagraphReference(
                decision=self,
                paragraph_id=paragraphs[reference.law, reference.section],
                subsection=reference.subsection,
                item=reference.item,
                position=position,
            )
            for position, reference in enumerate(references)
        )


def chain_ends(decisions: list[Decision], max_steps: int = 10) -> dict[int, list[Decision]]:
    """For each decision, the published decisions that replace it and are themselves still (partly)
    in force, following chains of replacements (C-16-99 → 7-09 → 24-19). One query per step of the
    longest chain, however many decisions are asked about."""
    found: dict[int, list[Decision]] = {decision.pk: [] for decision in decisions}
    seen = {decision.pk: {decision.pk} for decision in decisions}
    frontier = {decision.pk: {decision.pk} for decision in decisions}
    for _step in range(max_steps):
        wanted = set().union(*frontier.values())
        if not wanted:
            break
        by_target: dict[int, list[Decision]] = {}
        relations = Relation.objects.filter(
            target_id__in=wanted, kind=Relation.Kind.REPLACES, source__is_published=True
        ).select_related("source")
        for relation in relations.order_by("source__decided_on", "source__number"):
            by_target.setdefault(relation.target_id, []).append(relation.source)
        for pk, targets in frontier.items():
            frontier[pk] = set()
            for successor in (s for target in targets for s in by_target.get(target, ())):
                if successor.pk not in seen[pk]:
                    seen[pk].add(successor.pk)
                    if successor.status == Status.NO_LONGER_IN_FORCE:
                        frontier[pk].add(successor.pk)
                    else:
                        found[pk].append(successor)
    return found


def add_list_relations(decisions: list[Decision]) -> None:
    """What a list says under each decision, from what `for_list()` prefetched: `replaced_by`,
    `changed_by` (relations, with their notes) and `use_instead`, the current end of a chain of
    replacements when the replacing decision is itself no longer in force ("Erstattet af 7-09.
    Brug i stedet: 24-19")."""
    for decision in decisions:
        relations = getattr(decision, "superseded_by", ())
        decision.replaced_by = [r.source for r in relations if r.kind == Relation.Kind.REPLACES]
        decision.changed_by = [r for r in relations if r.kind == Relation.Kind.CHANGES]
    chained = [
        decision
        for decision in decisions
        if any(other.status == Status.NO_LONGER_IN_FORCE for other in decision.replaced_by)
    ]
    successors = chain_ends(chained) if chained else {}
    for decision in decisions:
        decision.use_instead = [
            other for other in successors.get(decision.pk, []) if other not in decision.replaced_by
        ]


class CitedParagraph(models.Model):
    """A paragraph as a document cites it (down to stk. and nr.), in the document's order: the
    decisions' references, and every other app's (hotline answers). Subclasses add the document
    and the paragraph."""

    subsection = models.PositiveSmallIntegerField(_("subsection (stk.)"), null=True, blank=True)
    item = models.PositiveSmallIntegerField(_("item (nr.)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]
        verbose_name = _("paragraph reference")
        verbose_name_plural = _("paragraph references")

    def __str__(self) -> str:
        return self.citation

    @property
    def reference(self) -> Reference:
        return Reference(self.paragraph.law.slug, self.paragraph.section, self.subsection, self.item)

    @property
    def citation(self) -> str:
        return format_reference(self.reference, self.paragraph.law.short_name)


def citing(
    queryset: models.QuerySet,
    references: models.QuerySet,
    paragraphs=None,
    law: "Law | str | None" = None,
    subsection: int | None = None,
) -> models.QuerySet:
    """`queryset` limited to the documents whose `references` (a CitedParagraph queryset already
    tied to OuterRef("pk")) cite any of `paragraphs` (rows, ids or a queryset), or any paragraph of
    `law` (a law or its slug); with `subsection`, only those citing it or the whole paragraph. One
    EXISTS: each document once, however often it cites them."""
    if paragraphs is not None:
        references = references.filter(
            paragraph__in=[paragraphs] if isinstance(paragraphs, Paragraph) else paragraphs
        )
    if isinstance(law, str):
        references = references.filter(paragraph__law__slug=law)
    elif law is not None:
        references = references.filter(paragraph__law=law)
    if subsection is not None:
        references = references.filter(Q(subsection=subsection) | Q(subsection=None))
    return queryset.filter(Exists(references))


class ParagraphReference(CitedParagraph):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="references")
    paragraph = models.ForeignKey(Paragraph, on_delete=models.PROTECT, related_name="references")

    class Meta(CitedParagraph.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "paragraph", "subsection", "item"],
                name="unique_reference",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["paragraph", "decision"], name="reference_paragraph")]


MAX_NOTE = 1000


class Relation(models.Model):
    class Kind(models.TextChoices):
        REPLACES = "replaces", _("replaces")
        CHANGES = "changes", _("changes")
        SEE_ALSO = "see_also", _("see also")

    source = models.ForeignKey(
        Decision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="relations_from"
    )
    target = models.ForeignKey(
        Decision, verbose_name=_("related decision"), on_delete=models.CASCADE, related_name="relations_to"
    )
    kind = models.CharField(_("relation"), max_length=20, choices=Kind.choices)
    note = models.TextField(
        _("what changed"),
        blank=True,
        max_length=MAX_NOTE,
        validators=[validate_text],
        help_text=_(
            "For a decision that changes another in part: what no longer applies, in one or two "
            "sentences, e.g. “The part about transport no longer applies.”"
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-target__decided_on"]
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="unique_relation"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relation_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source.number} {self.get_kind_display()} {self.target.number}"

    def save(self, *args, **kwargs) -> None:
        self._check_publisher()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_publisher()
        return super().delete(*args, **kwargs)

    def _check_publisher(self) -> None:
        """A published decision's relations are part of what the public sees."""
        sources = {self.source_id}
        if self.pk:
            sources |= set(Relation.objects.filter(pk=self.pk).values_list("source_id", flat=True))
        if Decision.objects.filter(pk__in=sources, is_published=True).exists():
            require_publisher(_("Only publishers may change the relations of a published decision."))


# Changes by transactions that have ended: every transaction older than the oldest one still
# running. Nothing can later appear before them, so a cursor past them never misses a change. (A
# transaction's own changes count as settled for itself.)
# Positions are transaction ids plus a shift (decisions/changes.py).
SETTLED = (
    "(xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint + decisions_feed_shift() "
    "OR xid = pg_current_xact_id_if_assigned()::text::bigint + decisions_feed_shift())"
)


class DecisionChangeQuerySet(models.QuerySet):
    def settled(self) -> "DecisionChangeQuerySet":
        return self.filter(RawSQL(SETTLED, [], output_field=models.BooleanField()))  # noqa: S611 - constant SQL


class DecisionChange(models.Model):
    """The latest change to each decision the public has seen: the change feed municipal systems
    mirror from. One row per decision number, rewritten by database triggers (migration 0009) on
    every write that changes what the API shows of a decision, however it is made (the admin, a
    bulk update, the import's COPY). Rows are never written from Python."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        UNPUBLISHED = "unpublished", _("unpublished")
        DELETED = "deleted", _("deleted")

    number = models.CharField(_("number"), max_length=20, unique=True)
    decision_id = models.BigIntegerField(null=True)  # no foreign key: the row outlives its decision
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    at = models.DateTimeField(_("changed at"))
    # The writing transaction's id and a sequence number: the feed's order. A transaction that
    # commits late cannot slip in behind a cursor already handed out, because the feed only
    # shows transactions older than every one still running (see DecisionChangeQuerySet).
    xid = models.BigIntegerField()
    seq = models.BigIntegerField()

    objects = DecisionChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision change")
        verbose_name_plural = _("decision changes")
        indexes = [
            models.Index(fields=["xid", "seq"], name="decision_change_feed"),
            models.Index(fields=["at"], name="decision_change_at"),
            models.Index(fields=["decision_id"], name="decision_change_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.action} {self.at:%Y-%m-%d %H:%M:%S}"


class Synonym(models.Model):
    """Words that mean the same to the people searching: “hjemmehjælp” ↔ “praktisk hjælp”.
    Both ways: a search for any of them also finds the others, and the literal match still ranks first."""

    term = models.CharField(_("word or phrase"), max_length=100, unique=True)
    alternatives = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("means the same as"),
        help_text=_("Words or phrases, separated by commas."),
    )

    class Meta:
        ordering = ["term"]
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")

    def __str__(self) -> str:
        return f"{self.term} ↔ {', '.join(self.alternatives)}"

    def save(self, *args, **kwargs) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before the uniqueness check, so "Handicapbil" is found to exist as "handicapbil".
        self.term = " ".join((self.term or "").lower().split())
        self.alternatives = [" ".join(alt.lower().split()) for alt in self.alternatives or [] if alt.strip()]


COUNTS_VERSION_KEY = "decisions:version"


def decisions_changed(**_kwargs) -> None:
    """Makes cached figures about decisions (the counts per paragraph) stale: now, for this
    transaction's own reads, and again at commit, in case another request cached the old figures
    in between."""
    _new_counts_version()
    transaction.on_commit(_new_counts_version)


def _new_counts_version() -> None:
    try:
        cache.incr(COUNTS_VERSION_KEY)
    except ValueError:  # not set yet
        cache.set(COUNTS_VERSION_KEY, 1, None)


def cached_count(name: str, queryset: models.QuerySet) -> int:
    """`queryset.count()`, cached until a decision changes: lists of 100 000 decisions need not
    count them on every page."""
    key = f"decisions:count:{name}:{cache.get_or_set(COUNTS_VERSION_KEY, 1, None)}"
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, 24 * 3600)
    return count


class Counts(NamedTuple):
    in_force: int
    partly_changed: int
    no_longer_in_force: int
    total: int

    @property
    def applying(self) -> int:
        """Decisions that apply, wholly or in part: a partly changed decision still applies in part."""
        return self.in_force + self.partly_changed

    def as_json(self) -> dict[str, int]:
        return {**self._asdict(), "applying": self.applying}


def paragraph_counts() -> dict[int, Counts]:
    """Published decisions per paragraph id, by status. Cached until a decision changes."""
    references = ParagraphReference.objects.filter(decision__is_published=True)
    return _counts("paragraph", references, "paragraph_id", "decision_id", "decision__status")


def law_counts() -> dict[int, Counts]:
    """Published decisions per law id, by status; a decision citing a law twice counts once."""
    references = ParagraphReference.objects.filter(decision__is_published=True)
    return _counts("law", references, "paragraph__law_id", "decision_id", "decision__status")


def area_counts() -> dict[int, Counts]:
    """Published decisions per area id, by status."""
    return _counts("area", Decision.objects.published(), "area_id", "id", "status")


def _counts(name: str, rows: models.QuerySet, group: str, decision: str, status: str) -> dict[int, Counts]:
    # The key names the shape of the value too, so a new release never reads an older shape.
    key = f"decisions:{name}-counts-by-status:{cache.get_or_set(COUNTS_VERSION_KEY, 1, None)}"
    counts = cache.get(key)
    if counts is None:
        by_status = {
            value: Count(decision, distinct=True, filter=Q(**{status: value})) for value in Status.values
        }
        rows = (
            rows.values(group)
            .annotate(**by_status, total=Count(decision, distinct=True))
            .values_list(group, *Status.values, "total")
        )
        counts = {row[0]: Counts(*row[1:]) for row in rows}
        cache.set(key, counts, 24 * 3600)
    return counts


NO_DECISIONS = Counts(0, 0, 0, 0)


def last_change() -> datetime.datetime | None:
    """When anything the API shows last changed: a decision (settled changes only, as the change
    feed shows them), or a law, paragraph or area. One query, each part from an index."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT GREATEST((SELECT max(at) FROM decisions_decisionchange WHERE {SETTLED}), "  # noqa: S608
            "(SELECT max(updated_at) FROM decisions_law), (SELECT max(updated_at) FROM decisions_paragraph), "
            "(SELECT max(updated_at) FROM decisions_area))"
        )
        return cursor.fetchone()[0]


class Amendment(models.Model):
    """A change to a law that staff record, such as "Lov nr. 1234 af 12. juni 2024": the paragraphs
    it changes and the day it takes effect. From that day, decision pages citing those paragraphs
    say that the law changed after the decision, and hotline answers citing them that were last
    verified before it need review (hotline/flagging.py)."""

    law = models.ForeignKey(Law, verbose_name=_("law"), on_delete=models.PROTECT, related_name="amendments")
    title = models.CharField(
        _("title"),
        max_length=200,
        validators=[validate_text],
        help_text=_("e.g. “Lov nr. 1234 af 12. juni 2024”"),
    )
    takes_effect_on = models.DateField(_("takes effect on"), db_index=True)
    citations = models.TextField(
        _("paragraphs changed"), help_text=_("One citation per line, e.g. “SEL § 100”; all of the same law.")
    )
    paragraphs = models.ManyToManyField(Paragraph, related_name="amendments", verbose_name=_("paragraphs"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-takes_effect_on", "-pk"]
        verbose_name = _("law amendment")
        verbose_name_plural = _("law amendments")

    def __str__(self) -> str:
        return self.title

    @property
    def in_effect(self) -> bool:
        return self.takes_effect_on <= timezone.localdate()

    @property
    def shown_paragraphs(self) -> str:
        """`SEL § 100, § 101`: the paragraphs it changes, as a reader scans them."""
        paragraphs = sorted(self.paragraphs.all(), key=lambda p: (p.number, p.letter))
        return f"{self.law.abbreviation} " + ", ".join(p.display for p in paragraphs)


def amendments_after(decision: Decision) -> list[Amendment]:
    """The amendments to the paragraphs `decision` cites that take effect after it was decided,
    earliest first: those in effect, and those announced."""
    return list(
        Amendment.objects.filter(
            paragraphs__references__decision=decision, takes_effect_on__gt=decision.decided_on
        )
        .distinct()
        .select_related("law")
        .prefetch_related("paragraphs")
        .order_by("takes_effect_on", "pk")
    )


class FeedReader(models.Model):
    """Where a reader inside the portal (the hotline's flagging, a digest) has read a change feed
    up to: stored in the same transaction as what it did with the changes, so that each change is
    acted on once, and none is skipped (decisions/changes.py)."""

    name = models.CharField(max_length=100, unique=True)
    xid = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("feed reader")
        verbose_name_plural = _("feed readers")

    def __str__(self) -> str:
        return self.name
