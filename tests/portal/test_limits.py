"""Limits that cannot be dodged (portal/ratelimit.py): who a caller is, the per-address limits on
the API, wrong API keys, the search page, suggestions and the feed, and the admin login lockout."""

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from portal import ratelimit
from portal.models import ApiClient

pytestmark = pytest.mark.django_db


def address(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return ratelimit.client_address(RequestFactory().get("/", **extra))


def test_without_a_proxy_the_connecting_address_counts_and_x_forwarded_for_is_ignored(settings):
    settings.BEHIND_PROXY = False

    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_behind_a_proxy_the_address_it_appended_counts_not_what_the_client_wrote(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = 1

    assert address("10.0.0.2", "203.0.113.7") == "203.0.113.7"
    assert address("10.0.0.2", "1.1.1.1, 2.2.2.2, 203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_second_entry_from_the_right_counts(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = 2

    assert address("10.0.0.2", "1.1.1.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    assert address("10.0.0.2", "10.0.0.9") == "10.0.0.2"  # fewer entries than proxies: the peer


def test_ipv6_callers_are_counted_by_their_64_and_junk_is_one_bucket(settings):
    settings.BEHIND_PROXY = True

    assert address("10.0.0.2", "2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address("10.0.0.2", "2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address("10.0.0.2", "::ffff:203.0.113.7") == "203.0.113.7"
    assert address("10.0.0.2", "not-an-address") == "unknown"


def test_a_new_x_forwarded_for_on_each_request_does_not_dodge_the_anonymous_api_limit(client, settings):
    settings.BEHIND_PROXY = False
    settings.API_ANONYMOUS_RATE = "3/minute"

    statuses = [
        client.get("/api/v1/areas/", headers={"x-forwarded-for": f"198.51.100.{n}"}).status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 429, 429]


def test_behind_the_proxy_a_client_written_prefix_does_not_dodge_the_limit(client, settings):
    settings.BEHIND_PROXY = True
    settings.API_ANONYMOUS_RATE = "2/minute"

    statuses = [
        client.get("/api/v1/areas/", headers={"x-forwarded-for": f"198.51.100.{n}, 203.0.113.7"}).status_code
        for n in range(3)
    ]
    other = client.get("/api/v1/areas/", headers={"x-forwarded-for": "203.0.113.8"})

    assert statuses == [200, 200, 429]
    assert other.status_code == 200


def test_the_window_ends_on_time(client, settings, clock):
    settings.API_ANONYMOUS_RATE = "1/minute"

    assert client.get("/api/v1/areas/").status_code == 200
    refused = client.get("/api/v1/areas/")
    clock.advance(30)
    again = client.get("/api/v1/areas/")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert again.status_code == 200


def test_too_many_wrong_api_keys_silence_the_address_even_for_a_right_key(client, settings):
    settings.API_KEY_FAILURE_RATE = "3/hour"
    api_client = ApiClient.objects.create(organisation="Aarhus Kommune", contact_email="it@aarhus.dk")
    _key, right = api_client.issue_key()

    wrong = [
        client.get("/api/v1/areas/", headers={"authorization": f"Bearer pp_wrong{n}"}).status_code
        for n in range(3)
    ]
    refused = client.get("/api/v1/areas/", headers={"authorization": f"Bearer {right}"})
    anonymous = client.get("/api/v1/areas/")
    elsewhere = client.get(
        "/api/v1/areas/", headers={"authorization": f"Bearer {right}"}, REMOTE_ADDR="203.0.113.9"
    )

    assert wrong == [401, 401, 401]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "wrong API keys" in refused.json()["detail"] or "forkerte" in refused.json()["detail"]
    assert anonymous.status_code == 200  # reading without a key goes on, within its own limit
    assert elsewhere.status_code == 200


def test_the_search_page_is_limited_per_address_with_a_danish_page(client, settings):
    settings.SEARCH_RATE = "2/minute"

    statuses = [client.get("/principafgoerelser/soeg/", {"q": "bil"}).status_code for _ in range(3)]
    refused = client.get("/principafgoerelser/soeg/", {"q": "bil"})

    assert statuses == [200, 200, 429]
    assert refused["Retry-After"] == "30"
    assert "For mange forespørgsler" in refused.content.decode()
    assert client.get("/principafgoerelser/soeg/", {"q": "bil"}, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_suggestions_are_limited_apart_from_the_search_page_and_answer_json(client, settings):
    settings.SUGGEST_RATE = "1/minute"

    client.get("/principafgoerelser/soeg/forslag/", {"q": "se"})
    refused = client.get("/principafgoerelser/soeg/forslag/", {"q": "sel"})

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert client.get("/principafgoerelser/soeg/", {"q": "bil"}).status_code == 200


def test_the_feed_is_limited_per_address(client, settings):
    settings.FEED_RATE = "1/minute"

    assert client.get("/feeds/decisions.atom").status_code == 200
    assert client.get("/feeds/decisions.atom").status_code == 429


def test_when_redis_is_down_the_limits_let_requests_through(settings, unused_tcp_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_tcp_port}/0",
        }
    }

    window = ratelimit.hit("test", "203.0.113.7", "1/minute")

    assert window.allowed


@pytest.fixture
def staff_user() -> User:
    return User.objects.create_user("jurist", password="a-long-password-1", is_staff=True)


def login(client, username: str, password: str, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, **extra)


def test_admin_login_locks_a_username_at_an_address_after_five_failures(client, staff_user):
    failures = [login(client, "jurist", f"wrong-{n}").status_code for n in range(5)]
    locked = login(client, "jurist", "a-long-password-1")

    assert failures == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "For mange mislykkede loginforsøg" in locked.content.decode()
    assert "Prøv igen om 15 minutter." in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_by_username_and_address_so_nobody_locks_a_colleague_out(client, staff_user):
    for n in range(5):
        login(client, "jurist", f"wrong-{n}")

    elsewhere = login(client, "jurist", "a-long-password-1", REMOTE_ADDR="203.0.113.9")

    assert elsewhere.status_code == 302


def test_a_spoofed_x_forwarded_for_does_not_dodge_the_admin_lockout(client, staff_user, settings):
    settings.BEHIND_PROXY = False
    for n in range(5):
        login(client, "jurist", f"wrong-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert (
        login(client, "jurist", "a-long-password-1", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    )


def test_a_successful_login_resets_the_count(client, staff_user):
    for n in range(4):
        login(client, "jurist", f"wrong-{n}")
    assert login(client, "jurist", "a-long-password-1").status_code == 302
    client.logout()

    assert [login(client, "jurist", f"again-{n}").status_code for n in range(4)] == [200] * 4
