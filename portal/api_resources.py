"""Building blocks of each app's API (decisions/api.py, and next the hotline's and the
newsletters'): the read-only viewset base, filters for slugs and moments, and how moments are
written. Kept apart from portal/api.py, which REST framework's settings import while it loads."""

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import viewsets

from portal.api import ConditionalGetMixin, KeysetPagination, StrictParametersMixin

SLUG_PATTERN = "[-a-zA-Z0-9_]{1,50}"


def iso(moment: datetime.datetime) -> str:
    """A moment as the API writes it: ISO 8601 in UTC, with a Z."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


class ApiViewSet(ConditionalGetMixin, StrictParametersMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only resource: keyset pages, conditional GET from `get_last_modified()`, unknown
    parameters refused, and the app's `links_class` (absolute URLs built once per request) in the
    serializers' context as `links`."""

    pagination_class = KeysetPagination
    links_class: type | None = None

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.links_class is not None:
            context["links"] = self.links_class(self.request)
        return context


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment with any offset (or none: Danish time), passed on in UTC."""

    def clean(self, value):
        moment = super().clean(value)
        try:
            return moment.astimezone(datetime.UTC) if moment else moment
        except OverflowError:
            raise forms.ValidationError(_("The moment is out of range.")) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class SlugField(forms.CharField):
    """A row named by its slug; an unknown slug is an error that says where the slugs are."""

    def __init__(self, *, queryset: QuerySet, **kwargs) -> None:
        super().__init__(**kwargs)
        self.queryset = queryset

    def clean(self, value: str):
        value = super().clean(value)
        if not value:
            return None
        found = self.queryset.filter(slug=value).first()
        if found is None:
            raise forms.ValidationError(
                _("No %(kind)s has the slug “%(slug)s”; see %(list)s/."),
                params={
                    "kind": self.queryset.model._meta.verbose_name,
                    "slug": value,
                    "list": self.queryset.model._meta.model_name + "s",
                },
            )
        return found


class SlugFilter(django_filters.CharFilter):
    field_class = SlugField
