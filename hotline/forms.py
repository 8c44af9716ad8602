from django import forms
from django.utils.translation import gettext_lazy as _

from decisions.citations import clean_citations
from decisions.models import Area
from hotline.municipalities import MUNICIPALITIES
from portal.guard import GuardedFormMixin

MAX_QUESTION = 5000
MAX_REASON = 500


class QuestionForm(GuardedFormMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your work e-mail"),
        max_length=254,
        help_text=_("The receipt and the answer are sent here. Use your address at the municipality."),
    )
    municipality = forms.ChoiceField(
        label=_("Municipality"),
        choices=[("", _("Choose the municipality"))] + [(m, m) for m in MUNICIPALITIES],
    )
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.all(), empty_label=_("Choose the area"), to_field_name="slug"
    )
    question = forms.CharField(
        label=_("Your question"),
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Ask about the rules in general. Leave out names, CPR numbers and other details that identify "
            "a citizen: describe the situation instead."
        ),
    )
    citations = forms.CharField(
        label=_("Paragraphs"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. “SEL § 100” or “§ 11 i aktivloven”."),
    )

    def clean_citations(self) -> str:
        text = self.cleaned_data["citations"]
        return clean_citations(text, required=False)[0] if text.strip() else ""


class ReportForm(GuardedFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("What is out of date?"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For instance the rule or the decision that changed. Do not write about a citizen."),
    )
