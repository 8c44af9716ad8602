"""API keys, rate limits and CORS."""

import datetime

import pytest
from django.utils import timezone

from portal.models import ApiClient, ApiKey, hash_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client_key() -> tuple[ApiClient, str]:
    client = ApiClient.objects.create(organisation="Aarhus Kommune", contact_email="it@aarhus.dk")
    _api_key, key = client.issue_key()
    return client, key


def test_a_key_is_stored_only_as_a_hash(api_client_key):
    client, key = api_client_key
    stored = ApiKey.objects.get(client=client)

    assert key.startswith("pp_")
    assert len(key) > 40
    assert stored.hashed == hash_key(key)
    assert key not in {stored.hashed, stored.prefix}
    assert key.startswith(stored.prefix)


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_a_key_is_accepted_as_bearer_or_token_and_its_use_recorded(client, api_client_key, scheme):
    api_client, key = api_client_key

    response = client.get("/api/v1/laws/", headers={"authorization": f"{scheme} {key}"})

    assert response.status_code == 200
    assert ApiKey.objects.get(client=api_client).last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(client, api_client_key):
    api_client, key = api_client_key
    headers = {"authorization": f"Bearer {key}"}
    client.get("/api/v1/areas/", headers=headers)
    first_use = ApiKey.objects.get(client=api_client).last_used_at

    client.get("/api/v1/areas/", headers=headers)

    assert ApiKey.objects.get(client=api_client).last_used_at == first_use


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer pp_not-a-key", "not valid"),
        ("Bearer two words", "no spaces"),
        ("Bearer", "no spaces"),
    ],
)
def test_a_wrong_key_is_401_with_a_clear_message(client, header, message):
    client.cookies["django_language"] = "en"

    response = client.get("/api/v1/laws/", headers={"authorization": header})

    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_key_is_401_saying_so(client, api_client_key):
    client.cookies["django_language"] = "en"
    api_client, key = api_client_key
    ApiKey.objects.filter(client=api_client).update(revoked_at=timezone.now())

    response = client.get("/api/v1/laws/", headers={"authorization": f"Bearer {key}"})

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_deactivated_client_is_401(client, api_client_key):
    client.cookies["django_language"] = "en"
    api_client, key = api_client_key
    ApiClient.objects.filter(pk=api_client.pk).update(is_active=False)

    response = client.get("/api/v1/laws/", headers={"authorization": f"Bearer {key}"})

    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


def test_anonymous_callers_are_limited_with_retry_after(client, settings):
    settings.API_ANONYMOUS_RATE = "3/minute"
    statuses = [client.get("/api/v1/areas/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/areas/")
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_client_has_its_own_limit_across_its_keys(client, settings, api_client_key):
    settings.API_ANONYMOUS_RATE = "1/minute"
    settings.API_CLIENT_RATE = "3/minute"
    api_client, key = api_client_key
    _second, other_key = api_client.issue_key()

    statuses = [
        client.get("/api/v1/areas/", headers={"authorization": f"Bearer {k}"}).status_code
        for k in (key, other_key, key, other_key)
    ]

    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/areas/").status_code == 200  # anonymous: counted apart


def test_a_client_rate_set_by_staff_overrides_the_default(client, settings, api_client_key):
    settings.API_CLIENT_RATE = "1/minute"
    api_client, key = api_client_key
    ApiClient.objects.filter(pk=api_client.pk).update(rate="5/minute")
    headers = {"authorization": f"Bearer {key}"}

    assert [client.get("/api/v1/areas/", headers=headers).status_code for _ in range(3)] == [200, 200, 200]


def test_a_bad_rate_is_a_form_error():
    from django.core.exceptions import ValidationError

    client = ApiClient(organisation="Odense Kommune", contact_email="it@odense.dk", rate="many")

    with pytest.raises(ValidationError) as error:
        client.full_clean()
    assert "rate" in error.value.message_dict


def test_cors_is_off_by_default(client):
    response = client.get("/api/v1/areas/", headers={"origin": "https://fagsystem.example.dk"})

    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_configured_origins_on_the_api_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://fagsystem.example.dk"]
    origin = {"origin": "https://fagsystem.example.dk"}

    api = client.get("/api/v1/areas/", headers=origin)
    page = client.get("/principafgoerelser/", headers=origin)

    assert api["access-control-allow-origin"] == "https://fagsystem.example.dk"
    assert "ETag" in api["access-control-expose-headers"]
    assert "access-control-allow-origin" not in page.headers


def test_the_api_is_read_only(client):
    response = client.post("/api/v1/decisions/", {}, content_type="application/json")

    assert response.status_code == 405


def test_staff_issue_a_key_that_is_shown_once(admin_client):
    response = admin_client.post(
        "/admin/portal/apiclient/add/",
        {
            "organisation": "Vejle Kommune",
            "contact_email": "it@vejle.dk",
            "is_active": "on",
            "rate": "",
            "notes": "",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    key = response.context["issued"][0]["key"]
    assert key.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(client__organisation="Vejle Kommune")
    assert api_key.hashed == hash_key(key)
    change_page = admin_client.get(f"/admin/portal/apiclient/{api_key.client_id}/change/")
    assert key.encode() not in change_page.content
    assert api_key.prefix.encode() in change_page.content


def test_staff_revoke_keys(admin_client, api_client_key):
    api_client, _key = api_client_key
    api_key = ApiKey.objects.get(client=api_client)

    admin_client.post(
        "/admin/portal/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True
    )

    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


def test_staff_issue_new_keys_to_selected_clients(admin_client, api_client_key):
    api_client, _key = api_client_key

    response = admin_client.post(
        "/admin/portal/apiclient/", {"action": "issue_keys", "_selected_action": [api_client.pk]}
    )

    assert response.status_code == 200
    assert api_client.keys.count() == 2
    assert response.context["issued"][0]["key"].startswith("pp_")


def test_keys_list_shows_when_last_used(admin_client, api_client_key):
    api_client, _key = api_client_key
    ApiKey.objects.filter(client=api_client).update(last_used_at=timezone.now() - datetime.timedelta(days=2))

    response = admin_client.get("/admin/portal/apiclient/")

    assert response.status_code == 200
    assert b"Aarhus Kommune" in response.content
