"""The one rule for absolute addresses: every address the portal gives out (a decision's permanent
address on its page, the API's `url`, `api_url` and `next` links, the feed's links, mails) is
SITE_URL followed by the path, whichever host name the request came to. An address copied from a
page served through an internal host name, or stored by a municipal system mirroring the API,
is then the public one and stays valid."""

from django.conf import settings
from django.http import HttpRequest


def absolute(path: str) -> str:
    """SITE_URL + path ("/principafgoerelser/24-19/")."""
    return settings.SITE_URL + path


def this_request(request: HttpRequest) -> str:
    """The address of the request itself, path and query, on SITE_URL."""
    return absolute(request.get_full_path())
