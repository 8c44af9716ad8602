import re
from html.parser import HTMLParser

import pytest

from tests.conftest import BASE_DIR

pytestmark = pytest.mark.django_db

SHELL_PAGES = [
    "/",
    "/principafgoerelser/",
    "/hotline/",
    "/nyhedsbreve/",
    "/api/",
    "/principafgoerelser/soeg/?q=bil",
]


class _Outline(HTMLParser):
    """Collects what an accessibility check needs: landmarks, ids, labels, fields, inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def _outline(response) -> _Outline:
    outline = _Outline()
    outline.feed(response.content.decode())
    return outline


def test_home_page_explains_the_portal_in_danish_and_links_every_part(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="da">' in html
    assert "Principportalen samler Ankestyrelsens principafgørelser" in html
    for href in ('href="/principafgoerelser/"', 'href="/hotline/"', 'href="/nyhedsbreve/"', 'href="/api/"'):
        assert href in html


@pytest.mark.parametrize("url", SHELL_PAGES)
def test_every_page_has_the_shell_with_landmarks_skip_link_and_search(client, url):
    response = client.get(url)

    assert response.status_code == 200
    outline = _outline(response)
    for landmark in ("header", "main", "footer"):
        assert outline.find(landmark), f"no <{landmark}>"
    assert outline.find("nav")[0]["aria-label"] == "Hovedmenu"
    assert outline.find("a")[0] == {"class": "skip-link", "href": "#main"}
    assert outline.find("main")[0]["id"] == "main"
    search = [form for form in outline.find("form") if form.get("role") == "search"]
    assert search == [
        {"class": "site-search", "role": "search", "action": "/principafgoerelser/soeg/", "method": "get"}
    ]


@pytest.mark.parametrize("url", SHELL_PAGES)
def test_every_visible_field_has_a_label(client, url):
    outline = _outline(client.get(url))

    labelled = {attrs["for"] for attrs in outline.find("label")}
    fields = [
        attrs for attrs in outline.find("input") + outline.find("select") if attrs.get("type") != "hidden"
    ]
    assert fields
    for field in fields:
        assert field.get("id") in labelled, f"field without a label: {field}"


def test_the_current_section_is_marked_in_the_navigation(client):
    outline = _outline(client.get("/hotline/"))

    current = [attrs["href"] for attrs in outline.find("a") if attrs.get("aria-current") == "page"]
    assert current == ["/hotline/"]


def test_pages_are_danish_even_when_the_browser_asks_for_english(client):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})

    assert '<html lang="da">' in response.content.decode()
    assert response["Content-Language"] == "da"


def test_the_page_can_be_read_in_english_when_the_reader_chooses_it(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/")

    assert '<html lang="en">' in response.content.decode()
    assert "Principle decisions" in response.content.decode()


def test_an_unknown_language_cookie_falls_back_to_danish(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"

    assert '<html lang="da">' in client.get("/").content.decode()


def test_the_language_switch_remembers_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/hotline/"})

    assert response.status_code == 302
    assert response["Location"] == "/hotline/"
    assert "Legal hotline" in client.get("/hotline/").content.decode()


def test_a_missing_page_is_a_danish_404_in_the_site_layout(client):
    response = client.get("/findes-ikke/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Siden findes ikke" in html
    assert 'class="site-search"' in html


def test_a_server_error_is_a_danish_500_in_the_site_layout(client, settings):
    settings.ROOT_URLCONF = "tests.portal.urls_failing"
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Der opstod en fejl hos os" in html
    assert 'class="site-search"' in html
    assert "a bug in a view" not in html


def test_the_search_field_shows_the_query_escaped(client):
    response = client.get("/principafgoerelser/soeg/", {"q": '<script>alert("x")</script> SEL § 100'})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


@pytest.mark.parametrize("query", ["a" * 1999, '"unbalanced', "😀 §§", "'; DROP TABLE x; --"])
def test_any_search_input_gives_a_normal_page(client, query):
    assert client.get("/principafgoerelser/soeg/", {"q": query}).status_code == 200


def test_templates_carry_no_inline_script_or_style_so_the_csp_can_forbid_them():
    for template in (BASE_DIR / "templates").rglob("*.html"):
        if "emails" in template.relative_to(BASE_DIR / "templates").parts:
            continue  # mail is no web page: mail programs need inline styles, and no CSP applies
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {template}"
        assert "<style" not in text, f"inline style element in {template}"
        assert not re.search(r"\sstyle=", text), f"inline style attribute in {template}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {template}"


def test_the_favicon_address_browsers_ask_for_leads_to_our_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("portal/favicon.svg")


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/decision/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "/api/docs/" in response.json()["detail"]


def test_a_server_error_in_the_api_is_json(client, settings):
    settings.ROOT_URLCONF = "tests.portal.urls_failing"
    client.raise_request_exception = False

    response = client.get("/api/v1/broken/")

    assert response.status_code == 500
    assert "a bug in a view" not in response.json()["detail"]
