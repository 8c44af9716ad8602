from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from decisions.citations import (
    CitationError,
    clean_citations,
    normalize_section,
    split_section,
)
from decisions.models import Amendment, Area, Decision, Law, Paragraph, Relation, Status, Synonym
from portal.guard import GuardedModelForm, parse_int
from portal.roles import PUBLISH_DECISIONS


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    form = GuardedModelForm
    list_display = ["name", "slug", "order"]
    prepopulated_fields = {"slug": ["name"]}


class LawForm(GuardedModelForm):
    aliases = forms.CharField(
        label=_("aliases"),
        required=False,
        help_text=_("Other names the law is cited by, separated by commas."),
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = Law
        fields = ["slug", "title", "short_name", "abbreviation", "aliases", "area", "url"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["aliases"] = ", ".join(self.instance.aliases or [])

    def clean_aliases(self) -> list[str]:
        return [alias.strip() for alias in self.cleaned_data["aliases"].split(",") if alias.strip()]


@admin.register(Law)
class LawAdmin(admin.ModelAdmin):
    form = LawForm
    list_display = ["short_name", "abbreviation", "title", "area"]
    list_filter = ["area"]
    search_fields = ["short_name", "abbreviation", "title"]
    prepopulated_fields = {"slug": ["short_name"]}


class SynonymForm(GuardedModelForm):
    alternatives = forms.CharField(
        label=_("means the same as"),
        help_text=_("Words or phrases, separated by commas."),
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = Synonym
        fields = ["term", "alternatives"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["alternatives"] = ", ".join(self.instance.alternatives or [])

    def clean_alternatives(self) -> list[str]:
        alternatives = [item.strip() for item in self.cleaned_data["alternatives"].split(",") if item.strip()]
        if not alternatives:
            raise forms.ValidationError(gettext("Give at least one word or phrase."))
        return alternatives


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    form = SynonymForm
    list_display = ["term", "alternatives"]
    search_fields = ["term", "alternatives"]


class ParagraphForm(GuardedModelForm):
    class Meta:
        model = Paragraph
        fields = ["law", "section", "heading"]

    def clean_section(self) -> str:
        section = normalize_section(self.cleaned_data["section"])
        try:
            split_section(section)
        except CitationError as error:
            raise forms.ValidationError(str(error)) from None
        return section


@admin.register(Paragraph)
class ParagraphAdmin(admin.ModelAdmin):
    form = ParagraphForm
    list_display = ["__str__", "heading"]
    list_filter = ["law"]
    list_select_related = ["law"]
    search_fields = ["section", "heading", "law__short_name", "law__abbreviation"]
    ordering = ["law__short_name", "number", "letter"]

    def has_change_permission(self, request: HttpRequest, obj: Paragraph | None = None) -> bool:
        """What published decisions cite is public: only publishers change it."""
        if obj is not None and not request.user.has_perm(PUBLISH_DECISIONS) and obj.cited_by_published():
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Paragraph | None = None) -> list[str]:
        # A cited paragraph's law and section are what its decisions' citations say: to move a
        # citation, edit the decisions.
        if obj is not None and obj.references.exists():
            return ["law", "section"]
        return []


class DecisionForm(GuardedModelForm):
    class Meta:
        model = Decision
        fields = [
            "number",
            "title",
            "area",
            "status",
            "is_published",
            "decided_on",
            "published_on",
            "summary",
            "practice_note",
            "body",
            "citations",
            "keywords",
        ]
        widgets = {
            "title": forms.TextInput(attrs={"size": 90}),
            "citations": forms.Textarea(attrs={"rows": 4, "cols": 60}),
            "keywords": forms.TextInput(attrs={"size": 80}),
        }

    def clean_citations(self) -> str:
        """Every line must be a citation of a known law; the stored text is the canonical form."""
        text, self.references = clean_citations(self.cleaned_data["citations"])
        return text


class RelationFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        # Django's tabular inline names each column once, in the table's header, and gives the
        # fields in its rows no label: a screen reader would meet unnamed controls.
        for field in form.fields.values():
            if field.label:
                field.widget.attrs.setdefault("aria-label", field.label)

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            target = form.cleaned_data.get("target") if hasattr(form, "cleaned_data") else None
            if target is not None and self.instance.pk and target.pk == self.instance.pk:
                form.add_error("target", gettext("A decision cannot be related to itself."))


class RelationInline(admin.TabularInline):
    model = Relation
    form = GuardedModelForm
    formset = RelationFormSet
    fk_name = "source"
    extra = 0
    fields = ["kind", "target", "note"]
    autocomplete_fields = ["target"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 32})}}
    verbose_name = _("relation to another decision")
    verbose_name_plural = _("relations to other decisions (this decision replaces, changes or points to)")


class LawFilter(admin.SimpleListFilter):
    title = _("law")
    parameter_name = "law"

    def lookups(self, request, model_admin):
        return Law.objects.values_list("slug", "short_name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.citing(law=self.value())
        return queryset


def partly_changed_unexplained(queryset):
    """Decisions marked partly changed that no decision is recorded as changing: the public page
    cannot say what changed."""
    changing = Relation.objects.filter(target=OuterRef("pk"), kind=Relation.Kind.CHANGES)
    return queryset.filter(status=Status.PARTLY_CHANGED).exclude(Exists(changing))


def changed_but_in_force(queryset):
    """Decisions that a published decision changes in part, still marked in force."""
    changing = Relation.objects.filter(
        target=OuterRef("pk"), kind=Relation.Kind.CHANGES, source__is_published=True
    )
    return queryset.filter(Exists(changing), status=Status.IN_FORCE)


class ConsistencyFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"
    CHECKS = {
        "unexplained": (
            _("Partly changed, but no decision recorded as changing it"),
            partly_changed_unexplained,
        ),
        "changed_in_force": (_("Changed in part by a decision, but marked in force"), changed_but_in_force),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _check) in self.CHECKS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.CHECKS:
            return self.CHECKS[self.value()][1](queryset)
        return queryset


class YearFilter(admin.SimpleListFilter):
    title = _("year decided")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Decision.objects.dates("decided_on", "year", order="DESC")
        return [(str(year.year), str(year.year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        year = parse_int(self.value(), minimum=1, maximum=9999)
        if year is None:  # the admin shows its "invalid filter" notice and the unfiltered list
            raise IncorrectLookupParameters(gettext("The year must be written with four digits."))
        return queryset.filter(decided_on__year=year)


def _id(text: str) -> int | None:
    return parse_int(text, minimum=1, maximum=2**63 - 1)


class ReplacementForm(forms.Form):
    replacement = forms.CharField(
        label=_("Replaced by decision number"),
        required=False,
        max_length=20,
        help_text=_(
            "The number of the decision that replaces the selected ones, e.g. 12-19 (may be left empty)."
        ),
    )

    def __init__(self, *args, selected=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.selected = selected

    def clean_replacement(self) -> Decision | None:
        number = self.cleaned_data["replacement"].strip()
        if not number:
            return None
        decision = Decision.objects.filter(number__iexact=number).first()
        if decision is None:
            raise forms.ValidationError(gettext("There is no decision %(number)s.") % {"number": number})
        if decision.pk in self.selected:
            raise forms.ValidationError(gettext("A decision cannot replace itself."))
        if decision.status == Status.NO_LONGER_IN_FORCE:
            raise forms.ValidationError(
                gettext("%(number)s is itself no longer in force.") % {"number": decision.number}
            )
        return decision


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    form = DecisionForm
    inlines = [RelationInline]
    # Fits 1280 px beside the admin's menu and the filters: the area is a filter, and the change
    # form's "View on site" leads to the public page.
    list_display = ["number", "title", "status", "decided_on", "is_published"]
    list_display_links = ["number", "title"]
    list_filter = ["is_published", "status", ConsistencyFilter, "area", LawFilter, YearFilter]
    list_select_related = ["area"]
    search_fields = ["number", "title", "summary", "keywords"]
    ordering = ["-decided_on", "-pk"]
    actions = ["mark_no_longer_in_force"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["number", "title", "area", "status", "is_published", "decided_on", "published_on"]},
        ),
        (_("Content"), {"fields": ["summary", "practice_note", "body"]}),
        (_("Paragraphs and keywords"), {"fields": ["citations", "keywords"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Decision | None = None) -> list[str]:
        if getattr(request, "revert_refused", False):  # a version the user may look at, not revert to
            return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(PUBLISH_DECISIONS):
            readonly += ["status", "is_published"]  # editors write drafts; publishers publish
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Decision | None = None) -> bool:
        if obj is not None and obj.is_published and not request.user.has_perm(PUBLISH_DECISIONS):
            return False
        return super().has_change_permission(request, obj)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_DECISIONS)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        if _id(object_id) is None:  # simple_history would hand "²" or "abc" to the database
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        """The revert form. simple_history checks only the view permission; reverting is a change,
        and reverting to a published version, or a published decision, is publishing."""
        if _id(object_id) is None or _id(version_id) is None:
            raise Http404
        current = self.get_object(request, object_id)
        version = Decision.history.filter(id=current.pk, history_id=version_id).first() if current else None
        if current is None or version is None:
            raise Http404
        request.revert_refused = not self._may_revert(request, current, version)
        if request.method == "POST" and request.revert_refused:
            raise PermissionDenied(
                gettext("Only publishers may revert a published decision or revert to a published version.")
            )
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view_title(self, request: HttpRequest, obj) -> str:
        return gettext("History of %(decision)s") % {"decision": obj}

    def history_form_view_title(self, request: HttpRequest, obj) -> str:
        if getattr(request, "revert_refused", False):
            return gettext("%(decision)s, an earlier version") % {"decision": obj}
        return gettext("Revert %(decision)s to an earlier version") % {"decision": obj}

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        current = Decision.objects.filter(pk=obj.pk).first() if obj is not None else None
        if current is not None and not self._may_revert(request, current, obj):
            return True
        return super().revert_disabled(request, obj)

    def _may_revert(self, request: HttpRequest, current: Decision, version) -> bool:
        if not self.has_change_permission(request, current):
            return False
        if request.user.has_perm(PUBLISH_DECISIONS):
            return True
        return not version.is_published and version.status == current.status

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if request.method == "GET" and "attention" not in request.GET:
            for key, (label, check) in ConsistencyFilter.CHECKS.items():
                count = check(Decision.objects.all()).count()
                if count:
                    self.message_user(
                        request,
                        format_html(
                            '{} <a href="?attention={}">{}</a>',
                            gettext("%(label)s: %(count)d.") % {"label": label, "count": count},
                            key,
                            gettext("Show them"),
                        ),
                        messages.WARNING,
                    )
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        if request.method == "GET" and (pk := _id(object_id)) is not None:
            decision = Decision.objects.filter(pk=pk)
            if partly_changed_unexplained(decision).exists():
                self.message_user(
                    request,
                    gettext(
                        "This decision is marked partly changed, but no decision is recorded as changing "
                        "it, so its page cannot say what changed. Add a “changes” relation, with a note, "
                        "on the newer decision."
                    ),
                    messages.WARNING,
                )
            elif changed_but_in_force(decision).exists():
                self.message_user(
                    request,
                    gettext("A published decision changes this one in part, but it is marked in force."),
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request: HttpRequest, form: DecisionForm, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.set_references(form.references)

    @admin.action(
        description=_("Mark as no longer in force (asks for the replacing decision)"), permissions=["publish"]
    )
    def mark_no_longer_in_force(self, request: HttpRequest, queryset) -> HttpResponse | None:
        selected = set(queryset.values_list("pk", flat=True))
        form = ReplacementForm(request.POST if "confirm" in request.POST else None, selected=selected)
        if "confirm" in request.POST and form.is_valid():
            replacement = form.cleaned_data["replacement"]
            with transaction.atomic():
                for decision in queryset:
                    decision.status = Status.NO_LONGER_IN_FORCE
                    decision._change_reason = gettext("Marked as no longer in force")
                    decision.save()
                    if replacement:
                        Relation.objects.get_or_create(
                            source=replacement, target=decision, kind=Relation.Kind.REPLACES
                        )
            self.message_user(
                request,
                gettext("%(count)d decision(s) marked as no longer in force.") % {"count": queryset.count()},
                messages.SUCCESS,
            )
            return None
        return render(
            request,
            "admin/decisions/mark_no_longer_in_force.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Mark as no longer in force"),
                "decisions": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "changelist_url": reverse("admin:decisions_decision_changelist"),
            },
        )


class AmendmentForm(GuardedModelForm):
    class Meta:
        model = Amendment
        fields = ["law", "title", "takes_effect_on", "citations"]
        widgets = {"citations": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def clean(self) -> dict:
        data = super().clean()
        text, law = data.get("citations"), data.get("law")
        if text and law:
            try:
                data["citations"], self.references = clean_citations(text)
            except forms.ValidationError as error:
                self.add_error("citations", error)
                return data
            other = sorted({ref.law for ref in self.references} - {law.slug})
            if other:
                self.add_error(
                    "citations", gettext("Every paragraph must be of %(law)s.") % {"law": law.short_name}
                )
        return data


@admin.register(Amendment)
class AmendmentAdmin(admin.ModelAdmin):
    form = AmendmentForm
    list_display = ["title", "law", "takes_effect_on"]
    list_filter = ["law"]
    search_fields = ["title"]

    def save_related(self, request: HttpRequest, form: AmendmentForm, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        ids = Paragraph.objects.ensure((ref.law, ref.section) for ref in form.references)
        form.instance.paragraphs.set(list(ids.values()))
