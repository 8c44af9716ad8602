"""Every URL pattern, every API parameter and every form field, walked with generated hostile values:
no response may be a server error.

The routes come from the URL resolver, the API's parameters from its OpenAPI schema, and a page's
own parameters from the forms and links it serves, so a new page or endpoint (the hotline, the
newsletters) is walked without editing this file. Hostile values: NUL, control and bidi characters,
non-ASCII digits, invalid UTF-8 in the raw query string, huge numbers, over-long values, tsquery
operators, broken cursors, repeated parameters, and every HTTP method. Each route is walked as an
anonymous reader and as a superuser.

`HOSTILE_EXAMPLES` sets the generated requests per public route (default 24; the admin's routes,
slower, get half as many, and each route a quarter as the other kind of user); `HOSTILE_WALK_COLLECT=1` counts
server errors instead of stopping at the first, for a report.
"""

import base64
import json
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern, _route_to_regex
from django.utils.regex_helper import normalize
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisions.models import Decision, Paragraph, Status
from hotline import cases
from newsletters import editorial, links, subscriptions
from newsletters.models import Issue, Item
from tests.factories import AnswerFactory, DecisionFactory, replace

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", 24))
COLLECT = os.environ.get("HOSTILE_WALK_COLLECT") == "1"
METHODS = ["GET", "GET", "GET", "GET", "HEAD", "POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]

# Totals for the run, printed by tests/conftest.py at the end.
TOTALS = {"requests": 0, "server_errors": []}


# Routes, from the URL resolver


@dataclass
class Route:
    template: str  # "/principafgoerelser/lov/%(law_slug)s/%(section)s/"
    params: list[str]
    name: str

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("/admin/")


def _regex(pattern, is_endpoint: bool) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_to_regex(str(pattern._route), is_endpoint)[0].removeprefix("^")
    assert isinstance(pattern, RegexPattern)
    return pattern.regex.pattern.removeprefix("^")


def routes() -> list[Route]:
    found = []

    def walk(patterns, prefix: str, names: list[str]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns, prefix + _regex(pattern.pattern, False), [*names, pattern.namespace]
                )
            elif isinstance(pattern, URLPattern):
                regex = prefix + _regex(pattern.pattern, True)
                template, params = normalize(regex)[0]
                name = ":".join(filter(None, [*names, pattern.name])) or regex
                found.append(Route("/" + template, list(params), name))

    walk(get_resolver().url_patterns, "", [])
    return found


ROUTES = routes()


# Values


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "bil\x00",
    "\x0b",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "SEL § 100\x0b",
    "\u202eSEL",
    "\u2066x\u2069",
    "\ufeff",
    "\ufffe",
    "²",
    "³",
    "٣",
    "１２",
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999",
    "9" * 5000,
    "a" * 10000,
    "' OR 1=1 --",
    "!",
    "&",
    "|",
    ":*",
    "<->",
    "(a",
    "a & !b | c:*",
    "!!!(",
    '"',
    "%",
    "%00",
    "%(name)s",
    "{0}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "🙂",
    "",
    " ",
    "true",
    "[]",
    "{}",
    _cursor([None, None]),
    _cursor(["\u0000", 1]),
    _cursor(["2026-01-01T00:00:00Z", "\u0000"]),
    _cursor(["9999-99-99", 1]),
    _cursor([10**30, 10**30]),
    _cursor([-1, -1]),
    _cursor([1, 2, 3]),
    _cursor({"position": -1}),
    _cursor({"position": 10**30}),
    _cursor({"position": "\u0000"}),
    _cursor("x"),
    "bm90IGpzb24",  # "not json"
    "====",
]
hostile_values = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
)
# Raw query strings that no browser would send: invalid UTF-8, percent escapes broken off.
RAW_QUERIES = [
    "q=%FF%FE",
    "q=%C3",
    "q=%ED%A0%80",
    "area=%C0%AF",
    "%FF=1",
    "q=%",
    "q=%zz",
    "page_size=%C2%B2",
    "year_from=%C2%B2",
    "cursor=%00",
    "&&&=&",
    "q",
    "=x",
]


def _admin_model(template: str):
    match = re.match(r"/admin/(\w+)/(\w+)/", template)
    if not match:
        return None
    try:
        return apps.get_model(match.group(1), match.group(2))
    except LookupError:
        return None


@dataclass
class World:
    """The rows the walk needs valid values from."""

    decision: Decision
    paragraph: Paragraph
    staff: User
    other_user: User
    question_token: str = "x"
    subscriber_tokens: dict | None = None  # purpose → a signed link's token
    issue: object = None


def valid_values(route: Route, param: str, world: World) -> list[str]:
    model = _admin_model(route.template)
    if param == "_0" and model is not None:  # simple_history's revert form: object, then version
        return [str(world.decision.pk)]
    if param == "_1" and model is not None:
        return [str(world.decision.history.first().history_id)]
    if param in ("object_id", "id") and model is User:
        return [str(world.other_user.pk)]  # the walker must not delete itself
    if param in ("object_id", "id") and model is not None:
        row = model.objects.order_by("pk").first()
        return [str(row.pk)] if row else ["1"]
    if param == "id":  # admin/auth/user/<id>/password/
        return [str(world.staff.pk)]
    if param == "content_type_id":
        from django.contrib.contenttypes.models import ContentType

        return [str(ContentType.objects.get_for_model(Decision).pk)]
    if param == "object_id":
        return [str(world.decision.pk)]
    if "nyhedsbreve" in route.template or "newsletters" in route.name:
        if param == "token":
            purpose = "confirm" if "bekraeft" in route.template else "preferences"
            purpose = "unsubscribe" if "afmeld" in route.template else purpose
            return [world.subscriber_tokens[purpose]]
        if param == "pk":
            return [str(world.issue.pk)]
        if param == "slug":
            return [world.issue.slug]
        if param == "area":
            return ["employment", "alle"]
    by_name = {
        "number": ["24-19", "7-09"],
        "law_slug": ["serviceloven"],
        "section": ["100", "9c"],
        "pk": [str(world.paragraph.pk)],
        "app_label": ["decisions"],
        "url": ["findes-ikke/"],
        "reference": ["HL-2024-031", "HL-2024-032"],
        "token": [world.question_token],
    }
    if param == "slug":
        return ["social"] if ("area" in route.name or "omraade" in route.template) else ["serviceloven"]
    return by_name.get(param, ["x"])


# A page's own parameters: from the forms and links it serves, and, for the API, from the schema


class _Fields(HTMLParser):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.get: dict[str, set[str]] = {}
        self.post: dict[str, set[str]] = {}
        self._form_method: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form_method = (attrs.get("method") or "get").lower()
        elif tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            target = self.post if self._form_method == "post" else self.get
            target.setdefault(attrs["name"], set()).add(attrs.get("value") or "")
        elif tag == "option" and attrs.get("value") is not None:
            pass
        elif tag == "a" and attrs.get("href", "").startswith(("?", self.path + "?")):
            for name, value in parse_qsl(urlsplit(attrs["href"]).query, keep_blank_values=True):
                self.get.setdefault(name, set()).add(value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form_method = None


SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def schema_parameters(path: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for template, operations in SCHEMA["paths"].items():
        if not re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                values = found.setdefault(parameter["name"], set())
                if "example" in parameter:
                    values.add(str(parameter["example"]))
                for example in (parameter.get("examples") or {}).values():
                    values.add(str(example.get("value")))
                for value in parameter.get("schema", {}).get("enum", []):
                    values.add(str(value))
    return found


GENERIC_PARAMETERS = ["q", "page", "side", "format", "cursor", "page_size", "next", "o", "p", "e", "_popup"]


@dataclass
class Known:
    get: dict[str, set[str]] = field(default_factory=dict)
    post: dict[str, set[str]] = field(default_factory=dict)


def discover(client: Client, path: str) -> Known:
    fields = _Fields(path)
    for query in ("", "q=merudgifter"):  # a search shows its filters only with results
        response = client.get(f"{path}?{query}", follow=False)
        if "html" in response.get("Content-Type", "") and (not query or "q" in fields.get):
            fields.feed(response.content.decode(errors="replace"))
    known = Known(fields.get, fields.post)
    for name, values in schema_parameters(path).items():
        known.get.setdefault(name, set()).update(values)
    return known


# Requests


@dataclass
class HostileRequest:
    method: str
    path: str
    query: str
    body: str

    def __str__(self) -> str:
        body = f" body={self.body[:300]!r}" if self.body else ""
        return f"{self.method} {self.path[:300]}?{self.query[:300]}{body}"


def valid_or_hostile(valid: list[str]):
    return st.one_of(st.sampled_from(valid), hostile_values) if valid else hostile_values


def requests_for(route: Route, world: World, known: Known):
    @st.composite
    def build(draw) -> HostileRequest:
        values = {}
        for param in route.params:
            valid = valid_values(route, param, world)
            values[param] = draw(
                st.one_of(st.sampled_from(valid), hostile_values) if valid else hostile_values
            )
        path = route.template % {name: quote(value, safe="") for name, value in values.items()}

        def pairs(names: dict[str, set[str]]) -> list[tuple[str, str]]:
            chosen = draw(st.lists(st.sampled_from([*sorted(names), "\x00", "²", "zz"]), max_size=4))
            result = []
            for name in chosen:
                observed = sorted(names.get(name, ()))
                value = draw(
                    st.one_of(st.sampled_from(observed), hostile_values) if observed else hostile_values
                )
                result.append((name, value))
            return result

        if draw(st.integers(0, 9)) == 0:
            query = draw(st.sampled_from(RAW_QUERIES))
        else:  # the page's own parameters, and names many pages take
            query = urlencode(pairs({**{key: set() for key in GENERIC_PARAMETERS}, **known.get}))
        method = draw(st.sampled_from(METHODS))
        body = urlencode(pairs(known.post or known.get)) if method in ("POST", "PUT", "PATCH") else ""
        return HostileRequest(method, path, query, body)

    return build()


def send(client: Client, request: HostileRequest):
    url = f"{request.path}?{request.query}" if request.query else request.path
    return client.generic(
        request.method,
        url,
        request.body,
        content_type="application/x-www-form-urlencoded" if request.body else "",
    )


# The sweep: every path and query parameter once with each of these, as raw values: a NUL, a
# control character, a bidi override, a non-ASCII digit, invalid UTF-8, a huge number, a cursor
# that holds no position.
SWEEP = [
    "%00",
    "a%0Bb",
    "%E2%80%AE",
    "%C2%B2",
    "%FF%FE",
    "99999999999999999999",
    _cursor([None, None]),
]


def sweep(client: Client, route: Route, world: World, known: Known, check) -> None:
    """Each path parameter and each of the page's query parameters once with each value of SWEEP."""
    valid = {name: quote(valid_values(route, name, world)[0], safe="") for name in route.params}
    for name in route.params:
        for value in SWEEP:
            check(HostileRequest("GET", route.template % {**valid, name: value}, "", ""))
    path = route.template % valid
    for name in sorted(known.get):
        for value in SWEEP:
            check(HostileRequest("GET", path, f"{quote(name)}={value}", ""))
    if not route.is_admin:  # the admin's forms are walked by the generated requests below
        for name in sorted(known.post):
            for value in SWEEP:
                check(HostileRequest("POST", path, "", f"{quote(name)}={value}"))


@pytest.fixture
def world(db, settings) -> World:
    settings.API_ANONYMOUS_RATE = "1000000/minute"
    settings.SEARCH_RATE = "1000000/minute"
    settings.FEED_RATE = "1000000/minute"
    settings.HOTLINE_ASK_RATE = settings.HOTLINE_ASK_EMAIL_RATE = "1000000/minute"
    settings.HOTLINE_REPORT_RATE = "1000000/minute"
    settings.NEWSLETTER_SIGNUP_RATE = settings.NEWSLETTER_SIGNUP_EMAIL_RATE = "1000000/minute"
    settings.ALLOWED_HOSTS = ["testserver"]
    old = DecisionFactory(number="7-09", status=Status.NO_LONGER_IN_FORCE, citations="SEL § 100, stk. 1")
    new = DecisionFactory(number="24-19", citations="SEL § 100, stk. 1\nRSL § 9 c")
    replace(new, old)
    DecisionFactory(number="C-16-99", is_published=False)
    staff = User.objects.create_superuser("walker", password="a-long-password-1")
    other = User.objects.create_user("other", password="a-long-password-2", is_staff=True)
    # The hotline: a current answer citing 24-19, one it supersedes, and an open question.
    current = AnswerFactory(reference="HL-2024-031", decisions=["24-19"], citations="SEL § 100, stk. 1")
    AnswerFactory(reference="HL-2024-032", superseded_by=current)
    question = cases.ask(
        name="Walker",
        email="walker@kommune.dk",
        municipality="Aarhus",
        area=new.area,
        question="Må kommunen?",
    )
    paragraph = Paragraph.objects.get(law__slug="serviceloven", section="100")
    # The newsletters: a confirmed subscriber (its signed links) and a sent issue with items.
    reader = subscriptions.sign_up("laeser@kommune.dk", subscriptions.Topics(areas=[new.area]))
    subscriptions.confirm(reader)
    issue = Issue.objects.create(slug="2026-11", title="Nyt fra Ankestyrelsen, november 2026")
    Item.objects.create(issue=issue, heading="Nyt om kørsel", text="Tekst.", for_everyone=True)
    editorial.schedule(issue)
    editorial.send_due()
    tokens = {purpose: links.token(reader, purpose) for purpose in ("confirm", "preferences", "unsubscribe")}
    return World(new, paragraph, staff, other, question.token, tokens, issue)


@pytest.mark.parametrize("as_staff", [False, True], ids=["anonymous", "staff"])
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_no_input_on_any_route_gives_a_server_error(route, as_staff, world):
    client = Client(raise_request_exception=False)
    if as_staff:
        client.force_login(world.staff)
    valid_path = route.template % {
        name: quote(valid_values(route, name, world)[0], safe="") for name in route.params
    }
    known = discover(client, valid_path)
    # Public pages mostly as a reader, the admin mostly as staff; the admin's pages are slower.
    examples = {
        (False, False): EXAMPLES,
        (False, True): max(2, EXAMPLES // 4),
        (True, True): max(2, EXAMPLES // 2),
        (True, False): max(2, EXAMPLES // 6),
    }[(route.is_admin, as_staff)]

    def check(request: HostileRequest) -> None:
        if as_staff:
            client.force_login(world.staff)  # a walked logout form must not end the walk
        savepoint = transaction.savepoint_create()
        response = send(client, request)
        TOTALS["requests"] += 1
        if response.status_code == 503 and route.name == "healthz":
            pass  # its answer while the worker is down, as in this test
        elif response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)  # a failed query aborts the test's transaction
            TOTALS["server_errors"].append(f"{response.status_code} {request}")
            if not COLLECT:
                raise AssertionError(f"{response.status_code} for {request}")
            return
        transaction.savepoint_commit(savepoint)

    if as_staff == route.is_admin:  # the public pages as a reader, the admin as staff
        sweep(client, route, world, known, check)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests_for(route, world, known))
    def walk(request: HostileRequest) -> None:
        check(request)

    walk()
