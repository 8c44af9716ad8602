"""What caseworkers do, by mouse, by keyboard and without JavaScript: from the front page to a
decision by law and paragraph, a search with a typo, a search by keyboard alone."""

import re

from playwright.sync_api import expect

FIRST_RESULT = ".search-results .decision-item__title a"


def test_home_law_paragraph_decision_in_three_clicks(open_tab):
    tab = open_tab()
    page = tab.page
    tab.goto("/")

    page.get_by_role("link", name="Serviceloven (SEL)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Serviceloven")
    page.get_by_role("link", name=re.compile(r"^§ 100\b")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("§ 100")
    page.get_by_role("link", name=re.compile(r"^24-19 ")).click()

    expect(page).to_have_url(re.compile(r"/principafgoerelser/24-19/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merudgifter – kost, medicin og forholdet til medicintilskud"
    )
    tab.check_clean()


def _search_from_header(tab, words: str) -> None:
    field = tab.page.locator("#site-search-q")  # the header's; a combobox, as it offers suggestions
    expect(field).to_have_accessible_name("Søg i principafgørelser")
    field.fill(words)
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(re.compile(r"/principafgoerelser/soeg/\?"))


def test_a_typo_still_finds_the_decision(open_tab):
    tab = open_tab()
    tab.goto("/")

    _search_from_header(tab, "hjemmehjælpp")
    expect(tab.page.locator(FIRST_RESULT).first).to_contain_text("Hjemmehjælp")
    expect(tab.page.locator(".search-results")).to_contain_text("26-22")

    _search_from_header(tab, "merudgifer")
    expect(tab.page.locator(FIRST_RESULT).first).to_contain_text("Merudgifter")
    expect(tab.page.locator(".search-results")).to_contain_text("24-19")
    tab.check_clean()


def _tab_to(tab, pattern: str, most: int) -> int:
    """Presses Tab until the focused element's description matches; returns how many presses."""
    for presses in range(1, most + 1):
        tab.page.keyboard.press("Tab")
        if re.search(pattern, tab.focused()):
            return presses
    raise AssertionError(f"{most} presses of Tab did not reach {pattern!r}; focus is on {tab.focused()}")


def test_search_by_keyboard_alone(open_tab):
    tab = open_tab()
    page = tab.page
    tab.goto("/")

    # From the top of the page: the skip link, the name of the site, the search field.
    assert _tab_to(tab, r"^input#site-search-q", most=3) == 3
    page.keyboard.type("merudgifter medicin")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/principafgoerelser/soeg/\?q="))

    # On the results page: past the skip link to the content, to the one to the results.
    _tab_to(tab, r"^a Gå til resultaterne", most=2)
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()
    presses = _tab_to(tab, r"^a ", most=3)
    first = page.locator(FIRST_RESULT).first
    expect(first).to_be_focused()
    assert presses == 1, f"{presses} presses of Tab from the results to the first result"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merudgifter")
    tab.check_clean()


def test_results_come_before_the_facets_in_reading_order(open_tab):
    tab = open_tab(390)
    tab.goto("/principafgoerelser/soeg/?q=merudgifter")
    order = tab.page.evaluate(
        """() => {
          const results = document.querySelector('.search-results');
          const facets = document.querySelector('.facets');
          const following = results.compareDocumentPosition(facets) & Node.DOCUMENT_POSITION_FOLLOWING;
          return {following: !!following, below: facets.getBoundingClientRect().top
                  >= results.getBoundingClientRect().bottom};
        }"""
    )
    assert order == {"following": True, "below": True}
    # From the search field past the form, the two kinds' tabs and the hotline's answers on the
    # same thing to the first result, no facet on the way.
    tab.page.locator("#search-q").focus()
    for _ in range(15):
        tab.page.keyboard.press("Tab")
        in_facets = tab.page.evaluate("() => !!document.activeElement.closest('.facets')")
        assert not in_facets, f"a facet before the first result: {tab.focused()}"
        if tab.page.evaluate(
            "() => !!document.activeElement.closest('.search-results .decision-item__title')"
        ):
            break
    expect(tab.page.locator(FIRST_RESULT).first).to_be_focused()
    tab.check_clean()


def test_search_and_navigation_work_without_javascript(open_tab):
    tab = open_tab(javascript=False)
    page = tab.page
    tab.goto("/")

    _search_from_header(tab, "tandbehandling")
    expect(page.locator(FIRST_RESULT).first).to_be_visible()
    page.locator(".facets").get_by_role("link", name=re.compile("^Ydelsesområdet")).click()
    expect(page).to_have_url(re.compile(r"area=benefits"))
    page.locator(FIRST_RESULT).first.click()
    expect(page.locator(".decision__header h1")).to_be_visible()

    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Principafgørelser").click()
    page.get_by_role("link", name=re.compile(r"^§ 100\b")).first.click()
    # No longer in force: in a <details>, which opens without JavaScript.
    page.locator("details.historic summary").click()
    expect(page.locator("details.historic .decision-item").first).to_be_visible()
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Juridisk hotline").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tab.check_clean()
