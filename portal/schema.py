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
BAD_REQUEST = {
    "oneOf": [
        PARAMETER_ERRORS,
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
            "additionalProperties": False,
            "description": "The address as a whole cannot be used (it is not valid UTF-8, say).",
        },
    ]
}
ERRORS = {
    "304": (
        None,
        "Not modified: the `ETag` of `If-None-Match` (or the date of `If-Modified-Since`) is current.",
    ),
    "400": (
        BAD_REQUEST,
        "A parameter is unknown, given twice, empty, not understood, or carries a character that is "
        "not allowed (NUL and other control characters).",
    ),
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


# An example for every parameter, for the documentation and for “Try it out”. Path parameters
# named alike differ by endpoint.
EXAMPLES = {
    "area": "social",
    "law": "serviceloven",
    "paragraph": "serviceloven-100",
    "status": "in_force",
    "decided_after": "2020-01-01",
    "decided_before": "2024-12-31",
    "updated_since": "2026-11-01T08:00:00Z",
    "number": "24-19",
    "q": "merudgifter til medicin",
    "cursor": "WyIyMDI2LTExLTIwVDA5OjE1OjAyWiIsMTAyXQ",
    "page_size": 100,
    "since": "WzExMDEsMl0",
    "citation": "servicelovens § 100, stk. 1",
    "year_from": 2019,
    "year_to": 2024,
    "include_historic": True,
    "sort": "newest",
    "page": 2,
    "id": 25,
    "validity": ["current", "needs_review"],
    "reference": "HL-2024-031",
    "type": "hotline",
}
PATH_EXAMPLES = {
    ("/api/v1/areas/{slug}/", "slug"): "social",
    ("/api/v1/laws/{slug}/", "slug"): "serviceloven",
}


def add_parameter_examples(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: fills in `example` where a parameter has none."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if "example" in parameter or "examples" in parameter:
                    continue
                example = PATH_EXAMPLES.get((path, parameter["name"]), EXAMPLES.get(parameter["name"]))
                if example is not None:
                    parameter["example"] = example
    return result
