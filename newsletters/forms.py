from django import forms
from django.utils.translation import gettext_lazy as _

from decisions.citations import clean_citations, parse_citations
from decisions.models import Area, Law, Paragraph
from newsletters.models import Frequency, Kind
from portal.guard import GuardedFormMixin

MAX_CITATIONS = 2000


class TopicsForm(GuardedFormMixin, forms.Form):
    """What a subscriber follows: areas, whole laws and single paragraphs, which kinds of news, and
    how often. At least one topic; a paragraph covers all its subsections."""

    areas = forms.ModelMultipleChoiceField(
        label=_("Areas"),
        queryset=Area.objects.order_by("order"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everything on the area: its decisions, answers and newsletter items."),
    )
    laws = forms.ModelMultipleChoiceField(
        label=_("Whole laws"),
        queryset=Law.objects.order_by("short_name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    citations = forms.CharField(
        label=_("Single paragraphs"),
        required=False,
        max_length=MAX_CITATIONS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line, e.g. “SEL § 100” or “§ 11 i aktivloven”. A paragraph includes all its subsections."
        ),
    )
    kinds = forms.MultipleChoiceField(
        label=_("News"),
        choices=Kind.choices,
        initial=[kind.value for kind in Kind],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of news.")},
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Frequency.choices,
        initial=Frequency.WEEKLY,
        widget=forms.RadioSelect,
        help_text=_(
            "The newsletter itself comes when it is published; "
            "a mail is sent only when there is news for you."
        ),
    )

    def clean_citations(self) -> str:
        text = self.cleaned_data["citations"]
        self.references = []
        if not text.strip():
            return ""
        canonical, self.references = clean_citations(text, required=False)
        # A public form creates no paragraphs (they would show in the API's list): a paragraph
        # that nothing on the portal cites yet is followed through its law.
        known = set(Paragraph.objects.matching(self.references).values_list("law__slug", "section"))
        unknown = []
        for number, line in enumerate(text.splitlines(), start=1):
            for reference in parse_citations([line]).references if line.strip() else []:
                if (reference.law, reference.section) not in known:
                    unknown.append(
                        _(
                            "Line %(number)s: nothing on the portal cites %(citation)s yet; "
                            "follow the whole law instead, and you will hear of it."
                        )
                        % {"number": number, "citation": line.strip()}
                    )
        if unknown:
            raise forms.ValidationError(unknown)
        return canonical

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not (data.get("areas") or data.get("laws") or data.get("citations")):
            raise forms.ValidationError(
                _("Choose at least one area, law or paragraph to follow."), code="no_topics"
            )
        return data


class SubscribeForm(TopicsForm):
    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("We send a link to confirm it; nothing else is sent until you follow it."),
    )

    field_order = ["email", "areas", "laws", "citations", "kinds", "frequency"]


class PreferencesForm(TopicsForm):
    paused = forms.BooleanField(
        label=_("Pause all mail for now"),
        required=False,
        help_text=_("Nothing is sent while paused; what happens meanwhile is not sent later either."),
    )
