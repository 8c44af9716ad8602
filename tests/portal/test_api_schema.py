"""The API against its own OpenAPI schema: generated requests, valid and invalid, never cause a
server error, and every response fits the schema (schemathesis, property-based)."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from decisions.models import Status
from tests.factories import DecisionFactory, replace

# The schema exactly as /api/v1/schema/ serves it, generated without a request.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def decisions(db, settings):
    settings.API_ANONYMOUS_RATE = "1000000/minute"
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    old = DecisionFactory(number="7-09", status=Status.NO_LONGER_IN_FORCE, citations="SEL § 100, stk. 1")
    replace(DecisionFactory(number="24-19", citations="SEL § 100, stk. 1\nAKL § 34"), old)
    DecisionFactory(number="C-16-99", citations="§ 9 c, stk. 2, nr. 3 i retssikkerhedsloven")
    # As Django's test client does: the requests run inside the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("API_EXAMPLES", 30)),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case, decisions):
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            content_type_conformance,
            negative_data_rejection,
        ]
    )


def test_the_served_schema_is_the_one_tested(client):
    served = client.get("/api/v1/schema/", headers={"accept": "application/vnd.oai.openapi+json"}).json()

    assert served == dict(schema.raw_schema)


def test_the_schema_describes_every_parameter_with_an_example(client):
    document = client.get("/api/v1/schema/", headers={"accept": "application/vnd.oai.openapi+json"}).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path}: {parameter['name']}"
                assert parameter.get("description"), where
                assert "example" in parameter or parameter.get("examples"), where
