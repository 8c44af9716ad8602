from django.contrib import admin
from django.urls import include, path

from decisions.feeds import decisions_feed
from hotline.feeds import hotline_feed
from newsletters.feeds import newsletters_feed
from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("principafgoerelser/", include("decisions.urls")),
    path("hotline/", include("hotline.urls")),
    path("nyhedsbreve/", include("newsletters.urls")),
    path("api/", include("portal.api_urls")),
    path("feeds/decisions.atom", decisions_feed, name="decisions-feed"),
    path("feeds/hotline.atom", hotline_feed, name="hotline-feed"),
    path("feeds/nyhedsbreve.atom", newsletters_feed, name="newsletters-feed"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
