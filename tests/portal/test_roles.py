"""Roles hold on every route: an editor writes drafts and proposes changes; only a publisher
publishes, unpublishes, changes status, or changes what the public sees (portal/roles.py)."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import Client

from decisions.models import Area, Decision, Law, Paragraph, Relation, Status
from portal import roles
from tests.factories import DecisionFactory, replace

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _roles_synced():
    roles.sync_roles()  # as after migrate; a reused test database may predate a change to ROLES


def staff(role: str) -> User:
    user = User.objects.create_user(f"{role}-user", password="a-long-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor_client() -> Client:
    client = Client()
    client.force_login(staff(roles.EDITORS))
    return client


@pytest.fixture
def publisher_client() -> Client:
    client = Client()
    client.force_login(staff(roles.PUBLISHERS))
    return client


def form_data(decision: Decision | None = None, **overrides) -> dict:
    data = {
        "number": decision.number if decision else "4-24",
        "title": decision.title if decision else "Hjemmehjælp – rengøring hver anden uge",
        "area": str(decision.area_id if decision else Area.objects.get(slug="social").pk),
        "status": decision.status if decision else Status.IN_FORCE,
        "decided_on": "2024-02-01",
        "published_on": "2024-02-15",
        "summary": "Principmeddelelsen fastslår, at …",
        "practice_note": "",
        "body": "Sagen …",
        "citations": "SEL § 83",
        "keywords": "hjemmehjælp",
        "relations_from-TOTAL_FORMS": "0",
        "relations_from-INITIAL_FORMS": "0",
    }
    if decision is None or decision.is_published:
        data["is_published"] = "on"
    data.update(overrides)
    return data


# The roles themselves


def test_the_roles_get_exactly_the_permissions_roles_lists():
    editors = Group.objects.get(name=roles.EDITORS)
    publishers = Group.objects.get(name=roles.PUBLISHERS)
    editor_permissions = set(editors.permissions.values_list("codename", flat=True))

    assert "publish_decision" not in editor_permissions
    assert "change_law" not in editor_permissions
    assert "delete_decision" not in editor_permissions
    assert "publish_decision" in set(publishers.permissions.values_list("codename", flat=True))
    assert editor_permissions == {code for codes in roles.ROLES[roles.EDITORS].values() for code in codes}
    publisher_permissions = set(publishers.permissions.values_list("codename", flat=True))
    # Newsletters: editors compose, only publishers send and see the subscribers' addresses.
    assert "send_issue" not in editor_permissions
    assert "view_subscriber" not in editor_permissions
    assert {"send_issue", "view_subscriber"} <= publisher_permissions
    assert "view_outgoingmail" not in editor_permissions  # addresses and messages: publishers only


def test_syncing_takes_away_a_permission_granted_by_hand():
    editors = Group.objects.get(name=roles.EDITORS)
    editors.permissions.add(Permission.objects.get(codename="publish_decision"))

    roles.sync_roles()

    assert not editors.permissions.filter(codename="publish_decision").exists()


def test_a_role_naming_a_permission_that_does_not_exist_is_refused(monkeypatch):
    monkeypatch.setitem(roles.ROLES, roles.EDITORS, {"decisions": ["publish_everything"]})

    with pytest.raises(ImproperlyConfigured, match=r"decisions\.publish_everything"):
        roles.sync_roles()


# Decisions, route by route


def test_an_editor_adds_a_draft_but_cannot_publish_it_or_set_its_status(editor_client):
    response = editor_client.post(
        "/admin/decisions/decision/add/", form_data(status=Status.NO_LONGER_IN_FORCE)
    )

    assert response.status_code == 302
    draft = Decision.objects.get(number="4-24")
    assert draft.is_published is False
    assert draft.status == Status.IN_FORCE


def test_an_editor_changes_a_draft(editor_client):
    draft = DecisionFactory(is_published=False)

    response = editor_client.post(
        f"/admin/decisions/decision/{draft.pk}/change/", form_data(draft, title="Ny titel")
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Ny titel"
    assert draft.is_published is False


def test_an_editor_cannot_change_a_published_decision_in_the_change_form(editor_client):
    published = DecisionFactory(title="Gældende titel")

    response = editor_client.post(
        f"/admin/decisions/decision/{published.pk}/change/", form_data(published, title="Ændret")
    )

    assert response.status_code == 403
    published.refresh_from_db()
    assert published.title == "Gældende titel"


def test_an_editor_cannot_relate_a_published_decision_to_another(editor_client):
    published = DecisionFactory()
    other = DecisionFactory()
    data = form_data(
        published,
        **{
            "relations_from-TOTAL_FORMS": "1",
            "relations_from-0-target": str(other.pk),
            "relations_from-0-kind": "replaces",
        },
    )

    editor_client.post(f"/admin/decisions/decision/{published.pk}/change/", data)

    assert not Relation.objects.exists()


def test_an_editor_cannot_revert_a_draft_to_a_published_version(editor_client):
    decision = DecisionFactory(title="Offentliggjort")
    published_version = decision.history.first().history_id
    decision.is_published = False
    decision.title = "Trukket tilbage"
    decision.save()
    url = f"/admin/decisions/decision/{decision.pk}/history/{published_version}/"

    page = editor_client.get(url)
    response = editor_client.post(url, form_data(decision, title="Offentliggjort"))

    assert 'name="_save"' not in page.content.decode()  # no revert button
    assert 'name="title"' not in page.content.decode()  # and nothing that looks editable
    assert response.status_code == 403
    assert "Kun udgivere" in response.content.decode()
    decision.refresh_from_db()
    assert decision.is_published is False
    assert decision.title == "Trukket tilbage"


def test_an_editor_cannot_revert_a_published_decision(editor_client):
    decision = DecisionFactory(is_published=False, title="Kladde")
    draft_version = decision.history.first().history_id
    decision.is_published = True
    decision.title = "Offentliggjort"
    decision.save()

    response = editor_client.post(
        f"/admin/decisions/decision/{decision.pk}/history/{draft_version}/",
        form_data(decision, title="Kladde"),
    )

    assert response.status_code == 403
    decision.refresh_from_db()
    assert (decision.is_published, decision.title) == (True, "Offentliggjort")


def test_an_editor_reverts_a_draft_to_an_earlier_draft(editor_client):
    decision = DecisionFactory(is_published=False, title="Første udkast")
    first = decision.history.first().history_id
    decision.title = "Andet udkast"
    decision.save()

    response = editor_client.post(
        f"/admin/decisions/decision/{decision.pk}/history/{first}/",
        form_data(decision, title="Første udkast", is_published=""),
    )

    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.title == "Første udkast"
    assert decision.is_published is False


def test_a_publisher_reverts_a_published_decision(publisher_client):
    decision = DecisionFactory(title="Første")
    first = decision.history.first().history_id
    decision.title = "Anden"
    decision.save()

    response = publisher_client.post(
        f"/admin/decisions/decision/{decision.pk}/history/{first}/", form_data(decision, title="Første")
    )

    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.title == "Første"


def test_the_revert_form_of_another_decisions_version_is_404(publisher_client):
    one, other = DecisionFactory(), DecisionFactory()

    response = publisher_client.get(
        f"/admin/decisions/decision/{one.pk}/history/{other.history.first().history_id}/"
    )

    assert response.status_code == 404


def test_an_editor_cannot_run_the_no_longer_in_force_action(editor_client):
    decision = DecisionFactory()
    selection = {"action": "mark_no_longer_in_force", "_selected_action": [str(decision.pk)]}

    changelist = editor_client.get("/admin/decisions/decision/").content.decode()
    editor_client.post("/admin/decisions/decision/", {**selection, "confirm": "1", "replacement": ""})

    assert "mark_no_longer_in_force" not in changelist
    decision.refresh_from_db()
    assert decision.status == Status.IN_FORCE


def test_an_editor_cannot_delete_decisions(editor_client):
    decision = DecisionFactory(is_published=False)

    single = editor_client.post(f"/admin/decisions/decision/{decision.pk}/delete/", {"post": "yes"})
    bulk = editor_client.post(
        "/admin/decisions/decision/",
        {"action": "delete_selected", "_selected_action": [str(decision.pk)], "post": "yes"},
    )

    assert single.status_code == 403
    assert bulk.status_code in (200, 302, 403)
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_a_publisher_publishes_and_changes_status(publisher_client):
    draft = DecisionFactory(is_published=False)

    publisher_client.post(
        f"/admin/decisions/decision/{draft.pk}/change/",
        form_data(draft, is_published="on", status=Status.PARTLY_CHANGED),
    )

    draft.refresh_from_db()
    assert (draft.is_published, draft.status) == (True, Status.PARTLY_CHANGED)


# Laws and paragraphs


def test_an_editor_cannot_change_a_paragraph_that_a_published_decision_cites(editor_client):
    DecisionFactory(citations="SEL § 100")
    paragraph = Paragraph.objects.get(law__slug="serviceloven", section="100")
    data = {"heading": "Merudgifter (ændret)"}

    response = editor_client.post(f"/admin/decisions/paragraph/{paragraph.pk}/change/", data)

    assert response.status_code == 403
    paragraph.refresh_from_db()
    assert paragraph.heading == ""


def test_an_editor_gives_a_heading_to_a_paragraph_only_drafts_cite(editor_client):
    DecisionFactory(citations="SEL § 41", is_published=False)
    paragraph = Paragraph.objects.get(law__slug="serviceloven", section="41")

    response = editor_client.post(
        f"/admin/decisions/paragraph/{paragraph.pk}/change/", {"heading": "Merudgifter, børn"}
    )

    assert response.status_code == 302
    paragraph.refresh_from_db()
    assert paragraph.heading == "Merudgifter, børn"
    assert (paragraph.law.slug, paragraph.section) == ("serviceloven", "41")  # read-only once cited


def test_a_publisher_changes_the_heading_of_a_cited_paragraph(publisher_client):
    DecisionFactory(citations="SEL § 100")
    paragraph = Paragraph.objects.get(law__slug="serviceloven", section="100")

    response = publisher_client.post(
        f"/admin/decisions/paragraph/{paragraph.pk}/change/", {"heading": "Merudgifter ved voksne"}
    )

    assert response.status_code == 302
    paragraph.refresh_from_db()
    assert paragraph.heading == "Merudgifter ved voksne"


def test_an_editor_cannot_change_a_law(editor_client):
    law = Law.objects.get(slug="serviceloven")

    response = editor_client.post(
        f"/admin/decisions/law/{law.pk}/change/",
        {"slug": law.slug, "title": "Ændret", "short_name": law.short_name, "abbreviation": "SEL"},
    )

    assert response.status_code == 403
    law.refresh_from_db()
    assert law.title == "Lov om social service"


# The models check it again, whatever route is added later


def test_the_model_refuses_an_editor_publishing_outside_the_admin():
    from django.test import RequestFactory

    from portal.roles import _acting_request

    draft = DecisionFactory(is_published=False)
    published = DecisionFactory()
    request = RequestFactory().post("/elsewhere/")
    request.user = staff(roles.EDITORS)
    token = _acting_request.set(request)
    try:
        draft.is_published = True
        with pytest.raises(PermissionDenied):
            draft.save()
        with pytest.raises(PermissionDenied):
            Relation.objects.create(source=published, target=draft, kind=Relation.Kind.REPLACES)
    finally:
        _acting_request.reset(token)
    assert Decision.objects.get(pk=draft.pk).is_published is False


def test_commands_and_tasks_act_as_the_system():
    draft = DecisionFactory(is_published=False)

    draft.is_published = True
    draft.save()  # no request, no acting user: the import and Celery tasks

    assert Decision.objects.get(pk=draft.pk).is_published is True


# Every admin route, walked by an editor


class _Forms(HTMLParser):
    """The POST forms of a page, each with its fields' current values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append((attrs.get("action") or "", []))
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1][1].append(
                (attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else ""))
            )
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.forms[-1][1].append((self._select, attrs.get("value", "")))
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self.forms[-1][1].append((attrs["name"], ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            name, value = self.forms[-1][1][-1]
            self.forms[-1][1][-1] = (name, value + data)


def public_state() -> dict:
    """Everything the public sees, and which decisions are drafts."""
    published = Decision.objects.filter(is_published=True).order_by("pk")
    return {
        "decisions": list(
            published.values("pk", "number", "title", "summary", "body", "status", "citations", "keywords")
        ),
        "drafts": list(Decision.objects.filter(is_published=False).values_list("pk", "status")),
        "relations": sorted(
            Relation.objects.filter(source__is_published=True).values_list("source", "target", "kind")
        ),
        "cited_paragraphs": list(
            Paragraph.objects.filter(references__decision__is_published=True)
            .distinct()
            .order_by("pk")
            .values("pk", "law", "section", "heading")
        ),
        "laws": list(Law.objects.order_by("pk").values()),
    }


PUBLISHING = {"is_published": "on", "status": Status.NO_LONGER_IN_FORCE, "title": "Redaktørens titel"}


def test_an_editor_walking_every_admin_route_publishes_nothing_and_changes_nothing_public(editor_client):
    from tests.portal.test_hostile_walk import ROUTES

    old = DecisionFactory(number="7-09", status=Status.NO_LONGER_IN_FORCE, citations="SEL § 100, stk. 1")
    new = DecisionFactory(number="24-19", citations="SEL § 100, stk. 1\nRSL § 9 c")
    replace(new, old)
    draft = DecisionFactory(number="3-25", is_published=False, citations="SEL § 41")
    draft.title = "Udkast, anden version"
    draft.save()
    for decision in (old, new):  # published decisions with drafts in their history
        decision.is_published = False
        decision.save()
        decision.is_published = True
        decision.save()
    before = public_state()

    urls = set()
    for route in ROUTES:
        if not route.template.startswith("/admin/decisions/") and route.name != "admin:index":
            continue
        for decision in Decision.objects.all():
            values = {
                "object_id": str(decision.pk),
                "_0": str(decision.pk),
                "_1": "",
                "app_label": "decisions",
                "url": "x/",
            }
            model = re.match(r"/admin/decisions/(\w+)/", route.template)
            if model and model.group(1) != "decision":
                row = {
                    "law": Law.objects.first(),
                    "paragraph": Paragraph.objects.first(),
                    "area": Area.objects.first(),
                    "synonym": None,
                    "relation": Relation.objects.first(),
                }.get(model.group(1))
                values["object_id"] = str(row.pk) if row else "1"
            versions = [str(h) for h in decision.history.values_list("history_id", flat=True)] or [""]
            for version in versions if "_1" in route.params else [""]:
                urls.add(route.template % {**values, "_1": version})

    posted = 0
    for url in sorted(urls):
        page = editor_client.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            if action.endswith("/logout/"):
                continue  # the walk goes on as the editor
            target = action or url
            data = dict(fields)
            editor_client.post(target, {**data, **PUBLISHING})
            posted += 1
            if "action" in data or url.endswith("/decision/"):
                for name in ("mark_no_longer_in_force", "delete_selected"):
                    selection = [str(pk) for pk in Decision.objects.values_list("pk", flat=True)]
                    editor_client.post(
                        target,
                        {"action": name, "_selected_action": selection, "confirm": "1", "post": "yes"},
                    )
                    posted += 1

    assert posted > 20
    assert public_state() == before
