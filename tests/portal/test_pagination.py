"""Pages of the web lists (portal/pagination.py), shared by every app's lists."""

import pytest
from django.test import RequestFactory

from portal.pagination import page_of, requested_page

ITEMS = list(range(1, 56))  # 55 items: pages of 25, 25 and 5


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (None, 1),
        ("2", 2),
        (" 3 ", 3),
        ("3", 3),
        ("99", 3),  # past the end: the last page
        ("0", 1),
        ("-1", 1),
        ("abc", 1),
        ("٢", 1),  # an Arabic-Indic two: digits are ASCII only
        ("²", 1),
        ("2\x00", 1),
        ("9" * 40, 1),
    ],
)
def test_any_page_number_shows_a_page_never_an_error(number, shown):
    page = page_of(ITEMS, number, 25)

    assert page.number == shown
    assert page.object_list == ITEMS[(shown - 1) * 25 : shown * 25]


def test_a_known_count_spares_counting_and_the_request_names_the_page_with_side():
    page = requested_page(RequestFactory().get("/", {"side": "2"}), ITEMS, 25, count=55)

    assert page.number == 2
    assert page.paginator.num_pages == 3
    assert page.object_list == ITEMS[25:50]
