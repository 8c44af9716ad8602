from django.urls import path

from portal.urls import handler404, handler500  # noqa: F401 - the portal's error pages
from portal.urls import urlpatterns as portal_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [*portal_urlpatterns, path("broken/", broken_view), path("api/v1/broken/", broken_view)]
