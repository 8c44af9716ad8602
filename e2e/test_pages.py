"""Every public page and the main admin pages, at 1280 and then 390 px: the answer expected, nothing
gone wrong in the browser, no critical or serious axe-core violation, no sideways scrolling, and a
screenshot of each width in var/e2e/screenshots."""

import re

import pytest

# The nine laws the migrations seed (test_every_law_is_visited notices a tenth).
LAWS = [
    "aktivloven",
    "barnets-lov",
    "beskaeftigelsesloven",
    "forvaltningsloven",
    "offentlighedsloven",
    "pensionsloven",
    "retssikkerhedsloven",
    "serviceloven",
    "sygedagpengeloven",
]

SEARCH = "/principafgoerelser/soeg/"
PUBLIC_PAGES = [
    ("home", "/", 200),
    ("decisions", "/principafgoerelser/", 200),
    ("newest", "/principafgoerelser/nyeste/", 200),
    ("area-social", "/principafgoerelser/omraade/social/", 200),
    *[(f"law-{slug}", f"/principafgoerelser/lov/{slug}/", 200) for slug in LAWS],
    ("paragraph-sel-100", "/principafgoerelser/lov/serviceloven/100/", 200),
    ("decision-24-19", "/principafgoerelser/24-19/", 200),
    ("decision-7-09-replaced", "/principafgoerelser/7-09/", 200),
    ("decision-22-15-partly-changed", "/principafgoerelser/22-15/", 200),
    ("decision-40-13-partly-changed", "/principafgoerelser/40-13/", 200),
    ("decision-11-21-changes-22-15", "/principafgoerelser/11-21/", 200),
    ("paragraph-sel-10-empty", "/principafgoerelser/lov/serviceloven/10/", 200),
    ("paragraph-rsl-9-changed-in-part", "/principafgoerelser/lov/retssikkerhedsloven/9/", 200),
    ("search-empty", SEARCH, 200),
    ("search-merudgifter", f"{SEARCH}?q=merudgifter", 200),
    ("search-citation", f"{SEARCH}?q=SEL+%C2%A7+100", 200),
    ("search-filtered", f"{SEARCH}?q=merudgifter&area=social&include_historic=1", 200),
    ("search-no-hits", f"{SEARCH}?q=zqxjvw", 200),
    ("search-typo", f"{SEARCH}?q=hjemmehj%C3%A6lpp", 200),
    ("search-compound-part", f"{SEARCH}?q=st%C3%B8vsuger", 200),
    ("search-synonym", f"{SEARCH}?q=KTH+r%C3%A5dighed", 200),
    ("search-question", f"{SEARCH}?q=hvem+betaler+n%C3%A5r+borgeren+flytter+i+botilbud", 200),
    ("search-unknown-law", f"{SEARCH}?q=SKL+%C2%A7+3", 200),
    ("api", "/api/", 200),
    ("api-docs", "/api/docs/", 200),
    ("hotline", "/hotline/", 200),
    ("hotline-answer-current", "/hotline/svar/HL-2024-052/", 200),
    ("hotline-answer-needs-review", "/hotline/svar/HL-2022-019/", 200),
    ("hotline-answer-expired", "/hotline/svar/HL-2023-027/", 200),
    ("hotline-answer-superseded", "/hotline/svar/HL-2022-011/", 200),
    ("hotline-answer-withdrawn", "/hotline/svar/HL-2022-027/", 200),
    ("hotline-area", "/hotline/omraade/social/", 200),
    ("hotline-paragraph-sel-114", "/hotline/lov/serviceloven/114/", 200),
    ("hotline-ask", "/hotline/spoerg/", 200),
    ("paragraph-sel-114-with-hotline", "/principafgoerelser/lov/serviceloven/114/", 200),
    ("search-both-kinds", f"{SEARCH}?q=SEL+%C2%A7+114", 200),
    ("search-hotline", f"{SEARCH}?q=merudgifter&type=hotline", 200),
    ("newsletters", "/nyhedsbreve/", 200),
    ("newsletters-follow-paragraph", "/nyhedsbreve/?paragraph=SEL+%C2%A7+100", 200),
    ("newsletters-archive", "/nyhedsbreve/arkiv/", 200),
    ("newsletters-archive-area", "/nyhedsbreve/arkiv/?area=employment", 200),
    ("newsletters-archive-search", "/nyhedsbreve/arkiv/?q=sygedagpenge", 200),
    ("newsletters-issue", "/nyhedsbreve/arkiv/2026-10/", 200),
    ("newsletters-check", "/nyhedsbreve/tilmeldt/", 200),
    ("404", "/principafgoerelser/findes-ikke/", 404),
    ("400", f"{SEARCH}?q=a%01b", 400),
]


def look(tab, name: str, *, fit: tuple[int, ...] = (1280, 390), fit_boxes: tuple[int, ...] = ()) -> None:
    """Screenshots, axe and the width checks at 1280 px and then at 390 px, every failure reported
    together. `fit`: the widths at which the page must not scroll sideways; `fit_boxes`: at which
    nothing in it may either (a table in a scrolling frame)."""
    failures = []
    for width in (1280, 390):
        tab.resize(width)
        tab.screenshot(name)
        if width in fit and (overflow := tab.overflow()):
            failures.append(f"{name} scrolls sideways at {width} px: {overflow}")
        if width in fit_boxes and (boxes := tab.scrolling_boxes()):
            failures.append(f"{name} has boxes that scroll sideways at {width} px: {', '.join(boxes)}")
        if axe := tab.axe_failures(name):
            failures.append(axe)
    failures.extend(tab.problems)
    tab.problems.clear()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("name", "path", "status"), PUBLIC_PAGES, ids=[page[0] for page in PUBLIC_PAGES])
def test_public_page(open_tab, name, path, status):
    tab = open_tab()
    tab.goto(path, status)
    if name == "api-docs":  # Swagger UI builds the page from the schema after it loads
        tab.page.wait_for_selector(".swagger-ui .opblock", state="attached")
    look(tab, name)


def test_every_law_is_visited(site, django_db_blocker):
    from decisions.models import Law

    with django_db_blocker.unblock():
        assert sorted(Law.objects.values_list("slug", flat=True)) == LAWS


@pytest.fixture(scope="session")
def admin_pages(site, django_db_blocker) -> dict[str, str]:
    from decisions.models import Decision
    from hotline.models import Answer, Question
    from newsletters.models import Issue

    with django_db_blocker.unblock():
        pk = Decision.objects.get(number="24-19").pk
        answer = Answer.objects.get(reference="HL-2022-019").pk
        question = Question.objects.filter(status="new").order_by("pk").first().pk
        issue = Issue.objects.get(slug="2026-11").pk
    decision = f"/admin/decisions/decision/{pk}"
    return {
        "admin-hotline-queues": "/admin/hotline/question/queues/",
        "admin-hotline-question": f"/admin/hotline/question/{question}/change/",
        "admin-hotline-answers": "/admin/hotline/answer/",
        "admin-hotline-answer": f"/admin/hotline/answer/{answer}/change/",
        "admin-index": "/admin/",
        "admin-decisions": "/admin/decisions/decision/",
        "admin-decision": f"{decision}/change/",
        "admin-decision-history": f"{decision}/history/",
        "admin-newsletter-issues": "/admin/newsletters/issue/",
        "admin-newsletter-issue": f"/admin/newsletters/issue/{issue}/change/",
        "admin-newsletter-preview": f"/admin/newsletters/issue/{issue}/preview/",
        "admin-subscribers": "/admin/newsletters/subscriber/",
        "admin-subscribers-by-topic": "/admin/newsletters/subscriber/topics/",
        "admin-digest-runs": "/admin/newsletters/digestrun/",
    }


def test_admin_login_page(open_tab):
    tab = open_tab()
    tab.goto("/admin/login/")
    look(tab, "admin-login")


ADMIN_PAGES = [
    "admin-index",
    "admin-decisions",
    "admin-decision",
    "admin-decision-history",
    "admin-hotline-queues",
    "admin-hotline-question",
    "admin-hotline-answers",
    "admin-hotline-answer",
    "admin-newsletter-issues",
    "admin-newsletter-issue",
    "admin-newsletter-preview",
    "admin-subscribers",
    "admin-subscribers-by-topic",
    "admin-digest-runs",
]


# Staff work at a desk: at 1280 px nothing may scroll sideways, not even the list of decisions in
# its frame. On a phone Django's admin scrolls its tables in their frames, which is fine.
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_page(open_tab, admin_state, admin_pages, name):
    tab = open_tab(storage_state=admin_state)
    tab.goto(admin_pages[name])
    look(tab, name, fit=(1280,), fit_boxes=(1280,))


def test_api_docs_with_an_operation_open_tried_and_the_authorize_dialog(open_tab):
    """Swagger UI renders most of its page as it is used: axe on each state a reader reaches."""
    tab = open_tab()
    page = tab.page
    tab.goto("/api/docs/")
    failures = []

    listing = "#operations-decisions-decisions_list"
    page.click(f"{listing} .opblock-summary-control")
    page.wait_for_selector(f"{listing} .parameters", state="attached")
    failures.append(tab.axe_failures("api-docs, an operation open"))

    one = "#operations-decisions-decisions_retrieve"
    page.click(f"{one} .opblock-summary-control")
    with page.expect_response(re.compile(r"/api/v1/decisions/24-19/$")) as answer:
        page.click(f"{one} .execute")
    assert answer.value.status == 200
    page.wait_for_selector(f"{one} .live-responses-table", state="attached")
    failures.append(tab.axe_failures("api-docs, an operation tried"))
    tab.screenshot("api-docs-tried")

    page.click(".btn.authorize")
    page.wait_for_selector(".modal-ux", state="visible")
    failures.append(tab.axe_failures("api-docs, the Authorize dialog"))
    page.click(".modal-ux .close-modal")

    failures = [failure for failure in failures if failure] + tab.problems
    tab.problems.clear()
    assert not failures, "\n".join(failures)


def test_asking_the_hotline_shows_the_errors_then_similar_answers_then_the_receipt(open_tab):
    tab = open_tab()
    page = tab.page
    tab.goto("/hotline/spoerg/")
    tab.expected_errors.add(tab.base_url + "/hotline/spoerg/")  # the empty form's answer is 400
    page.get_by_role("button", name="Send spørgsmålet").click()
    page.wait_for_selector(".error-summary")
    look(tab, "hotline-ask-errors")

    page.get_by_label("Dit navn").fill("Mette Eksempel")
    page.get_by_label("Din arbejdsmail").fill("mette.eksempel@aarhus.dk")
    page.get_by_label("Kommune").select_option("Aarhus")
    page.get_by_label("Område").select_option("social")
    page.get_by_label("Dit spørgsmål").fill(
        "Kan kommunen dække merudgifter til medicin, når borgeren ikke får medicintilskud?"
    )
    page.get_by_label("Paragraffer").fill("SEL § 100")
    page.get_by_role("button", name="Send spørgsmålet").click()
    page.wait_for_selector(".similar")
    look(tab, "hotline-ask-similar")

    page.get_by_role("button", name="Ingen af dem besvarer det: send mit spørgsmål").click()
    page.wait_for_url(re.compile(r"/hotline/sag/[A-Za-z0-9_-]+/\?modtaget=1$"))
    assert "Tak: vi har modtaget dit spørgsmål." in page.content()
    look(tab, "hotline-receipt")
