from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [*portal_urlpatterns, path("broken/", broken_view)]
