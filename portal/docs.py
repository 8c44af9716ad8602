"""The API's documentation as the API serves it: the OpenAPI schema and Swagger UI. (Apart from
portal/schema.py, which DRF imports while it loads its own views.)"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    http_method_names = ["get", "head"]
    """/api/v1/schema/: generated once per process and language, not on every request. It changes
    only with a new release, and generating it takes about 100 ms: a cheap way to load the site.
    `lang` must be one of the site's languages; nothing else is taken but `format`."""

    _generated: dict[tuple[str, str | None], dict] = {}

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        unknown = sorted(set(request.GET) - {"lang", "format"})
        if unknown:
            raise exceptions.ValidationError(
                {
                    unknown[0]: [
                        _("Unknown parameter. This endpoint takes: %(names)s.") % {"names": "format, lang"}
                    ]
                }
            )
        lang = request.GET.get("lang")
        if lang is not None and lang not in dict(settings.LANGUAGES):
            raise exceptions.ValidationError(
                {"lang": [_("One of: %(values)s.") % {"values": ", ".join(dict(settings.LANGUAGES))}]}
            )
        return super().get(request, *args, **kwargs)

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (translation.get_language(), version)
        if key not in self._generated:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            self._generated[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=self._generated[key],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )


class DocsView(SpectacularSwaggerSplitView):
    """/api/docs/: Swagger UI, from our own static files."""

    http_method_names = ["get", "head"]
