"""The API's OpenAPI schema: the answers every endpoint can give besides 200. (Apart from
portal/api.py because drf-spectacular's AutoSchema imports DRF's views, which import the
authentication that portal/api.py defines.)"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, in words.")


PARAMETER_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": "Each wrong parameter with what is wrong with it.",
    "example": {"paragraph": ["Ukendt lov »SKL« i »SKL § 3«."]},
}
ERRORS = {
    "304": (
        None,
        "Not modified: the `ETag` of `If-None-Match` (or the date of `If-Modified-Since`) is current.",
    ),
    "400": (PARAMETER_ERRORS, "A parameter is unknown, given twice, empty or not understood."),
    "401": (ErrorSerializer, "The API key is not valid, was revoked, or its client is deactivated."),
    "429": (ErrorSerializer, "Over the rate limit: `Retry-After` gives the seconds to wait."),
}


class ApiSchema(AutoSchema):
    """Documents the error answers of every endpoint, so that clients (and the schemathesis test)
    can rely on the schema for them too."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS)
        if "{" in self.path:
            errors["404"] = (ErrorSerializer, "Nothing has that identifier.")
        for code, (serializer, description) in errors.items():
            if code not in responses:
                response = OpenApiResponse(response=serializer, description=description)
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
