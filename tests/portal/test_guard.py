"""The one guard for untrusted text (portal/guard.py) on pages, API parameters, paths, cursors,
forms and the feed."""

import base64
import json

import feedparser
import pytest
from django.contrib import admin
from django.test import RequestFactory

from decisions.models import Decision, Status
from portal.guard import find_forbidden, parse_int, problem, xml_safe
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db


def cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# The probe's requests that gave a server error (issue 9), and the classes behind them.
PROBE = [
    ("/principafgoerelser/soeg/?q=bil&area=%00", 400),
    ("/principafgoerelser/lov/serviceloven/1%00/", 400),
    ("/api/v1/laws/a%00b/", 400),
    ("/api/v1/decisions/?page_size=%C2%B2", 400),
    ("/api/v1/laws/?page_size=%C2%B2", 400),
    ("/api/v1/changes/?page_size=%C2%B2", 400),
    ("/principafgoerelser/soeg/?year_from=%C2%B2", 200),  # no filter, as any year that is not one
    ("/feeds/decisions.atom?paragraph=SEL%20%C2%A7%20100%0B", 400),
    (f"/api/v1/decisions/?cursor={cursor(['\u0000', 1])}", 400),
    (f"/api/v1/changes/?since={cursor(['\u0000', 1])}", 400),
    (f"/api/v1/decisions/?cursor={cursor([None, None])}", 400),
    ("/api/v1/decisions/?format=xml", 406),
]


@pytest.mark.parametrize(("url", "status"), PROBE)
def test_none_of_the_probes_requests_is_a_server_error_any_more(client, url, status):
    assert client.get(url).status_code == status


def test_a_nul_in_a_page_parameter_is_a_danish_400_that_names_the_parameter(client):
    response = client.get("/principafgoerelser/soeg/", {"q": "bil", "area": "\x00"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Forespørgslen blev afvist" in html
    assert "<strong>område</strong> (area)" in html
    assert "U+0000" in html
    assert 'class="site-search"' in html  # the site's layout, with a way on


def test_a_control_character_in_an_api_parameter_is_a_json_400_that_names_it(client):
    response = client.get("/api/v1/decisions/", {"area": "social\x0b"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["area"]
    assert "U+000B" in response.json()["area"][0]


@pytest.mark.parametrize(
    "path", ["/principafgoerelser/lov/serviceloven/1%00/", "/api/v1/laws/a%00b/", "/principafgoerelser/%1B/"]
)
def test_a_control_character_in_the_path_is_refused(client, path):
    response = client.get(path)

    assert response.status_code == 400


def test_invalid_utf8_in_the_query_string_is_refused_not_guessed_at(client):
    response = client.get("/api/v1/decisions/?q=%FF%FE")

    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_bidi_overrides_are_refused_but_ordinary_unicode_is_not(client):
    assert client.get("/principafgoerelser/soeg/", {"q": "\u202eSEL"}).status_code == 400
    assert client.get("/principafgoerelser/soeg/", {"q": "ægtefælle 😀 «»"}).status_code == 200


def test_over_long_parameters_are_refused_with_their_length(client):
    response = client.get("/api/v1/decisions/", {"number": "1" * 2001})

    assert response.status_code == 400
    assert "2001" in response.json()["number"][0]


@pytest.mark.parametrize("text", ["²", "³", "٣", "１２", "1.5", "-1", " ", "", "9" * 30, "1e3"])
def test_only_ascii_digits_within_bounds_are_numbers(text):
    assert parse_int(text, minimum=0, maximum=10**6) is None


def test_numbers_within_bounds_are_read():
    assert parse_int("0042", minimum=1, maximum=100) == 42
    assert parse_int("-5", minimum=-10, maximum=10) == -5
    assert parse_int("101", minimum=1, maximum=100) is None


def test_a_superscript_page_size_is_a_400_naming_page_size(client):
    response = client.get("/api/v1/decisions/", {"page_size": "²"})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


def test_a_year_that_is_not_a_number_is_no_filter_on_the_search_page(client):
    DecisionFactory(title="Handicapbil")

    response = client.get("/principafgoerelser/soeg/", {"q": "handicapbil", "year_from": "²"})

    assert response.status_code == 200
    assert "Handicapbil" in response.content.decode()


@pytest.mark.parametrize(
    "value",
    [
        [None, None],
        ["\u0000", 1],
        ["2026-01-01T00:00:00+00:00", "\u0000"],
        ["2026-01-01T00:00:00", 1],  # no time zone
        ["2026-01-01T00:00:00+00:00", 10**30],
        ["9999-99-99", 1],
        [True, 1],
        "x",
    ],
)
def test_a_cursor_that_does_not_hold_a_position_is_a_400(client, value):
    response = client.get("/api/v1/decisions/", {"cursor": cursor(value)})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize("value", [[0, -1], [10**30, 1], [1.5, 1], ["\u0000", 1], [None, None]])
def test_a_change_feed_cursor_that_is_not_a_position_is_a_400(client, value):
    response = client.get("/api/v1/changes/", {"since": cursor(value)})

    assert response.status_code == 400
    assert list(response.json()) == ["since"]


@pytest.mark.parametrize("position", [-1, 10**30, "1", None])
def test_a_search_cursor_that_is_not_a_position_is_a_400(client, position):
    response = client.get("/api/v1/decisions/", {"q": "bil", "cursor": cursor({"position": position})})

    assert response.status_code == 400


def test_an_unsupported_format_is_406_and_json_is_accepted(client):
    refused = client.get("/api/v1/decisions/", {"format": "xml"})

    assert refused.status_code == 406
    assert "json" in refused.json()["detail"]
    assert client.get("/api/v1/decisions/", {"format": "json"}).status_code == 200


@pytest.mark.parametrize("url", ["/", "/feeds/decisions.atom", "/api/v1/decisions/", "/healthz", "/admin/"])
def test_trace_is_not_allowed_anywhere(client, url):
    response = client.generic("TRACE", url)

    assert response.status_code == 405


def test_trace_in_the_api_is_a_json_405(client):
    response = client.generic("TRACE", "/api/v1/decisions/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert "TRACE" in response.json()["detail"]


def test_the_feed_never_writes_a_character_xml_forbids(client):
    DecisionFactory(number="1-20")
    # Text written before the guard existed, or by SQL: the feed must still be XML.
    Decision.objects.filter(number="1-20").update(title="Kørsel\x0bi egen bil\x1b", summary="A\x07B")

    response = client.get("/feeds/decisions.atom")

    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries[0].title == "1-20 Kørseli egen bil"


def test_problems_name_the_character_and_allow_newlines_only_in_text():
    assert find_forbidden("linje 1\nlinje 2\ttab", multiline=True) is None
    assert find_forbidden("linje 1\nlinje 2") == "\n"
    assert "U+000B (LINE TABULATION)" in problem("a\x0bb", multiline=True)
    assert "U+0000" in problem("\x00")
    assert xml_safe("a\x00b\x0bc\nd\ufffe") == "abc\nd"


def test_admin_forms_refuse_control_characters_with_a_field_error_and_save_nothing(admin_client):
    from decisions.models import Area

    response = admin_client.post(
        "/admin/decisions/decision/add/",
        {
            "number": "4-24",
            "title": "Hjemme\x0bhjælp",
            "area": str(Area.objects.get(slug="social").pk),
            "status": Status.IN_FORCE,
            "decided_on": "2024-02-01",
            "summary": "Principmeddelelsen fastslår\r\n, at …\x1b",
            "body": "Linje 1\r\nLinje 2\twith a tab",
            "citations": "SEL § 83",
            "keywords": "",
            "relations_from-TOTAL_FORMS": "0",
            "relations_from-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"title", "summary"}
    assert "U+000B" in errors["title"][0]
    assert "U+001B" in errors["summary"][0]
    assert not Decision.objects.exists()


def test_every_admin_form_of_ours_puts_the_guard_on_every_text_field(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("portal", "decisions", "hotline", "newsletters"):
            continue
        form = model_admin.get_form(request)()
        for name, field in form.fields.items():
            if field.__class__.__name__ in ("CharField", "SlugField", "EmailField", "URLField"):
                assert getattr(field, "guarded", False), f"{model.__name__}.{name}"
                checked += 1
    assert checked > 10
